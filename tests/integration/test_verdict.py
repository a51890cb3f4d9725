"""Verdict integrity for the one-shot commands: what nestwarden could not read is never "compliant".

The scenario serves what vCenter answers for objects the account may not read (-deny: a missingSet
with NoPermission per property, or the object left out), for an object deleted between the tag
listing and the read (a real deletion: ManagedObjectNotFound), an empty RetrievePropertiesEx reply
and a continuation token without end. `check` and `fix` must say what they could not read, exit 3
(UNKNOWN) and still report everything they did read."""
import json
import os
import subprocess
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import mutate  # noqa: E402
import testmain  # noqa: E402
from faultproxy import FaultProxy, rewrite  # noqa: E402
from scenario import PASSWORD, USER, Scenario  # noqa: E402

NW = os.environ["NW_BIN"]


def run(*args, timeout=60):
    return subprocess.run([NW, *args], capture_output=True, text=True, timeout=timeout)


def compared(findings):
    keys = ("object", "kind", "name", "check", "expected", "actual")
    return sorted(({k: f[k] for k in keys} for f in findings), key=lambda f: (f["object"], f["check"]))


def truth_without(truth, objects):
    return [f for f in truth["findings"] if f["object"] not in objects]


class CheckTest(unittest.TestCase):
    def check_json(self, conf):
        p = run("check", "--json", "--config", conf)
        self.assertNotEqual(p.stdout, "", p.stderr)
        return p, json.loads(p.stdout)

    def unreadable(self, doc):
        return [f for f in doc["findings"] + doc["template_findings"] if f["check"] == "unreadable"]

    def test_vm_without_permission(self):
        with Scenario(deny={"no_permission": ["hv-off-03"]}) as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["hv-off-03"]
            p, doc = self.check_json(scn.config())
            self.assertEqual(p.returncode, 3, p.stderr)
            (u,) = self.unreadable(doc)
            self.assertEqual({k: u[k] for k in ("object", "kind", "name", "check", "expected", "actual")},
                             {"object": vm, "kind": "vm", "name": vm, "check": "unreadable", "expected": "readable",
                              "actual": "NoPermission"})
            hint = u["hint"]
            self.assertRegex(hint, r"^NoPermission on [a-zA-Z.]+: grant System.Read on the VM, or untag it$")
            # Everything else was read and reported as the truth says.
            got = [f for f in doc["findings"] if f["check"] != "unreadable"]
            self.assertEqual(compared(got), compared(truth_without(scn.truth, {vm})))
            self.assertEqual(doc["checked"]["vms"], scn.truth["checked"]["vms"] - 1)
            self.assertEqual(doc["checked"]["unreadable"], 1)
            # The table says it in words.
            p = run("check", "--config", scn.config())
            self.assertEqual(p.returncode, 3)
            self.assertIn("1 object could not be read: compliance unknown", p.stdout)

    def test_every_vm_unreadable_is_not_compliant(self):
        with Scenario(deny={}) as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            tagged = [n for n in mutate.morefs(si, mutate.vim.VirtualMachine) if n.startswith("hv-")]
            n = len(tagged)
            self.assertEqual(n, scn.truth["checked"]["vms"] + scn.truth["checked"]["templates"])
            scn.deny({"no_permission": tagged})
            p = run("check", "--config", scn.config())
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            # The portgroups they lead to were read (the traversal does not need the VMs' rights
            # in the scenario) and are judged; no VM was.
            self.assertIn("checked 0 VMs, 0 templates, ", p.stdout)
            self.assertIn("%d objects could not be read: compliance unknown" % n, p.stdout)
            self.assertNotIn(": compliant", p.stdout)

    def test_vm_left_out(self):
        with Scenario(deny={"hidden": ["hv-off-03"]}) as scn:
            p, doc = self.check_json(scn.config())
            self.assertEqual(p.returncode, 3, p.stderr)
            (u,) = self.unreadable(doc)
            self.assertEqual((u["kind"], u["actual"]), ("vm", "missing"))
            self.assertTrue(u["hint"].startswith("not returned by vCenter: "), u)

    def test_vm_deleted_between_tags_and_read(self):
        with Scenario(deny={}) as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["hv-off-03"]
            obj = mutate.vim.VirtualMachine(vm, si._stub)
            mutate.wait_task(obj.Destroy_Task())
            # The tag listing still names it (as it would in the moment between listing and reading).
            p, doc = self.check_json(scn.config())
            self.assertEqual(p.returncode, 3, p.stderr)
            (u,) = self.unreadable(doc)
            self.assertEqual((u["object"], u["kind"], u["actual"]), (vm, "vm", "ManagedObjectNotFound"))
            self.assertIn("deleted while nestwarden read it", u["hint"])

    def test_switch_and_host_without_permission(self):
        with Scenario(deny={}) as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            hosts = mutate.morefs(si, mutate.vim.HostSystem)
            host_name, host = sorted(hosts.items())[0]
            scn.deny({"no_permission": ["dvs-66", host_name]})
            p, doc = self.check_json(scn.config())
            self.assertEqual(p.returncode, 3, p.stderr)
            kinds = sorted((u["kind"], u["actual"]) for u in self.unreadable(doc))
            self.assertEqual(kinds, [("host", "NoPermission"), ("switch", "NoPermission")])
            # Nothing is judged on what depends on them: no pg-ml-* finding, no portgroup of that host.
            for f in doc["findings"]:
                if f["check"] == "unreadable":
                    continue
                self.assertFalse(f["name"].startswith("pg-ml-"), f)
                self.assertFalse(f["object"].startswith(host + "/"), f)

    def test_portgroup_without_permission(self):
        with Scenario(deny={"no_permission": ["pg-ml-off"]}) as scn:
            p, doc = self.check_json(scn.config())
            self.assertEqual(p.returncode, 3, p.stderr)
            (u,) = self.unreadable(doc)
            self.assertEqual((u["kind"], u["actual"]), ("dvportgroup", "NoPermission"))
            self.assertNotIn("pg-ml-off", [f["name"] for f in doc["findings"] if f["check"] != "unreadable"])

    def test_empty_reply_is_an_error(self):
        with Scenario(deny={"empty_reply": True}) as scn:
            p = run("check", "--config", scn.config())
            self.assertEqual(p.returncode, 3)
            self.assertEqual(p.stdout, "")
            tagged = scn.truth["checked"]["vms"] + scn.truth["checked"]["templates"]
            self.assertIn("RetrievePropertiesEx: empty reply for %d objects asked for" % tagged, p.stderr)

    def test_endless_paging_is_bounded(self):
        with Scenario(deny={"endless_token": True}) as scn:
            p = run("check", "--config", scn.config(vcenter__page_size="2"), timeout=30)
            self.assertEqual(p.returncode, 3)
            self.assertIn("ContinueRetrievePropertiesEx: 4 pages in a row without a new object", p.stderr)

    def test_object_returned_twice_counts_once(self):
        with Scenario() as scn:
            def twice(body):
                # The first object of every page again, at the end of the same page.
                start = body.find(b"<objects>")
                end = body.find(b"</objects>", start) + len(b"</objects>")
                if start >= 0:
                    last = body.rfind(b"</objects>") + len(b"</objects>")
                    body = body[:last] + body[start:end] + body[last:]
                return body
            with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
                rid = proxy.add_rule("RetrievePropertiesEx", rewrite(twice))
                conf = scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file)
                p, doc = self.check_json(conf)
                self.assertGreater(proxy.hits(rid), 0)
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertEqual(doc["checked"], dict(scn.truth["checked"], unreadable=0))
                self.assertEqual(compared(doc["findings"]), compared(scn.truth["findings"]))

    def test_tag_without_vms(self):
        with Scenario() as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vm = mutate.morefs(si, mutate.vim.VirtualMachine)["plain-03"]
            mutate.untag(scn.url, USER, PASSWORD, vm, "nested", "other", ca_file=scn.ca_file)
            p = run("check", "--config", scn.config(selection__tag="other"))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("nestwarden: warning: tag nested/other is attached to no VM", p.stderr)
            self.assertIn("checked 0 VMs, 0 templates, 0 portgroups: compliant", p.stdout)


class FixTest(unittest.TestCase):
    def test_fix_never_acts_on_what_it_could_not_read(self):
        for rule, fault in (("no_permission", "NoPermission"), ("hidden", "missing")):
            with self.subTest(rule=rule):
                self.fix_leaves_alone(rule, fault)

    def fix_leaves_alone(self, rule, fault):
        with Scenario(deny={rule: ["hv-off-03"]}) as scn:
            si = mutate.connect(scn.url, USER, scn.password_file, scn.ca_file)
            vms = mutate.morefs(si, mutate.vim.VirtualMachine)
            conf = scn.config()
            with open(conf, "a") as f:
                f.write("[remediation]\nmax_changes_per_pass = 100\n")
            p = run("fix", "--config", conf)
            self.assertEqual(p.returncode, 3, p.stdout + p.stderr)
            line = [x for x in p.stdout.splitlines() if x.startswith(vms["hv-off-03"] + " ")]
            self.assertEqual(len(line), 1, p.stdout)
            self.assertIn("unreadable", line[0])
            self.assertIn("not read (%s)" % fault, line[0])
            self.assertIn("1 object could not be read: compliance unknown", p.stdout)
            # Left as it was; a readable VM with the same drift was fixed in the same pass.
            scn.deny({})
            props = mutate.props(si, mutate.vim.VirtualMachine(vms["hv-off-03"], si._stub), ["config.nestedHVEnabled"])
            self.assertFalse(props.get("config.nestedHVEnabled"))
            props = mutate.props(si, mutate.vim.VirtualMachine(vms["hv-unset-04"], si._stub), ["config.nestedHVEnabled"])
            self.assertTrue(props.get("config.nestedHVEnabled"))


if __name__ == "__main__":
    testmain.main()
