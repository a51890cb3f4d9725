#!/usr/bin/python3
"""Change a running nw-scenario the way the daemon tests need, as an operator would on vCenter, and
read back what a test asserts on.

Run with Debian's /usr/bin/python3 (python3-pyvmomi 6.7.1). As a module:

    import mutate
    si = mutate.connect(url, user, password_file, ca_file)
    mutate.set_nested_hv(si, "vm-58", False)            # powered-off VMs only, as on vCenter
    mutate.set_dvpg_mac_policy(si, "dvportgroup-38", allow_promiscuous=True, learning_limit=10)
    mutate.set_dvpg_security(si, "dvportgroup-51", forged_transmits=False)
    mutate.update_portgroup(si, "host-17", "VM Network", allow_promiscuous=True)   # None: inherit
    mutate.power_off(si, "vm-58"); mutate.power_on(si, "vm-58")
    mutate.untag(url, user, password, "vm-58", "nested", "nested-hyperv", ca_file=ca_file)
    mutate.tag(url, user, password, "vm-58", "nested", "nested-hyperv", ca_file=ca_file)
    mutate.dvpg_state(si, "dvportgroup-38"); mutate.host_pg_state(si, "host-17", "VM Network")
    mutate.vm_state(si, "vm-58")                        # dicts: compare before and after

As a command (CA_FILE may be "" to skip verification; values true/false/none/numbers/words):

    mutate.py URL USER PASSWORD_FILE CA_FILE nested-hv vm-58 true
    mutate.py URL USER PASSWORD_FILE CA_FILE dvpg-mac dvportgroup-38 allow_promiscuous=true learning_limit=10
    mutate.py URL USER PASSWORD_FILE CA_FILE dvpg-security dvportgroup-51 forged_transmits=false
    mutate.py URL USER PASSWORD_FILE CA_FILE host-pg host-17 "VM Network" allow_promiscuous=none
    mutate.py URL USER PASSWORD_FILE CA_FILE power-off vm-58        (power-on alike)
    mutate.py URL USER PASSWORD_FILE CA_FILE untag vm-58 nested nested-hyperv   (tag alike)
    mutate.py URL USER PASSWORD_FILE CA_FILE dvpg-state dvportgroup-38   (vm-state vm-58; host-pg-state host-17 NAME)
    mutate.py --selftest "$(head -1 scenario.out)" [--password-file F]   (a curated scenario; restores it)

Every call waits for its task (the simulator finishes tasks before answering) and raises the task's
fault (a vmodl.MethodFault: vim.fault.InvalidPowerState, vim.fault.ConcurrentAccess,
vmodl.fault.NotSupported, ...) on error; UpdatePortGroup, not a task, raises its SOAP fault
(vim.fault.NotFound, ...); vAPI errors raise VapiError. Exit status 0, 1 on error.
"""

import argparse
import base64
import json
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

PC = vmodl.query.PropertyCollector
DVS = vim.dvs.VmwareDistributedVirtualSwitch

# set_dvpg_mac_policy's keywords: the three MAC policies (kept equal in macManagementPolicy and the
# deprecated securityPolicy, as vCenter 6.7 reports them) and MAC learning's fields.
MAC_FIELDS = {"allow_promiscuous": "allowPromiscuous", "forged_transmits": "forgedTransmits",
              "mac_changes": "macChanges"}
LEARNING_FIELDS = {"learning_enabled": "enabled", "learning_allow_unicast_flooding": "allowUnicastFlooding",
                   "learning_limit": "limit", "learning_limit_policy": "limitPolicy"}


class VapiError(Exception):
    """A vAPI REST call failed: .status is the HTTP status (0 when not an HTTP answer)."""

    def __init__(self, what, status, body=""):
        super().__init__("%s: HTTP %s %s" % (what, status, body))
        self.status = status


def ssl_context(ca_file):
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return ssl._create_unverified_context()  # noqa: S323 - only when no CA file is given


def read_password(path):
    with open(path) as f:
        return f.readline().rstrip("\r\n")


def connect(url, user, password_file, ca_file):
    """Logs in over SOAP; returns the service instance (Disconnect(si) when done)."""
    return login(url, user, read_password(password_file), ca_file)


def login(url, user, password, ca_file):
    u = urllib.parse.urlparse(url)
    return SmartConnect(host=u.hostname, port=u.port, user=user, pwd=password, sslContext=ssl_context(ca_file))


def wait_task(task, timeout=60):
    """Waits for a task by polling its info (no property filter on the caller's collector)."""
    deadline = time.monotonic() + timeout
    while True:
        info = task.info
        if info.state == vim.TaskInfo.State.success:
            return info.result
        if info.state == vim.TaskInfo.State.error:
            raise info.error
        if time.monotonic() > deadline:
            raise TimeoutError("task %s still %s after %ds" % (task._moId, info.state, timeout))
        time.sleep(0.02)


def morefs(si, vimtype):
    """{name: moref} of every object of vimtype (e.g. vim.VirtualMachine) in the inventory."""
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vimtype], True)
    try:
        return {o.name: o._moId for o in view.view}
    finally:
        view.Destroy()


def props(si, obj, paths):
    """A fresh RetrievePropertiesEx of obj's paths: {path: value}, unset paths left out."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)], propSet=[PC.PropertySpec(type=type(obj), pathSet=paths)])
    res = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    return {p.name: p.val for p in res.objects[0].propSet} if res else {}


def _vm(si, moref):
    return vim.VirtualMachine(moref, si._stub)


def _dvpg(si, moref):
    return vim.dvs.DistributedVirtualPortgroup(moref, si._stub)


def _host(si, moref):
    return vim.HostSystem(moref, si._stub)


def set_nested_hv(si, vm_moref, value):
    """ReconfigVM_Task with only nestedHVEnabled. As on vCenter, a powered-on VM refuses a change
    (vim.fault.InvalidPowerState) and a template any (vmodl.fault.NotSupported)."""
    wait_task(_vm(si, vm_moref).ReconfigVM_Task(vim.vm.ConfigSpec(nestedHVEnabled=bool(value))))


def power_off(si, vm_moref):
    wait_task(_vm(si, vm_moref).PowerOffVM_Task())


def power_on(si, vm_moref):
    wait_task(_vm(si, vm_moref).PowerOnVM_Task())


def reconfigure_dvpg(si, dvpg_moref, setting, config_version=None):
    """ReconfigureDVPortgroup_Task with defaultPortConfig=setting (whole or partial: what it
    leaves unset stays) and nothing else, at config_version (default: the current one; an older
    one fails with vim.fault.ConcurrentAccess)."""
    pg = _dvpg(si, dvpg_moref)
    if config_version is None:
        config_version = props(si, pg, ["config.configVersion"])["config.configVersion"]
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=config_version, defaultPortConfig=setting)
    wait_task(pg.ReconfigureDVPortgroup_Task(spec))


def _change_policy(si, dvpg_moref, fields, allowed):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError("unknown field(s) %s; known: %s" % (", ".join(sorted(unknown)), ", ".join(sorted(allowed))))
    setting = props(si, _dvpg(si, dvpg_moref), ["config.defaultPortConfig"])["config.defaultPortConfig"]
    mm = setting.macManagementPolicy or DVS.MacManagementPolicy(inherited=False)
    sec = setting.securityPolicy or DVS.SecurityPolicy(inherited=False)
    for key, name in MAC_FIELDS.items():
        if key in fields:
            value = bool(fields[key])
            setattr(mm, name, value)
            setattr(sec, name, vim.BoolPolicy(inherited=False, value=value))
            mm.inherited = sec.inherited = False  # an override now, as vCenter shows one
    learning = {LEARNING_FIELDS[k]: v for k, v in fields.items() if k in LEARNING_FIELDS}
    if learning:
        ml = mm.macLearningPolicy or DVS.MacLearningPolicy(inherited=False, enabled=False)
        for name, value in learning.items():
            setattr(ml, name, int(value) if name == "limit" else (str(value) if name == "limitPolicy" else bool(value)))
        ml.inherited = mm.inherited = False
        mm.macLearningPolicy = ml
    # Only the two MAC policies, in step: the rest of the portgroup stays as it is.
    reconfigure_dvpg(si, dvpg_moref, DVS.VmwarePortConfigPolicy(macManagementPolicy=mm, securityPolicy=sec))


def set_dvpg_mac_policy(si, dvpg_moref, **fields):
    """Changes fields of the portgroup's macManagementPolicy, securityPolicy kept in step. Fields:
    allow_promiscuous, forged_transmits, mac_changes (bool), learning_enabled,
    learning_allow_unicast_flooding (bool), learning_limit (int), learning_limit_policy ("allow"
    or "drop"). Sends only those two policies. Learning enabled on the 6.5 switch fails with
    vmodl.fault.NotSupported."""
    _change_policy(si, dvpg_moref, fields, list(MAC_FIELDS) + list(LEARNING_FIELDS))


def set_dvpg_security(si, dvpg_moref, **fields):
    """For a portgroup of the 6.5 switch (no MAC learning): securityPolicy's allow_promiscuous,
    forged_transmits, mac_changes, macManagementPolicy kept in step."""
    _change_policy(si, dvpg_moref, fields, list(MAC_FIELDS))


def _host_portgroup(si, host_moref, pg_name):
    p = props(si, _host(si, host_moref), ["config.network.portgroup", "configManager.networkSystem"])
    for pg in p.get("config.network.portgroup", []):
        if pg.spec.name == pg_name:
            return pg, p["configManager.networkSystem"]
    raise LookupError("%s has no portgroup %r" % (host_moref, pg_name))


def update_portgroup(si, host_moref, pg_name, **security):
    """HostNetworkSystem.UpdatePortGroup with the host's current spec of the standard portgroup
    copied whole and only spec.policy.security changed: allow_promiscuous, forged_transmits,
    mac_changes, each True/False (an override at the portgroup) or None (no override: the
    vSwitch's value applies). A field not given stays as it is."""
    unknown = set(security) - set(MAC_FIELDS)
    if unknown:
        raise TypeError("unknown field(s) %s; known: %s" % (", ".join(sorted(unknown)), ", ".join(sorted(MAC_FIELDS))))
    pg, ns = _host_portgroup(si, host_moref, pg_name)
    spec = pg.spec
    if spec.policy.security is None:
        spec.policy.security = vim.host.NetworkPolicy.SecurityPolicy()
    for key, value in security.items():
        setattr(spec.policy.security, MAC_FIELDS[key], None if value is None else bool(value))
    ns.UpdatePortGroup(pgName=pg_name, portgrp=spec)


def _policy(p, name):
    """(value, inherited) of a BoolPolicy/StringPolicy/LongPolicy member; (None, None) unset."""
    v = getattr(p, name, None) if p is not None else None
    return (v.value, v.inherited) if v is not None else (None, None)


def _vlan(v):
    if v is None:
        return None
    if isinstance(v, DVS.VlanIdSpec):
        return v.vlanId
    if isinstance(v, DVS.TrunkVlanSpec):
        return [[r.start, r.end] for r in v.vlanId]
    return "pvlan:%s" % v.pvlanId


def dvpg_state(si, dvpg_moref):
    """What a test compares before and after a reconfiguration (see the README for every key):
    name, description, numPorts, type, backingType (None: unset, i.e. standard), configVersion,
    vlan (an id; [[start, end], ...] for a trunk), vlan_inherited, blocked, blocked_inherited, and
    dicts mac, security, teaming, in_shaping, out_shaping. mac's keys are set_dvpg_mac_policy's
    keywords plus inherited and learning_inherited."""
    p = props(si, _dvpg(si, dvpg_moref), ["name", "config.description", "config.numPorts", "config.type",
                                          "config.backingType", "config.configVersion", "config.defaultPortConfig"])
    s = p["config.defaultPortConfig"]
    out = {"name": p["name"], "description": p.get("config.description"), "numPorts": p.get("config.numPorts"),
           "type": p.get("config.type"), "backingType": p.get("config.backingType"),
           "configVersion": p.get("config.configVersion"),
           "vlan": _vlan(s.vlan), "vlan_inherited": s.vlan.inherited if s.vlan else None}
    out["blocked"], out["blocked_inherited"] = _policy(s, "blocked")
    mm = s.macManagementPolicy or DVS.MacManagementPolicy()
    ml = mm.macLearningPolicy or DVS.MacLearningPolicy()
    out["mac"] = {"inherited": mm.inherited, "learning_inherited": ml.inherited}
    out["mac"].update({key: getattr(mm, name) for key, name in MAC_FIELDS.items()})
    out["mac"].update({key: getattr(ml, name) for key, name in LEARNING_FIELDS.items()})
    sec = s.securityPolicy
    out["security"] = {"inherited": sec.inherited if sec else None}
    for key, name in MAC_FIELDS.items():
        out["security"][key], out["security"][key + "_inherited"] = _policy(sec, name)
    t = s.uplinkTeamingPolicy
    order = t.uplinkPortOrder if t else None
    out["teaming"] = {"inherited": t.inherited if t else None,
                      "active": list(order.activeUplinkPort or []) if order else None,
                      "standby": list(order.standbyUplinkPort or []) if order else None}
    for key, name in (("policy", "policy"), ("reverse_policy", "reversePolicy"),
                      ("notify_switches", "notifySwitches"), ("rolling_order", "rollingOrder")):
        out["teaming"][key] = _policy(t, name)[0]
    for key, sh in (("in_shaping", s.inShapingPolicy), ("out_shaping", s.outShapingPolicy)):
        out[key] = {"inherited": sh.inherited if sh else None}
        for k, name in (("enabled", "enabled"), ("average_bandwidth", "averageBandwidth"),
                        ("peak_bandwidth", "peakBandwidth"), ("burst_size", "burstSize")):
            out[key][k] = _policy(sh, name)[0]
    return out


def host_pg_state(si, host_moref, pg_name):
    """A standard portgroup on one host: name, key, vlanId, vswitchName (the spec's), spec and
    computed (dicts allowPromiscuous, forgedTransmits, macChanges: the portgroup's overrides, None
    when inherited from the vSwitch, and the effective values), teaming (computed: policy, active,
    standby) and teaming_override (the spec's nicTeaming.policy, None when inherited)."""
    pg, _ = _host_portgroup(si, host_moref, pg_name)
    spec, comp = pg.spec, pg.computedPolicy
    out = {"name": spec.name, "key": pg.key, "vlanId": spec.vlanId, "vswitchName": spec.vswitchName}
    for where, pol in (("spec", spec.policy), ("computed", comp)):
        sec = pol.security if pol else None
        out[where] = {name: getattr(sec, name, None) for name in MAC_FIELDS.values()}
    team = comp.nicTeaming if comp else None
    order = team.nicOrder if team else None
    out["teaming"] = {"policy": team.policy if team else None,
                      "active": list(order.activeNic or []) if order else None,
                      "standby": list(order.standbyNic or []) if order else None}
    nt = spec.policy.nicTeaming if spec.policy else None
    out["teaming_override"] = nt.policy if nt else None
    return out


def vm_state(si, vm_moref):
    """name, nestedHVEnabled (None when never set), powerState, template."""
    p = props(si, _vm(si, vm_moref), ["name", "config.nestedHVEnabled", "runtime.powerState", "config.template"])
    return {"name": p["name"], "nestedHVEnabled": p.get("config.nestedHVEnabled"),
            "powerState": p["runtime.powerState"], "template": p.get("config.template", False)}


def vm_nic_port(si, vm_moref, nic=0):
    """(dvs_moref, port_key, dvpg_moref) of the VM's NIC number nic (0-based, in device order) on a
    DV portgroup; LookupError if that NIC is not on one."""
    devices = props(si, _vm(si, vm_moref), ["config.hardware.device"])["config.hardware.device"]
    cards = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    if nic >= len(cards) or not isinstance(
            cards[nic].backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
        raise LookupError("%s has no NIC %d on a DV portgroup" % (vm_moref, nic))
    port = cards[nic].backing.port
    pg = port.portgroupKey  # a DV portgroup's key is its moref value
    dvs = props(si, _dvpg(si, pg), ["config.distributedVirtualSwitch"])["config.distributedVirtualSwitch"]
    return dvs._moId, port.portKey, pg


def fetch_port(si, dvs_moref, port_key):
    """The DistributedVirtualPort (FetchDVPorts with a portKey criteria); LookupError if none."""
    dvs = vim.DistributedVirtualSwitch(dvs_moref, si._stub)
    ports = dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[port_key]))
    if not ports:
        raise LookupError("%s has no port %s" % (dvs_moref, port_key))
    return ports[0]


def reconfigure_port(si, dvs_moref, port_key, setting, config_version=None):
    """ReconfigureDVPort_Task editing one port with setting, at config_version (default: the port's
    current one; an older one fails with vim.fault.ConcurrentAccess, an unknown key with
    vim.fault.NotFound, an override the portgroup does not allow with vmodl.fault.InvalidArgument)."""
    if config_version is None:
        config_version = fetch_port(si, dvs_moref, port_key).config.configVersion
    spec = vim.dvs.DistributedVirtualPort.ConfigSpec(operation="edit", key=port_key, configVersion=config_version,
                                                      setting=setting)
    wait_task(vim.DistributedVirtualSwitch(dvs_moref, si._stub).ReconfigureDVPort_Task([spec]))


def set_port_mac_policy(si, vm_moref, nic=0, config_version=None, **fields):
    """Overrides the MAC policy on the port of the VM's NIC, as an admin does in Edit Settings: the
    port's current effective macManagementPolicy with the named fields changed (the
    set_dvpg_mac_policy keywords), sent with inherited false, securityPolicy in step."""
    unknown = set(fields) - set(MAC_FIELDS) - set(LEARNING_FIELDS)
    if unknown:
        raise TypeError("unknown field(s) %s" % ", ".join(sorted(unknown)))
    dvs, key, _ = vm_nic_port(si, vm_moref, nic)
    port = fetch_port(si, dvs, key)
    mm = port.config.setting.macManagementPolicy or DVS.MacManagementPolicy()
    sec = DVS.SecurityPolicy(inherited=False)
    for k, name in MAC_FIELDS.items():
        value = bool(fields[k]) if k in fields else bool(getattr(mm, name))
        setattr(mm, name, value)
        setattr(sec, name, vim.BoolPolicy(inherited=False, value=value))
    ml = mm.macLearningPolicy or DVS.MacLearningPolicy(enabled=False)
    for k, name in LEARNING_FIELDS.items():
        if k in fields:
            v = fields[k]
            setattr(ml, name, int(v) if name == "limit" else (str(v) if name == "limitPolicy" else bool(v)))
    ml.inherited = mm.inherited = False
    mm.macLearningPolicy = ml
    reconfigure_port(si, dvs, key, DVS.VmwarePortConfigPolicy(macManagementPolicy=mm, securityPolicy=sec),
                     config_version if config_version is not None else port.config.configVersion)


def clear_port_override(si, vm_moref, nic=0, config_version=None):
    """Drops the port's MAC policy override (macManagementPolicy and securityPolicy sent with
    inherited true): the port takes its portgroup's values again."""
    dvs, key, _ = vm_nic_port(si, vm_moref, nic)
    setting = DVS.VmwarePortConfigPolicy(macManagementPolicy=DVS.MacManagementPolicy(inherited=True),
                                         securityPolicy=DVS.SecurityPolicy(inherited=True))
    reconfigure_port(si, dvs, key, setting, config_version)


def set_dvpg_override_allowed(si, dvpg_moref, security=None, mac_management=None):
    """ReconfigureDVPortgroup_Task with the portgroup's current config.policy (the whole policy, as
    vCenter's required booleans want), securityPolicyOverrideAllowed and/or
    macManagementOverrideAllowed changed (None: unchanged). pyVmomi speaks API 6.7 to the scenario,
    which has no macManagementOverrideAllowed (6.7.1): it is neither read nor sent, and the scenario
    keeps it; securityPolicyOverrideAllowed alone allows both port overrides there."""
    pg = _dvpg(si, dvpg_moref)
    p = props(si, pg, ["config.policy", "config.configVersion"])
    policy = p["config.policy"]
    if security is not None:
        policy.securityPolicyOverrideAllowed = bool(security)
    if mac_management is not None:
        policy.macManagementOverrideAllowed = bool(mac_management)
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=p["config.configVersion"], policy=policy)
    wait_task(pg.ReconfigureDVPortgroup_Task(spec))


def port_state(si, vm_moref, nic=0):
    """The port of the VM's NIC: dvs, key, portgroup, configVersion, connectee (vm, nicKey), and
    mac: inherited, allow_promiscuous, forged_transmits, mac_changes, learning_enabled;
    security_inherited."""
    dvs, key, pg = vm_nic_port(si, vm_moref, nic)
    port = fetch_port(si, dvs, key)
    s = port.config.setting
    mm, sec = s.macManagementPolicy, s.securityPolicy
    out = {"dvs": dvs, "key": port.key, "portgroup": port.portgroupKey, "configVersion": port.config.configVersion,
           "connectee": None, "security_inherited": sec.inherited if sec else None, "mac": None}
    if port.connectee:
        out["connectee"] = {"vm": port.connectee.connectedEntity._moId, "nicKey": port.connectee.nicKey,
                            "type": port.connectee.type}
    if mm:
        out["mac"] = {"inherited": mm.inherited, "allow_promiscuous": mm.allowPromiscuous,
                      "forged_transmits": mm.forgedTransmits, "mac_changes": mm.macChanges,
                      "learning_enabled": mm.macLearningPolicy.enabled if mm.macLearningPolicy else None}
    return out


class Vapi:
    """The vAPI /rest flavour (the scenario's -vapi rest or both; -vapi api serves no attach)."""

    def __init__(self, url, user, password, ca_file=None):
        u = urllib.parse.urlparse(url)
        self.base, self.ctx, self.token = "%s://%s" % (u.scheme, u.netloc), ssl_context(ca_file), None
        self.token = self.call("POST", "/rest/com/vmware/cis/session", auth="%s:%s" % (user, password))

    def call(self, method, path, body=None, auth=None):
        req = urllib.request.Request(self.base + path, method=method)
        if auth:
            req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
        if self.token:
            req.add_header("vmware-api-session-id", self.token)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, data=data, context=self.ctx, timeout=60) as r:
                text = r.read()
        except urllib.error.HTTPError as e:
            raise VapiError("%s %s" % (method, path), e.code, e.read()[:200].decode(errors="replace")) from None
        except urllib.error.URLError as e:
            raise VapiError("%s %s: %s" % (method, path, e.reason), 0) from None
        doc = json.loads(text) if text.strip() else None
        return doc.get("value") if isinstance(doc, dict) else doc

    def close(self):
        self.call("DELETE", "/rest/com/vmware/cis/session")

    def tag_id(self, category, tag):
        q = urllib.parse.quote
        for cid in self.call("GET", "/rest/com/vmware/cis/tagging/category") or []:
            if self.call("GET", "/rest/com/vmware/cis/tagging/category/id:" + q(cid, safe=""))["name"] != category:
                continue
            for tid in self.call("POST", "/rest/com/vmware/cis/tagging/tag/id:%s?~action=list-tags-for-category"
                                 % q(cid, safe=""), {}) or []:
                if self.call("GET", "/rest/com/vmware/cis/tagging/tag/id:" + q(tid, safe=""))["name"] == tag:
                    return tid
        raise LookupError("no tag %s/%s" % (category, tag))

    def associate(self, action, vm_moref, category, tag):
        tid = urllib.parse.quote(self.tag_id(category, tag), safe="")
        self.call("POST", "/rest/com/vmware/cis/tagging/tag-association/id:%s?~action=%s" % (tid, action),
                  {"object_id": {"type": "VirtualMachine", "id": vm_moref}})

    def attached(self, category, tag):
        tid = urllib.parse.quote(self.tag_id(category, tag), safe="")
        res = self.call("POST", "/rest/com/vmware/cis/tagging/tag-association/id:%s?~action=list-attached-objects"
                        % tid, {}) or []
        return {o["id"] for o in res if o["type"] == "VirtualMachine"}


def _associate(action, url, user, password, vm_moref, category, tag, ca_file):
    v = Vapi(url, user, password, ca_file)
    try:
        v.associate(action, vm_moref, category, tag)
    finally:
        v.close()


def untag(url, user, password, vm_moref, category, tag, ca_file=None):
    """Detaches category/tag from the VM (POST .../tag-association/id:TAG?~action=detach)."""
    _associate("detach", url, user, password, vm_moref, category, tag, ca_file)


def tag(url, user, password, vm_moref, category, tag, ca_file=None):  # noqa: F811 - tag is also a word here
    """Attaches category/tag to the VM (POST .../tag-association/id:TAG?~action=attach)."""
    _associate("attach", url, user, password, vm_moref, category, tag, ca_file)


def selftest(line, user, password):
    """Runs every function against a curated scenario (mutate_selftest.py), checks each change
    with a fresh retrieval and puts everything back. Returns (checks, failures)."""
    import mutate_selftest
    return mutate_selftest.run(line, user, password)


def parse_value(s):
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
    if low == "none":
        return None
    try:
        return int(s)
    except ValueError:
        return s


def main(argv):
    if argv and argv[0] == "--selftest":
        ap = argparse.ArgumentParser(prog="mutate.py --selftest")
        ap.add_argument("line")
        ap.add_argument("--user", default="nestwarden@vsphere.local")
        ap.add_argument("--password-file", help="file whose first line is the password (default: pass)")
        a = ap.parse_args(argv[1:])
        count, fails = selftest(a.line, a.user, read_password(a.password_file) if a.password_file else "pass")
        for f in fails:
            print("FAIL: %s" % f, file=sys.stderr)
        print("mutate selftest: %s (%d checks, %d failed)" % ("FAILED" if fails else "OK", count, len(fails)))
        return 1 if fails else 0
    if len(argv) < 6:
        print(__doc__, file=sys.stderr)
        return 1
    url, user, password_file, ca, action, obj = argv[:6]
    rest = argv[6:]
    try:
        if action in ("untag", "tag"):
            category, name = rest
            (untag if action == "untag" else tag)(url, user, read_password(password_file), obj, category, name, ca_file=ca)
            return 0
        si = connect(url, user, password_file, ca)
        try:
            if action == "nested-hv":
                set_nested_hv(si, obj, parse_value(rest[0]) is True)
            elif action in ("power-off", "power-on"):
                (power_off if action == "power-off" else power_on)(si, obj)
            elif action in ("dvpg-mac", "dvpg-security"):
                fields = dict((k, parse_value(v)) for k, _, v in (f.partition("=") for f in rest))
                (set_dvpg_mac_policy if action == "dvpg-mac" else set_dvpg_security)(si, obj, **fields)
            elif action == "host-pg":
                fields = dict((k, parse_value(v)) for k, _, v in (f.partition("=") for f in rest[1:]))
                update_portgroup(si, obj, rest[0], **fields)
            elif action in ("dvpg-state", "vm-state", "host-pg-state"):
                state = {"dvpg-state": dvpg_state, "vm-state": vm_state,
                         "host-pg-state": host_pg_state}[action](si, obj, *rest)
                print(json.dumps(state, sort_keys=True))
            else:
                raise ValueError("unknown action %r" % action)
        finally:
            Disconnect(si)
    except vmodl.MethodFault as e:
        print("mutate: %s %s: %s: %s" % (action, obj, e._wsdlName, e.msg), file=sys.stderr)
        return 1
    except (VapiError, LookupError, ValueError, TypeError, IndexError, OSError) as e:
        print("mutate: %s %s: %s" % (action, obj, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
