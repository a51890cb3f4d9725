"""What `nestwarden run`'s tag refresh costs vCenter, counted by the scenario itself (its log of
nestwarden's vAPI requests), among 200 other categories of 20 tags each: the first resolution walks
categories and tags by name; every refresh after it is at most 2 requests. A tag deleted while run
watches is looked up by name again and is the usual CONFIG_PROBLEM; re-created, it is found again.
A renamed tag or category is noticed at the next full gather, which reads both by id."""
import os
import sys
import time
import unittest
import urllib.parse

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
import mutate  # noqa: E402
import testmain  # noqa: E402
from daemon import start_ready  # noqa: E402
from events import CONFIG_PROBLEM, LOST, TAGGED, UNTAGGED  # noqa: E402
from scenario import PASSWORD, USER, Scenario  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")
EXTRA = ("-extra-categories", "200", "-tags-per-category", "20")
TAGGING = "/rest/com/vmware/cis/tagging/"
LISTING = "POST " + TAGGING + "tag-association?~action=list-attached-objects-on-tags"
GAP = 1.0  # seconds: a refresh's requests come back to back, refreshes 5 s apart


def bursts(requests, after=0.0):
    """The requests (the scenario's log) from after on, grouped into runs with less than GAP between."""
    out = []
    for r in requests or []:
        if r["t"] < after:
            continue
        if out and r["t"] - out[-1][-1]["t"] < GAP:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def routes(burst):
    return ["%s %s" % (r["method"], r["route"]) for r in burst]


class TagRefreshTest(unittest.TestCase):
    def setUp(self):
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)

    def scenario(self):
        scn = Scenario(*EXTRA)
        self.addCleanup(scn.stop)
        self.vapi = mutate.Vapi(scn.url, USER, PASSWORD, scn.ca_file)
        self.addCleanup(self.vapi.close)
        return scn

    def steady(self, scn, after, refreshes=3, timeout=40):
        """Waits for refreshes bursts after `after` and asserts each is the one listing."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = bursts(scn.vapi_requests()["requests"], after)
            if len(got) >= refreshes:
                break
            time.sleep(0.5)
        self.assertGreaterEqual(len(got), refreshes, got)
        for b in got:
            self.assertEqual(routes(b), [LISTING], b)
        return got

    def test_refresh_costs_one_request_among_4000_tags(self):
        scn = self.scenario()
        d = start_ready(self, scn.config(), tag_refresh=5)
        log = scn.vapi_requests()
        first = bursts(log["requests"])[0]
        r = routes(first)
        # The walk: the session, the category list, categories by id up to "nested", its tags,
        # tags by id up to "nested-hyperv", then the listing. The order is the server's.
        n_cat, n_tag = r.count("GET " + TAGGING + "category/id:{id}"), r.count("GET " + TAGGING + "tag/id:{id}")
        self.assertEqual(r[0], "POST /rest/com/vmware/cis/session")
        self.assertEqual(r.count("GET " + TAGGING + "category"), 1)
        self.assertEqual(r.count("POST " + TAGGING + "tag/id:{id}?~action=list-tags-for-category"), 1)
        self.assertEqual(r[-1], LISTING)
        self.assertEqual(len(r), 1 + 1 + n_cat + 1 + n_tag + 1, r)
        self.assertTrue(1 <= n_cat <= 202 and 1 <= n_tag <= 3, r)
        print("initial resolution: %d vAPI requests (%d categories, %d tags read by id)" % (len(r), n_cat, n_tag))

        got = self.steady(scn, first[-1]["t"] + GAP, refreshes=4)
        gaps = [b[0]["t"] - a[0]["t"] for a, b in zip(got, got[1:])]
        for g in gaps:
            self.assertAlmostEqual(g, 5.0, delta=1.5)
        print("refreshes: %s requests each" % [len(b) for b in got])
        self.assertEqual(self.journal.entries(MESSAGE_ID=CONFIG_PROBLEM), [])
        self.assertIsNone(d.proc.poll())

    def test_tag_deleted_then_recreated(self):
        scn = self.scenario()
        cid = self.category_id("nested")
        tid = self.vapi.tag_id("nested", "nested-hyperv")
        vms = sorted(self.vapi.attached("nested", "nested-hyperv"))
        d = start_ready(self, scn.config(), tag_refresh=5)
        self.steady(scn, bursts(scn.vapi_requests()["requests"])[0][-1]["t"] + GAP, refreshes=1)

        t_del = scn.vapi_requests()["now"]
        self.vapi.call("DELETE", TAGGING + "tag/id:" + urllib.parse.quote(tid, safe=""))
        (e,) = self.journal.wait_for(1, MESSAGE_ID=CONFIG_PROBLEM, timeout=20)
        self.assertIn("tag 'nested-hyperv' does not exist in category 'nested'", e["NESTWARDEN_DETAIL"])
        # The listing by the old id came back empty, one GET of the tag said it is gone (404), and only
        # then the walk by name.
        b = bursts(scn.vapi_requests()["requests"], t_del)[0]
        r = routes(b)
        self.assertEqual(r[:3], [LISTING, "GET " + TAGGING + "tag/id:{id}", "GET " + TAGGING + "category"], r)
        self.assertEqual(b[1]["status"], 404)
        self.assertNotIn(LISTING, r[1:])

        new = self.vapi.call("POST", TAGGING + "tag", {"create_spec": {"name": "nested-hyperv", "category_id": cid,
                                                                       "description": ""}})
        self.vapi.call("POST", TAGGING + "tag-association/id:%s?~action=attach-tag-to-multiple-objects"
                       % urllib.parse.quote(new, safe=""),
                       {"object_ids": [{"type": "VirtualMachine", "id": vm} for vm in vms]})
        deadline = time.monotonic() + 30
        while "resolved: tag 'nested-hyperv' does not exist" not in d.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIn("resolved: tag 'nested-hyperv' does not exist", d.stderr())
        # The same VMs again: no entered or left, no outage, one CONFIG_PROBLEM; refreshes back to one request.
        self.steady(scn, scn.vapi_requests()["now"], refreshes=2)
        self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
        self.assertEqual(self.journal.entries(MESSAGE_ID=TAGGED), [])
        self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
        self.assertEqual(len(self.journal.entries(MESSAGE_ID=CONFIG_PROBLEM)), 1)
        self.assertIsNone(d.proc.poll())

    def test_tag_renamed_is_noticed_at_the_full_gather(self):
        scn = self.scenario()
        tid = urllib.parse.quote(self.vapi.tag_id("nested", "nested-hyperv"), safe="")
        d = start_ready(self, scn.config(daemon__interval="30"), tag_refresh=5)
        t0 = time.monotonic()
        self.vapi.call("PATCH", TAGGING + "tag/id:" + tid, {"update_spec": {"name": "hv-renamed"}})
        # Until the full gather, the listing by id still names the same VMs: nothing to say.
        (e,) = self.journal.wait_for(1, MESSAGE_ID=CONFIG_PROBLEM, timeout=45)
        self.assertLess(time.monotonic() - t0, 40)
        self.assertIn("tag 'nested-hyperv' does not exist in category 'nested'", e["NESTWARDEN_DETAIL"])
        self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])

        self.vapi.call("PATCH", TAGGING + "tag/id:" + tid, {"update_spec": {"name": "nested-hyperv"}})
        deadline = time.monotonic() + 30
        while "resolved: tag 'nested-hyperv' does not exist" not in d.stderr() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIn("resolved: tag 'nested-hyperv' does not exist", d.stderr())
        self.assertEqual(self.journal.entries(MESSAGE_ID=UNTAGGED), [])
        self.assertEqual(self.journal.entries(MESSAGE_ID=LOST), [])
        self.assertIsNone(d.proc.poll())

    def category_id(self, name):
        for cid in self.vapi.call("GET", TAGGING + "category"):
            if self.vapi.call("GET", TAGGING + "category/id:" + urllib.parse.quote(cid, safe=""))["name"] == name:
                return cid
        raise LookupError(name)


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
