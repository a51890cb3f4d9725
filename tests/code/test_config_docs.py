#!/usr/bin/python3
"""The configuration's documentation says what the parser does (README: Configuration).

The truth is the parser's own key table, config_keys[] in lib/config-keys.c, printed by the
config_keys helper together with the defaults config_defaults() leaves and the journal's
MESSAGE_IDs. Checked against it:

- man/nestwarden.conf.5.scd documents every key exactly once, as a line "*KEY* = ..." under its
  "## [SECTION]" heading, and no key the parser does not accept. Each entry says "Required." or
  "Default: VALUE" with the parser's default, "Range: MIN..MAX" for numbers and sizes, and lists
  its choices ("*a*|*b*") on its first line. Its example configurations load with config_load().
- conf/nestwarden.conf has every key exactly once, as "key =" or ";key =" under its [SECTION],
  and no other; a commented-out key shows its default, as the file's head says (keys that are
  unset by default may show an example instead).
- "[SECTION] key" mentioned in either man page names a real key of that section.
- man/nestwarden.8.scd lists every MESSAGE_ID with its priority, and no other.

Every problem is one "not ok:" line naming the file, the section and the key.
Usage: test_config_docs.py CONFIG_KEYS_HELPER SOURCE_ROOT"""
import os
import re
import subprocess
import sys
import tempfile

MAN5 = "man/nestwarden.conf.5.scd"
MAN8 = "man/nestwarden.8.scd"
CONF = "conf/nestwarden.conf"

BOOLS = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}


class Key:
    def __init__(self, fields):
        self.section, self.name, self.type, required, self.default, self.min, self.max, choices = fields
        self.required = required == "1"
        self.choices = choices.split(",") if choices else []

    @property
    def id(self):
        return "[%s] %s" % (self.section, self.name)

    def default_word(self):
        """How the man page spells the default after "Default: "."""
        if self.type in ("path", "thumbprint"):
            return "unset"
        if self.type == "list":
            return "empty"
        return self.default


def read_truth(helper):
    out = subprocess.run([helper], check=True, capture_output=True, text=True).stdout
    keys, events = [], {}
    for line in out.splitlines():
        f = line.split("\t")
        if f[0] == "key":
            keys.append(Key(f[1:]))
        elif f[0] == "event":
            events[f[1]] = f[2]
    return keys, events


def plain(text):
    """scdoc text without its bold/underline marks and escapes."""
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", "", text.replace("*", ""))
    return re.sub(r"\\(.)", r"\1", text)


def man5_entries(path):
    """[(line number, section or None, key, first line, block text)] for every "*key* = ..." line."""
    entries = []
    section = None
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^## \[([a-z]+)\]\s*$", line)
        if m:
            section = m.group(1)
        elif line.startswith("#"):
            section = None
        m = re.match(r"^\*([a-z][a-z0-9_]*)\* = (.*)$", line)
        if m:
            block = []
            j = i + 1
            while j < len(lines) and (lines[j].startswith("\t") or lines[j].strip() == ""):
                block.append(lines[j].strip())
                j += 1
            entries.append((i + 1, section, m.group(1), m.group(2), plain(" ".join(block))))
            i = j
            continue
        i += 1
    return entries


def check_man5(path, keys, by_id, names, bad):
    entries = man5_entries(path)
    seen = {}
    for lineno, section, name, head, block in entries:
        where = "%s:%d" % (MAN5, lineno)
        if section is None:
            bad.append("%s: '%s' is documented outside a '## [section]' heading" % (where, name))
            continue
        k = by_id.get((section, name))
        if not k:
            others = sorted("[%s]" % s for (s, n) in by_id if n == name)
            bad.append("%s: documents [%s] %s, which the parser does not accept%s" % (
                where, section, name, " (it has %s in %s)" % (name, ", ".join(others)) if others else ""))
            continue
        if k.id in seen:
            bad.append("%s: documents %s again (first on line %d)" % (where, k.id, seen[k.id]))
            continue
        seen[k.id] = lineno
        if k.required:
            if not re.search(r"\bRequired\.", block) or "Default:" in block:
                bad.append("%s: %s is required: say 'Required.', and no default" % (where, k.id))
        else:
            m = re.search(r"Default:\s+(\S+?)[.,;]?(?=\s|$)", block)
            want = k.default_word()
            if not m:
                bad.append("%s: %s: no 'Default: %s'" % (where, k.id, want))
            elif m.group(1) != want:
                bad.append("%s: %s: says 'Default: %s', the parser's default is %s" % (
                    where, k.id, m.group(1), want))
        if k.type in ("int", "size"):
            want = "Range: %s..%s" % (k.min, k.max)
            if want not in block:
                bad.append("%s: %s: no '%s'" % (where, k.id, want))
        if k.type == "choice":
            if plain(head).strip() != "|".join(k.choices):
                bad.append("%s: %s: its first line shows '%s', the parser takes %s" % (
                    where, k.id, plain(head).strip(), "|".join(k.choices)))
    for k in keys:
        if k.id not in seen:
            elsewhere = [s for (ln, s, n, h, b) in entries if n == k.name and s != k.section]
            bad.append("%s: %s is not documented%s (want '*%s* = ...' under '## [%s]')" % (
                MAN5, k.id, " in its section (only under [%s])" % ", ".join(elsewhere) if elsewhere else "",
                k.name, k.section))


def check_conf(path, keys, by_id, bad):
    seen = {}
    section = None
    with open(path) as f:
        lines = f.read().split("\n")
    for lineno, line in enumerate(lines, 1):
        where = "%s:%d" % (CONF, lineno)
        m = re.match(r"^\[([^\]]*)\]\s*$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^([;#]?)\s*([a-z][a-z0-9_]*)\s*=(.*)$", line)
        if not m:
            continue
        commented, name = m.group(1) != "", m.group(2)
        value = re.split(r"\s;", m.group(3), maxsplit=1)[0].strip()
        if section is None:
            bad.append("%s: '%s' stands outside any [section]" % (where, name))
            continue
        k = by_id.get((section, name))
        if not k:
            bad.append("%s: has [%s] %s, which the parser does not accept" % (where, section, name))
            continue
        if k.id in seen:
            bad.append("%s: has %s again (first on line %d)" % (where, k.id, seen[k.id]))
            continue
        seen[k.id] = lineno
        if commented and k.default and value and not k.required:
            same = (BOOLS.get(value.lower()) == BOOLS.get(k.default)) if k.type == "bool" else value == k.default
            if not same:
                bad.append("%s: commented-out %s shows '%s', the parser's default is %s" % (
                    where, k.id, value, k.default))
        if commented and k.required:
            bad.append("%s: %s is required but commented out" % (where, k.id))
    for k in keys:
        if k.id not in seen:
            bad.append("%s: %s is missing (want '%s =' or ';%s =' under [%s])" % (
                CONF, k.id, k.name, k.name, k.section))


def check_mentions(path, text, by_id, names, bad):
    """"[section] key" in running text names a key of that section, when it looks like one: followed
    by "=", holding an underscore, or the name of a key (so "[remediation] rules" is prose)."""
    sections = {s for (s, n) in by_id}
    for m in re.finditer(r"\[([a-z]+)\]\s+([a-z][a-z0-9_]*)(\s*=)?", plain(text)):
        section, word, assigned = m.groups()
        if section not in sections:
            continue
        if (assigned or "_" in word or word in names) and (section, word) not in by_id:
            lineno = text.count("\n", 0, m.start()) + 1
            bad.append("%s: mentions [%s] %s, which the parser does not accept (near line %d)" % (
                path, section, word, lineno))


def check_examples(helper, text, bad):
    """The example configurations in man/nestwarden.conf.5.scd's EXAMPLES load."""
    examples = text.split("\n# EXAMPLES\n", 1)
    if len(examples) != 2:
        bad.append("%s: no EXAMPLES section" % MAN5)
        return
    blocks = re.findall(r"^```\n(.*?)^```$", examples[1].split("\n# ", 1)[0], re.M | re.S)
    configs = [b for b in blocks if b.startswith("[vcenter]")]
    if not configs:
        bad.append("%s: EXAMPLES holds no configuration" % MAN5)
    for n, conf in enumerate(configs, 1):
        with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
            f.write(conf)
            f.flush()
            r = subprocess.run([helper, "--load", f.name], capture_output=True, text=True)
            if r.returncode != 0:
                bad.append("%s: example configuration %d does not load: %s" % (
                    MAN5, n, r.stdout.strip().replace(f.name, "example")))


def check_events(text, events, bad):
    listed = {}
    for m in re.finditer(r"^([A-Z_]+)\s+([0-9a-f]{32})\s+([a-z]+)$", text, re.M):
        listed[m.group(2)] = m.group(3)
    for mid, prio in sorted(events.items()):
        if mid not in listed:
            bad.append("%s: MESSAGE_ID %s (priority %s) is not listed" % (MAN8, mid, prio))
        elif listed[mid] != prio:
            bad.append("%s: MESSAGE_ID %s is listed as %s, lib/journal.c sends it as %s" % (
                MAN8, mid, listed[mid], prio))
    for mid in sorted(set(listed) - set(events)):
        bad.append("%s: lists MESSAGE_ID %s, which lib/journal.c does not send" % (MAN8, mid))


def main():
    helper, root = sys.argv[1:3]
    keys, events = read_truth(helper)
    by_id = {(k.section, k.name): k for k in keys}
    names = {k.name for k in keys}
    bad = []
    with open(os.path.join(root, MAN5)) as f:
        man5 = f.read()
    with open(os.path.join(root, MAN8)) as f:
        man8 = f.read()

    check_man5(os.path.join(root, MAN5), keys, by_id, names, bad)
    check_conf(os.path.join(root, CONF), keys, by_id, bad)
    check_mentions(MAN5, man5, by_id, names, bad)
    check_mentions(MAN8, man8, by_id, names, bad)
    check_examples(helper, man5, bad)
    check_events(man8, events, bad)

    for b in bad:
        print("not ok:", b)
    print("%d keys in %d sections and %d MESSAGE_IDs checked against %s, %s and %s: %d problems" % (
        len(keys), len({k.section for k in keys}), len(events), MAN5, CONF, MAN8, len(bad)))
    # A table that came out empty proves nothing.
    return 1 if bad or len(keys) < 30 or len(events) < 10 else 0


if __name__ == "__main__":
    sys.exit(main())
