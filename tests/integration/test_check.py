"""`nestwarden check` against the simulator scenario: the report equals the ground truth, paging
works, and every way of failing to check gives exit 3 with one clear line."""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import testmain  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from scenario import PASSWORD, Scenario, run_check  # noqa: E402

COMPARED = ("object", "kind", "name", "check", "expected", "actual")


def strip(findings):
    return sorted(({k: f[k] for k in COMPARED} for f in findings),
                  key=lambda f: (f["object"], f["check"]))


class CheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scn = Scenario()

    @classmethod
    def tearDownClass(cls):
        cls.scn.stop()

    def assertNoSecret(self, *texts):
        for t in texts:
            self.assertNotIn(PASSWORD, t)

    def check_json(self, **overrides):
        rc, out, err = run_check(self.scn.config(**overrides), "--json", "--stats")
        self.assertNoSecret(out, err)
        self.assertEqual(rc, 1, err)
        return json.loads(out), err

    def test_json_equals_ground_truth(self):
        doc, _ = self.check_json()
        truth = self.scn.truth
        self.assertEqual(doc["vcenter"], self.scn.url)
        self.assertEqual(doc["checked"], truth["checked"])
        self.assertEqual(strip(doc["findings"]), strip(truth["findings"]))
        self.assertEqual(strip(doc["template_findings"]), strip(truth["template_findings"]))
        for f in doc["findings"] + doc["template_findings"]:
            self.assertTrue(f["hint"], f)
        # The curated inventory exercises every check at least once.
        checks = {f["check"] for f in doc["findings"] + doc["template_findings"]}
        self.assertEqual(checks, {"nested_hv", "nested_hv_supported", "mac_learning", "promiscuous",
                                  "forged_transmits", "mac_changes", "mac_learning_limit"})

    def test_paging_gives_the_same_answer_in_more_requests(self):
        big, err_big = self.check_json(vcenter__page_size="1000")
        small, err_small = self.check_json(vcenter__page_size="2")
        self.assertEqual(big, small)
        req = lambda err: int(re.search(r"(\d+) HTTP requests", err).group(1))  # noqa: E731
        # Each page beyond the first is one ContinueRetrievePropertiesEx.
        self.assertGreater(req(err_small), req(err_big) + 3)

    def test_blast_radius_read_only_for_a_plan(self):
        # Who else sits on a portgroup (Network.vm) grows with the whole inventory and only a fix's
        # shared-portgroup rail reads it: check leaves it out, fix --dry-run asks for it.
        proxy = FaultProxy(self.scn.url, ca_file=self.scn.ca_file, tmp=self.scn.tmp)
        try:
            bodies = []

            def keep(req):
                bodies.append(req.body)
                return req.forward()

            proxy.add_rule("RetrievePropertiesEx", keep)
            conf = self.scn.config("proxied.conf", vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file)
            rc, out, err = run_check(conf, "--json")
            self.assertEqual(rc, 1, err)
            self.assertEqual(strip(json.loads(out)["findings"]), strip(self.scn.truth["findings"]))
            self.assertTrue(bodies)
            self.assertFalse([b for b in bodies if b"<pathSet>vm</pathSet>" in b])
            del bodies[:]
            p = subprocess.run([os.environ["NW_BIN"], "fix", "--dry-run", "--config", conf], capture_output=True,
                               text=True, timeout=120)
            self.assertIn(p.returncode, (0, 1), p.stderr)
            self.assertTrue([b for b in bodies if b"<pathSet>vm</pathSet>" in b])
        finally:
            proxy.stop()

    def test_table(self):
        rc, out, err = run_check(self.scn.config())
        self.assertEqual(rc, 1, err)
        self.assertNoSecret(out, err)
        for name in ("hv-off-02", "hv-unset-04", "pg-ml-off", "pg-legacy-noforge", "VM Network", "hv-tmpl-10"):
            self.assertIn(name, out)
        for name in ("hv-ok-01", "plain-01", "pg-untagged-only", "pg-nsx"):
            self.assertNotIn(name, out)
        self.assertRegex(out.splitlines()[-1], r"checked \d+ VMs?")

    def assertUnknown(self, rc, out, err, pattern):
        self.assertEqual(rc, 3, out + err)
        self.assertEqual(out, "")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], pattern)
        self.assertNoSecret(out, err)

    def test_wrong_password(self):
        pw = os.path.join(self.scn.tmp, "wrong.password")
        with open(os.open(pw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write("not-the-password\n")
        rc, out, err = run_check(self.scn.config("wrong.conf", vcenter__password_file=pw))
        self.assertUnknown(rc, out, err, r"InvalidLogin")
        self.assertNotIn("not-the-password", err)

    def test_unknown_tag(self):
        rc, out, err = run_check(self.scn.config("tag.conf", selection__tag="no-such-tag"))
        self.assertUnknown(rc, out, err, r"tag 'no-such-tag' does not exist in category 'nested'")

    def test_unknown_category(self):
        rc, out, err = run_check(self.scn.config("cat.conf", selection__tag_category="nope"))
        self.assertUnknown(rc, out, err, r"tag category 'nope' does not exist")

    def test_tag_resolved_within_its_category(self):
        # "env" also has a tag named nested-hyperv, attached to nothing we check.
        rc, out, err = run_check(self.scn.config("env.conf", selection__tag_category="env"), "--json")
        self.assertIn(rc, (0, 1), err)
        doc = json.loads(out)
        self.assertNotEqual(doc["checked"], self.scn.truth["checked"])

    def test_unreachable(self):
        rc, out, err = run_check(self.scn.config("unreach.conf", vcenter__url="https://127.0.0.1:1/sdk"))
        self.assertUnknown(rc, out, err, r"127\.0\.0\.1:1.*(refused|connect)")

    def test_untrusted_certificate(self):
        rc, out, err = run_check(self.scn.config("tls.conf", vcenter__ca_file=None))
        self.assertUnknown(rc, out, err, r"(?i)certificate|SSL")

    def test_insecure_warns_and_works(self):
        rc, out, err = run_check(self.scn.config("insecure.conf", vcenter__ca_file=None, vcenter__insecure="yes"),
                                 "--json")
        self.assertEqual(rc, 1, err)
        self.assertIn("TLS verification is off", err)
        self.assertEqual(json.loads(out)["checked"], self.scn.truth["checked"])

    def test_bad_config(self):
        path = self.scn.config("bad.conf", policy__mac_learning="maybe")
        rc, out, err = run_check(path)
        self.assertUnknown(rc, out, err, re.escape(path) + r":\d+: .*mac_learning")


class VAPIFlavourTest(unittest.TestCase):
    """vCenter 7.0U2+ serves tagging at /api (replies unwrapped): alone (-vapi api, every /rest path
    404), or beside /rest (-vapi both, vCenter 7.0U2-8), where the client must not fall back."""

    def check_flavour(self, flavour):
        # -v: the scenario logs each /api request with its status.
        with Scenario("-vapi", flavour, "-v") as scn:
            rc, out, err = run_check(scn.config(), "--json", "--stats")
            self.assertNotIn(PASSWORD, out + err)
            self.assertEqual(rc, 1, err)
            doc = json.loads(out)
            truth = scn.truth
            self.assertEqual(doc["vcenter"], scn.url)
            self.assertEqual(doc["checked"], truth["checked"])
            self.assertEqual(strip(doc["findings"]), strip(truth["findings"]))
            self.assertEqual(strip(doc["template_findings"]), strip(truth["template_findings"]))
            with open(os.path.join(scn.tmp, "scenario.log")) as f:
                log = f.read()
            # The tags came over /api, the session ended there: no fallback to /rest.
            for line in ("vAPI POST /api/session: 201",
                         "vAPI POST /api/cis/tagging/tag-association?action=list-attached-objects-on-tags: 200",
                         "vAPI DELETE /api/session: 204"):
                self.assertIn(line, log)

            rc, out, err = run_check(scn.config("tag.conf", selection__tag="no-such-tag"))
            self.assertEqual(rc, 3, out + err)
            self.assertRegex(err, r"tag 'no-such-tag' does not exist in category 'nested'")
            rc, out, err = run_check(scn.config("cat.conf", selection__tag_category="nope"))
            self.assertEqual(rc, 3, out + err)
            self.assertRegex(err, r"tag category 'nope' does not exist")

    def test_api_only(self):
        self.check_flavour("api")

    def test_api_and_rest(self):
        self.check_flavour("both")


class ScaleTest(unittest.TestCase):
    """A generated inventory: hundreds of tagged VMs over many hosts and portgroups, read in small pages."""

    def test_generated_inventory_equals_ground_truth(self):
        with Scenario("-vms", "1500", "-tagged", "300", "-hosts", "6", "-portgroups", "20", "-seed", "7") as scn:
            rc, out, err = run_check(scn.config(vcenter__page_size="7"), "--json", "--stats")
            self.assertIn(rc, (0, 1), err)
            doc = json.loads(out)
            self.assertEqual(doc["checked"], scn.truth["checked"])
            self.assertEqual(doc["checked"]["vms"] + doc["checked"]["templates"], 300)
            self.assertEqual(strip(doc["findings"]), strip(scn.truth["findings"]))
            self.assertEqual(strip(doc["template_findings"]), strip(scn.truth["template_findings"]))
            # Never one request per VM: the request count does not grow with the VM count, only with pages.
            requests = int(re.search(r"(\d+) HTTP requests", err).group(1))
            self.assertLess(requests, 300 // 7 + 60)

    def test_requests_name_at_most_1000_objects(self):
        # 2,300 tagged VMs: named in three RetrievePropertiesEx of at most 1,000 (the request, too, is
        # bounded by a page), and the verdict is the same as from one.
        with Scenario("-vms", "2600", "-tagged", "2300", "-hosts", "4", "-seed", "3") as scn:
            proxy = FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp)
            try:
                named = []

                def count(req):
                    named.append(req.body.count(b'<obj type="VirtualMachine">'))
                    return req.forward()

                proxy.add_rule("RetrievePropertiesEx", count)
                rc, out, err = run_check(scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file),
                                         "--json")
            finally:
                proxy.stop()
            self.assertIn(rc, (0, 1), err)
            doc = json.loads(out)
            self.assertEqual(doc["checked"], scn.truth["checked"])
            self.assertEqual(strip(doc["findings"]), strip(scn.truth["findings"]))
            self.assertLessEqual(max(named), 1000, named)
            self.assertEqual(named[:3], [1000, 1000, 300], named)


if __name__ == "__main__":
    testmain.main()
