"""[vcenter] annotate end to end: `nestwarden run` (mode = remediate) against the scenario tells vCenter
each transition as a GeneralUserEvent on its object and keeps each tagged VM's state in a custom
attribute; both read back through pyVmomi (QueryEvents filtered by entity, VirtualMachine.customValue)
after a drift, a fix and a resolution. With annotate = no nothing is logged or set; without the
privileges (NoPermission from a fault proxy) one warning each, and the service goes on."""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "scenario"))
import journald  # noqa: E402
import testmain  # noqa: E402
from daemon import Daemon  # noqa: E402
from faultproxy import FaultProxy, reply  # noqa: E402
from scenario import PASSWORD, USER, Scenario  # noqa: E402
from events import DRIFT, RESOLVED, TAGGED, UNTAGGED  # noqa: E402

DRY_RUN = "64cc6776d1af4a7f9e150724c1d946f1"
OVERRIDE_ALLOWED = "f1991d3e045446a3a2076282c3075723"   # a notice, not a transition vCenter is told

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")


def no_permission(method):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
            '<faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was '
            'denied.</faultstring><detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission">'
            '<object type="Folder">group-d1</object><privilegeId>%s</privilegeId></NoPermissionFault>'
            '</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>' % method)


class Base(unittest.TestCase):
    def setUp(self):
        import mutate
        self.mutate = mutate
        self.vim = mutate.vim
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)
        self.scn = Scenario()
        self.addCleanup(self.scn.stop)
        self.si = mutate.connect(self.scn.url, USER, self.scn.password_file, self.scn.ca_file)
        view = self.si.content.viewManager.CreateContainerView(self.si.content.rootFolder,
                                                               [self.vim.ManagedEntity], True)
        self.ids = {}
        for o in view.view:
            self.ids.setdefault(o.name, o._moId)
        view.Destroy()

    def start(self, conf, mode="report", exclude="", tag_refresh=60):
        with open(conf, "a") as f:
            f.write("[daemon]\nmode = %s\ntag_refresh = %d\n" % (mode, tag_refresh))
            if exclude:
                f.write("[remediation]\nexclude = %s\n" % exclude)
        d = Daemon(conf, watchdog_usec=10_000_000)
        self.addCleanup(d.close)
        self.addCleanup(lambda: sys.stderr.write("daemon stderr:\n" + d.stderr()) if os.environ.get("NW_VERBOSE") else None)
        d.notify.wait_for("READY", "1", timeout=60)
        return d

    def entity(self, name):
        moref = self.ids[name]
        for cls in (self.vim.VirtualMachine, self.vim.dvs.DistributedVirtualPortgroup, self.vim.HostSystem):
            obj = cls(moref, self.si._stub)
            try:
                obj.name
                return obj
            except Exception:
                continue
        raise LookupError(name)

    def told(self, name):
        """nestwarden's messages logged on the object, oldest first (QueryEvents filtered by entity)."""
        spec = self.vim.event.EventFilterSpec(
            entity=self.vim.event.EventFilterSpec.ByEntity(entity=self.entity(name), recursion="self"),
            eventTypeId=["GeneralUserEvent"], maxCount=1000)
        events = self.si.content.eventManager.QueryEvents(spec) or []
        got = [e for e in events if isinstance(e, self.vim.event.GeneralUserEvent)]
        got.sort(key=lambda e: e.key)
        return [e.message for e in got]

    def all_told(self):
        spec = self.vim.event.EventFilterSpec(eventTypeId=["GeneralUserEvent"], maxCount=1000)
        events = self.si.content.eventManager.QueryEvents(spec) or []
        return [e.message for e in events if isinstance(e, self.vim.event.GeneralUserEvent)]

    def field_key(self, name="nestwarden"):
        for f in self.si.content.customFieldsManager.field or []:
            if f.name == name:
                return f.key
        return None

    def status(self, vm):
        key = self.field_key()
        for v in self.vim.VirtualMachine(self.ids[vm], self.si._stub).customValue or []:
            if v.key == key:
                return v.value
        return None

    def wait(self, what, want, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            got = what()
            if got == want:
                return got
            if time.monotonic() > deadline:
                self.assertEqual(got, want)
            time.sleep(0.2)

    def wait_told(self, name, text, count=1, timeout=20):
        """Waits until text appears count times among the messages on the object; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.told(name)
            if sum(1 for m in msgs if m == text) >= count:
                return msgs
            if time.monotonic() > deadline:
                self.fail("no %r (x%d) on %s; told: %r" % (text, count, name, msgs))
            time.sleep(0.2)


class AnnotateTest(Base):
    def test_events_and_status_follow_drift_fix_and_resolution(self):
        scn, m = self.scn, self.mutate
        # A small tagged set, so that the baseline stays under the rate limit: hv-ok-01 (compliant, on
        # pg-ml-ok and pg-legacy-ok) and hv-off-02 (powered on, nested HV off, on pg-ml-off).
        for vm in ("hv-ok-01", "hv-off-02"):
            m.tag(scn.url, USER, PASSWORD, self.ids[vm], "env", "nested-hyperv", ca_file=scn.ca_file)
        # Someone's own attribute on a VM: nestwarden must leave it alone.
        owner = self.si.content.customFieldsManager.AddFieldDefinition(name="owner", moType=self.vim.VirtualMachine)
        self.si.content.customFieldsManager.SetField(entity=self.entity("hv-ok-01"), key=owner.key, value="lab team")

        conf = scn.config(vcenter__annotate="yes", selection__tag_category="env")
        d = self.start(conf, mode="remediate", exclude="pg-ml-ok", tag_refresh=5)

        # Baseline: pg-ml-off drifts and is fixed at once; hv-off-02 waits for a power-off.
        self.wait_told("pg-ml-off", "nestwarden: resolved: mac_learning on pg-ml-off is true again")
        self.assertEqual([re.sub(r"task-\d+", "task-N", t) for t in self.told("pg-ml-off")], [
            "nestwarden: MAC learning off on pg-ml-off; nested Hyper-V guests lose their network",
            "nestwarden: fixed mac_learning on pg-ml-off: false -> true (task-N)",
            "nestwarden: resolved: mac_learning on pg-ml-off is true again"])
        msgs = self.wait_told("hv-off-02", "nestwarden: nested HV not exposed on hv-off-02 (false); Hyper-V "
                                           "inside it cannot start")
        self.assertEqual(len(msgs), 2, msgs)
        self.assertTrue(msgs[1].startswith("nestwarden: drift on hv-off-02 left as it is (pending-power-off)"), msgs)
        self.assertEqual(self.wait(lambda: self.status("hv-off-02"), "pending power-off"), "pending power-off")
        self.assertEqual(self.status("hv-ok-01"), "compliant")
        self.assertEqual(self.told("hv-ok-01"), [])

        # A drift nestwarden may not fix (excluded): on the portgroup, and in hv-ok-01's status.
        pg = self.ids["pg-ml-ok"]
        m.set_dvpg_mac_policy(self.si, pg, allow_promiscuous=True)
        self.journal.wait_for(1, MESSAGE_ID=DRIFT, NESTWARDEN_OBJECT=pg)
        self.wait_told("pg-ml-ok", "nestwarden: promiscuous mode accepted on pg-ml-ok where MAC learning serves; "
                                   "every VM on it gets copies of all traffic")
        self.wait(lambda: self.status("hv-ok-01"), "drift: promiscuous on pg-ml-ok")
        self.wait_told("pg-ml-ok", "nestwarden: drift on pg-ml-ok left as it is (excluded): excluded by [remediation] "
                                   "exclude")

        # Resolved by hand.
        m.set_dvpg_mac_policy(self.si, pg, allow_promiscuous=False)
        self.journal.wait_for(1, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=pg)
        self.wait_told("pg-ml-ok", "nestwarden: resolved: promiscuous on pg-ml-ok is false again")
        self.wait(lambda: self.status("hv-ok-01"), "compliant")

        # The fix: hv-off-02 powered off, nestwarden sets nested HV and says so on the VM.
        m.power_off(self.si, self.ids["hv-off-02"])
        msgs = self.wait_told("hv-off-02", "nestwarden: resolved: nested_hv on hv-off-02 is true again")
        fixed = [t for t in msgs if t.startswith("nestwarden: fixed nested_hv on hv-off-02: false -> true (task-")]
        self.assertEqual(len(fixed), 1, msgs)
        self.wait(lambda: self.status("hv-off-02"), "compliant")

        # Transitions only: nothing said twice, and the other attribute untouched.
        for name in ("pg-ml-off", "pg-ml-ok", "hv-off-02"):
            msgs = self.told(name)
            self.assertEqual(len(msgs), len(set(msgs)), msgs)
        values = {v.key: v.value for v in self.vim.VirtualMachine(self.ids["hv-ok-01"], self.si._stub).customValue}
        self.assertEqual(values[owner.key], "lab team")
        self.assertEqual(len([f for f in self.si.content.customFieldsManager.field if f.name == "nestwarden"]), 1)

        # Untagged: no stale verdict left on the VM.
        m.untag(scn.url, USER, PASSWORD, self.ids["hv-ok-01"], "env", "nested-hyperv", ca_file=scn.ca_file)
        self.wait(lambda: self.status("hv-ok-01") or "", "", timeout=15)
        # Clean exit (under ASan: no leak report).
        self.assertEqual(d.stop()[0], 0, d.stderr())

    def test_restart_reads_the_attribute_instead_of_writing_it(self):
        scn = self.scn
        conf = scn.config(vcenter__annotate="yes", vcenter__annotation_field="lab health")
        d = self.start(conf)
        deadline = time.monotonic() + 20
        while self.field_key("lab health") is None and time.monotonic() < deadline:
            time.sleep(0.2)
        key = self.field_key("lab health")
        self.assertIsNotNone(key)
        vm = self.vim.VirtualMachine(self.ids["hv-off-03"], self.si._stub)
        self.wait(lambda: {v.key: v.value for v in vm.customValue or []}.get(key), "drift: nested_hv on hv-off-03")
        ok = self.vim.VirtualMachine(self.ids["hv-ok-01"], self.si._stub)
        self.wait(lambda: {v.key: v.value for v in ok.customValue or []}.get(key), "compliant")
        d.close()
        # Changed by hand meanwhile: the one value a restart writes.
        self.si.content.customFieldsManager.SetField(entity=vm, key=key, value="edited by hand")
        with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
            rid = proxy.add_rule("SetField", lambda req: req.forward())
            self.start(scn.config("again.conf", vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file,
                                  vcenter__annotate="yes", vcenter__annotation_field="lab health"))
            self.wait(lambda: {v.key: v.value for v in vm.customValue or []}.get(key), "drift: nested_hv on hv-off-03")
            time.sleep(1)
            self.assertEqual(proxy.hits(rid), 1)


class FixTest(Base):
    def test_fix_tells_its_fixes_and_refusals(self):
        scn, m = self.scn, self.mutate
        for vm in ("hv-ok-01", "hv-off-02"):
            m.tag(scn.url, USER, PASSWORD, self.ids[vm], "env", "nested-hyperv", ca_file=scn.ca_file)
        conf = scn.config(vcenter__annotate="yes", selection__tag_category="env")
        p = subprocess.run([os.environ["NW_BIN"], "fix", "--config", conf], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)   # hv-off-02 stays: powered on
        self.assertEqual([re.sub(r"task-\d+", "task-N", t) for t in self.told("pg-ml-off")],
                         ["nestwarden: fixed mac_learning on pg-ml-off: false -> true (task-N)"])
        msgs = self.told("hv-off-02")
        self.assertEqual(len(msgs), 1, msgs)
        self.assertTrue(msgs[0].startswith("nestwarden: drift on hv-off-02 left as it is (pending-power-off)"), msgs)
        self.assertEqual(self.status("hv-off-02"), "pending power-off")
        self.assertEqual(self.status("hv-ok-01"), "compliant")


    def test_port_drift_is_told_on_its_vm(self):
        scn, m = self.scn, self.mutate
        m.tag(scn.url, USER, PASSWORD, self.ids["hv-port-11"], "env", "nested-hyperv", ca_file=scn.ca_file)
        conf = scn.config(vcenter__annotate="yes", selection__tag_category="env")
        p = subprocess.run([os.environ["NW_BIN"], "fix", "--config", conf], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("hv-port-11 Network adapter 1 forged_transmits", p.stdout)
        # A port is no managed object: its fix is told on the VM whose NIC uses it.
        self.assertEqual([re.sub(r"task-\d+", "task-N", t) for t in self.told("hv-port-11")],
                         ["nestwarden: fixed forged_transmits on hv-port-11 Network adapter 1: false -> true (task-N)"])
        self.assertEqual(self.status("hv-port-11"), "compliant")


class RateTest(Base):
    def test_burst_is_cut_at_the_rate_and_summed_up_once(self):
        # The whole curated set in remediate mode: the baseline's drifts, fixes, refusals and
        # resolutions are more than the 20 a minute vCenter is told.
        self.start(self.scn.config(vcenter__annotate="yes"), mode="remediate")
        n = len(self.scn.truth["findings"]) + len(self.scn.truth["template_findings"])
        self.journal.wait_for(n, MESSAGE_ID=DRIFT)
        deadline = time.monotonic() + 20
        w = []
        while time.monotonic() < deadline and not w:
            w = [e["MESSAGE"] for e in self.journal.entries(PRIORITY="4") if "events not logged" in e["MESSAGE"]]
            time.sleep(0.2)
        dropped = int(re.search(r": (\d+) events not logged on their objects in vCenter \(at most 20 a minute\)",
                                w[0]).group(1))
        # The fixes deferred past max_changes_per_pass come a pass later: wait for the end of it all.
        self.journal.wait_for(1, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=self.ids["hv-unset-04"])
        time.sleep(2)
        told = [t for t in self.all_told() if t.startswith("nestwarden:")]
        self.assertEqual(len(told), 20, told)
        transitions = [e for e in self.journal.entries() if e.get("NESTWARDEN_OBJECT_KIND") and e.get("MESSAGE_ID")
                       not in (TAGGED, UNTAGGED, DRY_RUN, OVERRIDE_ALLOWED)]
        # Said once: what a later pass drops within the minute waits to be summed up with what follows.
        w = [e["MESSAGE"] for e in self.journal.entries(PRIORITY="4") if "events not logged" in e["MESSAGE"]]
        self.assertEqual(len(w), 1, w)
        self.assertGreaterEqual(dropped, 1)
        self.assertLessEqual(20 + dropped, len(transitions), [e["MESSAGE"] for e in transitions])


class OffTest(Base):
    def test_nothing_is_told_when_off(self):
        self.start(self.scn.config(), mode="remediate")
        n = len(self.scn.truth["findings"]) + len(self.scn.truth["template_findings"])
        self.journal.wait_for(n, MESSAGE_ID=DRIFT)
        time.sleep(2)
        self.assertEqual([t for t in self.all_told() if t.startswith("nestwarden:")], [])
        self.assertIsNone(self.field_key())


class PrivilegeTest(Base):
    def test_missing_privileges_are_one_warning_each(self):
        scn = self.scn
        with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
            rules = {name: proxy.add_rule(name, reply(500, no_permission(priv)))
                     for name, priv in (("LogUserEvent", "Global.LogEvent"),
                                        ("AddCustomFieldDef", "Global.ManageCustomFields"))}
            conf = scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file, vcenter__annotate="yes")
            d = self.start(conf)
            n = len(scn.truth["findings"]) + len(scn.truth["template_findings"])
            self.journal.wait_for(n, MESSAGE_ID=DRIFT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                w = [e["MESSAGE"] for e in self.journal.entries(PRIORITY="4") if "the account lacks" in e["MESSAGE"]]
                if len(w) >= 2:
                    break
                time.sleep(0.2)
            self.assertEqual(len(w), 2, w)
            self.assertIn("vCenter %s: the account lacks Global.LogEvent (LogUserEvent: NoPermission: Permission to "
                          "perform this operation was denied.); events on the objects off until a reload" % proxy.url, w)
            self.assertIn("vCenter %s: the account lacks Global.ManageCustomFields (AddCustomFieldDef: NoPermission: "
                          "Permission to perform this operation was denied.); the VMs' status attribute off until a "
                          "reload" % proxy.url, w)
            # Once: later transitions try no more, and drift is still reported (no outage).
            self.assertEqual(proxy.hits(rules["LogUserEvent"]), 1)
            self.assertEqual(proxy.hits(rules["AddCustomFieldDef"]), 1)
            vm = self.ids["hv-off-03"]
            self.mutate.set_nested_hv(self.si, vm, True)
            self.journal.wait_for(1, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=vm)
            time.sleep(1)
            self.assertEqual(proxy.hits(rules["LogUserEvent"]), 1)
            self.assertEqual(proxy.hits(rules["AddCustomFieldDef"]), 1)
            w = [e["MESSAGE"] for e in self.journal.entries(PRIORITY="4") if "the account lacks" in e["MESSAGE"]]
            self.assertEqual(len(w), 2, w)
            self.assertEqual(self.journal.entries(MESSAGE_ID="249162478abc449891dc26495cf1dfa4"), [])
            self.assertIsNone(d.proc.poll())
            self.assertIsNone(self.field_key())
            # A reload (the admin granted the privilege, say) tries again.
            d.signal(signal.SIGHUP)
            deadline = time.monotonic() + 20
            while proxy.hits(rules["AddCustomFieldDef"]) < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            self.assertEqual(proxy.hits(rules["AddCustomFieldDef"]), 2)
            self.assertEqual(d.stop()[0], 0, d.stderr())

    def test_set_field_refused(self):
        scn = self.scn
        with FaultProxy(scn.url, ca_file=scn.ca_file, tmp=scn.tmp) as proxy:
            rid = proxy.add_rule("SetField", reply(500, no_permission("Global.SetCustomField")))
            conf = scn.config(vcenter__url=proxy.url, vcenter__ca_file=proxy.ca_file, vcenter__annotate="yes")
            d = self.start(conf)
            deadline = time.monotonic() + 20
            w = []
            while time.monotonic() < deadline and not w:
                w = [e["MESSAGE"] for e in self.journal.entries(PRIORITY="4") if "the account lacks" in e["MESSAGE"]]
                time.sleep(0.2)
            self.assertEqual(len(w), 1, w)
            self.assertIn("Global.SetCustomField", w[0])
            vm = self.ids["hv-off-03"]
            self.mutate.set_nested_hv(self.si, vm, True)
            self.journal.wait_for(1, MESSAGE_ID=RESOLVED, NESTWARDEN_OBJECT=vm)
            time.sleep(1)
            self.assertEqual(proxy.hits(rid), 1)
            self.assertIsNone(d.proc.poll())


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
