"""lib/journal.c against a real systemd-journald: every event type arrives with its MESSAGE, PRIORITY,
MESSAGE_ID and exactly the NESTWARDEN_* fields that were set; odd values round-trip byte for byte;
and `journalctl -x` explains a DRIFT entry with systemd/nestwarden.catalog.

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
}
PRIORITY = {"drift": "4", "resolved": "5", "vm_tagged": "6", "vm_untagged": "6",
            "vcenter_lost": "3", "vcenter_regained": "5"}

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
        self.assertIn("Defined-By: nestwarden", out)
        self.assertNotRegex(out, r"@NESTWARDEN_\w+@")

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
