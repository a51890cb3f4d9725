"""Port-level overrides end to end against the scenario, which serves per-port settings as vCenter
does (FetchDVPorts honouring its criteria, ReconfigureDVPort_Task with configVersion and the
portgroup's override rights): the curated hv-port-11 rejects forged transmits on its own port while
its portgroup pg-ml-override complies. `check` finds it, `fix` fixes the port and nothing else,
`run` reports it, sees it resolved within port_refresh, and says the notice once."""
import json
import os
import subprocess
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
import mutate  # noqa: E402
import testmain  # noqa: E402
from daemon import start_ready  # noqa: E402
from faultproxy import FaultProxy, rewrite  # noqa: E402
import re  # noqa: E402
from events import DRIFT, RESOLVED  # noqa: E402
from scenario import USER, Scenario  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")
OVERRIDE_ALLOWED = "f1991d3e045446a3a2076282c3075723"
REMEDIATED = "b612ff908f3c4a39a23e235847a275e1"


def nw(*args):
    return subprocess.run([os.environ["NW_BIN"], *args], capture_output=True, text=True, timeout=300)


def port_findings(doc):
    return [f for f in doc["findings"] if f["kind"] == "dvport"]


class PortTest(unittest.TestCase):
    def setUp(self):
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)
        self.scn = Scenario()
        self.addCleanup(self.scn.stop)
        self.si = mutate.connect(self.scn.url, USER, self.scn.password_file, self.scn.ca_file)
        self.vm = mutate.morefs(self.si, mutate.vim.VirtualMachine)["hv-port-11"]

    def check(self, conf):
        p = nw("check", "--json", "--config", conf)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return json.loads(p.stdout)

    def test_check_finds_the_port_only(self):
        doc = self.check(self.scn.config())
        truth = self.scn.truth
        (f,) = port_findings(doc)
        (want,) = [t for t in truth["findings"] if t["kind"] == "dvport"]
        self.assertEqual({k: f[k] for k in want}, want)
        dvs, key, pg = mutate.vm_nic_port(self.si, self.vm)
        self.assertEqual(f["object"], "%s/%s" % (dvs, key))
        self.assertEqual(f["name"], "hv-port-11 Network adapter 1")
        # The portgroup itself complies: no finding on it, but the notice says where this comes from.
        self.assertEqual([x for x in doc["findings"] if x["object"] == pg], [])
        self.assertEqual([{k: n[k] for k in ("object", "kind", "name", "notice")} for n in doc["notices"]],
                         truth["notices"])
        # Only that port is read: the other tagged VMs' NICs sit on portgroups that allow no override.
        self.assertEqual(doc["checked"]["ports"], truth["checked"]["ports"])
        table = nw("check", "--config", self.scn.config("t.conf")).stdout
        self.assertIn("notice: dvportgroup pg-ml-override (%s): ports may override" % pg, table)
        self.assertRegex(table, r"\d+ portgroups, 1 port: ")

    def test_devices_not_returned_is_no_verdict(self):
        # The port round's reply without config.hardware.device (as a proxy or a bug may send it): the
        # VM's ports are unknown, so the verdict is exit 3, never "no port, compliant".
        def strip(body):
            return re.sub(rb"<propSet><name>config\.hardware\.device</name>.*?</propSet>", b"", body, flags=re.S)
        with FaultProxy(self.scn.url, ca_file=self.scn.ca_file, tmp=self.scn.tmp) as proxy:
            rid = proxy.add_rule("RetrievePropertiesEx", rewrite(strip))
            conf = self.scn.config("proxy.conf", vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file)
            p = nw("check", "--json", "--config", conf)
            self.assertGreater(proxy.hits(rid), 0)
        self.assertEqual(p.returncode, 3, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(port_findings(doc), [])
        (u,) = [f for f in doc["findings"] if f["check"] == "unreadable"]
        self.assertEqual((u["object"], u["kind"]), (self.vm, "vm"))
        self.assertIn("config.hardware.device not returned", u["hint"])

    def test_fix_reconfigures_the_port_and_nothing_else(self):
        before = mutate.port_state(self.si, self.vm)
        pg_before = mutate.dvpg_state(self.si, before["portgroup"])
        self.assertFalse(before["mac"]["forged_transmits"])
        conf = self.scn.config("fix.conf", remediation__max_changes_per_pass="100")
        p = nw("fix", "--config", conf)
        self.assertRegex(p.stdout, r"hv-port-11 Network.*forged_transmits\s+false\s+-> true\s+fixed")
        after = mutate.port_state(self.si, self.vm)
        self.assertTrue(after["mac"]["forged_transmits"])
        self.assertFalse(after["mac"]["inherited"])  # the drifted policy written, as an override
        self.assertEqual(int(after["configVersion"]), int(before["configVersion"]) + 1)
        for k in ("allow_promiscuous", "mac_changes", "learning_enabled"):
            self.assertEqual(after["mac"][k], before["mac"][k], k)
        self.assertEqual(mutate.dvpg_state(self.si, before["portgroup"]), pg_before)
        (e,) = self.journal.wait_for(1, MESSAGE_ID=REMEDIATED, NESTWARDEN_OBJECT_KIND="dvport")
        self.assertEqual((e["NESTWARDEN_OBJECT"], e["NESTWARDEN_CHECK"], e["NESTWARDEN_BEFORE"],
                          e["NESTWARDEN_AFTER"]), ("%s/%s" % (before["dvs"], before["key"]), "forged_transmits",
                                                   "false", "true"))
        self.assertRegex(e["NESTWARDEN_TASK"], r"^task-\d+$")
        self.assertEqual(port_findings(self.check(self.scn.config("after.conf"))), [])

    def test_excluding_the_vm_excludes_its_port(self):
        before = mutate.port_state(self.si, self.vm)
        p = nw("fix", "--config", self.scn.config("fix.conf", remediation__exclude="hv-port-11",
                                                  remediation__max_changes_per_pass="100"))
        self.assertRegex(p.stdout, r"hv-port-11 Network.*left alone \(excluded\)")
        self.assertEqual(mutate.port_state(self.si, self.vm), before)

    def test_run_sees_port_drift_come_and_go(self):
        conf = self.scn.config(daemon__port_refresh="10")
        start_ready(self, conf)
        dvs, key, _ = mutate.vm_nic_port(self.si, self.vm)
        port = "%s/%s" % (dvs, key)
        (e,) = self.journal.wait_for(1, MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=port)
        self.assertEqual((e["NESTWARDEN_OBJECT_KIND"], e["NESTWARDEN_CHECK"]), ("dvport", "forged_transmits"))
        self.assertIn("DV port hv-port-11 Network adapter 1", e["MESSAGE"])
        (n,) = self.journal.wait_for(1, MESSAGE_ID=OVERRIDE_ALLOWED)
        self.assertEqual(n["NESTWARDEN_OBJECT_NAME"], "pg-ml-override")
        # Changed on the port alone: no change feed, so seen at the next port_refresh.
        mutate.set_port_mac_policy(self.si, self.vm, forged_transmits=True)
        (r,) = self.journal.wait_for(1, timeout=40, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=port)
        self.assertEqual(r["NESTWARDEN_ACTUAL"], "true")
        # And back: drift again, and the notice still said once only.
        mutate.set_port_mac_policy(self.si, self.vm, forged_transmits=False)
        self.journal.wait_for(2, timeout=40, MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=port)
        self.assertEqual(len(self.journal.entries(MESSAGE_ID=OVERRIDE_ALLOWED)), 1)


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
