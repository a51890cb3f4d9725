"""`nestwarden run` and systemd: READY, STATUS, WATCHDOG at half the interval, RELOADING/READY on
SIGHUP (and a broken config on reload keeps the old one), STOPPING and a prompt exit on SIGTERM,
even in the middle of a WaitForUpdatesEx long-poll."""
import os
import re
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from daemon import Daemon  # noqa: E402
import testmain  # noqa: E402
from scenario import Scenario  # noqa: E402


class NotifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scn = Scenario()

    @classmethod
    def tearDownClass(cls):
        cls.scn.stop()

    def config(self, name, extra=""):
        path = self.scn.config(name)
        with open(path, "a") as f:
            f.write("[daemon]\ntag_refresh = 60\n" + extra)
        return path

    def test_lifecycle(self):
        conf = self.config("notify.conf")
        with Daemon(conf, watchdog_usec=2_000_000) as d:
            t_ready, _ = d.notify.wait_for("READY", "1")
            _, status = d.notify.wait_for("STATUS")
            t = self.scn.truth
            want = r"^%d VMs, %d portgroups watched; %d drifted; last pass \d\d:\d\d:\d\d$" % (
                t["checked"]["vms"] + t["checked"]["templates"], t["checked"]["portgroups"],
                len({f["object"] for f in t["findings"] + t["template_findings"]}))
            self.assertRegex(status["STATUS"], want)

            # WATCHDOG_USEC=2 s: a ping every second or so, also while blocked in the long-poll.
            time.sleep(5)
            pings = [t for t, _ in d.notify.all("WATCHDOG") if t > t_ready]
            self.assertGreaterEqual(len(pings), 4, pings)
            self.assertLessEqual(len(pings), 8, pings)
            self.assertLess(max(b - a for a, b in zip(pings, pings[1:])), 1.6)

            # Reload: RELOADING=1, then READY=1 again, and the daemon carries on.
            t_hup = time.monotonic()
            d.signal(signal.SIGHUP)
            t_rel, _ = d.notify.wait_for("RELOADING", "1", after=t_hup)
            d.notify.wait_for("READY", "1", after=t_rel)
            self.assertIn("reloaded", d.stderr())

            # SIGTERM while WaitForUpdatesEx holds the line (maxWaitSeconds ~1 s here but the
            # request is in flight): STOPPING=1 and exit within 2 s.
            time.sleep(1.5)
            rc, took = d.stop()
            self.assertEqual(rc, 0, d.stderr())
            self.assertLess(took, 2.0)
            d.notify.wait_for("STOPPING", "1", timeout=1)

    def test_sigterm_during_long_poll(self):
        # No watchdog: the long-poll waits up to 60 s; SIGTERM must still end it within 2 s.
        conf = self.config("longpoll.conf")
        with Daemon(conf) as d:
            d.notify.wait_for("READY", "1")
            time.sleep(2)
            rc, took = d.stop()
            self.assertEqual(rc, 0, d.stderr())
            self.assertLess(took, 2.0)

    def test_broken_config_on_reload_keeps_the_old_one(self):
        conf = self.config("broken.conf")
        with Daemon(conf, watchdog_usec=2_000_000) as d:
            d.notify.wait_for("READY", "1")
            with open(conf, "a") as f:
                f.write("bogus_key = 1\n")
            t_hup = time.monotonic()
            d.signal(signal.SIGHUP)
            t_rel, _ = d.notify.wait_for("RELOADING", "1", after=t_hup)
            d.notify.wait_for("READY", "1", after=t_rel)
            time.sleep(1.5)
            self.assertIsNone(d.proc.poll())
            self.assertRegex(d.stderr(), re.escape(conf) + r":\d+: unknown key 'bogus_key' in section \[daemon\]")
            self.assertIn("keeping the running configuration", d.stderr())
            # Still alive and watching: the watchdog keeps coming.
            n = len(d.notify.all("WATCHDOG"))
            time.sleep(2)
            self.assertGreater(len(d.notify.all("WATCHDOG")), n)

    def test_idle_daemon_does_not_gather_again(self):
        # Nothing changes: the first update set, the long-poll timeouts and a tag refresh must not
        # set off another full gather (each one re-reads every tagged VM).
        conf = self.scn.config("idle.conf")
        with open(conf, "a") as f:
            f.write("[daemon]\ntag_refresh = 5\nlog_level = debug\n")
        with Daemon(conf, watchdog_usec=4_000_000) as d:
            d.notify.wait_for("READY", "1")
            time.sleep(7)
            err = d.stderr()
            self.assertEqual(err.count("full gather"), 1, err[-2000:])
            self.assertNotIn("gathering again", err)

    def test_bad_config_at_start_is_ex_config(self):
        conf = self.config("bad-start.conf", "interval = 1\n")
        with Daemon(conf) as d:
            rc = d.proc.wait(timeout=10)
            self.assertEqual(rc, 78)
            self.assertRegex(d.stderr(), re.escape(conf) + r":\d+: key 'interval': 1 is out of range")


if __name__ == "__main__":
    testmain.main()
