"""Hostile and broken replies: the fault-injecting proxy between nestwarden and the scenario."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import testmain  # noqa: E402
from faultproxy import FaultProxy, reply, rewrite  # noqa: E402
from scenario import Scenario, run_check  # noqa: E402


class ProxyTest(unittest.TestCase):
    """The proxy itself: transparent when no rule matches, rules fire exactly as often as asked."""

    @classmethod
    def setUpClass(cls):
        cls.scn = Scenario()
        try:
            cls.proxy = FaultProxy(cls.scn.url, ca_file=cls.scn.ca_file, tmp=cls.scn.tmp)
        except Exception:
            cls.scn.stop()
            raise
        cls.conf = cls.scn.config("proxy.conf", vcenter__url=cls.proxy.url, vcenter__ca_file=cls.proxy.ca_file)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.stop()
        cls.scn.stop()

    def setUp(self):
        self.proxy.clear()

    def test_transparent(self):
        del self.proxy.requests[:]
        rc, out, err = run_check(self.conf, "--json")
        self.assertEqual(rc, 1, err)
        doc = json.loads(out)
        self.assertEqual(doc["vcenter"], self.proxy.url)
        self.assertEqual(doc["checked"], self.scn.truth["checked"])
        seen = [k for k, _ in self.proxy.requests]
        # SOAP calls are named by method; the session cookie made it through (Logout after the reads).
        for method in ("RetrieveServiceContent", "Login", "RetrievePropertiesEx", "Logout"):
            self.assertIn(method, seen)
        self.assertTrue(any("tag-association" in k for k in seen), seen)
        self.assertTrue(all(status == 200 for k, status in self.proxy.requests if not k.startswith("/api")),
                        self.proxy.requests)

    def test_times_and_hits(self):
        rid = self.proxy.add_rule("RetrievePropertiesEx", reply(503, "<html><body>busy</body></html>"), times=1)
        rc, out, err = run_check(self.conf)
        self.assertEqual(rc, 3, out + err)
        self.assertIn("RetrievePropertiesEx", err)
        self.assertEqual(self.proxy.hits(rid), 1)
        # Spent: the next run goes through.
        rc, out, err = run_check(self.conf)
        self.assertEqual(rc, 1, err)
        self.assertEqual(self.proxy.hits(rid), 1)

    def test_rewrite_of_the_real_answer(self):
        rid = self.proxy.add_rule("RetrievePropertiesEx", rewrite(lambda b: b.replace(b"hv-off-02", b"hv-RENAMED")))
        rc, out, err = run_check(self.conf)
        self.assertEqual(rc, 1, err)
        self.assertIn("hv-RENAMED", out)
        self.assertNotIn("hv-off-02", out)
        self.assertGreaterEqual(self.proxy.hits(rid), 1)
        self.proxy.remove_rule(rid)
        rc, out, err = run_check(self.conf)
        self.assertIn("hv-off-02", out)


if __name__ == "__main__":
    testmain.main()
