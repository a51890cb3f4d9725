"""Verdict integrity under `nestwarden run`, read back from a real journald: an object that cannot be read
gets UNREADABLE (once per transition) and READABLE, its drift is neither resolved nor repeated; a tag
with no VM and a configuration vCenter refuses are said once, without an outage; a tagging reply of the
wrong shape is not untagging; WaitForUpdatesEx answered at once with nothing does not make run spin."""
import os
import signal
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
import mutate  # noqa: E402
import testmain  # noqa: E402
from daemon import start_ready  # noqa: E402
from faultproxy import FaultProxy, reply, rewrite  # noqa: E402
from scenario import PASSWORD, USER, Scenario  # noqa: E402
from events import CONFIG_PROBLEM, DRIFT, LOST, READABLE, REGAINED, RESOLVED, TAG_EMPTY, UNREADABLE, UNTAGGED  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")

EMPTY_WAIT = ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope '
              'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
              '<WaitForUpdatesExResponse xmlns="urn:vim25"></WaitForUpdatesExResponse></soapenv:Body>'
              '</soapenv:Envelope>')


def vm_of(truth, name):
    for f in truth["findings"] + truth["template_findings"]:
        if f["name"] == name:
            return f["object"]
    raise LookupError(name)


class RunVerdictTest(unittest.TestCase):
    def setUp(self):
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)

    def start(self, conf):
        return start_ready(self, conf)

    def n_findings(self, truth, without=()):
        return len([f for f in truth["findings"] + truth["template_findings"] if f["object"] not in without])

    def test_unreadable_vm_transitions(self):
        with Scenario(deny={"no_permission": ["hv-off-03"]}) as scn:
            vm = vm_of(scn.truth, "hv-off-03")
            d = self.start(scn.config())
            base = self.n_findings(scn.truth, without={vm})
            self.journal.wait_for(base, MESSAGE_ID=DRIFT)
            (e,) = self.journal.wait_for(1, MESSAGE_ID=UNREADABLE)
            self.assertEqual((e["NESTWARDEN_OBJECT"], e["NESTWARDEN_OBJECT_KIND"], e["NESTWARDEN_CHECK"],
                              e["NESTWARDEN_EXPECTED"], e["NESTWARDEN_ACTUAL"], e["PRIORITY"]),
                             (vm, "vm", "unreadable", "readable", "NoPermission", "4"))
            self.assertIn("grant System.Read on the VM, or untag it", e["NESTWARDEN_DETAIL"])
            self.assertIn("could not be read (NoPermission)", e["MESSAGE"])
            text = self.journal.journalctl("-x", "-o", "short", "MESSAGE_ID=" + UNREADABLE)
            self.assertIn("Until it can be read, nestwarden says nothing about it", text)
            self.assertEqual(self.journal.entries(MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=vm), [])
            self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])

            # Readable: judged at last (its drift is news), and said so.
            scn.deny({})
            d.signal(signal.SIGHUP)
            self.journal.wait_for(1, MESSAGE_ID=READABLE, NESTWARDEN_OBJECT=vm)
            (e,) = self.journal.wait_for(1, MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=vm)
            self.assertEqual(e["NESTWARDEN_CHECK"], "nested_hv")

            # Unreadable again: its drift is neither resolved nor, once readable, repeated.
            scn.deny({"no_permission": ["hv-off-03"]})
            d.signal(signal.SIGHUP)
            self.journal.wait_for(2, MESSAGE_ID=UNREADABLE, NESTWARDEN_OBJECT=vm)
            scn.deny({})
            d.signal(signal.SIGHUP)
            self.journal.wait_for(2, MESSAGE_ID=READABLE, NESTWARDEN_OBJECT=vm)
            time.sleep(1)
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=vm)), 1)
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), self.n_findings(scn.truth))
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=UNREADABLE)), 2)
            self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
            self.assertIsNone(d.proc.poll())

    def test_unreadable_switch_transitions(self):
        # A switch that cannot be read: its portgroups are not judged, their drift neither resolved nor
        # repeated, and READABLE comes for the switch itself, which is never judged.
        with Scenario(deny={}) as scn:
            d = self.start(scn.config())
            self.journal.wait_for(self.n_findings(scn.truth), MESSAGE_ID=DRIFT)
            behind = {f["object"] for f in scn.truth["findings"] if f["name"].startswith("pg-ml-")}
            self.assertEqual(len(behind), 6)
            for round in (1, 2):
                scn.deny({"no_permission": ["dvs-66"]})
                d.signal(signal.SIGHUP)
                (e,) = self.journal.wait_for(round, MESSAGE_ID=UNREADABLE)[-1:]
                # Its name is one of the things that could not be read: the moref stands in.
                self.assertEqual((e["NESTWARDEN_OBJECT_KIND"], e["NESTWARDEN_OBJECT_NAME"], e["NESTWARDEN_ACTUAL"]),
                                 ("switch", e["NESTWARDEN_OBJECT"], "NoPermission"))
                self.assertIn("its portgroups cannot be judged", e["NESTWARDEN_DETAIL"])
                scn.deny({})
                d.signal(signal.SIGHUP)
                (r,) = self.journal.wait_for(round, MESSAGE_ID=READABLE)[-1:]
                self.assertEqual(r["NESTWARDEN_OBJECT"], e["NESTWARDEN_OBJECT"])
            time.sleep(1)
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), self.n_findings(scn.truth))
            self.assertIsNone(d.proc.poll())

    def test_hidden_and_deleted_vms(self):
        with Scenario(deny={"hidden": ["hv-off-02"]}) as scn:
            hidden, gone = vm_of(scn.truth, "hv-off-02"), vm_of(scn.truth, "hv-off-03")
            d = self.start(scn.config())
            self.journal.wait_for(self.n_findings(scn.truth, without={hidden}), MESSAGE_ID=DRIFT)
            (e,) = self.journal.wait_for(1, MESSAGE_ID=UNREADABLE)
            self.assertEqual((e["NESTWARDEN_OBJECT"], e["NESTWARDEN_ACTUAL"]), (hidden, "missing"))
            self.assertIn("not returned by vCenter", e["NESTWARDEN_DETAIL"])
            # Deleted while watched; the tag listing still names it (as between listing and reading).
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            mutate.wait_task(mutate.vim.VirtualMachine(gone, si._stub).Destroy_Task())
            (e,) = self.journal.wait_for(1, MESSAGE_ID=UNREADABLE, NESTWARDEN_OBJECT=gone)
            self.assertEqual(e["NESTWARDEN_ACTUAL"], "ManagedObjectNotFound")
            self.assertIn("deleted while nestwarden read it", e["NESTWARDEN_DETAIL"])
            time.sleep(1)
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
            self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=gone)), 1)
            self.assertIsNone(d.proc.poll())

    def test_empty_reply_is_no_verdict(self):
        with Scenario(deny={}) as scn:
            d = self.start(scn.config())
            base = self.n_findings(scn.truth)
            self.journal.wait_for(base, MESSAGE_ID=DRIFT)
            scn.deny({"empty_reply": True})
            d.signal(signal.SIGHUP)
            # Taken for a timed-out session first (one new login), then for what it is: vCenter lost.
            (e,) = self.journal.wait_for(1, MESSAGE_ID=LOST)
            tagged = scn.truth["checked"]["vms"] + scn.truth["checked"]["templates"]
            self.assertIn("RetrievePropertiesEx: empty reply for %d objects asked for" % tagged, e["NESTWARDEN_DETAIL"])
            self.assertIn("session expired", d.stderr())
            scn.deny({})
            self.journal.wait_for(1, MESSAGE_ID=REGAINED, timeout=30)
            time.sleep(1)
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), base)
            self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
            self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=LOST)), 1)
            self.assertIsNone(d.proc.poll())

    def test_tag_without_vms_said_once(self):
        with Scenario() as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["plain-03"]
            mutate.untag(scn.url, USER, PASSWORD, vm, "nested", "other", ca_file=scn.ca_file)
            d = self.start(scn.config(selection__tag="other"))
            try:
                (e,) = self.journal.wait_for(1, MESSAGE_ID=TAG_EMPTY)
            except AssertionError:
                raise AssertionError(d.stderr())
            self.assertEqual((e["NESTWARDEN_DETAIL"], e["PRIORITY"]), ("nested/other", "4"))
            time.sleep(6)  # more than one tag refresh
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=TAG_EMPTY)), 1)
            self.assertEqual(self.journal.entries(MESSAGE_ID=DRIFT), [])
            self.assertIsNone(d.proc.poll())

    def test_unknown_tag_is_a_config_problem_not_an_outage(self):
        with Scenario() as scn:
            d = self.start(scn.config(selection__tag="no-such-tag"))
            (e,) = self.journal.wait_for(1, MESSAGE_ID=CONFIG_PROBLEM)
            self.assertIn("tag 'no-such-tag' does not exist in category 'nested'", e["NESTWARDEN_DETAIL"])
            self.assertEqual(e["PRIORITY"], "3")
            time.sleep(4)  # a few retries with backoff: still said once, one session, no outage
            self.assertEqual(len(self.journal.entries(MESSAGE_ID=CONFIG_PROBLEM)), 1)
            self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
            self.assertEqual(d.stderr().count("logged in to"), 1, d.stderr())
            self.assertIsNone(d.proc.poll())

    def test_wrong_shape_tag_reply_is_not_untagging(self):
        with Scenario() as scn:
            with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
                d = self.start(scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file))
                base = self.n_findings(scn.truth)
                self.journal.wait_for(base, MESSAGE_ID=DRIFT)
                rid = proxy.add_rule("tag-association", reply(200, '{"value": {"object_ids": []}}',
                                                              [("Content-Type", "application/json")]), times=1)
                deadline = time.monotonic() + 20
                while proxy.hits(rid) == 0 and time.monotonic() < deadline:
                    time.sleep(0.2)
                self.assertEqual(proxy.hits(rid), 1)
                time.sleep(7)  # the next tag refresh, answered well again
                self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
                self.assertEqual(self.journal.entries(MESSAGE_ID=RESOLVED), [])
                self.assertEqual(len(self.journal.entries(MESSAGE_ID=DRIFT)), base)
                self.assertIn("list-attached-objects-on-tags", d.stderr())
                self.assertIsNone(d.proc.poll())

    def test_update_removing_a_name(self):
        import re
        with Scenario() as scn:
            vm = vm_of(scn.truth, "hv-off-03")
            with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
                d = self.start(scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file))
                base = self.n_findings(scn.truth)
                self.journal.wait_for(base, MESSAGE_ID=DRIFT)
                # The next full update set removes hv-off-03's name and empties hv-off-02's.
                pat = re.compile(rb"<changeSet><name>name</name><op>assign</op><val[^>]*>(hv-off-0[23])</val></changeSet>")

                matched = []

                def strip(body):
                    matched.extend(pat.findall(body))
                    return pat.sub(lambda m: b"<changeSet><name>name</name><op>remove</op></changeSet>"
                                   if m.group(1) == b"hv-off-03" else
                                   b'<changeSet><name>name</name><op>assign</op><val xsi:type="xsd:string"></val>'
                                   b"</changeSet>", body)
                rid = proxy.add_rule("WaitForUpdatesEx", rewrite(strip))
                d.signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while proxy.hits(rid) == 0 and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(1)
                self.assertEqual(sorted(set(matched)), [b"hv-off-02", b"hv-off-03"])
                self.assertIsNone(d.proc.poll(), d.stderr())
                # Still watched and judged: a fix of the nameless VM resolves its drift.
                si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
                mutate.set_nested_hv(si, vm, True)
                (e,) = self.journal.wait_for(1, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=vm)
                self.assertEqual(e["NESTWARDEN_CHECK"], "nested_hv")
                self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
                self.assertIsNone(d.proc.poll(), d.stderr())

    def test_wait_answered_at_once_is_paced(self):
        with Scenario() as scn:
            with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
                d = self.start(scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file))
                self.journal.wait_for(self.n_findings(scn.truth), MESSAGE_ID=DRIFT)
                rid = proxy.add_rule("WaitForUpdatesEx", reply(200, EMPTY_WAIT, [("Content-Type", "text/xml")]))
                time.sleep(12)
                hits = proxy.hits(rid)
                # Paced a second apart (the old loop sent several per millisecond).
                self.assertGreaterEqual(hits, 5, d.stderr())
                self.assertLessEqual(hits, 13, d.stderr())
                self.assertEqual(d.stderr().count("long-polls at once without a change"), 1, d.stderr())
                self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
                self.assertIsNone(d.proc.poll())


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
