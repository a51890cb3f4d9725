#!/usr/bin/python3
"""Every exported symbol carries the prefix of the file that defines it (README: Design, Conventions).

lib/ROOM.c and lib/ROOM-PART.c export ROOM_* or PART_*; lib/util.c, the base, exports nw_*; any
lib file may also export nw_TYPE_* for an nw_TYPE declared in its own header (nw_fix_done in
remedy.c). daemon/FILE.c exports FILE_*, or cmd_FILE for a subcommand; daemon/main.c only main.
Read from the objects with nm, so nothing the compiler exports escapes the rule.
Usage: test_prefixes.py LIBNESTWARDEN.a DAEMON_OBJECT_DIR SOURCE_ROOT"""
import glob
import os
import re
import subprocess
import sys

TYPE_RE = re.compile(r"(?:typedef\s+(?:struct|enum|union)?\s*\w*\s*|\}\s*)(nw_\w+)\s*;")


def exported(path):
    """{object file name: [symbols]} for the defined global symbols in path (an archive or object)."""
    out = subprocess.run(["nm", "-A", "--defined-only", "-g", path], check=True, capture_output=True,
                         text=True).stdout
    syms = {}
    for line in out.splitlines():
        # "ARCHIVE:MEMBER:ADDRESS T NAME", or "OBJECT:ADDRESS T NAME"
        parts = line.split()
        if len(parts) != 3:
            continue
        obj = os.path.basename(parts[0].split(":")[-2])
        # The implementation's own (ASan's __odr_asan.*): reserved names, never ours.
        if parts[2].startswith("__"):
            continue
        syms.setdefault(obj, []).append(parts[2])
    return syms


def own_types(header):
    try:
        with open(header) as f:
            return set(TYPE_RE.findall(f.read()))
    except FileNotFoundError:
        return set()


def lib_allowed(src_root, stem):
    words = stem.split("-")
    prefixes = {words[0] + "_", words[-1] + "_"}
    if stem == "util":
        prefixes.add("nw_")
    prefixes |= {t + "_" for t in own_types(os.path.join(src_root, "lib", stem + ".h"))}
    return prefixes


def main():
    lib, daemon_dir, src_root = sys.argv[1:4]
    bad = []
    checked = 0
    for obj, syms in sorted(exported(lib).items()):
        stem = obj.split(".")[0]
        allowed = lib_allowed(src_root, stem)
        for s in syms:
            checked += 1
            if not any(s.startswith(p) for p in allowed):
                bad.append("lib/%s.c exports %s (allowed: %s)" % (stem, s, ", ".join(sorted(allowed))))
    objs = sorted(glob.glob(os.path.join(daemon_dir, "*.o")))
    if not objs:
        bad.append("no daemon objects under %s" % daemon_dir)
    for path in objs:
        for obj, syms in exported(path).items():
            stem = obj.split(".")[0]
            for s in syms:
                checked += 1
                ok = s == "main" if stem == "main" else (s.startswith(stem + "_") or s == "cmd_" + stem)
                if not ok:
                    bad.append("daemon/%s.c exports %s" % (stem, s))
    for b in bad:
        print("not ok:", b)
    print("%d exported symbols checked, %d break the prefix rule" % (checked, len(bad)))
    # A rule that found nothing to check proves nothing.
    return 1 if bad or checked < 100 else 0


if __name__ == "__main__":
    sys.exit(main())
