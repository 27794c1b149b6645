#!/usr/bin/env python3
"""Loads flowtally's static HTML pages in a real headless Chromium and checks them.

    browser_check.py [--serve] [--screenshot FILE] [--timeout S] ROOT START_PAGE...
    browser_check.py --self-test

Chromium is driven through chromedriver (Selenium 4), headless, with --no-sandbox,
--disable-gpu, a fresh temporary profile and a 1280x1024 window.  The pages are read
from file:// URLs, or with --serve from python's http.server on a free port of
127.0.0.1, run in a thread for the length of the check.  From the start pages (paths
relative to ROOT) every internal link is followed, and each page must:
  - load: the document is the one asked for, its readyState complete, and served with
    status 200 (--serve);
  - log no SEVERE console entry (uncaught exceptions, console.error, failed loads);
  - have every <img> complete with naturalWidth > 0;
  - link only to files that exist inside ROOT, and to #fragments that exist on the
    page linked to; a link anywhere else (another origin, mailto:, a file outside
    ROOT) is a problem, since the pages must stand alone;
  - load nothing from outside ROOT: the src and href of every element (link, script,
    img, iframe, SVG image and use, ...), url() and @import in style sheets and style
    attributes, and every request the browser made (its network log).
One line is printed per page, then each problem (page, element, what), then a summary.
Exit status: 0 all good, 1 a problem, 2 a usage error, 77 when Selenium, Chromium or
chromedriver is missing (the test is skipped).

Every request the browser makes off this host goes to a dead proxy on 127.0.0.1 and
every host name but 127.0.0.1 fails to resolve, so a page that does reach out cannot
send traffic anywhere else.  chromedriver runs in its own session; Chromium and its
children are found by PID (descendants, and the processes naming the fresh profile)
and killed if quitting does not end them.

--self-test writes good and bad pages into a temporary directory, checks them both
ways, and fails unless the good pages pass and every fault is caught by name.
"""

import argparse
import base64
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import zlib

SKIP = 77
PAGE_TIMEOUT = 20       # seconds for one page to load
SETTLE = 0.3            # seconds after load for late console errors and images
WATCHDOG = 120          # seconds for the whole check, then everything is killed

try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.remote.remote_connection import RemoteConnection
    from selenium.webdriver.common import utils as selenium_utils

    class LoopbackService(Service):
        """chromedriver reached at 127.0.0.1 rather than by the name "localhost", which a
        minimal system without /etc/hosts cannot resolve."""

        @property
        def service_url(self):
            return "http://127.0.0.1:%d" % self.port

        def is_connectable(self):
            return selenium_utils.is_connectable(self.port, host="127.0.0.1")
except ImportError:
    webdriver = None


def localhost_resolves():
    try:
        return bool(socket.getaddrinfo("localhost", None))
    except OSError:
        return False


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as k:
        k.bind(("127.0.0.1", 0))
        return k.getsockname()[1]


def find_chromium():
    for p in (os.environ.get("FT_CHROMIUM"), "/usr/lib/chromium/chromium",
              shutil.which("chromium"), shutil.which("chromium-browser")):
        if p and os.access(p, os.X_OK):
            return p
    return None


def find_chromedriver():
    for p in (os.environ.get("FT_CHROMEDRIVER"), shutil.which("chromedriver"),
              "/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver"):
        if p and os.access(p, os.X_OK):
            return p
    return None


def missing_tools():
    """What is missing to run the check, or None."""
    if webdriver is None:
        return "python3 cannot import selenium (Debian: python3-selenium) [%s]" % sys.executable
    if not find_chromium():
        return "chromium is not installed (Debian: chromium)"
    if not find_chromedriver():
        return "chromedriver is not installed (Debian: chromium-driver)"
    return None


# -- processes ------------------------------------------------------------------------

def children_of(pids):
    """Every live descendant of PIDS, read from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                s = f.read()
            parent[int(d)] = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    out, todo = set(), set(pids)
    while todo:
        new = {c for c, p in parent.items() if p in todo and c not in out}
        out |= new
        todo = new
    return out


def naming(text):
    """The live processes whose command line contains TEXT (our own profile's path)."""
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                if text.encode() in f.read():
                    out.add(int(d))
        except OSError:
            pass
    return out


def started(pid):
    """When PID started (clock ticks since boot), or None once it is gone or a zombie: with
    it, a PID is only ever killed while it is still the process that was recorded."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        f = s[s.rindex(")") + 2:].split()
        return None if f[0] in "ZX" else int(f[19])
    except (OSError, ValueError, IndexError):
        return None


class Browser:
    """Headless Chromium under chromedriver; close() always leaves no process behind."""

    def __init__(self, page_timeout=PAGE_TIMEOUT):
        self.profile = tempfile.mkdtemp(prefix="ft-chromium-")
        self.page_timeout = page_timeout
        self.pids = {}          # pid -> its start time
        self.driver = None
        self.service = None
        self.chromium = None    # started here when chromedriver attaches to it

    def start(self):
        """Starts chromedriver and Chromium; on failure, nothing is left running."""
        o = webdriver.ChromeOptions()
        o.binary_location = find_chromium()
        args = []
        for a in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,1024",
                  "--user-data-dir=" + self.profile, "--no-first-run", "--no-default-browser-check",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--disable-domain-reliability",
                  "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
                  # nothing may leave this host: a dead proxy for what is not loopback, and
                  # no name resolves but 127.0.0.1
                  "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>;127.0.0.1",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
            args.append(a)
        o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        # a fresh home too: Chromium keeps crash reports and caches under it, outside the profile
        env = dict(os.environ, HOME=self.profile, XDG_CONFIG_HOME=os.path.join(self.profile, ".config"),
                   XDG_CACHE_HOME=os.path.join(self.profile, ".cache"))
        self.service = LoopbackService(find_chromedriver(), log_path=os.devnull, env=env,
                                       popen_kw={"start_new_session": True})
        RemoteConnection.set_timeout(60)
        try:
            if localhost_resolves():
                for a in args:
                    o.add_argument(a)
            else:
                # chromedriver reaches a browser it starts at "localhost", which a minimal
                # system without /etc/hosts cannot resolve: Chromium is started here with
                # its DevTools on 127.0.0.1, and chromedriver attaches to it there
                port = free_port()
                self.chromium = subprocess.Popen(
                    [o.binary_location] + args + ["--remote-debugging-address=127.0.0.1",
                                                  "--remote-debugging-port=%d" % port, "about:blank"],
                    env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    start_new_session=True)
                deadline = time.monotonic() + 20
                while not selenium_utils.is_connectable(port, host="127.0.0.1"):
                    if time.monotonic() > deadline or self.chromium.poll() is not None:
                        raise WebDriverException("Chromium did not open its DevTools port %d" % port)
                    time.sleep(0.1)
                o.debugger_address = "127.0.0.1:%d" % port
            self.driver = webdriver.Chrome(service=self.service, options=o)
            self.remember()
            self.driver.set_page_load_timeout(self.page_timeout)
            self.driver.set_script_timeout(10)
            # leave the first new tab before any page is checked, and forget its logs
            self.driver.get("about:blank")
            for kind in ("browser", "performance"):
                self.driver.get_log(kind)
        except BaseException:
            self.close(quit_wait=2)
            raise
        return self

    def remember(self):
        """Records chromedriver, its descendants and whatever names our profile."""
        pids = naming(self.profile)
        p = getattr(self.service, "process", None) if self.service else None
        if p is not None:
            pids |= {p.pid}
        if self.chromium is not None:
            pids |= {self.chromium.pid}
        pids |= children_of(pids)
        for pid in pids:
            t = started(pid)
            if t is not None:
                self.pids.setdefault(pid, t)

    def alive(self):
        return sorted(p for p, t in self.pids.items() if started(p) == t)

    def kill(self):
        self.remember()
        for pid in self.alive():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def close(self, quit_wait=10):
        """Quits the session (at most QUIT_WAIT s), then kills by PID whatever is left."""
        self.remember()
        if self.driver is not None:
            t = threading.Thread(target=self._quit, daemon=True)
            t.start()
            t.join(quit_wait)
            self.driver = None
        self.kill()
        for p in (getattr(self.service, "process", None) if self.service else None, self.chromium):
            if p is not None:
                try:
                    p.wait(5)
                except Exception:
                    pass
        deadline = time.monotonic() + 5
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _quit(self):
        try:
            self.driver.quit()
        except Exception:
            pass


# -- serving ----------------------------------------------------------------------------

class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_head(self):
        # Chromium asks every server for /favicon.ico unbidden; when ROOT has none, "no
        # content" keeps that out of the console.  A page that names an icon which is not
        # there is still caught by its <link href>.
        if self.path.split("?")[0] == "/favicon.ico" and not os.path.exists(self.translate_path(self.path)):
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()


class Server:
    """ROOT over http on a free port of 127.0.0.1, in a thread."""

    def __init__(self, root):
        handler = functools.partial(QuietHandler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = "http://127.0.0.1:%d/" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


# -- checking ---------------------------------------------------------------------------

# What a page holds, collected in the page: every reference, image, fragment target and
# inline style sheet.
COLLECT = r"""
const abs = (v, base) => { try { return new URL(v, base).href; } catch (e) { return 'invalid:' + v; } };
const desc = el => {
  let s = '<' + el.tagName.toLowerCase();
  if (el.id) s += ' id="' + el.id + '"';
  for (const a of ['src', 'href', 'xlink:href', 'rel'])
    if (el.hasAttribute && el.hasAttribute(a)) s += ' ' + a + '="' + el.getAttribute(a).slice(0, 80) + '"';
  return s + '>';
};
const refs = [];
for (const el of document.querySelectorAll('*')) {
  for (const a of ['src', 'href', 'xlink:href', 'srcset', 'poster', 'data', 'action', 'formaction', 'background']) {
    if (!el.hasAttribute(a)) continue;
    const v = el.getAttribute(a);
    const tag = el.tagName.toLowerCase();
    if (a === 'srcset') {
      for (const part of v.split(',')) {
        const u = part.trim().split(/\s+/)[0];
        if (u) refs.push({el: desc(el), tag: tag, attr: a, raw: u, url: abs(u, el.baseURI)});
      }
    } else if (a === 'data' && tag !== 'object') {
      continue;
    } else {
      refs.push({el: desc(el), tag: tag, attr: a, raw: v, url: abs(v, el.baseURI)});
    }
  }
  const st = el.getAttribute && el.getAttribute('style');
  if (st) refs.push({el: desc(el), tag: el.tagName.toLowerCase(), attr: 'style', css: st, base: el.baseURI});
}
const sheets = [];
for (const s of document.styleSheets) {
  let text = null;
  try { text = Array.from(s.cssRules).map(r => r.cssText).join('\n'); } catch (e) { text = null; }
  sheets.push({href: s.href, owner: s.ownerNode ? desc(s.ownerNode) : '?', css: text,
               base: s.href || document.baseURI});
}
const imgs = Array.from(document.images).map(i => ({el: desc(i), src: i.currentSrc || i.src,
  complete: i.complete, w: i.naturalWidth, h: i.naturalHeight}));
const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id)
  .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name')));
return {url: document.URL, state: document.readyState, title: document.title, refs: refs,
        sheets: sheets, imgs: imgs, ids: ids, height: document.documentElement.scrollHeight};
"""

CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")


def css_urls(text):
    for m in CSS_URL.finditer(text or ""):
        u = next((g for g in m.groups() if g is not None), "")
        yield u


class Site:
    """Where the pages are, and what counts as inside them."""

    def __init__(self, root, server=None):
        self.root = os.path.realpath(root)
        self.server = server

    def url(self, rel):
        if self.server:
            return self.server.base + urllib.parse.quote(rel)
        return "file://" + urllib.parse.quote(os.path.join(self.root, rel))

    def path(self, url):
        """The file under ROOT a URL names (its fragment cut), or None when it is outside."""
        u = urllib.parse.urlsplit(url)
        if self.server:
            if u.scheme != "http" or u.netloc != "127.0.0.1:%d" % self.server.port:
                return None
            p = os.path.normpath(os.path.join(self.root, urllib.parse.unquote(u.path).lstrip("/")))
        else:
            if u.scheme != "file" or u.netloc not in ("", "localhost"):
                return None
            p = os.path.normpath(urllib.parse.unquote(u.path))
        if os.path.isdir(p):
            p = os.path.join(p, "index.html")
        rp = os.path.realpath(p)
        if rp != self.root and not rp.startswith(self.root + os.sep):
            return None
        return rp

    def rel(self, path):
        return os.path.relpath(path, self.root)


def is_page(path):
    return path.lower().endswith((".html", ".htm", ".xhtml"))


def selfcontained(url):
    """Schemes that load nothing from anywhere."""
    return url.startswith(("data:", "blob:", "about:blank", "about:srcdoc"))


class Checker:
    def __init__(self, browser, site, out=sys.stdout):
        self.b = browser
        self.d = browser.driver
        self.site = site
        self.out = out
        self.problems = []          # (page, element, what)
        self.pages = {}             # path -> ids on it
        self.fragments = []         # (page, element, target path, fragment)

    def problem(self, page, el, what):
        self.problems.append((page, el, what))

    def drain(self):
        for kind in ("browser", "performance"):
            try:
                self.d.get_log(kind)
            except WebDriverException:
                pass

    def run(self, starts, screenshot=None):
        todo = []
        for s in starts:
            p = os.path.realpath(os.path.join(self.site.root, s))
            if not (p == self.site.root or p.startswith(self.site.root + os.sep)):
                self.problem(s, "start page", "outside ROOT")
            elif not os.path.isfile(p):
                self.problem(s, "start page", "no such file")
            else:
                todo.append(p)
        seen = set(todo)
        first = True
        while todo:
            path = todo.pop(0)
            for target in self.page(path, screenshot if first else None):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
            first = False
        for page, el, target, frag in self.fragments:
            ids = self.pages.get(target)
            if ids is not None and frag not in ids:
                self.problem(page, el, "no element with id or name %r on %s" % (frag, self.site.rel(target)))
        return self.problems

    def page(self, path, screenshot):
        """Loads and checks one page; returns the internal pages it links to."""
        rel = self.site.rel(path)
        url = self.site.url(rel)
        before = len(self.problems)
        self.drain()
        t0 = time.monotonic()
        try:
            self.d.get(url)
        except TimeoutException:
            self.problem(rel, "document", "did not load within %d s" % PAGE_TIMEOUT)
        except WebDriverException as e:
            self.problem(rel, "document", "did not load: %s" % str(e).splitlines()[0])
            return []
        try:
            deadline = time.monotonic() + PAGE_TIMEOUT
            while self.d.execute_script("return document.readyState") != "complete":
                if time.monotonic() > deadline:
                    self.problem(rel, "document", "readyState never became complete")
                    break
                time.sleep(0.05)
            time.sleep(SETTLE)
            self.settle_images()
            info = self.d.execute_script(COLLECT)
        except WebDriverException as e:
            self.problem(rel, "document", "could not be inspected: %s" % str(e).splitlines()[0])
            return []
        ms = (time.monotonic() - t0) * 1000
        links = []
        self.pages[path] = set(info["ids"])
        if urllib.parse.unquote(info["url"].split("#")[0]) != urllib.parse.unquote(url):
            self.problem(rel, "document", "the browser shows %s instead" % info["url"])
        self.console(rel)
        self.network(rel, url)
        nimg = len(info["imgs"])
        for i in info["imgs"]:
            if not i["complete"] or i["w"] <= 0:
                self.problem(rel, i["el"], "image did not load (complete %s, naturalWidth %d)" %
                             (str(i["complete"]).lower(), i["w"]))
        nlinks = 0
        for r in info["refs"]:
            if r["attr"] == "style":
                for u in css_urls(r["css"]):
                    self.resource(rel, r["el"] + " style url(%s)" % u, urllib.parse.urljoin(r["base"], u))
                continue
            if r["tag"] == "a" and r["attr"] in ("href", "xlink:href"):
                nlinks += 1
                t = self.link(rel, r)
                if t:
                    links.append(t)
            else:
                self.resource(rel, "%s %s" % (r["el"], r["attr"]), r["url"])
        for s in info["sheets"]:
            name = s["owner"] if not s["href"] else "style sheet %s" % s["href"]
            text = s["css"]
            if text is None and s["href"]:
                p = self.site.path(s["href"])
                if p and os.path.isfile(p):
                    with open(p, errors="replace") as f:
                        text = f.read()
            for u in css_urls(text):
                self.resource(rel, "%s url(%s)" % (name, u), urllib.parse.urljoin(s["base"], u))
        if screenshot:
            self.shoot(rel, screenshot, info["height"])
        bad = len(self.problems) - before
        print("%s %s: %d ms, %d image(s), %d link(s), %d reference(s), title %r%s" %
              ("ok  " if not bad else "BAD ", rel, ms, nimg, nlinks, len(info["refs"]), info["title"],
               "" if not bad else ", %d problem(s)" % bad), file=self.out)
        return links

    def settle_images(self):
        """Brings lazy or late images into view and waits (bounded) for them."""
        js = "return Array.from(document.images).filter(i => !i.complete).length"
        if self.d.execute_script(js) == 0:
            return
        self.d.execute_script("for (const i of document.images) if (!i.complete) { i.loading = 'eager'; i.scrollIntoView(); }")
        deadline = time.monotonic() + 5
        while self.d.execute_script(js) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.d.execute_script("window.scrollTo(0, 0)")

    def console(self, rel):
        for e in self.d.get_log("browser"):
            if e.get("level") == "SEVERE":
                self.problem(rel, "console (%s)" % e.get("source", "?"), e.get("message", "").strip())

    def network(self, rel, url):
        """Every request the page made: inside ROOT, loaded, and (served) status 200."""
        reqs = {}
        for e in self.d.get_log("performance"):
            try:
                m = json.loads(e["message"])["message"]
            except (ValueError, KeyError):
                continue
            p = m.get("params", {})
            if m.get("method") == "Network.requestWillBeSent":
                if p.get("documentURL", "").startswith(("chrome:", "chrome-untrusted:", "devtools:")):
                    continue    # the browser's own pages (its first new tab), not ours
                reqs[p["requestId"]] = {"url": p["request"]["url"], "type": p.get("type", "?")}
            elif m.get("method") == "Network.responseReceived" and p.get("requestId") in reqs:
                reqs[p["requestId"]]["status"] = p["response"].get("status")
            elif m.get("method") == "Network.loadingFailed" and p.get("requestId") in reqs:
                reqs[p["requestId"]]["failed"] = p.get("errorText", "failed")
        for r in reqs.values():
            u = r["url"]
            if selfcontained(u):
                continue
            el = "request (%s) %s" % (r["type"], u[:200])
            if self.site.path(u) is None:
                self.problem(rel, el, "loads from outside ROOT")
            elif r.get("failed"):
                self.problem(rel, el, "failed: %s" % r["failed"])
            elif r.get("status") == 204 and urllib.parse.urlsplit(u).path == "/favicon.ico":
                continue    # the unbidden icon request (QuietHandler)
            elif self.site.server and r.get("status") not in (200, 304):
                self.problem(rel, el, "HTTP status %s" % r.get("status"))

    def resource(self, rel, el, url):
        if selfcontained(url):
            return
        p = self.site.path(url)
        if p is None:
            self.problem(rel, el, "refers to %s, outside ROOT" % url[:200])
        elif not os.path.isfile(p):
            self.problem(rel, el, "refers to %s, which does not exist" % self.site.rel(p))

    def link(self, rel, r):
        """Checks one <a>; returns the page it leads to when that is to be crawled."""
        raw, url = r["raw"], r["url"]
        if raw.startswith("#") and raw[1:] == "":
            return None
        p = self.site.path(url)
        if p is None:
            self.problem(rel, r["el"], "links outside ROOT: %s" % url[:200])
            return None
        if not os.path.isfile(p):
            self.problem(rel, r["el"], "dead link: %s does not exist" % self.site.rel(p))
            return None
        frag = urllib.parse.unquote(urllib.parse.urlsplit(url).fragment)
        if frag:
            if is_page(p):
                self.fragments.append((rel, r["el"], p, frag))
            else:
                self.problem(rel, r["el"], "a #fragment into %s, which is not a page" % self.site.rel(p))
        return p if is_page(p) else None

    def shoot(self, rel, file, height):
        """The whole page, 1280 wide, saved as PNG."""
        try:
            self.d.set_window_size(1280, max(1024, min(int(height) + 100, 12000)))
            png = self.d.get_screenshot_as_png()
            self.d.set_window_size(1280, 1024)
        except WebDriverException as e:
            self.problem(rel, "screenshot", str(e).splitlines()[0])
            return
        if not png.startswith(b"\x89PNG\r\n\x1a\n"):
            self.problem(rel, "screenshot", "not a PNG")
            return
        os.makedirs(os.path.dirname(os.path.abspath(file)), exist_ok=True)
        with open(file, "wb") as f:
            f.write(png)
        print("screenshot of %s: %s (%d bytes)" % (rel, file, len(png)), file=self.out)


def check(browser, root, starts, serve, screenshot=None, out=sys.stdout):
    server = Server(root) if serve else None
    try:
        site = Site(root, server)
        print("checking %s (%s)" % (site.root, server.base if server else "file://"), file=out)
        return Checker(browser, site, out).run(starts, screenshot)
    finally:
        if server:
            server.close()


def report(problems, out=sys.stdout):
    for page, el, what in problems:
        print("PROBLEM %s: %s: %s" % (page, el, what), file=out)


# -- watchdog ------------------------------------------------------------------------------

def watchdog(seconds, browser_box):
    """Bounds the whole run: kills the browser by PID and exits 1 when time is up."""
    def fire():
        print("browser_check: no result within %d s; killing the browser" % seconds, file=sys.stderr)
        sys.stderr.flush()
        # the main thread's call into the killed browser fails now: its traceback is noise
        sys.stderr = open(os.devnull, "w")
        for b in browser_box:
            b.kill()
            shutil.rmtree(b.profile, ignore_errors=True)
        sys.stdout.flush()
        os._exit(1)
    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()
    return t


# -- self-test ------------------------------------------------------------------------------

def png(w, h, rgb=(40, 120, 200)):
    """A small valid PNG, made here so that the fixtures need nothing else."""
    def chunk(kind, data):
        c = zlib.crc32(kind + data) & 0xffffffff
        return len(data).to_bytes(4, "big") + kind + data + c.to_bytes(4, "big")
    raw = b"".join(b"\0" + bytes(rgb) * w for _ in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big") + b"\x08\x02\0\0\0")
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def page(title, body, head=""):
    return ("<!DOCTYPE html>\n<html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>%s</title>%s</head>"
            "<body>%s</body></html>\n" % (title, head, body))


# The external address of the fixtures is 127.0.0.1 on port 9 (discard, nothing listens):
# another origin than the test's server, and nothing leaves this host.
EXT = "http://127.0.0.1:9"

GOOD = {
    "index.html": page("Good", '<h1 id="top">Good</h1><img src="img/a.png" alt="a">'
                       '<img src="data:image/png;base64,' + base64.b64encode(png(4, 4)).decode() + '" alt="inline">'
                       '<p><a href="page2.html#sec">page 2</a> <a href="#top">top</a> '
                       '<a href="sub/">sub</a> <a href="data.csv">CSV</a> <a href="#">here</a></p>'
                       '<svg width="20" height="20"><a href="page2.html"><rect width="20" height="20"/></a>'
                       '<image href="img/a.png" width="10" height="10"/></svg>'
                       '<div class="bg">styled</div>',
                       '<link rel="stylesheet" href="style.css"><script src="app.js"></script>'
                       '<style>div.bg{background:url("img/a.png")}</style>'),
    "page2.html": page("Two", '<h2 id="sec">Section</h2><a href="index.html">back</a>'
                       '<span style="background-image:url(img/a.png)">x</span>'),
    "sub/index.html": page("Sub", '<a href="../index.html#top">home</a>'),
    "style.css": "body{background:url(img/a.png) no-repeat}\n",
    "app.js": "document.documentElement.dataset.ok = '1';\n",
    "data.csv": "a,b\n1,2\n",
}

# Each bad site: its files (over GOOD's), and what must be reported, as
# (page, substring of the element, substring of what) for file:// and for --serve.
BAD = {
    "broken-image": ({"index.html": page("x", '<img id="gone" src="img/missing.png">')},
                     [("index.html", 'id="gone"', "image did not load"),
                      ("index.html", 'id="gone"', "does not exist")]),
    "corrupt-image": ({"index.html": page("x", '<img id="junk" src="img/junk.png">'),
                       "img/junk.png": "this is not a PNG\n"},
                      [("index.html", 'id="junk"', "naturalWidth 0")]),
    "corrupt-svg": ({"index.html": page("x", '<img id="svg" src="img/chart.svg">'),
                     "img/chart.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect</svg>'},
                    [("index.html", 'id="svg"', "naturalWidth 0")]),
    "external-svg-image": ({"index.html": page("x", '<svg width="9" height="9"><image id="si" href="%s/x.png" '
                                               'width="9" height="9"/></svg>' % EXT)},
                           [("index.html", 'id="si"', "outside ROOT")]),
    "dead-link": ({"index.html": page("x", '<a id="dead" href="nowhere.html">?</a>')},
                  [("index.html", 'id="dead"', "dead link: nowhere.html does not exist")]),
    "dead-link-deeper": ({"index.html": page("x", '<a href="page2.html">2</a>'),
                          "page2.html": page("y", '<a id="dead2" href="sub/none.png">?</a>')},
                         [("page2.html", 'id="dead2"', "dead link: sub/none.png")]),
    "dead-fragment": ({"index.html": page("x", '<a id="frag" href="page2.html#nosuch">?</a>'
                                          '<a id="self" href="#nothere">?</a>')},
                      [("index.html", 'id="frag"', "'nosuch' on page2.html"),
                       ("index.html", 'id="self"', "'nothere' on index.html")]),
    "external-link": ({"index.html": page("x", '<a id="ext" href="%s/elsewhere.html">?</a>'
                                          '<a id="mail" href="mailto:noc@example.org">?</a>' % EXT)},
                      [("index.html", 'id="ext"', "links outside ROOT"),
                       ("index.html", 'id="mail"', "links outside ROOT")]),
    "external-script": ({"index.html": page("x", "", '<script id="s" src="%s/lib.js"></script>' % EXT)},
                        [("index.html", 'id="s"', "outside ROOT"),
                         ("index.html", "request (Script)", "loads from outside ROOT")]),
    "external-css": ({"style.css": "body{background:url(%s/bg.png)}\n" % EXT,
                      "index.html": page("x", '<p id="st" style="background:url(\'%s/p.png\')">x</p>' % EXT,
                                         '<link rel="stylesheet" href="style.css">')},
                     [("index.html", "style.css url(", "outside ROOT"),
                      ("index.html", 'id="st"', "outside ROOT")]),
    "external-iframe": ({"index.html": page("x", '<iframe id="fr" src="%s/frame.html"></iframe>' % EXT)},
                        [("index.html", 'id="fr"', "outside ROOT")]),
    "outside-root": ({"index.html": page("x", '<img id="up" src="../outside.png">'
                                         '<a id="upl" href="../outside.html">?</a>')},
                     [("index.html", 'id="up"', ""), ("index.html", 'id="upl"', "")]),
    "js-throws": ({"index.html": page("x", '<script>throw new Error("fixture fault")</script>')},
                  [("index.html", "console", "fixture fault")]),
    "console-error": ({"index.html": page("x", '<script>setTimeout(() => console.error("late fixture error"), 50)'
                                          '</script>')},
                      [("index.html", "console", "late fixture error")]),
    "missing-start": ({}, [("nosuch.html", "start page", "no such file")]),
}


def write(root, files):
    for name, text in files.items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(text if isinstance(text, bytes) else text.encode())


def self_test():
    """Good pages pass and every bad page's fault is named, both ways; no process is left,
    even when chromedriver hangs; the command line exits 1 on a fault."""
    tmp = tempfile.mkdtemp(prefix="ft-browser-selftest-")
    failures = []
    browser = None
    box = []
    dog = watchdog(WATCHDOG, box)
    t0 = time.monotonic()
    try:
        a = png(16, 8)
        sites = {}
        for name in ["good"] + list(BAD):
            root = os.path.join(tmp, name, "site")
            files = dict(GOOD)
            files["img/a.png"] = a
            files.update(BAD[name][0] if name in BAD else {})
            write(root, files)
            write(os.path.join(tmp, name), {"outside.png": a, "outside.html": page("o", "outside")})
            sites[name] = root
        browser = Browser()
        box.append(browser)
        browser.start()
        sink = open(os.devnull, "w")
        for serve in (False, True):
            how = "--serve" if serve else "file://"
            for name, root in sites.items():
                start = ["nosuch.html"] if name == "missing-start" else ["index.html"]
                got = check(browser, root, start, serve, out=sink)
                if name == "good":
                    if got:
                        failures.append("%s good pages: %d problem(s): %s" % (how, len(got), got))
                    continue
                for pg, el, what in BAD[name][1]:
                    if not any(p == pg and el in e and what in w for p, e, w in got):
                        failures.append("%s %s: not caught: %s / %s / %s; reported: %s" %
                                        (how, name, pg, el, what, got))
                if not got:
                    failures.append("%s %s: no problem reported" % (how, name))
                print("self-test %-8s %-19s caught: %s" % (how, name, "; ".join(
                    "%s: %s" % (e, w[:60]) for _, e, w in got[:3])))
        sink.close()
        pids = dict(browser.pids)
        browser.close()
        left = browser.alive()
        browser = None
        if not pids or left:
            failures.append("browser processes left after close: %s (of %s)" % (left, sorted(pids)))
        else:
            print("self-test: the browser's %d processes are gone after close" % len(pids))
        # a chromedriver that hangs (stopped) on quit: its processes are killed by PID all the same
        browser = Browser()
        box[0] = browser
        browser.start()
        browser.remember()
        os.kill(browser.service.process.pid, signal.SIGSTOP)
        pids = dict(browser.pids)
        browser.close(quit_wait=1)
        left = browser.alive()
        browser = None
        if len(pids) < 2 or left:
            failures.append("a hung chromedriver: processes left: %s (of %s)" % (left, sorted(pids)))
        else:
            print("self-test: a chromedriver stopped during quit: its %d processes killed by PID" % len(pids))
        # the command line's exit status for a bad page (0 for good ones is every real check's)
        me = os.path.abspath(__file__)
        for name, want in (("dead-link", 1),):
            r = subprocess.run([sys.executable, me, "--serve", sites[name], "index.html"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
            if r.returncode != want:
                failures.append("command line on %s: exit %d, want %d:\n%s" %
                                (name, r.returncode, want, r.stdout.decode(errors="replace")))
            else:
                print("self-test: command line on %s: exit %d" % (name, r.returncode))
    finally:
        if browser is not None:
            browser.close()
        dog.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("SELF-TEST FAILURE: %s" % f)
    print("self-test: %d fault fixture(s) x 2 ways, %s, %.1f s" %
          (len(BAD), "all caught" if not failures else "%d failure(s)" % len(failures), time.monotonic() - t0))
    return 1 if failures else 0


# -- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description="Checks static HTML pages in headless Chromium.")
    ap.add_argument("--serve", action="store_true", help="serve ROOT over http on 127.0.0.1")
    ap.add_argument("--screenshot", metavar="FILE", help="a PNG of the first start page")
    ap.add_argument("--timeout", type=int, default=WATCHDOG, help="seconds for the whole check")
    ap.add_argument("--self-test", action="store_true", help="check that faults are caught")
    ap.add_argument("root", nargs="?")
    ap.add_argument("pages", nargs="*")
    a = ap.parse_args()
    why = missing_tools()
    if why:
        print("SKIP: %s" % why)
        return SKIP
    if a.self_test:
        return self_test()
    if not a.root or not a.pages:
        ap.error("ROOT and at least one START_PAGE are needed")
    if not os.path.isdir(a.root):
        ap.error("%s is not a directory" % a.root)
    box = []
    dog = watchdog(a.timeout, box)
    browser = None
    t0 = time.monotonic()
    try:
        browser = Browser()
        box.append(browser)
        try:
            browser.start()
        except WebDriverException as e:
            print("browser_check: chromium did not start: %s" % str(e).splitlines()[0])
            return 1
        problems = check(browser, a.root, a.pages, a.serve, a.screenshot)
    finally:
        if browser is not None:
            browser.close()
            left = browser.alive()
            if left:
                print("browser_check: processes left after close: %s" % left)
        dog.cancel()
    report(problems)
    print("%s: %d problem(s), %.1f s" % ("FAIL" if problems else "PASS", len(problems), time.monotonic() - t0))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
