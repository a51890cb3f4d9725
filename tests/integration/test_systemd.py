"""The Debian package under a real systemd: a container (tests/integration/container.py) boots with
systemd as PID 1, the .deb is installed with dpkg, and the service runs for real against the
simulator scenario on the host: active under its DynamicUser with the sandbox in force, READY and
STATUS, drift in the journal with MESSAGE_ID and the catalog under `journalctl -x`, reload of a good
and a broken config, stop within 2 s, the watchdog restarting a hung daemon,
nestwarden@lab.service with its own config and credential fixing drift in remediate mode, and the
metrics file in each unit's own runtime directory.

NW_DEB names the package (tests/run-all.sh builds it with tests/deb/build.sh). Skips (exit 77)
without it, or where the machine cannot boot the container."""
import glob
import json
import os
import re
import stat
import subprocess
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import testmain  # noqa: E402
from container import Container, Unavailable  # noqa: E402
from scenario import USER, Scenario, run_check  # noqa: E402
from test_metrics import PROMTOOL, parse_exposition, value as sample  # noqa: E402

DEB = os.environ.get("NW_DEB", "")
LAB_PASSWORD = "lab-Pa55 w0rd;#\"other\""


def slurp(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def message_ids():
    src = slurp(os.path.join(here, "..", "..", "lib", "journal.c"))
    return {m.group(1): m.group(2) for m in re.finditer(r"\[NW_EVENT_(\w+)\]\s*=\s*\"([0-9a-f]{32})\"", src)}


IDS = message_ids()


def wait_until(what, fn, timeout=30, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %d s waiting for %s" % (timeout, what))
        time.sleep(step)


class Systemd(unittest.TestCase):
    """One container and one package install for every test here (a boot takes about 20 s); each
    test leaves the units stopped and the configs as it found them."""

    @classmethod
    def setUpClass(cls):
        if not DEB:
            raise unittest.SkipTest("NW_DEB is not set: tests/run-all.sh builds the package and runs this test")
        try:
            cls.c = Container()
        except Unavailable as e:
            raise unittest.SkipTest("cannot boot a systemd container here: %s" % e)
        try:
            cls.scn = Scenario()
            # A root made for Docker carries a policy-rc.d that forbids every maintainer script's
            # service action (exit 101); a real machine has none, so neither does the container.
            if os.path.lexists(cls.c.path("/usr/sbin/policy-rc.d")):
                os.unlink(cls.c.path("/usr/sbin/policy-rc.d"))
            cls.c.write("/root/" + os.path.basename(DEB), slurp(DEB, "rb"))
            cls.c.run("dpkg", "-i", "/root/" + os.path.basename(DEB), timeout=300)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "scn", None):
            cls.scn.stop()
        if getattr(cls, "c", None):
            cls.c.stop()

    # helpers

    def systemctl(self, *args, check=True):
        return self.c.run("systemctl", *args, check=check)

    def show(self, unit, *props):
        out = self.systemctl("show", unit, *("-p" + p for p in props)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal(self, unit, *matches, args=()):
        out = self.c.run("journalctl", "-u", unit, "-o", "json", "--all", "--no-pager", *args, *matches).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def config(self, path, scn, **extra):
        """A config inside the container pointing at scn, its CA copied next to it; no password_file:
        the password comes in as the unit's credential."""
        ca = path[:-len(".conf")] + "-ca.pem"
        self.c.write(ca, slurp(scn.ca_file), mode=0o644)
        text = "[vcenter]\nurl = %s\nuser = %s\nca_file = %s\n" % (scn.url, USER, ca)
        sections = {}
        for key, value in extra.items():
            section, _, k = key.partition("__")
            sections.setdefault(section, []).append("%s = %s\n" % (k, value))
        for section, lines in sections.items():
            text += "[%s]\n" % section + "".join(lines)
        self.c.write(path, text, mode=0o644)

    def start_main(self, **extra):
        self.config("/etc/nestwarden/nestwarden.conf", self.scn, **extra)
        self.c.write("/etc/nestwarden/vcenter.password", slurp(self.scn.password_file), mode=0o600)
        self.systemctl("enable", "--now", "nestwarden.service")
        self.addCleanup(self.systemctl, "disable", "--now", "nestwarden.service", check=False)
        return self.show("nestwarden.service", "ActiveState", "MainPID", "StatusText")

    def truth_ids(self):
        t = self.scn.truth
        return {(f["object"], f["check"]) for f in t["findings"] + t["template_findings"]}

    # tests

    def test_package_installed(self):
        """dpkg put everything where systemd and the admin look, and enabled nothing."""
        for path in ("/usr/bin/nestwarden", "/lib/systemd/system/nestwarden.service",
                     "/lib/systemd/system/nestwarden@.service", "/usr/lib/systemd/catalog/nestwarden.catalog",
                     "/etc/nestwarden/nestwarden.conf", "/usr/share/man/man8/nestwarden.8.gz",
                     "/usr/share/man/man5/nestwarden.conf.5.gz"):
            self.assertTrue(os.path.exists(self.c.path(path)), path)
        conffiles = self.c.run("dpkg-query", "-W", "-f=${Conffiles}", "nestwarden").stdout
        self.assertIn("/etc/nestwarden/nestwarden.conf", conffiles)
        self.assertEqual(self.systemctl("is-enabled", "nestwarden.service", check=False).stdout.strip(), "disabled")
        self.assertEqual(self.systemctl("is-active", "nestwarden.service", check=False).stdout.strip(), "inactive")
        # The catalog trigger ran: the database knows our entries.
        self.assertIn("Nested Hyper-V drift", self.c.run("journalctl", "--list-catalog", IDS["DRIFT"]).stdout)
        self.assertIn("nestwarden.conf", self.c.run("man", "-P", "cat", "5", "nestwarden.conf").stdout)

    def test_service_sandboxed_ready_and_in_journal(self):
        st = self.start_main()
        # Type=notify: `enable --now` returns once READY=1 came, and STATUS= is the daemon's.
        self.assertEqual(st["ActiveState"], "active")
        n_vms = self.scn.truth["checked"]["vms"] + self.scn.truth["checked"]["templates"]
        wait_until("STATUS= after the first pass", lambda: "last pass never" not in
                   self.show("nestwarden.service", "StatusText")["StatusText"])
        status = self.show("nestwarden.service", "StatusText")["StatusText"]
        self.assertRegex(status, r"^%d VMs, %d portgroups watched; \d+ drifted; last pass \d\d:\d\d:\d\d$"
                         % (n_vms, self.scn.truth["checked"]["portgroups"]))

        pid = self.c.host_pid(int(st["MainPID"]))
        with open("/proc/%d/status" % pid) as f:
            status = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        uid = int(status["Uid"].split()[0])
        self.assertTrue(61184 <= uid <= 65519, "DynamicUser's range, got uid %d" % uid)
        self.assertEqual(status["NoNewPrivs"], "1")
        self.assertEqual(status["Seccomp"], "2")  # SystemCallFilter=, MemoryDenyWriteExecute=, ...
        for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            self.assertEqual(int(status[cap], 16), 0, cap)
        ns = lambda p, n: os.readlink("/proc/%d/ns/%s" % (p, n))  # noqa: E731
        for n in ("mnt", "ipc", "uts", "user"):  # PrivateMounts/Tmp, PrivateIPC, ProtectHostname, PrivateUsers
            self.assertNotEqual(ns(pid, n), ns(self.c.pid1, n), n)
        self.assertEqual(ns(pid, "net"), ns(self.c.pid1, "net"))  # it must reach vCenter
        mounts = {}
        with open("/proc/%d/mountinfo" % pid) as f:
            for line in f:
                left, right = line.split(" - ")
                fields, (fstype, _, super_opts) = left.split(), right.split()
                mounts[fields[4]] = (set(fields[5].split(",")), fstype, set(super_opts.split(",")))
        self.assertIn("ro", mounts["/"][0])  # ProtectSystem=strict
        for path in ("/home", "/root", "/run/user"):  # ProtectHome=yes
            self.assertIn("ro", mounts[path][0], path)
        self.assertEqual(mounts["/tmp"][1], "tmpfs")  # PrivateTmp=yes
        self.assertEqual(mounts["/dev"][1], "tmpfs")  # PrivateDevices=yes
        self.assertTrue({"hidepid=invisible", "subset=pid"} <= mounts["/proc"][2])  # ProtectProc, ProcSubset
        self.assertIn("ro", mounts["/sys"][0])  # ProtectKernelTunables
        self.assertIn("/run/credentials/nestwarden.service", mounts)  # LoadCredential
        props = self.show("nestwarden.service", "DynamicUser", "ProtectSystem", "RestrictNamespaces",
                          "MemoryDenyWriteExecute", "LockPersonality", "RestrictRealtime")
        self.assertEqual(props, {"DynamicUser": "yes", "ProtectSystem": "strict", "RestrictNamespaces": "yes",
                                 "MemoryDenyWriteExecute": "yes", "LockPersonality": "yes",
                                 "RestrictRealtime": "yes"})

        # Every drift of the scenario's truth reaches the unit's journal as a DRIFT event.
        want = self.truth_ids()
        got = wait_until("the scenario's drift in the journal", lambda: (lambda es: es if len(es) >= len(want)
                         else None)(self.journal("nestwarden.service", "_PID=" + st["MainPID"],
                                                 "MESSAGE_ID=" + IDS["DRIFT"])))
        self.assertEqual({(e["NESTWARDEN_OBJECT"], e["NESTWARDEN_CHECK"]) for e in got}, want)
        self.assertEqual(len(got), len(want))
        text = self.c.run("journalctl", "-x", "-u", "nestwarden.service", "--no-pager",
                          "MESSAGE_ID=" + IDS["DRIFT"]).stdout
        self.assertIn("A setting that nested Hyper-V needs has changed on a watched object", text)
        self.assertRegex(text, r"Subject: Nested Hyper-V drift: \w+ on ")

    def test_check_by_hand_with_the_credential(self):
        """README's first-hour step: a one-off check as the service would run it, password as credential."""
        self.config("/etc/nestwarden/nestwarden.conf", self.scn)
        self.c.write("/etc/nestwarden/vcenter.password", slurp(self.scn.password_file), mode=0o600)
        p = self.c.run("systemd-run", "--quiet", "--pipe", "--wait", "-p", "DynamicUser=yes", "-p",
                       "LoadCredential=vcenter-password:/etc/nestwarden/vcenter.password",
                       "nestwarden", "check", "--json", check=False)
        self.assertEqual(p.returncode, 1, p.stderr)  # drift found, everything read
        doc = json.loads(p.stdout)
        self.assertEqual({(f["object"], f["check"]) for f in doc["findings"] + doc["template_findings"]},
                         self.truth_ids())

    def test_reload_good_and_broken(self):
        pid = self.start_main()["MainPID"]
        self.config("/etc/nestwarden/nestwarden.conf", self.scn, daemon__interval="45")
        self.systemctl("reload", "nestwarden.service")
        wait_until("'reloaded' in the journal", lambda: any(
            "reloaded" in e["MESSAGE"] for e in self.journal("nestwarden.service", "_PID=" + pid)))

        self.c.write("/etc/nestwarden/nestwarden.conf", "[vcenter]\nurl = https://vc.example.com/sdk\n"
                     "[daemon]\ninterval = soon\n", mode=0o644)
        # ExecReload returns at once; the daemon answers with RELOADING=1 ... READY=1 either way.
        self.systemctl("reload", "nestwarden.service")
        refused = wait_until("'reload refused' in the journal", lambda: [
            e for e in self.journal("nestwarden.service", "_PID=" + pid) if "reload refused" in e["MESSAGE"]])
        self.assertIn("interval", refused[0]["MESSAGE"])
        st = self.show("nestwarden.service", "ActiveState", "MainPID", "NRestarts")
        self.assertEqual((st["ActiveState"], st["MainPID"], st["NRestarts"]), ("active", pid, "0"))
        # Still watching the vCenter it had: the old config stays in force.
        self.assertIn("watched", self.show("nestwarden.service", "StatusText")["StatusText"])

    def test_stop_within_2s(self):
        self.start_main()
        t = time.monotonic()
        self.systemctl("stop", "nestwarden.service")
        took = time.monotonic() - t
        st = self.show("nestwarden.service", "ActiveState", "Result")
        self.assertEqual((st["ActiveState"], st["Result"]), ("inactive", "success"))
        self.assertLess(took, 2.0)

    def test_watchdog_restarts_hung_daemon(self):
        # The shipped WatchdogSec=60s and RestartSec=10s, shortened so the test does not wait 70 s;
        # the mechanism (pings at half WATCHDOG_USEC, SIGABRT, Restart=on-failure) is the same.
        self.c.write("/etc/systemd/system/nestwarden.service.d/watchdog-test.conf",
                     "[Service]\nWatchdogSec=3s\nRestartSec=1s\n")
        self.addCleanup(self.systemctl, "daemon-reload")
        self.addCleanup(os.unlink, self.c.path("/etc/systemd/system/nestwarden.service.d/watchdog-test.conf"))
        self.systemctl("daemon-reload")
        pid = self.start_main()["MainPID"]
        time.sleep(4)  # alive past one whole watchdog period: it does ping
        self.assertEqual(self.show("nestwarden.service", "MainPID", "NRestarts"), {"MainPID": pid, "NRestarts": "0"})
        self.c.run("kill", "-STOP", pid)
        st = wait_until("a restart after the watchdog fired", lambda: (lambda s: s if s["NRestarts"] == "1"
                        and s["ActiveState"] == "active" else None)(
                        self.show("nestwarden.service", "NRestarts", "ActiveState", "MainPID")), timeout=20)
        self.assertNotEqual(st["MainPID"], pid)
        log = self.c.run("journalctl", "-u", "nestwarden.service", "--no-pager", "-o", "cat").stdout
        self.assertIn("Watchdog timeout", log)

    def test_upgrade_restarts_and_removal_stops(self):
        """The maintainer scripts: an upgrade restarts running units (the template's instances too)
        and keeps the admin's config; removal stops them and leaves the config."""
        deb = "/root/" + os.path.basename(DEB)
        pid = self.start_main()["MainPID"]
        # Registered after start_main's, so it runs first: installed again before the unit is disabled.
        self.addCleanup(self.c.run, "dpkg", "-i", deb, timeout=300)
        mine = self.c.read("/etc/nestwarden/nestwarden.conf")
        self.config("/etc/nestwarden/lab.conf", self.scn)
        self.c.write("/etc/nestwarden/lab.password", slurp(self.scn.password_file), mode=0o600)
        self.systemctl("start", "nestwarden@lab.service")
        self.addCleanup(self.systemctl, "stop", "nestwarden@lab.service", check=False)
        lab_pid = self.show("nestwarden@lab.service", "MainPID")["MainPID"]

        self.c.run("dpkg", "-i", deb, timeout=300)
        for unit, old in (("nestwarden.service", pid), ("nestwarden@lab.service", lab_pid)):
            st = self.show(unit, "ActiveState", "MainPID")
            self.assertEqual(st["ActiveState"], "active", unit)
            self.assertNotEqual(st["MainPID"], old, "%s not restarted by the upgrade" % unit)
        self.assertEqual(self.c.read("/etc/nestwarden/nestwarden.conf"), mine)

        self.c.run("dpkg", "-r", "nestwarden", timeout=300)
        for unit in ("nestwarden.service", "nestwarden@lab.service"):
            self.assertEqual(self.show(unit, "ActiveState")["ActiveState"], "inactive", unit)
        self.assertFalse(os.path.exists(self.c.path("/usr/bin/nestwarden")))
        self.assertEqual(self.c.read("/etc/nestwarden/nestwarden.conf"), mine)  # removed, not purged

    def test_instance_with_own_config_and_credential_remediates(self):
        """nestwarden@lab against a second vCenter with another password, mode = remediate."""
        lab = Scenario(password=LAB_PASSWORD)
        self.addCleanup(lab.stop)
        self.config("/etc/nestwarden/lab.conf", lab, daemon__mode="remediate", daemon__interval="30")
        self.c.write("/etc/nestwarden/lab.password", LAB_PASSWORD + "\n", mode=0o600)
        self.systemctl("start", "nestwarden@lab.service")
        self.addCleanup(self.systemctl, "stop", "nestwarden@lab.service", check=False)
        self.assertEqual(self.show("nestwarden@lab.service", "ActiveState")["ActiveState"], "active")
        self.assertIn("/run/credentials/nestwarden@lab.service", slurp("/proc/%d/mountinfo" % self.c.host_pid(
            int(self.show("nestwarden@lab.service", "MainPID")["MainPID"]))))

        fixed = wait_until("FIXED events from nestwarden@lab", lambda: self.journal(
            "nestwarden@lab.service", "MESSAGE_ID=" + IDS["REMEDIATED"]), timeout=60)
        # What the daemon says it fixed, vCenter now agrees with: a check from the host finds none of it.
        host_conf = lab.config("host.conf")
        rc, out, err = run_check(host_conf, "--json")
        left = {(f["object"], f["check"]) for f in json.loads(out)["findings"]}
        done = {(e["NESTWARDEN_OBJECT"], e["NESTWARDEN_CHECK"]) for e in fixed}
        self.assertTrue(done, "nothing fixed")
        self.assertFalse(done & left, "reported fixed but still drifted: %s" % (done & left))
        self.assertLess(len(left), len(lab.truth["findings"]))
        # The main unit's config and credential were not used for it.
        self.assertEqual(self.systemctl("is-active", "nestwarden.service", check=False).stdout.strip(), "inactive")

    def metrics(self, path):
        """The metrics file inside the container, parsed (and checked by promtool where installed),
        once it says up; its stat too."""
        def up():
            try:
                with open(self.c.path(path)) as f:
                    text = f.read()
            except FileNotFoundError:
                return None
            fam = parse_exposition(text)
            return (text, fam) if sample(fam, "nestwarden_up") == 1 else None
        text, fam = wait_until("%s saying up" % path, up, timeout=60)
        if os.access(PROMTOOL, os.X_OK):
            p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
            self.assertEqual((p.returncode, p.stdout + p.stderr), (0, ""))
        return fam, os.stat(self.c.path(path))

    def test_metrics_file_in_the_runtime_directory(self):
        """[daemon] metrics_file under the real sandbox: RuntimeDirectory= is writable under
        ProtectSystem=strict, the file and its directory are readable by another user (node_exporter
        is one), each instance has its own directory, and a unit's directory goes when it stops,
        leaving the others'."""
        self.start_main(daemon__metrics_file="/run/nestwarden/nestwarden.prom")
        fam, st = self.metrics("/run/nestwarden/nestwarden.prom")
        self.assertEqual(sample(fam, "nestwarden_objects_watched", kind="vm"),
                         self.scn.truth["checked"]["vms"] + self.scn.truth["checked"]["templates"])
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o644)
        self.assertTrue(61184 <= st.st_uid <= 65519, "DynamicUser's range, got uid %d" % st.st_uid)
        self.assertEqual(stat.S_IMODE(os.stat(self.c.path("/run/nestwarden")).st_mode), 0o755)
        # node_exporter's side: another unprivileged user reads it.
        p = self.c.run("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat",
                       "/run/nestwarden/nestwarden.prom")
        self.assertIn("nestwarden_up{", p.stdout)

        self.config("/etc/nestwarden/lab.conf", self.scn, daemon__metrics_file="/run/nestwarden-lab/lab.prom")
        self.c.write("/etc/nestwarden/lab.password", slurp(self.scn.password_file), mode=0o600)
        self.systemctl("start", "nestwarden@lab.service")
        self.addCleanup(self.systemctl, "stop", "nestwarden@lab.service", check=False)
        _, lab = self.metrics("/run/nestwarden-lab/lab.prom")
        self.assertEqual(stat.S_IMODE(lab.st_mode), 0o644)
        self.assertEqual(stat.S_IMODE(os.stat(self.c.path("/run/nestwarden-lab")).st_mode), 0o755)

        self.systemctl("stop", "nestwarden.service")
        self.assertFalse(os.path.exists(self.c.path("/run/nestwarden")))
        self.assertTrue(os.path.exists(self.c.path("/run/nestwarden-lab/lab.prom")))
        self.systemctl("stop", "nestwarden@lab.service")
        self.assertFalse(os.path.exists(self.c.path("/run/nestwarden-lab")))


if __name__ == "__main__":
    testmain.main()
