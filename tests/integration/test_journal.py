"""lib/journal.c against a real systemd-journald: every event type arrives with its MESSAGE, PRIORITY,
MESSAGE_ID and exactly the NESTWARDEN_* fields that were set; odd values round-trip byte for byte;
and `journalctl -x` explains DRIFT and every remediation entry with systemd/nestwarden.catalog.

Runs as root in a private mount namespace (see journald.py); exit 77 where that is impossible."""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import testmain  # noqa: E402
import journald  # noqa: E402

SEND = os.environ.get("NW_JOURNAL_SEND", "")
CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "systemd", "nestwarden.catalog")

# The contract: alerting rules match these, so they are spelled out here, not read from the code.
IDS = {
    "drift": "a06d564656d4461abc69e652418e1e45",
    "resolved": "3a7ed17ee36b4162afc5a6bdcbda3d19",
    "vm_tagged": "700c5ea9f70f4620bd00123576d4349d",
    "vm_untagged": "f3351fcc7a2e4e50b0dfa115aa11aacd",
    "vcenter_lost": "249162478abc449891dc26495cf1dfa4",
    "vcenter_regained": "99876d1d34cd4bfa83110801f62656b8",
    "remediated": "b612ff908f3c4a39a23e235847a275e1",
    "remediation_failed": "9650415e9d2e4564822c03b2d6c4953d",
    "remediation_skipped": "26ce7256314447d1a996ec3323d084e2",
    "fight": "e4899ac2650c46f9a98ce33c9f191972",
    "dry_run": "64cc6776d1af4a7f9e150724c1d946f1",
}
PRIORITY = {"drift": "4", "resolved": "5", "vm_tagged": "6", "vm_untagged": "6",
            "vcenter_lost": "3", "vcenter_regained": "5",
            "remediated": "5", "remediation_failed": "3", "remediation_skipped": "5", "fight": "4", "dry_run": "6"}

VC = "https://vc.example.com/sdk"
VM = {"vcenter": VC, "object": "vm-42", "object_name": "hv-lab-03", "object_kind": "vm"}
DVPG = {"vcenter": VC, "object": "dvportgroup-39", "object_name": "pg-ml-off", "object_kind": "dvportgroup"}
PG = {"vcenter": VC, "object": "host-17/VM Network", "object_name": "VM Network", "object_kind": "portgroup"}

# (type, fields, MESSAGE)
EVENTS = [
    ("drift", dict(VM, check="nested_hv", expected="true", actual="false"),
     "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true"),
    ("drift", dict(DVPG, check="mac_learning", expected="true", actual="false"),
     "DV portgroup pg-ml-off (dvportgroup-39): MAC learning is false, expected true"),
    ("drift", dict(PG, check="promiscuous", expected="true", actual="false"),
     "portgroup VM Network (host-17/VM Network): promiscuous mode is false, expected true"),
    ("drift", dict(DVPG, check="mac_learning_limit", expected="4096/drop", actual="unset/unset",
                   detail="set the MAC learning limit"),
     "DV portgroup pg-ml-off (dvportgroup-39): MAC learning limit is unset/unset, expected 4096/drop"),
    ("resolved", dict(VM, check="nested_hv", expected="true", actual="true"),
     "VM hv-lab-03 (vm-42): nested HV exposed is true again, drift resolved"),
    ("vm_tagged", dict(VM), "VM hv-lab-03 (vm-42) is tagged: now watched"),
    ("vm_untagged", dict(VM), "VM hv-lab-03 (vm-42) is no longer tagged: no longer watched"),
    ("vcenter_lost", dict(vcenter=VC, detail="Failed to connect to vc.example.com port 443: Connection refused"),
     "vCenter https://vc.example.com/sdk lost: Failed to connect to vc.example.com port 443: "
     "Connection refused; retrying with backoff"),
    ("vcenter_regained", dict(vcenter=VC, detail=" after 42 s"),
     "vCenter https://vc.example.com/sdk regained after 42 s"),
]

# Remediation: every type with every field it carries.
REMEDIATION_EVENTS = [
    ("remediated", dict(VM, check="nested_hv", expected="true", before="false", after="true", task="task-123"),
     "VM hv-lab-03 (vm-42): set nested HV exposed from false to true (task-123)"),
    ("remediated", dict(DVPG, check="mac_learning", expected="true", before="false", after="true", task="task-77"),
     "DV portgroup pg-ml-off (dvportgroup-39): set MAC learning from false to true (task-77)"),
    # UpdatePortGroup is no task: no NESTWARDEN_TASK.
    ("remediated", dict(PG, check="promiscuous", expected="true", before="false", after="true"),
     "portgroup VM Network (host-17/VM Network): set promiscuous mode from false to true"),
    ("remediation_failed", dict(VM, check="nested_hv", before="false", after="true", task="task-124",
                                fault="InvalidPowerState",
                                detail="The attempted operation cannot be performed in the current state (Powered on)."),
     "VM hv-lab-03 (vm-42): could not set nested HV exposed to true: InvalidPowerState: "
     "The attempted operation cannot be performed in the current state (Powered on)."),
    ("remediation_skipped", dict(VM, check="nested_hv", reason="pending-power-off",
                                 detail="VM is powered on: fixed when it is powered off"),
     "VM hv-lab-03 (vm-42): not fixed (pending-power-off): VM is powered on: fixed when it is powered off"),
    ("remediation_skipped", dict(DVPG, check="promiscuous", reason="shared",
                                 detail="promiscuous mode on would also reach untagged VMs: web-01 (vm-7), db-02 (vm-9)"),
     "DV portgroup pg-ml-off (dvportgroup-39): not fixed (shared): promiscuous mode on would also reach untagged "
     "VMs: web-01 (vm-7), db-02 (vm-9)"),
    ("fight", dict(DVPG, check="mac_learning", detail="reverted 3 times within 3600 s after nestwarden fixed it"),
     "DV portgroup pg-ml-off (dvportgroup-39): reverted 3 times within 3600 s after nestwarden fixed it; another "
     "tool or person keeps changing it back: hands off until the window passes or a reload"),
    ("dry_run", dict(DVPG, check="mac_learning", expected="true", before="false", after="true"),
     "DV portgroup pg-ml-off (dvportgroup-39): would set MAC learning from false to true (dry run)"),
]
EVENTS += REMEDIATION_EVENTS


def send(events):
    """Runs the helper once for all events; returns its PID (the entries' _PID)."""
    argv = [SEND]
    for i, (typ, fields, _) in enumerate(events):
        if i:
            argv.append("--")
        argv.append(typ)
        argv += ["%s=%s" % kv for kv in fields.items()]
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.communicate(timeout=30)
    if p.returncode != 0:
        raise AssertionError("journal_send exit %d: %s" % (p.returncode, err))
    return p.pid


class JournalTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(SEND and os.access(SEND, os.X_OK), "NW_JOURNAL_SEND must name the built journal_send")
        self.j = journald.Journald(catalogs=[CATALOG])
        self.j.__enter__()

    def tearDown(self):
        self.j.stop()

    def assertEntry(self, entry, typ, fields, message, pid):
        self.assertEqual(entry["MESSAGE"], message)
        self.assertEqual(entry["MESSAGE_ID"], IDS[typ])
        self.assertEqual(entry["PRIORITY"], PRIORITY[typ])
        self.assertEqual(entry["SYSLOG_IDENTIFIER"], "nestwarden")
        self.assertEqual(entry["_TRANSPORT"], "journal")
        self.assertEqual(entry["_PID"], str(pid))
        got = {k[len("NESTWARDEN_"):].lower(): v for k, v in entry.items() if k.startswith("NESTWARDEN_")}
        # Exactly the fields that were set: unset ones are absent, not empty.
        self.assertEqual(got, {k: v for k, v in fields.items() if v})

    def test_every_event_type(self):
        pid = send(EVENTS)
        got = self.j.wait_for(len(EVENTS), SYSLOG_IDENTIFIER="nestwarden")
        self.assertEqual(len(got), len(EVENTS))
        for entry, (typ, fields, message) in zip(got, EVENTS):
            self.assertEntry(entry, typ, fields, message, pid)
        self.assertEqual({e["MESSAGE_ID"] for e in got}, set(IDS.values()))

    def test_match_by_message_id_and_field(self):
        send(EVENTS)
        self.j.wait_for(len(EVENTS), SYSLOG_IDENTIFIER="nestwarden")
        drift = self.j.entries(MESSAGE_ID=IDS["drift"])
        self.assertEqual(len(drift), 4)
        self.assertEqual([e["NESTWARDEN_CHECK"] for e in self.j.entries(NESTWARDEN_OBJECT="vm-42",
                                                                        MESSAGE_ID=IDS["drift"])], ["nested_hv"])

    def test_every_field_at_once(self):
        # All 13 NESTWARDEN_* fields on one entry, odd values included.
        every = dict(VM, check="nested_hv", expected="true", actual="false", before="false\nreally", after="true",
                     task="task-%s", fault="NoPermission", reason="deferred", detail="= %n ✓")
        events = [("remediation_failed", every,
                   "VM hv-lab-03 (vm-42): could not set nested HV exposed to true: NoPermission: = %n ✓")]
        pid = send(events)
        got = self.j.wait_for(1, SYSLOG_IDENTIFIER="nestwarden")
        self.assertEqual(len([k for k in got[0] if k.startswith("NESTWARDEN_")]), 13)
        self.assertEntry(got[0], *events[0], pid)

    def test_values_round_trip(self):
        # Names come from vCenter: newlines, '=', format directives, non-ASCII, length.
        odd = {"vcenter": VC, "object": "vm-7", "object_name": "lab\nsecond line = %s%n ✓ 検証",
               "object_kind": "vm", "check": "nested_hv", "expected": "true", "actual": "unset",
               "detail": "x" * 3000 + "\nend"}
        events = [("drift", odd, None),
                  ("vm_tagged", {"object": "vm-8", "object_name": " leading and trailing ", "object_kind": "vm"},
                   "VM  leading and trailing  (vm-8) is tagged: now watched")]
        pid = send(events)
        got = self.j.wait_for(2, SYSLOG_IDENTIFIER="nestwarden")
        self.assertEntry(got[0], "drift", odd,
                         "VM lab\nsecond line = %s%n ✓ 検証 (vm-7): nested HV exposed is unset, expected true", pid)
        self.assertEntry(got[1], *events[1], pid)

    def test_long_message(self):
        # Past journal_send's stack buffer: the MESSAGE is built on the heap, still whole.
        detail = "refused " * 400
        events = [("vcenter_lost", {"vcenter": VC, "detail": detail},
                   "vCenter %s lost: %s; retrying with backoff" % (VC, detail))]
        pid = send(events)
        self.assertEntry(self.j.wait_for(1, SYSLOG_IDENTIFIER="nestwarden")[0], *events[0], pid)

    def test_catalog_explains_drift(self):
        send(EVENTS[:1])
        self.j.wait_for(1, SYSLOG_IDENTIFIER="nestwarden")
        out = self.j.journalctl("-x", "-o", "short", "MESSAGE_ID=" + IDS["drift"])
        self.assertIn("VM hv-lab-03 (vm-42): nested HV exposed is false, expected true", out)
        # Subject and body, with the entry's fields substituted.
        self.assertIn("Subject: Nested Hyper-V drift: nested_hv on hv-lab-03", out)
        self.assertIn("object:   vm hv-lab-03 (vm-42)", out)
        self.assertIn("actual:   false", out)
        self.assertIn("Expose hardware assisted virtualization to the guest OS", out)
        self.assertIn("[daemon] mode = remediate", out)
        self.assertIn("`nestwarden fix --dry-run`", out)
        self.assertNotIn("not in this version", out)
        self.assertIn("Defined-By: nestwarden", out)
        self.assertNotRegex(out, r"@NESTWARDEN_\w+@")

    def test_catalog_explains_remediation(self):
        # Per type: the Subject and body with the entry's fields substituted, and the advice.
        want = {
            "remediated": ["Subject: nestwarden fixed nested_hv on hv-lab-03",
                           "object:  vm hv-lab-03 (vm-42)", "before:  false", "after:   true",
                           "ReconfigVM_Task with a spec that holds only nestedHVEnabled",
                           "[remediation] exclude"],
            "remediation_failed": ["Subject: nestwarden could not fix nested_hv on hv-lab-03",
                                   "was:      false", "intended: true",
                                   "- InvalidPowerState (or InvalidState): the VM is powered on",
                                   "fix_on_power_off = yes", "- ConcurrentAccess:",
                                   "(VirtualMachine.Config.Settings)", "(DVPortgroup.Modify)",
                                   "(DVPortgroup.PolicyOp)", "(Host.Config.Network)"],
            "remediation_skipped": ["Subject: nestwarden left hv-lab-03 drifted on purpose: pending-power-off",
                                    "reason:  pending-power-off", "- pending-power-off:", "- shared:",
                                    "allow_promiscuous_on_shared", "- deferred:", "max_changes_per_pass"],
            "fight": ["Subject: Something keeps reverting pg-ml-off: nestwarden stops fixing it",
                      "object:  dvportgroup pg-ml-off (dvportgroup-39)", "flap_limit", "flap_window",
                      "(SIGHUP)", "Get-VIEvent -Entity", "[remediation] exclude"],
            "dry_run": ["Subject: nestwarden would fix mac_learning on pg-ml-off (dry run)",
                        "now:       false", "would set: true", "`nestwarden fix`"],
        }
        firsts = {}
        for typ, fields, message in REMEDIATION_EVENTS:
            firsts.setdefault(typ, (typ, fields, message))
        send(list(firsts.values()))
        self.j.wait_for(len(firsts), SYSLOG_IDENTIFIER="nestwarden")
        for typ, (_, _, message) in firsts.items():
            out = self.j.journalctl("-x", "-o", "short", "MESSAGE_ID=" + IDS[typ])
            self.assertIn(message, out, typ)
            for text in want[typ]:
                self.assertIn(text, out, typ)
            self.assertIn("Defined-By: nestwarden", out, typ)
            self.assertNotRegex(out, r"@NESTWARDEN_\w+@", typ)

    def test_catalog_has_every_id(self):
        listed = self.j.journalctl("--list-catalog")
        for typ, mid in IDS.items():
            self.assertRegex(listed, re.escape(mid) + r" nestwarden: \S", typ)
            text = self.j.journalctl("--dump-catalog", mid)
            self.assertIn("Defined-By: nestwarden", text)
            self.assertIn("Documentation: file:///usr/share/doc/nestwarden/README.md", text)

    def test_no_journald_is_an_error(self):
        self.j.proc.terminate()
        self.j.proc.wait(10)
        p = subprocess.run([SEND, "vm_tagged", "object=vm-1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, r"journal_send: journal_send: (Connection refused|No such file)")


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
