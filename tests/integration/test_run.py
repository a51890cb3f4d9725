"""`nestwarden run` end to end: a real journald (private mount namespace), the simulator scenario,
and changes made through the simulator's SOAP and REST APIs as an admin would make them. Drift and
its resolution reach the journal within 2 s with every field; untagging a VM is reported; a
simulator killed and restarted mid-run is reported lost and regained once, with no duplicate drift."""
import os
import signal
import socket
import sys
import tempfile
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
from daemon import start_ready  # noqa: E402
import testmain  # noqa: E402
from scenario import PASSWORD, USER, Scenario  # noqa: E402
from events import DRIFT, LOST, REGAINED, RESOLVED, TAGGED, UNTAGGED  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")
FIELDS = ("NESTWARDEN_VCENTER", "NESTWARDEN_OBJECT", "NESTWARDEN_OBJECT_NAME", "NESTWARDEN_OBJECT_KIND",
          "NESTWARDEN_CHECK", "NESTWARDEN_EXPECTED", "NESTWARDEN_ACTUAL", "MESSAGE", "PRIORITY")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RunTest(unittest.TestCase):
    def setUp(self):
        import mutate
        self.mutate = mutate
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)

    def start(self, scn, tag_refresh=5):
        return start_ready(self, scn.config(), tag_refresh)

    def baseline(self, scn):
        n = len(scn.truth["findings"]) + len(scn.truth["template_findings"])
        got = self.journal.wait_for(n, MESSAGE_ID=DRIFT)
        self.assertEqual(len(got), n)
        return got

    def event_after(self, t_change, message_id, **match):
        """The one new entry for message_id + match, asserted to arrive within 2 s of t_change."""
        got = self.journal.wait_for(1, MESSAGE_ID=message_id, **match)
        self.assertEqual(len(got), 1, got)
        e = got[0]
        latency = int(e["__REALTIME_TIMESTAMP"]) / 1e6 - t_change
        self.assertLess(latency, 2.0, e)
        return e

    def test_drift_and_resolution_reach_the_journal(self):
        with Scenario() as scn:
            si = self.mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vms, pgs = self.mutate.morefs(si, self.mutate.vim.VirtualMachine), self.mutate.morefs(si, self.mutate.vim.dvs.DistributedVirtualPortgroup)
            d = self.start(scn)
            base = self.baseline(scn)
            for e in base:
                for f in FIELDS:
                    self.assertIn(f, e)
                self.assertEqual(e["NESTWARDEN_VCENTER"], scn.url)
                self.assertEqual(e["PRIORITY"], "4")

            # A powered-off VM whose nestedHVEnabled is false: fixing it resolves, breaking it drifts.
            vm = vms["hv-off-03"]
            t = time.time()
            self.mutate.set_nested_hv(si, vm, True)
            e = self.event_after(t, RESOLVED, NESTWARDEN_OBJECT=vm)
            self.assertEqual((e["NESTWARDEN_CHECK"], e["NESTWARDEN_EXPECTED"], e["NESTWARDEN_ACTUAL"], e["PRIORITY"]),
                             ("nested_hv", "true", "true", "5"))
            t = time.time()
            self.mutate.set_nested_hv(si, vm, False)
            # Its baseline drift was the first; this is the second for the same object.
            got = self.journal.wait_for(2, MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=vm)
            e = got[-1]
            self.assertLess(int(e["__REALTIME_TIMESTAMP"]) / 1e6 - t, 2.0)
            self.assertEqual(e["MESSAGE"], "VM hv-off-03 (%s): nested HV exposed is false, expected true" % vm)
            self.assertEqual((e["NESTWARDEN_OBJECT_NAME"], e["NESTWARDEN_OBJECT_KIND"], e["NESTWARDEN_CHECK"],
                              e["NESTWARDEN_EXPECTED"], e["NESTWARDEN_ACTUAL"]),
                             ("hv-off-03", "vm", "nested_hv", "true", "false"))

            # A compliant MAC-learning portgroup gets promiscuous mode: drift; back: resolved.
            pg = pgs["pg-ml-ok"]
            t = time.time()
            self.mutate.set_dvpg_mac_policy(si, pg, allow_promiscuous=True)
            e = self.event_after(t, DRIFT, NESTWARDEN_OBJECT=pg)
            self.assertEqual((e["NESTWARDEN_OBJECT_KIND"], e["NESTWARDEN_CHECK"], e["NESTWARDEN_EXPECTED"],
                              e["NESTWARDEN_ACTUAL"]), ("dvportgroup", "promiscuous", "false", "true"))
            t = time.time()
            self.mutate.set_dvpg_mac_policy(si, pg, allow_promiscuous=False)
            e = self.event_after(t, RESOLVED, NESTWARDEN_OBJECT=pg)
            self.assertEqual(e["NESTWARDEN_CHECK"], "promiscuous")

            # The catalog explains a drift entry under journalctl -x.
            text = self.journal.journalctl("-x", "-o", "short", "MESSAGE_ID=" + DRIFT, "NESTWARDEN_OBJECT=" + pg)
            self.assertIn("Why nested Hyper-V breaks", text)

            # Untagging a VM: one event, and its drift is forgotten, not "resolved".
            vm = vms["hv-off-02"]
            t = time.time()
            self.mutate.untag(scn.url, USER, PASSWORD, vm, "nested", "nested-hyperv", ca_file=scn.ca_file)
            got = self.journal.wait_for(1, MESSAGE_ID=UNTAGGED, NESTWARDEN_OBJECT=vm)
            self.assertEqual(got[0]["NESTWARDEN_OBJECT_NAME"], "hv-off-02")
            # Tags have no change feed: within one tag_refresh (5 s here) and the usual 2 s.
            self.assertLess(int(got[0]["__REALTIME_TIMESTAMP"]) / 1e6 - t, 5 + 2.0)
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=vm), [])
            self.mutate.tag(scn.url, USER, PASSWORD, vm, "nested", "nested-hyperv", ca_file=scn.ca_file)
            self.journal.wait_for(1, MESSAGE_ID=TAGGED, NESTWARDEN_OBJECT=vm)
            self.assertIsNone(d.proc.poll())

    def test_expired_session_is_renewed_quietly(self):
        with Scenario() as scn:
            si = self.mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = self.mutate.morefs(si, self.mutate.vim.VirtualMachine)["hv-off-03"]
            d = self.start(scn)
            base = self.baseline(scn)
            # An admin (or vCenter's idle timeout) ends nestwarden's session under its feet.
            ours = [x.key for x in si.content.sessionManager.sessionList if x.userAgent.startswith("nestwarden/")]
            self.assertEqual(len(ours), 1, ours)
            si.content.sessionManager.TerminateSession(ours)
            deadline = time.time() + 15
            while "session expired" not in d.stderr() and time.time() < deadline:
                time.sleep(0.2)
            self.assertIn("session expired", d.stderr())
            while d.stderr().count("logged in to") < 2 and time.time() < deadline:
                time.sleep(0.2)
            self.assertEqual(d.stderr().count("logged in to"), 2)
            # A new session, no outage reported, no drift repeated, and changes still seen.
            t = time.time()
            self.mutate.set_nested_hv(si, vm, True)
            self.event_after(t, RESOLVED, NESTWARDEN_OBJECT=vm)
            self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), len(base))

    def test_simulator_restart(self):
        tmp = tempfile.mkdtemp(prefix="nw-restart-")
        # The same port and certificate after the restart, as a rebooted vCenter keeps them.
        flags = ("-listen", "127.0.0.1:%d" % free_port(), "-tls-dir", os.path.join(tmp, "tls"))
        scn = Scenario(*flags, tmp=tmp)
        try:
            d = self.start(scn)
            base = self.baseline(scn)
            scn.proc.send_signal(signal.SIGKILL)
            scn.stop()
            self.journal.wait_for(1, MESSAGE_ID=LOST)
            time.sleep(2)  # a few failed attempts: still one LOST entry
            scn = Scenario(*flags, tmp=tmp)
            self.journal.wait_for(1, MESSAGE_ID=REGAINED, timeout=60)
            d.notify.wait_for("STATUS")
            time.sleep(2)
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=LOST)), 1)
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=REGAINED)), 1)
            # Same inventory, same drift: nothing new to say about any object.
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), len(base))
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
            self.assertIsNone(d.proc.poll())
        finally:
            scn.stop()


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
