#!/usr/bin/env python3
"""The dashboard benchmark's pages (dashboard.sh), from the dashboard definitions
(dashboards/*.conf, format in dashboards/README.md) and an RRD directory.

rrdtool: the peer, the graphs as plain `rrdtool graph` command lines, one a line
(shell-quoted), for the pages an RRD directory makes: every
span's overview, and a page per tenant, link and exporter, one image per graph.  The
same DEF, CDEF, VDEF and drawing elements as the definitions give, for_each expanded as
the renderer does (a repetition's names suffixed "-1", "-2", ...; stacked repetitions
on the element before).  What it leaves out, in the peer's favour: the overview's top
tenants are the first N by name, not ranked (flowtally reads every tenant's file for
that), and no xport of the graph's numbers.

    dashboard_pages.py rrdtool DEFS_DIR RRD_DIR OUT_DIR AT SPAN[,SPAN...] > COMMANDS

A month_to_date graph, and the month span, start at the first of the month holding
AT - 1 s (UTC).

check: that a rendered site (flowtally dashboard --out OUT) has every page the
inventory makes for each span (include/flowtally/dashboard.h, ft_dash_page_file:
overview.SPAN.html, tenant=NAME.SPAN.html, link=DEVICE=INTERFACE.SPAN.html,
exporter=NAME.SPAN.html, names as the RRD files have them) and index.html, that each
page shows one image per graph of its definition, and that every image it shows is a
PNG file there.  A page's images are read from its HTML (<img src>), or from the
site's dashboard.json where the page has no HTML file.  Prints "pages=P html=H
images=I distinct=D missing=M" (H: pages read from their HTML) and the first problems
on standard error; exits 1 when anything is missing.

    dashboard_pages.py check DEFS_DIR RRD_DIR OUT_DIR SPAN[,SPAN...]
"""
import json
import os
import re
import shlex
import sys
import time
import urllib.parse

# ---- a reader of the libconfig the definitions are written in ----------------------------

TOKEN = re.compile(r'''
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<num>[-+]?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)L?)
  | (?P<name>[A-Za-z*][-A-Za-z0-9_*]*)
  | (?P<punct>[=:;,{}()\[\]])
''', re.X | re.S)


def tokens(text):
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError("cannot read at %r" % text[pos:pos + 20])
        pos = m.end()
        kind = m.lastgroup
        if kind != 'ws':
            yield kind, m.group(kind)


def unquote(s):
    return re.sub(r'\\(.)', lambda m: {'n': '\n', 't': '\t', 'r': '\r'}.get(m.group(1), m.group(1)), s[1:-1])


class Reader:
    def __init__(self, text):
        self.toks = list(tokens(text))
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def settings(self, close=None):
        out = {}
        while self.peek()[1] != close:
            kind, name = self.take()
            if kind != 'name':
                raise ValueError("a setting's name expected, not %r" % name)
            if self.take()[1] not in ('=', ':'):
                raise ValueError("'=' expected after " + name)
            out[name] = self.value()
            if self.peek()[1] in (';', ','):
                self.take()
        return out

    def value(self):
        kind, v = self.take()
        if v == '{':
            g = self.settings('}')
            self.take()
            return g
        if v in ('(', '['):
            end = ')' if v == '(' else ']'
            items = []
            while self.peek()[1] != end:
                items.append(self.value())
                if self.peek()[1] == ',':
                    self.take()
            self.take()
            return items
        if kind == 'str':
            s = unquote(v)
            while self.peek()[0] == 'str':
                s += unquote(self.take()[1])
            return s
        if kind == 'num':
            v = v.rstrip('L')
            return int(v, 0) if re.fullmatch(r'[-+]?(0[xX][0-9a-fA-F]+|\d+)', v) else float(v)
        if kind == 'name' and v.lower() in ('true', 'false'):
            return v.lower() == 'true'
        raise ValueError("a value expected, not %r" % v)


def load(path):
    with open(path, encoding='utf-8') as f:
        return Reader(f.read()).settings()


# ---- what the RRD directory holds ----------------------------------------------------------

def decode(enc):
    return urllib.parse.unquote(enc, errors='surrogateescape')


def rrd_names(d):
    """The .rrd files of directory d, encoded names without .rrd, sorted."""
    try:
        return sorted(f[:-4] for f in os.listdir(d) if f.endswith('.rrd'))
    except FileNotFoundError:
        return []


def inventory(rrd):
    inv = {'tenant': [], 'link': [], 'exporter': []}
    for t in rrd_names(os.path.join(rrd, 'tenants')):
        inv['tenant'].append({'tenant': t, 'classes': rrd_names(os.path.join(rrd, 'tenants', t))})
    idir = os.path.join(rrd, 'interfaces')
    for dev in sorted(os.listdir(idir)) if os.path.isdir(idir) else []:
        for i in rrd_names(os.path.join(idir, dev)):
            inv['link'].append({'device': dev, 'interface': i})
    inv['exporter'] = [{'exporter': e} for e in rrd_names(os.path.join(rrd, 'exporters'))]
    return inv


# ---- graphs as rrdtool arguments ---------------------------------------------------------------

def subst(s, names, enc):
    """Placeholders filled: encoded names in file paths, decoded in text."""
    return re.sub(r'\{(\w+)\}', lambda m: names[m.group(1)] if enc else decode(names[m.group(1)]), s)


def esc(s):
    return s.replace(':', r'\:')


def graph_args(g, page, rrd, repeat):
    """The DEF/CDEF/VDEF/drawing arguments of graph g for a page (names: the page's
    placeholders), repeat: {"class": [...], "tenant": [...], "exporter": [...]}."""
    args, drawn, expanded = [], False, set()
    for it in g['items']:
        each = it.get('for_each')
        reps = [(None, {})] if not each else [(n, {each: v}) for n, v in enumerate(repeat[each], 1)]
        defined = it.get('def') or it.get('cdef') or it.get('vdef')
        if each and defined:
            expanded.add(defined)
        for n, extra in reps:
            names = dict(page, **extra)

            def ref(x, n=n):
                return '%s-%d' % (x, n) if n is not None and x in expanded else x
            if 'def' in it:
                path = os.path.join(rrd, subst(it['file'], names, True))
                args.append('DEF:%s=%s:%s:%s' % (ref(it['def']), path.replace(':', r'\:'), it['ds'],
                                                 it.get('cf', 'AVERAGE')))
            elif 'cdef' in it:
                rpn = ','.join(ref(t) for t in it['rpn'].split(','))
                args.append('CDEF:%s=%s' % (ref(it['cdef']), rpn))
            elif 'vdef' in it:
                fn = it['function']
                spec = '%s,%s,%s' % (ref(it['of']), it['percent'], fn) if 'PERCENT' in fn else \
                    '%s,%s' % (ref(it['of']), fn)
                args.append('VDEF:%s=%s' % (ref(it['vdef']), spec))
            else:
                args.append(draw_arg(it, names, ref, n, drawn))
                drawn = drawn or it['draw'] in ('LINE1', 'LINE2', 'LINE3', 'AREA')
    return args


def draw_arg(it, names, ref, n, drawn):
    d = it['draw']
    if d == 'COMMENT':
        return 'COMMENT:' + esc(subst(it['text'], names, False))
    if d == 'GPRINT':
        return 'GPRINT:%s:%s' % (ref(it['value']), esc(it['format']))
    colours = it['colour'] if isinstance(it['colour'], list) else [it['colour']]
    colour = colours[((n or 1) - 1) % len(colours)]
    legend = esc(subst(it.get('legend', ''), names, False))
    value = ref(it['value']) if isinstance(it['value'], str) else repr(it['value'])
    a = '%s:%s%s:%s' % (d, value, colour, legend)
    if it.get('stack') and (drawn or (n or 1) > 1):
        a += ':STACK'
    return a


def month_start(at):
    tm = time.gmtime(at - 1)
    return int(time.mktime((tm.tm_year, tm.tm_mon, 1, 0, 0, 0, 0, 0, 0))) - time.timezone


SPAN_DAYS = {'day': 1, 'week': 7, 'year': 365}


def commands(defs_dir, rrd, out, at, spans):
    inv = inventory(rrd)
    tenants_sorted = [t['tenant'] for t in inv['tenant']]
    exporters = [e['exporter'] for e in inv['exporter']]
    made = set()     # a month_to_date image is the same for every span: drawn once
    for d in definitions(defs_dir):
        kind = d['kind']
        pages = [{}] if kind == 'overview' else inv[kind]
        for span in spans:
            start = month_start(at) if span == 'month' else at - SPAN_DAYS[span] * 86400
            for page in pages:
                names = {k: v for k, v in page.items() if k != 'classes'}
                for g in d['graphs']:
                    mtd = g.get('period') == 'month_to_date'
                    repeat = {'class': page.get('classes', []), 'exporter': exporters,
                              'tenant': tenants_sorted[:g.get('top_tenants', 0)]}
                    stem = '='.join([kind] + list(names.values()))
                    png = os.path.join(out, '%s.%s.%s.png' % (stem, 'mtd' if mtd else span, g['name']))
                    if png in made:
                        continue
                    made.add(png)
                    a = ['rrdtool', 'graph', png, '-a', 'PNG', '--start', str(month_start(at) if mtd else start),
                         '--end', str(at), '-w', str(g.get('width', d.get('width', 800))),
                         '-h', str(g.get('height', d.get('height', 200))), '-t', subst(g['title'], names, False)]
                    if 'vertical_label' in g:
                        a += ['-v', subst(g['vertical_label'], names, False)]
                    if 'lower_limit' in g:
                        a += ['-l', str(g['lower_limit'])]
                    if 'upper_limit' in g:
                        a += ['-u', str(g['upper_limit'])]
                    a += graph_args(g, names, rrd, repeat)
                    print(' '.join(shlex.quote(x) for x in a))


def definitions(defs_dir):
    for fname in sorted(os.listdir(defs_dir)):
        if fname.endswith('.conf'):
            yield load(os.path.join(defs_dir, fname))


IMG = re.compile(r'<img\b[^>]*\bsrc="([^"]*)"', re.I)


def site_pages(out):
    """dashboard.json's pages by file name (empty when there is none)."""
    try:
        with open(os.path.join(out, 'dashboard.json'), encoding='utf-8') as f:
            return {p['file']: p for p in json.load(f).get('pages', [])}
    except (OSError, ValueError):
        return {}


def page_images(out, name, listed):
    """The images page `name` shows: from its HTML when there is one, else from
    dashboard.json; None when neither has it.  Also whether the HTML was read."""
    try:
        with open(os.path.join(out, name), encoding='utf-8', errors='replace') as f:
            return [urllib.parse.unquote(s) for s in IMG.findall(f.read())], True
    except OSError:
        pass
    if name in listed:
        return [im['file'] for im in listed[name].get('images', [])], False
    return None, False


def is_png(path):
    try:
        with open(path, 'rb') as f:
            return f.read(8) == b'\x89PNG\r\n\x1a\n'
    except OSError:
        return False


def check(defs_dir, rrd, out, spans):
    inv = inventory(rrd)
    listed = site_pages(out)
    pages = html = images = missing = 0
    seen = set()
    problems = []
    if not os.path.isfile(os.path.join(out, 'index.html')):
        problems.append('index.html is missing')
    for d in definitions(defs_dir):
        kind, want = d['kind'], len(d['graphs'])
        for span in spans:
            for page in [{}] if kind == 'overview' else inv[kind]:
                names = [v for k, v in page.items() if k != 'classes']
                name = '='.join([kind] + names) + '.' + span + '.html'
                srcs, from_html = page_images(out, name, listed)
                if srcs is None:
                    problems.append('%s is missing (no page, not in dashboard.json)' % name)
                    missing += want
                    continue
                pages += 1
                html += from_html
                if len(srcs) != want:
                    problems.append('%s shows %d images, its definition has %d graphs' % (name, len(srcs), want))
                    missing += max(0, want - len(srcs))
                for src in srcs:
                    images += 1
                    seen.add(src)
                    if not is_png(os.path.join(out, src)):
                        missing += 1
                        problems.append('%s: %s is missing or not a PNG' % (name, src))
    print('pages=%d html=%d images=%d distinct=%d missing=%d' % (pages, html, images, len(seen), missing))
    for p in problems[:10]:
        print('dashboard_pages.py: ' + p, file=sys.stderr)
    return 1 if problems else 0


def main():
    a = sys.argv[1:]
    if len(a) == 6 and a[0] == 'rrdtool':
        commands(a[1], a[2], a[3], int(a[4]), a[5].split(','))
    elif len(a) == 5 and a[0] == 'check':
        sys.exit(check(a[1], a[2], a[3], a[4].split(',')))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
