"""mutate.py's self-test: every function on a curated nw-scenario, each change read back with a
fresh RetrievePropertiesEx, each refusal vCenter makes checked, and the world put back as it was.
Run through `mutate.py --selftest LINE` or mutate.selftest(line, user, password)."""

import json

from pyVim.connect import Disconnect
from pyVmomi import vim, vmodl

import mutate
from mutate import props

DVS = mutate.DVS

# What a MAC policy change may change in dvpg_state (flattened); everything else must stay.
MAC_KEYS = {"configVersion"} | {"mac." + k for k in ["inherited", "learning_inherited"] + list(mutate.MAC_FIELDS) +
                                list(mutate.LEARNING_FIELDS)} | \
    {"security." + k for k in ["inherited"] + list(mutate.MAC_FIELDS) + [f + "_inherited" for f in mutate.MAC_FIELDS]}


def flat(state, prefix=""):
    """A state dict with its nested dicts flattened to dotted keys."""
    out = {}
    for k, v in state.items():
        if isinstance(v, dict):
            out.update(flat(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def run(line, user, password):
    ready = json.loads(line)
    url, ca = ready["url"], ready["ca_file"]
    si = mutate.login(url, user, password, ca)
    fails, count = [], [0]

    def expect(cond, what):
        count[0] += 1
        if not cond:
            fails.append(what)
        return cond

    def refused(fault, call, *args, **kwargs):
        """call must raise fault; returns the fault raised (or None)."""
        try:
            call(*args, **kwargs)
        except fault as e:
            expect(True, "")
            return e
        except vmodl.MethodFault as e:
            expect(False, "%s: %s, not %s" % (call.__name__, e._wsdlName, fault._wsdlName))
            return None
        expect(False, "%s%r accepted" % (call.__name__, args[1:]))
        return None

    def changed(before, after):
        before, after = flat(before), flat(after)
        return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}

    try:
        content = si.RetrieveContent()
        names = {}
        for kind in (vim.VirtualMachine, vim.dvs.DistributedVirtualPortgroup, vim.HostSystem):
            v = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
            names.update({props(si, o, ["name"])["name"]: o._moId for o in v.view})
            v.Destroy()
        vm, tmpl = names["hv-ok-01"], names["hv-tmpl-10"]
        ml, legacy, nsx = names["pg-ml-ok"], names["pg-legacy-ok"], names["pg-nsx"]

        # VMs: a powered-on VM and a template refuse nestedHVEnabled; powered off, it changes.
        start = mutate.vm_state(si, vm)
        expect((start["powerState"], start["nestedHVEnabled"], start["template"]) == ("poweredOn", True, False),
               "hv-ok-01 starts as %s" % start)
        e = refused(vim.fault.InvalidPowerState, mutate.set_nested_hv, si, vm, False)
        if e is not None:
            expect((e.requestedState, e.existingState) == ("poweredOff", "poweredOn"),
                   "InvalidPowerState says %s/%s" % (e.requestedState, e.existingState))
        expect(mutate.vm_state(si, vm) == start, "a refused ReconfigVM_Task changed hv-ok-01")
        t0 = mutate.vm_state(si, tmpl)
        refused(vmodl.fault.NotSupported, mutate.set_nested_hv, si, tmpl, True)
        expect(mutate.vm_state(si, tmpl) == t0 and t0["template"], "a refused reconfiguration changed hv-tmpl-10")
        mutate.power_off(si, vm)
        expect(mutate.vm_state(si, vm)["powerState"] == "poweredOff", "power_off")
        mutate.set_nested_hv(si, vm, False)
        expect(mutate.vm_state(si, vm)["nestedHVEnabled"] is False, "set_nested_hv(False) on a powered-off VM")
        mutate.set_nested_hv(si, vm, True)
        mutate.power_on(si, vm)
        expect(mutate.vm_state(si, vm) == start, "hv-ok-01 not restored: %s" % mutate.vm_state(si, vm))

        # DV portgroups: a partial spec changes what it names, nothing else, and bumps configVersion.
        for moref, change, fields in ((ml, mutate.set_dvpg_mac_policy, {"allow_promiscuous": True, "mac_changes": True,
                                                                         "learning_limit": 10, "learning_limit_policy": "allow"}),
                                      (legacy, mutate.set_dvpg_security, {"forged_transmits": False}),
                                      (nsx, mutate.set_dvpg_mac_policy, {"allow_promiscuous": False})):
            before = mutate.dvpg_state(si, moref)
            setting = props(si, mutate._dvpg(si, moref), ["config.defaultPortConfig"])["config.defaultPortConfig"]
            change(si, moref, **fields)
            after = mutate.dvpg_state(si, moref)
            name = "%s(%s)" % (change.__name__, before["name"])
            for key, want in fields.items():
                expect(after["mac"][key] == want, "%s: mac %s is %r" % (name, key, after["mac"][key]))
                if key in mutate.MAC_FIELDS:
                    expect(after["security"][key] == want and after["security"][key + "_inherited"] is False,
                           "%s: securityPolicy not in step on %s" % (name, key))
            expect(int(after["configVersion"]) == int(before["configVersion"]) + 1,
                   "%s: configVersion %s after %s" % (name, after["configVersion"], before["configVersion"]))
            expect(changed(before, after) <= MAC_KEYS, "%s also changed %s" % (name, sorted(changed(before, after) - MAC_KEYS)))
            expect(before["vlan"] is not None and before["vlan"] >= 100 and after["in_shaping"]["enabled"] is True,
                   "%s: no VLAN or shaping to keep (%s)" % (name, before["vlan"]))
            mutate.reconfigure_dvpg(si, moref, setting)  # the whole setting as read: all back, inherited flags too
            back = mutate.dvpg_state(si, moref)
            expect(changed(before, back) == {"configVersion"}, "%s not restored: %s" % (name, sorted(changed(before, back))))

        # The refusals: a stale configVersion, MAC learning on the 6.5 switch; nothing changes.
        before = mutate.dvpg_state(si, ml)
        stale = str(int(before["configVersion"]) - 1)
        partial = DVS.VmwarePortConfigPolicy(vlan=DVS.VlanIdSpec(inherited=False, vlanId=7))
        refused(vim.fault.ConcurrentAccess, mutate.reconfigure_dvpg, si, ml, partial, stale)
        expect(mutate.dvpg_state(si, ml) == before, "a stale reconfiguration changed pg-ml-ok")
        before = mutate.dvpg_state(si, legacy)
        refused(vmodl.fault.NotSupported, mutate.set_dvpg_mac_policy, si, legacy, learning_enabled=True)
        expect(mutate.dvpg_state(si, legacy) == before, "a refused reconfiguration changed pg-legacy-ok")
        try:
            mutate.set_dvpg_security(si, legacy, learning_enabled=True)
            expect(False, "set_dvpg_security accepted a learning field")
        except TypeError:
            expect(True, "")

        # Standard portgroups: an override at the portgroup, then none again.
        host = sorted(v for k, v in names.items() if v.startswith("host-"))[0]
        before = mutate.host_pg_state(si, host, "VM Network")
        expect(before["spec"]["allowPromiscuous"] is None and before["computed"]["allowPromiscuous"] is False,
               "VM Network starts as %s" % before)
        mutate.update_portgroup(si, host, "VM Network", allow_promiscuous=True)
        after = mutate.host_pg_state(si, host, "VM Network")
        expect(changed(before, after) == {"spec.allowPromiscuous", "computed.allowPromiscuous"} and
               after["computed"]["allowPromiscuous"] is True, "update_portgroup: %s" % sorted(changed(before, after)))
        mutate.update_portgroup(si, host, "VM Network", allow_promiscuous=None)
        expect(mutate.host_pg_state(si, host, "VM Network") == before, "update_portgroup(None) did not restore VM Network")
        pg, ns = mutate._host_portgroup(si, host, "VM Network")
        pg.spec.name = "no-such-portgroup"
        refused(vim.fault.NotFound, ns.UpdatePortGroup, "no-such-portgroup", pg.spec)

        v = mutate.Vapi(url, user, password, ca)
        try:
            mutate.untag(url, user, password, vm, "nested", "nested-hyperv", ca_file=ca)
            expect(vm not in v.attached("nested", "nested-hyperv"), "untag: still attached")
            mutate.tag(url, user, password, vm, "nested", "nested-hyperv", ca_file=ca)
            expect(vm in v.attached("nested", "nested-hyperv"), "tag: not attached")
        finally:
            v.close()
    finally:
        Disconnect(si)
    return count[0], fails
