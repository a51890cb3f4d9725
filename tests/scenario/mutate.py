#!/usr/bin/python3
"""Change a running nw-scenario the way the daemon tests need, as an operator would on vCenter.

Run with Debian's /usr/bin/python3 (python3-pyvmomi 6.7.1). As a module:

    import mutate
    si = mutate.connect(url, user, password_file, ca_file)
    mutate.set_nested_hv(si, "vm-58", False)
    mutate.set_dvpg_mac_policy(si, "dvportgroup-38", allow_promiscuous=True, learning_limit=10)
    mutate.set_dvpg_security(si, "dvportgroup-51", forged_transmits=False)
    mutate.power_off(si, "vm-58"); mutate.power_on(si, "vm-58")
    mutate.untag(url, user, password, "vm-58", "nested", "nested-hyperv", ca_file=ca_file)
    mutate.tag(url, user, password, "vm-58", "nested", "nested-hyperv", ca_file=ca_file)

As a command (CA_FILE may be "" to skip verification; values true/false/numbers/words):

    mutate.py URL USER PASSWORD_FILE CA_FILE nested-hv vm-58 true
    mutate.py URL USER PASSWORD_FILE CA_FILE dvpg-mac dvportgroup-38 allow_promiscuous=true learning_limit=10
    mutate.py URL USER PASSWORD_FILE CA_FILE dvpg-security dvportgroup-51 forged_transmits=false
    mutate.py URL USER PASSWORD_FILE CA_FILE power-off vm-58        (power-on alike)
    mutate.py URL USER PASSWORD_FILE CA_FILE untag vm-58 nested nested-hyperv   (tag alike)
    mutate.py --selftest "$(head -1 scenario.out)" [--password-file F]   (a curated scenario; restores it)

Every call waits for its task (the simulator finishes tasks before answering) and raises the task's
fault (a vmodl.MethodFault) on error; vAPI errors raise VapiError. Exit status 0, 1 on error.
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


def props(si, obj, paths):
    """A fresh RetrievePropertiesEx of obj's paths: {path: value}, unset paths left out."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)], propSet=[PC.PropertySpec(type=type(obj), pathSet=paths)])
    res = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    return {p.name: p.val for p in res.objects[0].propSet} if res else {}


def _vm(si, moref):
    return vim.VirtualMachine(moref, si._stub)


def _dvpg(si, moref):
    return vim.dvs.DistributedVirtualPortgroup(moref, si._stub)


def set_nested_hv(si, vm_moref, value):
    """ReconfigVM_Task with nestedHVEnabled. The simulator accepts it on a powered-on VM (vCenter
    answers InvalidPowerState): power off first to act as on vCenter."""
    wait_task(_vm(si, vm_moref).ReconfigVM_Task(vim.vm.ConfigSpec(nestedHVEnabled=bool(value))))


def power_off(si, vm_moref):
    wait_task(_vm(si, vm_moref).PowerOffVM_Task())


def power_on(si, vm_moref):
    wait_task(_vm(si, vm_moref).PowerOnVM_Task())


# What a reconfiguration sends besides defaultPortConfig: vcsim replaces every one of these with the
# spec's, set or not, so they go along as they are (vCenter keeps what a spec leaves out; sending
# them unchanged is the same to it).
KEPT = ("name", "type", "numPorts", "autoExpand", "description", "policy", "portNameFormat")


def reconfigure_dvpg(si, dvpg_moref, setting):
    """ReconfigureDVPortgroup_Task with the whole port setting, at the current configVersion."""
    pg = _dvpg(si, dvpg_moref)
    cur = props(si, pg, ["config.configVersion", "config.backingType"] + ["config." + k for k in KEPT])
    if cur.get("config.backingType") == "nsx":
        # pyVmomi 6.7 has no backingType to send, and vcsim would reset it to unset.
        raise ValueError("%s is NSX-backed: a reconfiguration would lose its backingType" % dvpg_moref)
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=cur["config.configVersion"],
                                                          defaultPortConfig=setting)
    for k in KEPT:
        if "config." + k in cur:
            setattr(spec, k, cur["config." + k])
    wait_task(pg.ReconfigureDVPortgroup_Task(spec))


def _change_policy(si, dvpg_moref, fields, allowed):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError("unknown field(s) %s; known: %s" % (", ".join(sorted(unknown)), ", ".join(sorted(allowed))))
    setting = props(si, _dvpg(si, dvpg_moref), ["config.defaultPortConfig"])["config.defaultPortConfig"]
    mm = setting.macManagementPolicy or DVS.MacManagementPolicy(inherited=False)
    sec = setting.securityPolicy or DVS.SecurityPolicy(inherited=False)
    setting.macManagementPolicy, setting.securityPolicy = mm, sec
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
    reconfigure_dvpg(si, dvpg_moref, setting)


def set_dvpg_mac_policy(si, dvpg_moref, **fields):
    """Changes fields of the portgroup's macManagementPolicy, securityPolicy kept in step. Fields:
    allow_promiscuous, forged_transmits, mac_changes (bool), learning_enabled,
    learning_allow_unicast_flooding (bool), learning_limit (int), learning_limit_policy ("allow"
    or "drop"). The rest of defaultPortConfig is sent as it is."""
    _change_policy(si, dvpg_moref, fields, list(MAC_FIELDS) + list(LEARNING_FIELDS))


def set_dvpg_security(si, dvpg_moref, **fields):
    """For a portgroup of the 6.5 switch (no MAC learning): securityPolicy's allow_promiscuous,
    forged_transmits, mac_changes, macManagementPolicy kept in step."""
    _change_policy(si, dvpg_moref, fields, list(MAC_FIELDS))


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
    """Runs every function against a curated scenario, checks each change with a fresh retrieval
    and puts everything back. Returns (checks, failures)."""
    ready = json.loads(line)
    url, ca = ready["url"], ready["ca_file"]
    si = login(url, user, password, ca)
    fails, count = [], [0]

    def expect(cond, what):
        count[0] += 1
        if not cond:
            fails.append(what)

    try:
        content = si.RetrieveContent()
        names = {}
        for kind in (vim.VirtualMachine, vim.dvs.DistributedVirtualPortgroup):
            v = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
            names.update({props(si, o, ["name"])["name"]: o._moId for o in v.view})
            v.Destroy()
        vm, ml, legacy = names["hv-ok-01"], names["pg-ml-ok"], names["pg-legacy-ok"]

        def vm_state():
            p = props(si, _vm(si, vm), ["runtime.powerState", "config.nestedHVEnabled"])
            return p["runtime.powerState"], p.get("config.nestedHVEnabled")

        expect(vm_state() == ("poweredOn", True), "hv-ok-01 starts as %s" % (vm_state(),))
        power_off(si, vm)
        expect(vm_state()[0] == "poweredOff", "power_off: %s" % (vm_state(),))
        set_nested_hv(si, vm, False)
        expect(vm_state()[1] is False, "set_nested_hv(False): %s" % (vm_state(),))
        set_nested_hv(si, vm, True)
        power_on(si, vm)
        expect(vm_state() == ("poweredOn", True), "set_nested_hv(True), power_on: %s" % (vm_state(),))

        for moref, change, fields in ((ml, set_dvpg_mac_policy, {"allow_promiscuous": True, "mac_changes": True,
                                                                  "learning_limit": 10, "learning_limit_policy": "allow"}),
                                      (legacy, set_dvpg_security, {"forged_transmits": False})):
            paths = ["config.defaultPortConfig", "config.configVersion", "config.name", "config.policy"]
            before = props(si, _dvpg(si, moref), paths)
            change(si, moref, **fields)
            after = props(si, _dvpg(si, moref), paths)
            mm, sec = after["config.defaultPortConfig"].macManagementPolicy, after["config.defaultPortConfig"].securityPolicy
            for key, name in MAC_FIELDS.items():
                want = fields.get(key, getattr(before["config.defaultPortConfig"].macManagementPolicy, name))
                expect(getattr(mm, name) == want and getattr(sec, name).value == want,
                       "%s %s: %s/%s, want %s" % (change.__name__, name, getattr(mm, name), getattr(sec, name).value, want))
            for key, name in LEARNING_FIELDS.items():
                if key in fields:
                    expect(getattr(mm.macLearningPolicy, name) == fields[key], "%s %s" % (change.__name__, name))
            expect(int(after["config.configVersion"]) == int(before["config.configVersion"]) + 1,
                   "%s: configVersion %s after %s" % (change.__name__, after["config.configVersion"], before["config.configVersion"]))
            expect(after["config.name"] == before["config.name"] and after.get("config.policy") is not None,
                   "%s lost the portgroup's name or policy" % change.__name__)
            reconfigure_dvpg(si, moref, before["config.defaultPortConfig"])  # put it back, inherited flags too
            back = props(si, _dvpg(si, moref), paths)["config.defaultPortConfig"].macManagementPolicy
            expect(back.allowPromiscuous == before["config.defaultPortConfig"].macManagementPolicy.allowPromiscuous and
                   back.forgedTransmits == before["config.defaultPortConfig"].macManagementPolicy.forgedTransmits,
                   "%s not restored" % moref)
        try:
            set_dvpg_security(si, legacy, learning_enabled=True)
            expect(False, "set_dvpg_security accepted a learning field")
        except TypeError:
            expect(True, "")

        v = Vapi(url, user, password, ca)
        try:
            untag(url, user, password, vm, "nested", "nested-hyperv", ca_file=ca)
            expect(vm not in v.attached("nested", "nested-hyperv"), "untag: still attached")
            tag(url, user, password, vm, "nested", "nested-hyperv", ca_file=ca)
            expect(vm in v.attached("nested", "nested-hyperv"), "tag: not attached")
        finally:
            v.close()
    finally:
        Disconnect(si)
    return count[0], fails


def parse_value(s):
    low = s.lower()
    if low in ("true", "false"):
        return low == "true"
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
            else:
                raise ValueError("unknown action %r" % action)
        finally:
            Disconnect(si)
    except vmodl.MethodFault as e:
        print("mutate: %s %s: %s: %s" % (action, obj, e._wsdlName, e.msg), file=sys.stderr)
        return 1
    except (VapiError, LookupError, ValueError, TypeError, OSError) as e:
        print("mutate: %s %s: %s" % (action, obj, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
