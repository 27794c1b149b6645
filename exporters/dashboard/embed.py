#!/usr/bin/env python3
"""Writes the built-in dashboard definitions (dashboards/*.conf) as a C file: the
definitions flowtally draws with when dashboard_definitions names no directory."""
import os
import sys

out, inputs = sys.argv[1], sys.argv[2:]
with open(out, 'w', encoding='utf-8') as f:
    f.write('/* Generated from dashboards/ by exporters/dashboard/embed.py: do not edit. */\n')
    f.write('#include "flowtally/dashboard.h"\n\n')
    f.write('const struct ft_dash_builtin ft_dash_builtins[] = {\n')
    for path in sorted(inputs, key=os.path.basename):
        data = open(path, 'rb').read()
        f.write('\t{ "%s", ' % os.path.basename(path))
        # one string literal of octal escapes per line of the file, so the C file stays
        # readable in a diff and holds any byte
        lines = data.split(b'\n')
        for i, line in enumerate(lines):
            chunk = line + (b'\n' if i < len(lines) - 1 else b'')
            if not chunk:
                continue
            f.write('\n\t  "')
            for b in chunk:
                c = chr(b)
                if c == '"' or c == '\\':
                    f.write('\\' + c)
                elif 32 <= b < 127 and c != '?':
                    f.write(c)
                else:
                    f.write('\\%03o' % b)
            f.write('"')
        f.write(' },\n')
    f.write('};\n')
    f.write('const size_t ft_dash_n_builtins = sizeof(ft_dash_builtins) / sizeof(ft_dash_builtins[0]);\n')
