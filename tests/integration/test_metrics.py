"""[daemon] metrics_file end to end: `nestwarden run` against the simulator scenario writes a Prometheus
textfile that a strict reader of the text exposition format accepts (and promtool, where installed),
whose figures match the scenario's truth and follow a change, a remediation, a lost vCenter and a
reload; a file that cannot be written is said once and the watch goes on; the file goes when the
daemon stops. Journal entries go to a private journald, as in test_run.py."""
import collections
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
import testmain  # noqa: E402
from daemon import Daemon, start_ready  # noqa: E402
from events import CONFIG_PROBLEM, DRIFT, LOST, REGAINED, RESOLVED  # noqa: E402
from scenario import USER, Scenario  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")
# tests/deps.sh unpacks promtool from Debian's prometheus package without installing it (that would
# start a Prometheus server); run-all.sh names it here. Set but missing is a failure, not a skip.
PROMTOOL = os.environ.get("NW_PROMTOOL") or "/usr/bin/promtool"
if os.environ.get("NW_PROMTOOL") and not os.access(PROMTOOL, os.X_OK):
    raise SystemExit("NW_PROMTOOL=%s is not an executable" % PROMTOOL)


def _message_id(event):
    """An event's MESSAGE_ID as lib/journal.c defines it."""
    with open(os.path.join(here, "..", "..", "lib", "journal.c")) as f:
        return re.search(r"\[NW_EVENT_%s\]\s*=\s*\"([0-9a-f]{32})\"" % event, f.read()).group(1)


# nestwarden_remediations_total's results and the journal entries each counts.
RESULTS = {"applied": _message_id("REMEDIATED"), "failed": _message_id("REMEDIATION_FAILED"),
           "dry_run": _message_id("DRY_RUN"), "skipped": _message_id("REMEDIATION_SKIPPED"),
           "fight": _message_id("FIGHT")}

METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# Go's ParseFloat as Prometheus takes it, without hex floats (never written by anyone here).
FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN)")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


class Invalid(AssertionError):
    pass


def _unescape(s, allowed, where):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            if i + 1 >= len(s) or s[i + 1] not in allowed:
                raise Invalid("%s: bad escape in %r" % (where, s))
            out.append({"\\": "\\", "n": "\n", '"': '"'}[s[i + 1]])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _labels(line, i, where):
    """Parses '{a="x",b="y"}' from line[i] on; returns (labels dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        m = LABEL_NAME.match(line, i)
        if not m:
            raise Invalid("%s: bad label name at column %d" % (where, i + 1))
        name = m.group(0)
        if name.startswith("__"):
            raise Invalid("%s: reserved label name %s" % (where, name))
        if name in labels:
            raise Invalid("%s: label %s twice" % (where, name))
        i = m.end()
        if line[i:i + 2] != '="':
            raise Invalid("%s: expected =\" after %s" % (where, name))
        i += 2
        start = i
        while i < len(line) and line[i] != '"':
            i += 2 if line[i] == "\\" else 1
        if i >= len(line):
            raise Invalid("%s: unterminated value of %s" % (where, name))
        labels[name] = _unescape(line[start:i], '\\"n', where)
        i += 1
        if line[i:i + 1] == "}":
            return labels, i + 1
        if line[i:i + 1] != ",":
            raise Invalid("%s: expected , or } at column %d" % (where, i + 1))
        i += 1


def parse_exposition(text):
    """The Prometheus text format (0.0.4) read strictly, as nestwarden must write it: every family
    has one HELP then one TYPE before its samples, its samples together, names and label names by
    the grammar, label values escaped, float values, no timestamps, no duplicate series, no blank or
    other comment lines, a final newline. Returns {family: {"help", "type", "samples": {labels
    (sorted tuple): value}}}; raises Invalid."""
    if not text.endswith("\n"):
        raise Invalid("no newline at the end")
    families, current, seen = {}, None, set()
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "line %d" % n
        if line.startswith("# HELP "):
            name, _, doc = line[len("# HELP "):].partition(" ")
            if not METRIC_NAME.fullmatch(name):
                raise Invalid("%s: bad metric name %r" % (where, name))
            if name in families:
                raise Invalid("%s: family %s again" % (where, name))
            families[name] = {"help": _unescape(doc, "\\n", where), "type": None, "samples": {}}
            current = name
        elif line.startswith("# TYPE "):
            name, _, typ = line[len("# TYPE "):].partition(" ")
            if name != current or families[name]["type"] or families[name]["samples"]:
                raise Invalid("%s: TYPE of %s not right after its HELP" % (where, name))
            if typ not in TYPES:
                raise Invalid("%s: unknown type %r" % (where, typ))
            families[name]["type"] = typ
        elif line.startswith("#") or not line.strip():
            raise Invalid("%s: stray line %r" % (where, line))
        else:
            m = METRIC_NAME.match(line)
            if not m:
                raise Invalid("%s: bad metric name" % where)
            name, i = m.group(0), m.end()
            if name != current or not families[name]["type"]:
                raise Invalid("%s: sample of %s outside its family (HELP and TYPE first)" % (where, name))
            labels = {}
            if line[i:i + 1] == "{":
                labels, i = _labels(line, i, where)
            if line[i:i + 1] != " ":
                raise Invalid("%s: expected one space before the value" % where)
            value = line[i + 1:]
            if not FLOAT.fullmatch(value):
                raise Invalid("%s: value %r is no float (or a timestamp follows)" % (where, value))
            key = (name, tuple(sorted(labels.items())))
            if key in seen:
                raise Invalid("%s: series %r twice" % (where, key))
            seen.add(key)
            families[name]["samples"][key[1]] = float(value)
    for name, f in families.items():
        if not f["type"] or not f["samples"]:
            raise Invalid("family %s without TYPE or samples" % name)
    return families


def value(fam, name, **labels):
    """The one sample of family name whose labels include labels."""
    got = [v for k, v in fam[name]["samples"].items() if labels.items() <= dict(k).items()]
    if len(got) != 1:
        raise AssertionError("%d samples of %s%r" % (len(got), name, labels))
    return got[0]


class ParserTest(unittest.TestCase):
    """The reader itself refuses what it must, so that its accepting the daemon's file means something."""

    GOOD = ('# HELP a_total Help with \\\\ and \\n.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n",y="b"} 1.5e3\n'
            "# HELP b b.\n# TYPE b gauge\nb 0\n")

    def test_accepts_and_unescapes(self):
        fam = parse_exposition(self.GOOD)
        self.assertEqual(fam["a_total"]["help"], "Help with \\ and \n.")
        self.assertEqual(fam["a_total"]["samples"], {(("x", 'q"\\\n'), ("y", "b")): 1500.0})
        self.assertEqual(fam["b"]["samples"], {(): 0.0})

    def test_refuses(self):
        bad = [
            self.GOOD[:-1],                                                   # no final newline
            self.GOOD.replace("# TYPE b gauge\n", ""),                        # no TYPE
            self.GOOD.replace("# HELP b b.\n", ""),                           # no HELP
            "# TYPE b gauge\n# HELP b b.\nb 0\n",                             # TYPE before HELP
            self.GOOD + "# HELP b b.\n# TYPE b gauge\nb 1\n",                 # family twice
            self.GOOD + 'b{x="1"} 1\nb{x="1"} 2\n',                           # outside its family
            self.GOOD.replace("b 0\n", "b 0\nb 1\n"),                         # duplicate series
            self.GOOD.replace("b 0", "b 0 1700000000"),                       # timestamp
            self.GOOD.replace("b 0", "b zero"),                               # not a float
            self.GOOD.replace("b 0", "b  0"),                                 # two spaces
            self.GOOD.replace('y="b"', 'y="b\\t"'),                           # unknown escape
            self.GOOD.replace('y="b"', 'y="b'),                               # unterminated
            self.GOOD.replace('y="b"', '1y="b"'),                             # label name
            self.GOOD.replace('y="b"', 'x="b"'),                              # label twice
            self.GOOD.replace("b 0", "b-c 0"),                                # metric name
            self.GOOD.replace("b 0\n", "b 0\n\n"),                            # blank line
            self.GOOD.replace("gauge", "gauges"),                             # type
            self.GOOD + "# a comment\n",                                      # other comment
        ]
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(Invalid):
                    parse_exposition(text)


class MetricsTest(unittest.TestCase):
    def setUp(self):
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)
        self.tmp = tempfile.mkdtemp(prefix="nw-metrics-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.dir = os.path.join(self.tmp, "run")
        os.mkdir(self.dir)
        self.path = os.path.join(self.dir, "nestwarden.prom")

    def read(self, path=None):
        """The file parsed strictly (and by promtool where installed)."""
        with open(path or self.path) as f:
            text = f.read()
        fam = parse_exposition(text)
        if os.access(PROMTOOL, os.X_OK):
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""), text)
        return fam

    def wait_file(self, cond, path=None, timeout=60, what="the metrics file"):
        """The parsed file once cond(families) holds (the file may not exist yet)."""
        deadline, last = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            try:
                last = self.read(path)
                if cond(last):
                    return last
            except FileNotFoundError:
                pass
            time.sleep(0.1)
        raise AssertionError("%s never as expected; last: %r" % (what, last))

    def assert_truth(self, fam, scn, drift=None):
        truth = scn.truth
        checked = truth["checked"]
        self.assertEqual(value(fam, "nestwarden_objects_watched", kind="vm"), checked["vms"] + checked["templates"])
        self.assertEqual(value(fam, "nestwarden_objects_watched", kind="dvportgroup") +
                         value(fam, "nestwarden_objects_watched", kind="portgroup"), checked["portgroups"])
        self.assertGreater(value(fam, "nestwarden_objects_watched", kind="portgroup"), 0)
        self.assertEqual(value(fam, "nestwarden_objects_watched", kind="dvport"), checked["ports"])
        want = drift or collections.Counter((f["kind"], f["check"])
                                            for f in truth["findings"] + truth["template_findings"])
        got = {(dict(k)["kind"], dict(k)["check"]): v for k, v in fam["nestwarden_drift"]["samples"].items()}
        # Every drift the scenario plants is in a series, and every other series is 0.
        self.assertLessEqual(set(want), set(got))
        self.assertEqual({k: v for k, v in got.items() if v}, dict(want))
        self.assertEqual(set(fam["nestwarden_unreadable"]["samples"].values()), {0.0})

    def test_figures_follow_the_scenario(self):
        import mutate
        with Scenario() as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["hv-off-03"]
            t0 = time.time()
            d = start_ready(self, scn.config(daemon__metrics_file=self.path))
            fam = self.wait_file(lambda f: value(f, "nestwarden_last_pass_timestamp_seconds") > 0)

            # The file: 0644 whatever the umask, and nothing else beside it.
            self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o644)
            self.assertEqual(os.listdir(self.dir), ["nestwarden.prom"])
            self.assertEqual(set(fam), {
                "nestwarden_up", "nestwarden_vcenter_lost", "nestwarden_vcenter_losses_total",
                "nestwarden_vcenter_requests_total", "nestwarden_last_pass_timestamp_seconds",
                "nestwarden_pass_duration_seconds", "nestwarden_objects_watched", "nestwarden_drift",
                "nestwarden_unreadable", "nestwarden_remediations_total"})
            for name, f in fam.items():
                self.assertEqual(f["type"], "counter" if name.endswith("_total") else "gauge", name)
                for labels in f["samples"]:
                    self.assertEqual(dict(labels)["vcenter"], scn.url)

            self.assertEqual(value(fam, "nestwarden_up"), 1)
            self.assertEqual(value(fam, "nestwarden_vcenter_lost"), 0)
            self.assertEqual(value(fam, "nestwarden_vcenter_losses_total"), 0)
            self.assertLessEqual(t0, value(fam, "nestwarden_last_pass_timestamp_seconds"))
            self.assertLessEqual(value(fam, "nestwarden_last_pass_timestamp_seconds"), time.time())
            self.assertGreater(value(fam, "nestwarden_pass_duration_seconds"), 0)
            self.assertLess(value(fam, "nestwarden_pass_duration_seconds"), 60)
            self.assert_truth(fam, scn)
            # Report mode: nothing remediated, every result there at 0.
            self.assertEqual(set(dict(k)["result"] for k in fam["nestwarden_remediations_total"]["samples"]),
                             {"applied", "failed", "dry_run", "skipped", "fight"})
            self.assertEqual(set(fam["nestwarden_remediations_total"]["samples"].values()), {0.0})
            # SOAP and REST both counted: more than the scenario's own count of REST requests.
            requests = value(fam, "nestwarden_vcenter_requests_total")
            self.assertGreater(requests, scn.vapi_requests()["total"])

            # A VM fixed by an admin: the next pass has one nested_hv drift less, and more requests.
            before = self.read()
            last = value(before, "nestwarden_last_pass_timestamp_seconds")
            mutate.set_nested_hv(si, vm, True)
            fam = self.wait_file(lambda f: value(f, "nestwarden_last_pass_timestamp_seconds") > last)
            want = collections.Counter((f["kind"], f["check"])
                                       for f in scn.truth["findings"] + scn.truth["template_findings"])
            want[("vm", "nested_hv")] -= 1
            self.assert_truth(fam, scn, +want)
            self.assertGreater(value(fam, "nestwarden_vcenter_requests_total"), requests)

            # vCenter gone: up 0, lost 1, one loss; the drift last seen stays.
            scn.proc.send_signal(signal.SIGKILL)
            scn.stop()
            fam = self.wait_file(lambda f: value(f, "nestwarden_vcenter_lost") == 1)
            self.journal.wait_for(1, MESSAGE_ID=LOST)
            self.assertEqual(value(fam, "nestwarden_up"), 0)
            self.assertEqual(value(fam, "nestwarden_vcenter_losses_total"), 1)
            self.assert_truth(fam, scn, +want)
            self.assertIsNone(d.proc.poll())

            # A clean stop takes the file along.
            rc, _ = d.stop()
            self.assertEqual(rc, 0)
            self.assertEqual(os.listdir(self.dir), [])

    def test_lost_and_regained(self):
        tmp = tempfile.mkdtemp(prefix="nw-metrics-restart-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        # The same port and certificate after the restart, as a rebooted vCenter keeps them.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        flags = ("-listen", "127.0.0.1:%d" % port, "-tls-dir", os.path.join(tmp, "tls"))
        scn = Scenario(*flags, tmp=tmp)
        try:
            start_ready(self, scn.config(daemon__metrics_file=self.path))
            self.wait_file(lambda f: value(f, "nestwarden_up") == 1)
            scn.proc.send_signal(signal.SIGKILL)
            scn.stop()
            fam = self.wait_file(lambda f: value(f, "nestwarden_vcenter_lost") == 1)
            self.assertEqual(value(fam, "nestwarden_up"), 0)
            scn = Scenario(*flags, tmp=tmp)
            self.journal.wait_for(1, MESSAGE_ID=REGAINED, timeout=60)
            fam = self.wait_file(lambda f: value(f, "nestwarden_up") == 1)
            self.assertEqual(value(fam, "nestwarden_vcenter_lost"), 0)
            self.assertEqual(value(fam, "nestwarden_vcenter_losses_total"), 1)
            self.assert_truth(fam, scn)
        finally:
            scn.stop()

    def remediate(self, scn, **remediation):
        """run in remediate mode until the file counts what the journal holds (a pass logs as it goes
        and writes the file at its end; fixes beyond max_changes_per_pass wait for later passes);
        returns the file and the counts by result."""
        conf = scn.config(daemon__metrics_file=self.path, daemon__mode="remediate",
                          **{"remediation__" + k: v for k, v in remediation.items()})
        d = Daemon(conf, watchdog_usec=10_000_000)
        self.addCleanup(d.close)
        d.notify.wait_for("READY", "1", timeout=60)
        deadline, seen = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            time.sleep(1)
            entries = {result: len(self.journal.entries(MESSAGE_ID=RESULTS[result])) for result in RESULTS}
            fam = self.read()
            got = {dict(k)["result"]: v for k, v in fam["nestwarden_remediations_total"]["samples"].items()}
            # The same twice: no pass was half done while the two were read.
            if sum(entries.values()) > 0 and got == entries and got == seen:
                return fam, got
            seen = got
        raise AssertionError("the file's counts %r never matched the journal's %r" % (seen, entries))

    def test_remediate_counts_what_the_journal_says(self):
        with Scenario() as scn:
            fam, got = self.remediate(scn)
            self.assertGreater(got["applied"], 0)
            # hv-off-02 is powered on: held back until it is seen powered off.
            self.assertGreater(got["skipped"], 0)
            self.assertEqual(got["dry_run"], 0)
            planted = len(scn.truth["findings"]) + len(scn.truth["template_findings"])
            self.assertLess(sum(fam["nestwarden_drift"]["samples"].values()), planted)

    def test_dry_run_counts_what_the_journal_says(self):
        with Scenario() as scn:
            fam, got = self.remediate(scn, dry_run="yes")
            self.assertGreater(got["dry_run"], 0)
            self.assertEqual(got["applied"], 0)
            self.assert_truth(fam, scn)

    def test_reload_follows_the_config(self):
        with Scenario() as scn:
            conf = scn.config(daemon__metrics_file=self.path)
            d = start_ready(self, conf)
            self.wait_file(lambda f: value(f, "nestwarden_up") == 1)

            # Another name: the new file is written, the old one removed (node_exporter would keep
            # reading it, frozen, and refuse its series beside the new file's).
            other = os.path.join(self.dir, "other.prom")
            self.set_metrics_file(conf, other)
            d.signal(signal.SIGHUP)
            self.wait_file(lambda f: value(f, "nestwarden_up") == 1, path=other)
            self.assertEqual(os.listdir(self.dir), ["other.prom"])

            # None: the file goes, and nothing is written any more.
            self.set_metrics_file(conf, "")
            d.signal(signal.SIGHUP)
            deadline = time.monotonic() + 30
            while os.listdir(self.dir) and time.monotonic() < deadline:
                time.sleep(0.1)
            self.assertEqual(os.listdir(self.dir), [])
            self.assertIn("removed %s, which the configuration no longer names" % other, d.stderr())
            time.sleep(2)
            self.assertEqual(os.listdir(self.dir), [])
            self.assertIsNone(d.proc.poll())

    def test_config_problem_is_down_but_not_lost(self):
        with Scenario() as scn:
            conf = scn.config(daemon__metrics_file=self.path, selection__tag="no-such-tag")
            d = start_ready(self, conf)
            self.journal.wait_for(1, MESSAGE_ID=CONFIG_PROBLEM)
            fam = self.read()
            self.assertEqual((value(fam, "nestwarden_up"), value(fam, "nestwarden_vcenter_lost"),
                              value(fam, "nestwarden_last_pass_timestamp_seconds")), (0, 0, 0))
            # The tag fixed and reloaded: up, and the scenario's figures.
            with open(conf) as f:
                text = f.read().replace("tag = no-such-tag", "tag = nested-hyperv")
            with open(conf, "w") as f:
                f.write(text)
            d.signal(signal.SIGHUP)
            fam = self.wait_file(lambda f: value(f, "nestwarden_up") == 1)
            self.assert_truth(fam, scn)
            self.assertEqual(value(fam, "nestwarden_vcenter_losses_total"), 0)

    @staticmethod
    def set_metrics_file(conf, path):
        with open(conf) as f:
            text = f.read()
        text, n = re.subn(r"(?m)^metrics_file = .*$", "metrics_file = %s" % path, text)
        assert n == 1, text
        with open(conf, "w") as f:
            f.write(text)

    def test_unwritable_is_said_once_and_the_watch_goes_on(self):
        with Scenario() as scn:
            import mutate
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["hv-off-03"]
            path = os.path.join(self.tmp, "later", "nestwarden.prom")
            d = start_ready(self, scn.config(daemon__metrics_file=path))
            # Start-up, the first pass, and a pass for each change (its journal entry says it was
            # judged): all fail the same way.
            for n, (on, event) in enumerate(((True, RESOLVED), (False, DRIFT), (True, RESOLVED))):
                mutate.set_nested_hv(si, vm, on)
                self.journal.wait_for(1 if n == 0 else 2, MESSAGE_ID=event, NESTWARDEN_OBJECT=vm)
            time.sleep(0.5)
            warning = "metrics: %s: cannot create a temporary file beside it: No such file or directory" % path
            self.assertEqual(d.stderr().count(warning), 1, d.stderr())
            self.assertIsNone(d.proc.poll())

            # The directory appears: the next pass writes the file, and says so.
            os.mkdir(os.path.dirname(path))
            mutate.set_nested_hv(si, vm, False)
            fam = self.wait_file(lambda f: value(f, "nestwarden_up") == 1, path=path)
            self.assert_truth(fam, scn)
            self.assertIn("metrics: %s written again" % path, d.stderr())


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
