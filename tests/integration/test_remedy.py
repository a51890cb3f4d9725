"""Remediation end to end against the simulator scenario (patched to refuse what vCenter refuses):
`nestwarden fix` and `nestwarden run` with mode = remediate change exactly what drifted and nothing
else, never power a VM off, respect every safety rail, retry on ConcurrentAccess, stop fighting a
tool that keeps reverting them, and leave an audit trail in a real journald."""
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
import testmain  # noqa: E402
import journald  # noqa: E402
from daemon import Daemon  # noqa: E402
from scenario import USER, Scenario  # noqa: E402

CATALOG = os.path.join(here, "..", "..", "systemd", "nestwarden.catalog")


def message_ids():
    """The MESSAGE_IDs as lib/journal.c defines them, by event name."""
    src = open(os.path.join(here, "..", "..", "lib", "journal.c")).read()
    return {m.group(1): m.group(2) for m in re.finditer(r"\[NW_EVENT_(\w+)\]\s*=\s*\"([0-9a-f]{32})\"", src)}


IDS = message_ids()


def run_fix(config, *args):
    p = subprocess.run([os.environ["NW_BIN"], "fix", "--config", config, *args], capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


class Base(unittest.TestCase):
    flags = ()

    def setUp(self):
        import mutate
        self.mutate = mutate
        self.journal = journald.Journald(catalogs=[CATALOG])
        self.journal.__enter__()
        self.addCleanup(self.journal.__exit__, None, None, None)
        self.scn = Scenario(*self.flags)
        self.addCleanup(self.scn.stop)
        self.si = mutate.connect(self.scn.url, USER, self.scn.password_file, self.scn.ca_file)
        view = self.si.content.viewManager.CreateContainerView(self.si.content.rootFolder,
                                                               [mutate.vim.ManagedEntity], True)
        self.ids, self.hosts = {}, []
        for o in view.view:
            self.ids.setdefault(o.name, o._moId)
            if isinstance(o, mutate.vim.HostSystem):
                self.hosts.append(o._moId)
        view.Destroy()

    def config(self, name="fix.conf", **remediation):
        path = self.scn.config(name)
        with open(path, "a") as f:
            f.write("[remediation]\n")
            for k, v in remediation.items():
                f.write("%s = %s\n" % (k, v))
        return path

    def dvpg(self, name):
        return self.mutate.dvpg_state(self.si, self.ids[name])

    def vm(self, name):
        return self.mutate.vm_state(self.si, self.ids[name])

    def snapshot(self):
        pgs = {n: self.dvpg(n) for n in self.ids if n.startswith(("pg-ml-", "pg-legacy-"))}
        vms = {n: self.vm(n) for n in self.ids if n.startswith(("hv-", "plain-"))}
        hosts = {(h, pg): self.mutate.host_pg_state(self.si, h, pg) for h in self.hosts
                 for pg in ("VM Network", "pg-std-override-ok", "pg-std-inherit-ok", "pg-std-override-bad")}
        return pgs, vms, hosts


class FixTest(Base):
    def test_dry_run_changes_nothing(self):
        before = self.snapshot()
        rc, out, err = run_fix(self.config(max_changes_per_pass="100"), "--dry-run")
        self.assertEqual(rc, 1, out + err)
        self.assertIn("dry run: nothing is changed", out)
        self.assertRegex(out, r"pg-ml-off\s+mac_learning\s+false\s+-> true\s+would fix \(dry run\)")
        self.assertRegex(out, r"hv-off-03\s+nested_hv\s+false\s+-> true\s+would fix")
        self.assertRegex(out, r"hv-off-02\s+nested_hv\s+false\s+-> true\s+left alone \(pending-power-off\)")
        self.assertEqual(self.snapshot(), before)
        dry = self.journal.wait_for(1, MESSAGE_ID=IDS["DRY_RUN"])
        self.assertTrue(dry)
        self.assertEqual(self.journal.entries(MESSAGE_ID=IDS["REMEDIATED"]), [])

    def test_fix_changes_only_what_drifted(self):
        pgs0, vms0, hosts0 = self.snapshot()
        rc, out, err = run_fix(self.config(max_changes_per_pass="100"))
        self.assertEqual(rc, 1, out + err)  # the powered-on VM and the template stay drifted
        pgs1, vms1, hosts1 = self.snapshot()

        # VMs: the powered-off one fixed; the powered-on one and the template untouched, never powered off.
        self.assertTrue(vms1["hv-off-03"]["nestedHVEnabled"])
        self.assertEqual(vms1["hv-off-02"], vms0["hv-off-02"])
        self.assertEqual(vms1["hv-tmpl-10"], vms0["hv-tmpl-10"])
        self.assertEqual({n: v["powerState"] for n, v in vms1.items()}, {n: v["powerState"] for n, v in vms0.items()})

        # MAC learning portgroup: learning on, nothing else moved but the version.
        a, b = pgs0["pg-ml-off"], pgs1["pg-ml-off"]
        self.assertTrue(b["mac"]["learning_enabled"])
        self.assertEqual(int(b["configVersion"]), int(a["configVersion"]) + 1)
        for key in ("vlan", "teaming", "in_shaping", "out_shaping", "blocked", "name", "numPorts", "description"):
            self.assertEqual(a.get(key), b.get(key), key)
        for key in ("allow_promiscuous", "forged_transmits", "mac_changes", "learning_limit",
                    "learning_limit_policy", "learning_allow_unicast_flooding"):
            self.assertEqual(a["mac"][key], b["mac"][key], key)
        self.assertEqual(b["mac"]["inherited"], False)

        # Limit and limit policy set; legacy switch: security policy fixed.
        self.assertEqual((pgs1["pg-ml-limit"]["mac"]["learning_limit"], pgs1["pg-ml-limit"]["mac"]["learning_limit_policy"]),
                         (4096, "drop"))
        self.assertTrue(pgs1["pg-legacy-noforge"]["security"]["forged_transmits"])
        self.assertEqual(pgs1["pg-legacy-noforge"]["vlan"], pgs0["pg-legacy-noforge"]["vlan"])
        # Portgroups that complied are not touched at all.
        self.assertEqual(pgs1["pg-ml-ok"], pgs0["pg-ml-ok"])
        self.assertEqual(pgs1["pg-legacy-ok"], pgs0["pg-legacy-ok"])

        # Audit trail: one REMEDIATED entry per change with before, after and task.
        rem = self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=self.ids["pg-ml-off"])
        self.assertEqual((rem[0]["NESTWARDEN_CHECK"], rem[0]["NESTWARDEN_BEFORE"], rem[0]["NESTWARDEN_AFTER"]),
                         ("mac_learning", "false", "true"))
        self.assertRegex(rem[0]["NESTWARDEN_TASK"], r"^task-\d+$")
        skipped = self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATION_SKIPPED"],
                                        NESTWARDEN_OBJECT=self.ids["hv-off-02"])
        self.assertEqual(skipped[0]["NESTWARDEN_REASON"], "pending-power-off")

        # A second run finds nothing more to do for what it fixed.
        rc, out2, _ = run_fix(self.config("again.conf", max_changes_per_pass="100"))
        self.assertRegex(out2, r"\n0 fixed, 0 failed, \d+ left alone, 0 deferred; \d+ findings remain\n$")

    def test_standard_portgroup_fix_overrides_on_the_portgroup_only(self):
        _, _, hosts0 = self.snapshot()
        rc, out, err = run_fix(self.config(allow_promiscuous_on_shared="yes", max_changes_per_pass="100"))
        _, _, hosts1 = self.snapshot()
        changed = [k for k in hosts0 if hosts0[k] != hosts1[k]]
        self.assertTrue(changed, out)
        for key in changed:
            a, b = hosts0[key], hosts1[key]
            self.assertEqual((a["vlanId"], a["vswitchName"], a["teaming"]), (b["vlanId"], b["vswitchName"], b["teaming"]))
            self.assertTrue(b["computed"]["allowPromiscuous"] and b["computed"]["forgedTransmits"], key)
        # The compliant ones that inherit from their vSwitch still inherit: the vSwitch was not edited.
        for key in hosts0:
            if key[1] == "pg-std-inherit-ok":
                self.assertEqual(hosts0[key], hosts1[key])

    def test_shared_portgroup_is_refused_with_the_untagged_vms(self):
        rc, out, err = run_fix(self.config())
        line = [x for x in out.splitlines() if "left alone (shared)" in x]
        self.assertTrue(line, out)
        self.assertRegex(line[0], r"untagged VM")
        self.assertRegex(line[0], r"plain-\d\d \(vm-\d+\)")

    def test_max_changes_per_pass(self):
        rc, out, err = run_fix(self.config(max_changes_per_pass="2"))
        fixed = {x.split()[0] for x in out.splitlines() if re.search(r"\sfixed( \(|$)", x)}
        self.assertEqual(len(fixed), 2, out)
        self.assertIn("deferred: over max_changes_per_pass = 2", out)

    def test_exclude(self):
        before = self.dvpg("pg-ml-off")
        rc, out, err = run_fix(self.config(exclude="pg-ml-off, %s" % self.ids["hv-off-03"], max_changes_per_pass="100"))
        self.assertEqual(self.dvpg("pg-ml-off"), before)
        self.assertFalse(self.vm("hv-off-03")["nestedHVEnabled"])
        self.assertRegex(out, r"pg-ml-off\s+mac_learning.*left alone \(excluded\)")


class RaceTest(Base):
    flags = ("-race-dvpg", "pg-ml-off")

    def test_concurrent_change_is_retried_and_kept(self):
        rc, out, err = run_fix(self.config())
        self.assertRegex(out, r"pg-ml-off\s+mac_learning\s+false\s+-> true\s+fixed \(task-\d+, after a retry\)")
        b = self.dvpg("pg-ml-off")
        self.assertTrue(b["mac"]["learning_enabled"])
        self.assertEqual(b["vlan"], 42)  # the other admin's change survived


class DaemonRemediationTest(Base):
    def start(self, **remediation):
        conf = self.config("run.conf", **remediation)
        with open(conf, "a") as f:
            f.write("[daemon]\nmode = remediate\ntag_refresh = 60\n")
        d = Daemon(conf, watchdog_usec=10_000_000)
        self.addCleanup(d.close)
        d.notify.wait_for("READY", "1", timeout=60)
        return d

    def test_powered_on_vm_waits_for_power_off(self):
        vm = self.ids["hv-off-02"]
        self.start()
        skipped = self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATION_SKIPPED"], NESTWARDEN_OBJECT=vm)
        self.assertEqual(skipped[0]["NESTWARDEN_REASON"], "pending-power-off")
        self.assertFalse(self.vm("hv-off-02")["nestedHVEnabled"])
        self.assertEqual(self.vm("hv-off-02")["powerState"], "poweredOn")
        t = time.time()
        self.mutate.power_off(self.si, vm)
        rem = self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=vm)
        self.assertLess(int(rem[0]["__REALTIME_TIMESTAMP"]) / 1e6 - t, 5.0)
        self.assertTrue(self.vm("hv-off-02")["nestedHVEnabled"])
        self.journal.wait_for(1, MESSAGE_ID=IDS["RESOLVED"], NESTWARDEN_OBJECT=vm)

    def test_fix_on_power_off_no_leaves_it_to_a_person(self):
        """A VM seen powered on with drift is not fixed once it is off, across a reload; a reload to
        fix_on_power_off = yes fixes it."""
        vm, pg = self.ids["hv-off-02"], self.ids["pg-ml-off"]
        d = self.start(fix_on_power_off="no")
        skipped = self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATION_SKIPPED"], NESTWARDEN_OBJECT=vm)
        self.assertEqual(skipped[0]["NESTWARDEN_REASON"], "powered-on")
        self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)
        self.mutate.power_off(self.si, vm)
        # A change after the power-off, fixed in turn: the passes that saw the VM off are done.
        self.mutate.set_dvpg_mac_policy(self.si, pg, learning_enabled=False)
        self.journal.wait_for(2, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)
        self.assertEqual(self.vm("hv-off-02")["powerState"], "poweredOff")
        self.assertFalse(self.vm("hv-off-02")["nestedHVEnabled"])
        self.assertEqual(self.journal.entries(MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=vm), [])
        self.assertEqual(len(self.journal.entries(MESSAGE_ID=IDS["REMEDIATION_SKIPPED"], NESTWARDEN_OBJECT=vm)), 1)

        # A reload forgets the fixes (anti-flap), not what was seen: still left alone.
        t = time.monotonic()
        d.signal(signal.SIGHUP)
        d.notify.wait_for("READY", "1", after=t, timeout=60)
        self.mutate.set_dvpg_mac_policy(self.si, pg, learning_enabled=False)
        self.journal.wait_for(3, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)
        self.assertFalse(self.vm("hv-off-02")["nestedHVEnabled"])

        # The admin changes their mind: with yes, the VM (off) is fixed at the reload's gather.
        with open(os.path.join(self.scn.tmp, "run.conf")) as f:
            text = f.read()
        with open(os.path.join(self.scn.tmp, "run.conf"), "w") as f:
            f.write(text.replace("fix_on_power_off = no", "fix_on_power_off = yes"))
        d.signal(signal.SIGHUP)
        self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=vm, timeout=60)
        self.assertTrue(self.vm("hv-off-02")["nestedHVEnabled"])

    def test_fight_stops_after_flap_limit(self):
        pg = self.ids["pg-ml-off"]
        self.start(flap_limit="3", flap_window="3600")
        self.journal.wait_for(1, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)
        # Another tool turns learning off again, and again.
        for n in range(2, 4):
            self.mutate.set_dvpg_mac_policy(self.si, pg, learning_enabled=False)
            self.journal.wait_for(n, MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)
        self.mutate.set_dvpg_mac_policy(self.si, pg, learning_enabled=False)
        fight = self.journal.wait_for(1, MESSAGE_ID=IDS["FIGHT"], NESTWARDEN_OBJECT=pg)
        self.assertIn("3", fight[0]["MESSAGE"])
        time.sleep(2)
        self.assertEqual(len(self.journal.entries(MESSAGE_ID=IDS["REMEDIATED"], NESTWARDEN_OBJECT=pg)), 3)
        self.assertFalse(self.dvpg("pg-ml-off")["mac"]["learning_enabled"])
        self.assertEqual(len(self.journal.entries(MESSAGE_ID=IDS["FIGHT"], NESTWARDEN_OBJECT=pg)), 1)


if __name__ == "__main__":
    journald.enter_private_namespace()
    testmain.main()
