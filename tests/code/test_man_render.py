#!/usr/bin/python3
"""The built man pages read well in an 80-column terminal, as man(1) shows them.

For each page: groff (-man -ww) reports no warning, and rendered for 80 columns (man-db's line
length there, 78n) no line is wider than 80 and no word is hyphenated at a line end (scdoc.sh
turns hyphenation off: a split key name or path cannot be copied).
Usage: test_man_render.py GROFF PAGE..."""
import subprocess
import sys


def main():
    groff, pages = sys.argv[1], sys.argv[2:]
    bad = []
    for page in pages:
        name = page.rsplit("/", 1)[-1]
        r = subprocess.run([groff, "-man", "-Tutf8", "-ww", "-z", page], capture_output=True, text=True)
        for line in r.stderr.splitlines():
            bad.append("%s: groff: %s" % (name, line))
        if r.returncode != 0:
            bad.append("%s: groff exited with %d" % (name, r.returncode))
        out = subprocess.run([groff, "-man", "-Tutf8", "-rLL=78n", "-P-cbou", page], check=True,
                             capture_output=True, text=True).stdout
        lines = out.splitlines()
        for n, line in enumerate(lines, 1):
            if len(line) > 80:
                bad.append("%s: rendered line %d is %d columns wide: %s" % (name, n, len(line), line.strip()))
            if line.rstrip().endswith("\u2010"):
                bad.append("%s: rendered line %d ends in a hyphenated word: %s" % (name, n, line.strip()))
        if len(lines) < 50:
            bad.append("%s: only %d lines rendered" % (name, len(lines)))
    for b in bad:
        print("not ok:", b)
    print("%d man pages rendered: %d problems" % (len(pages), len(bad)))
    return 1 if bad or not pages else 0


if __name__ == "__main__":
    sys.exit(main())
