"""What both peers share: their command line, the tag lookup over vAPI REST, the pyVmomi login, and
nestwarden's policy written out again from README ("What is checked", "Port-level overrides") and
lib/policy.c, so that a peer's findings can be compared with nestwarden's `check --json`.

The peers differ only in how they read vCenter (bench/peers/pervm.py, bench/peers/collector.py);
what they conclude from what they read is this module's. They report no `unreadable` findings:
anything they cannot read (a fault, a missing property) ends them with exit 3 and a message, never
with a verdict. Exit codes are nestwarden's: 0 compliant, 1 drift, 3 unknown.
"""
import argparse
import base64
import http.client
import json
import re
import ssl
import sys
import urllib.parse

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import VmomiSupport, vim

EXIT_COMPLIANT, EXIT_DRIFT, EXIT_UNKNOWN = 0, 1, 3

# The order nestwarden sorts checks in (its enum), after the object.
CHECKS = ["nested_hv", "nested_hv_supported", "mac_learning", "promiscuous", "forged_transmits",
          "mac_changes", "mac_learning_limit", "unreadable"]
# [policy] defaults (lib/policy.c nw_policy_cfg_defaults); the peers take no config file.
ML_LIMIT, ML_LIMIT_POLICY = 4096, "drop"


class PeerError(Exception):
    """Something the peer could not read: it exits 3 instead of judging."""


def parse_args(doc):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--url", required=True, help="vCenter SDK URL, e.g. https://vc/sdk")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True, help="first line is the password")
    ap.add_argument("--ca-file", required=True, help="CA certificate(s) to trust, PEM")
    ap.add_argument("--category", default="nested")
    ap.add_argument("--tag", default="nested-hyperv")
    ap.add_argument("--page-size", type=int, default=1000,
                    help="maxObjects per RetrievePropertiesEx page (collector.py; pervm.py reads one at a time)")
    a = ap.parse_args()
    with open(a.password_file) as f:
        a.password = f.readline().rstrip("\r\n")
    a.ssl = ssl.create_default_context(cafile=a.ca_file)
    u = urllib.parse.urlsplit(a.url)
    a.host, a.port, a.path = u.hostname, u.port or 443, u.path or "/sdk"
    return a


def run(doc, check):
    """A peer's whole run: its arguments (usage from doc), the tagged VMs, a pyVmomi session for
    check(args, si, tagged) -> Findings; prints the JSON and exits with nestwarden's codes."""
    def main():
        a = parse_args(doc)
        tagged = tagged_vms(a)
        si = connect(a)
        try:
            return check(a, si, tagged)
        finally:
            disconnect(si)

    try:
        f = main()
    except (PeerError, vim.fault.VimFault, OSError, http.client.HTTPException) as e:
        print("%s: %s" % (sys.argv[0], e), file=sys.stderr)
        sys.exit(EXIT_UNKNOWN)
    json.dump(f.document(), sys.stdout, indent=1)
    sys.stdout.write("\n")
    sys.exit(EXIT_DRIFT if f.findings or f.template_findings else EXIT_COMPLIANT)


# ---- tags: vAPI REST, as nestwarden resolves them (category, then tag, by name) ------------------

class Vapi:
    """The legacy /rest flavour (what vCenter 6.7 and the scenario serve) over one keep-alive
    connection; replies are wrapped in {"value": ...}."""

    def __init__(self, a):
        self.conn = http.client.HTTPSConnection(a.host, a.port, context=a.ssl, timeout=120)
        self.token = None
        auth = base64.b64encode(("%s:%s" % (a.user, a.password)).encode()).decode()
        self.token = self.call("POST", "/rest/com/vmware/cis/session", auth=auth)

    def call(self, method, path, body=None, auth=None):
        headers = {}
        if auth:
            headers["Authorization"] = "Basic " + auth
        if self.token:
            headers["vmware-api-session-id"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        r = self.conn.getresponse()
        text = r.read()
        if r.status != 200:
            raise PeerError("vAPI %s %s: HTTP %d" % (method, path, r.status))
        return json.loads(text)["value"] if text else None

    def close(self):
        self.call("DELETE", "/rest/com/vmware/cis/session")
        self.conn.close()


def tagged_vms(a):
    """The morefs of the VMs carrying category/tag, sorted. A missing category or tag is an error,
    never "no VM" (README: What is checked)."""
    q = lambda i: urllib.parse.quote(i, safe="")  # noqa: E731
    v = Vapi(a)
    try:
        cat = next((c for c in v.call("GET", "/rest/com/vmware/cis/tagging/category")
                    if v.call("GET", "/rest/com/vmware/cis/tagging/category/id:" + q(c))["name"] == a.category), None)
        if cat is None:
            raise PeerError("tag category %r not found" % a.category)
        tag = next((t for t in v.call("POST", "/rest/com/vmware/cis/tagging/tag/id:%s?~action=list-tags-for-category"
                                      % q(cat), {})
                    if v.call("GET", "/rest/com/vmware/cis/tagging/tag/id:" + q(t))["name"] == a.tag), None)
        if tag is None:
            raise PeerError("tag %s/%s not found" % (a.category, a.tag))
        res = v.call("POST", "/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags",
                     {"tag_ids": [tag]})
    finally:
        v.close()
    vms = sorted({o["id"] for r in res for o in r["object_ids"] if o["type"] == "VirtualMachine"})
    if not vms:
        print("%s: warning: tag %s/%s is attached to no VM" % (sys.argv[0], a.category, a.tag), file=sys.stderr)
    return vms


# ---- pyVmomi ------------------------------------------------------------------------------------

def _teach_backing_type():
    """pyVmomi 6.7.1 does not know DVPortgroupConfigInfo.backingType (API 7.0) and fails to parse a
    whole portgroup `config` that carries it. A real vCenter sends it only to 7.0 clients; the
    scenario sends it at 6.7 on NSX portgroups (tests/scenario/README.md, "Known differences"). A
    newer pyVmomi knows the property, so teaching it here is what an admin's pyVmomi would do."""
    cls = vim.dvs.DistributedVirtualPortgroup.ConfigInfo
    if "backingType" not in cls._propInfo:
        info = VmomiSupport.Object(name="backingType", type=str, version="vim.version.version5",
                                   flags=VmomiSupport.F_OPTIONAL)
        cls._propInfo["backingType"] = info
        cls._propList.append(info)


def connect(a):
    _teach_backing_type()
    return SmartConnect(protocol="https", host=a.host, port=a.port, path=a.path, user=a.user, pwd=a.password,
                        sslContext=a.ssl)


def disconnect(si):
    Disconnect(si)


# ---- the policy ---------------------------------------------------------------------------------

def val(x):
    """A vCenter boolean as nestwarden reports it: absent is "unset", which never complies."""
    return "unset" if x is None else bool(x)


def _version(v):
    """Digits and dots, no empty component (else None: a version that cannot be ordered)."""
    if not isinstance(v, str) or not re.fullmatch(r"\d+(\.\d+)*", v):
        return None
    return [int(c) for c in v.split(".")]


def version_at_least(v, floor):
    a, b = _version(v), _version(floor)
    if a is None:
        return False
    n = max(len(a), len(b))
    return a + [0] * (n - len(a)) >= b + [0] * (n - len(b))


class Switch:
    """What MAC learning availability needs from a distributed switch."""

    def __init__(self, moref, name, version, features):
        self.moref, self.name, self.version = moref, name, version
        # An explicit false vetoes; absent defers to the version (README: When is MAC learning available?).
        self.ml_supported = getattr(features, "macLearningSupported", None) if features is not None else None

    def mac_learning_available(self, setting):
        return (self.ml_supported is not False and version_at_least(self.version, "6.6.0")
                and setting is not None and setting.macManagementPolicy is not None)


def judged_pg(uplink, backing_type):
    """Uplinks carry no VMs; NSX owns its portgroups' policy."""
    return not uplink and (backing_type or "").lower() != "nsx"


def override_allowed(policy):
    """config.policy lets ports override security or MAC management (either flag)."""
    return bool(policy is not None and (getattr(policy, "securityPolicyOverrideAllowed", None) or
                                        getattr(policy, "macManagementOverrideAllowed", None)))


def _limit(n):
    # nestwarden reads the limit as 0..INT32_MAX; anything else is absent.
    return n if isinstance(n, int) and 0 <= n <= 2**31 - 1 else None


class Findings:
    """Findings, notices and counts, as `nestwarden check --json` reports them."""

    def __init__(self, url):
        self.url = url
        self.findings, self.template_findings, self.notices = [], [], []
        self.checked = {"vms": 0, "templates": 0, "portgroups": 0, "ports": 0, "unreadable": 0}

    def _add(self, kind, obj, name, check, expected, actual, hint=None, template=False):
        if expected == actual:
            return
        f = {"object": obj, "kind": kind, "name": name, "check": check, "expected": expected, "actual": actual}
        if hint is not None:
            f["hint"] = hint
        (self.template_findings if template else self.findings).append(f)

    def vm(self, moref, name, template, power_state, nested_hv, hw_version, nested_hv_supported):
        """nested_hv and nested_hv_supported. The hints are nestwarden's: they say how power state
        and templates bear on the fix."""
        self.checked["templates" if template else "vms"] += 1
        if power_state == "poweredOn":
            action = "VM is powered on: the change needs a power-off"
        elif template:
            action = "template: fix it so new clones inherit nestedHVEnabled"
        else:
            action = "set 'Expose hardware assisted virtualization to the guest OS' (config.nestedHVEnabled)"
        self._add("vm", moref, name, "nested_hv", True, val(nested_hv),
                  ("nestedHVEnabled was never set; " if nested_hv is None else "") + action, template)
        m = re.match(r"vmx-(\d+)", hw_version or "")
        hw = int(m.group(1)) if m else 0
        old_hw, unsupported = 0 < hw < 9, nested_hv_supported is False
        if old_hw or unsupported:
            causes = []
            if old_hw:
                causes.append("hardware version vmx-%02d is below vmx-09: upgrade the VM compatibility" % hw)
            if unsupported:
                causes.append("capability.nestedHVSupported is false: the VM or its host cannot expose hardware "
                              "virtualization")
            self._add("vm", moref, name, "nested_hv_supported", True, False, "; ".join(causes), template)

    def dvportgroup(self, moref, name, switch, setting, policy):
        """A judged DV portgroup (the caller skips uplinks and NSX): its notice, then its rules."""
        self.checked["portgroups"] += 1
        sec_o = getattr(policy, "securityPolicyOverrideAllowed", None) if policy is not None else None
        mac_o = getattr(policy, "macManagementOverrideAllowed", None) if policy is not None else None
        if sec_o or mac_o:
            self.notices.append({
                "object": moref, "kind": "dvportgroup", "name": name, "notice": "port_override_allowed",
                "detail": "ports may override its %s: each port is judged" % (
                    "security and MAC management policies" if sec_o and mac_o else
                    "security policy" if sec_o else "MAC management policy")})
        self._setting("dvportgroup", moref, name, switch.mac_learning_available(setting), setting,
                      overridden_only=False)

    def dvport(self, port_id, name, switch, pg_setting, setting):
        """A DV port of a tagged VM's NIC on a portgroup allowing overrides: judged with the
        portgroup's rules (MAC learning availability is the portgroup's), on what it overrides only."""
        self.checked["ports"] += 1
        self._setting("dvport", port_id, name, switch.mac_learning_available(pg_setting), setting,
                      overridden_only=True)

    def _setting(self, kind, obj, name, available, setting, overridden_only):
        mac = setting.macManagementPolicy if setting is not None else None
        sec = setting.securityPolicy if setting is not None else None
        if available:
            if overridden_only and (mac is None or mac.inherited is True):
                return
            learn = mac.macLearningPolicy
            self._add(kind, obj, name, "mac_learning", True, val(learn.enabled if learn else None))
            self._add(kind, obj, name, "promiscuous", False, val(mac.allowPromiscuous))
            self._add(kind, obj, name, "forged_transmits", True, val(mac.forgedTransmits))
            self._add(kind, obj, name, "mac_changes", False, val(mac.macChanges))
            actual = {"limit": _limit(learn.limit if learn else None),
                      "limit_policy": (learn.limitPolicy or None) if learn else None}
            self._add(kind, obj, name, "mac_learning_limit", {"limit": ML_LIMIT, "limit_policy": ML_LIMIT_POLICY},
                      actual)
            return
        # Without MAC learning: promiscuous on and forged transmits on, from macManagementPolicy where
        # vCenter sent it, else from the deprecated securityPolicy.
        if mac is not None:
            if overridden_only and mac.inherited is True:
                return
            prom, forged = mac.allowPromiscuous, mac.forgedTransmits
        elif sec is not None:
            if overridden_only and sec.inherited is True:
                return
            bp = lambda p: p.value if p is not None else None  # noqa: E731 - a BoolPolicy's value
            prom, forged = bp(sec.allowPromiscuous), bp(sec.forgedTransmits)
        elif overridden_only:
            return
        else:
            prom = forged = None
        self._add(kind, obj, name, "promiscuous", True, val(prom))
        self._add(kind, obj, name, "forged_transmits", True, val(forged))

    def portgroup(self, host, pg_name, security):
        """A standard portgroup on a host, judged on its computedPolicy.security."""
        self.checked["portgroups"] += 1
        obj = "%s/%s" % (host, pg_name)
        self._add("portgroup", obj, pg_name, "promiscuous", True, val(security.allowPromiscuous if security else None))
        self._add("portgroup", obj, pg_name, "forged_transmits", True,
                  val(security.forgedTransmits if security else None))

    def document(self):
        key = lambda f: (f["object"], CHECKS.index(f["check"]), f["kind"], f["name"] or "")  # noqa: E731
        return {"vcenter": self.url, "checked": self.checked,
                "findings": sorted(self.findings, key=key), "template_findings": sorted(self.template_findings, key=key),
                "notices": sorted(self.notices, key=lambda n: n["object"])}


def port_setting(port, port_id):
    """A port's config.setting; a port not returned, or without its policies, cannot be judged."""
    setting = port.config.setting if port is not None and port.config is not None else None
    if setting is None or (setting.macManagementPolicy is None and setting.securityPolicy is None):
        raise PeerError("port %s: not returned by FetchDVPorts, or without its setting" % port_id)
    return setting


def nic_ports(devices):
    """(label, portgroup key, port key) of each NIC bound to a DV port: the backing names both."""
    for d in devices or []:
        b = d.backing
        if isinstance(b, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo) and b.port and \
                b.port.portgroupKey and b.port.portKey:
            label = d.deviceInfo.label if d.deviceInfo and d.deviceInfo.label else "network adapter"
            yield label, b.port.portgroupKey, b.port.portKey
