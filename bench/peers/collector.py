#!/usr/bin/python3
"""A tuned pyVmomi script: nestwarden's check done with PropertyCollector retrievals, as someone who knows
the API writes it. A benchmark peer (bench/compare.py), not part of nestwarden.

  bench/peers/collector.py --url URL --user USER --password-file FILE --ca-file FILE
                           [--category nested] [--tag nested-hyperv] [--page-size 1000]

The tagged VMs come from the vSphere tagging REST API. Then one RetrievePropertiesEx (paged with
ContinueRetrievePropertiesEx, --page-size objects a page) reads everything the verdict needs, and only
the paths it needs: the tagged VMs, with a traversal to their networks (DV portgroups by leaf paths),
plus a container view of the distributed switches and hosts. Where a portgroup lets its ports
override its policy, a second retrieval reads the devices of the VMs on it, and FetchDVPorts reads
their ports, one call per switch (page-size keys each). Then it evaluates, as common.py says, and
prints the findings as `nestwarden check --json` does.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

PC = vmodl.query.PropertyCollector
VM_PATHS = ["name", "runtime.powerState", "runtime.host", "config.template", "config.nestedHVEnabled",
            "config.version", "capability.nestedHVSupported", "network"]
# Leaf paths: a whole DV portgroup config is more than the verdict needs.
DVPG_PATHS = ["name", "config.distributedVirtualSwitch", "config.uplink", "config.backingType",
              "config.defaultPortConfig", "config.policy"]
DVS_PATHS = ["name", "config.productInfo.version", "capability.featuresSupported"]
HOST_PATHS = ["config.network.portgroup"]


def retrieve(pc, spec, page_size):
    """{moref: {path: value}} over all pages; an object with a missingSet is an error, not a verdict."""
    out = {}
    res = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=page_size))
    while res is not None:
        for oc in res.objects:
            if oc.missingSet:
                raise common.PeerError("%s: %s not readable (%s)" % (oc.obj._moId, oc.missingSet[0].path,
                                                                     type(oc.missingSet[0].fault).__name__))
            out[oc.obj._moId] = {p.name: p.val for p in oc.propSet}
        res = pc.ContinueRetrievePropertiesEx(res.token) if res.token else None
    return out


def check(a, si, tagged):
    content = si.RetrieveContent()
    pc, stub = content.propertyCollector, si._stub
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.DistributedVirtualSwitch, vim.HostSystem],
                                                   True)
    try:
        to_net = PC.TraversalSpec(name="vmToNetwork", type=vim.VirtualMachine, path="network", skip=False)
        in_view = PC.TraversalSpec(name="inView", type=vim.view.ContainerView, path="view", skip=False)
        objs = retrieve(pc, PC.FilterSpec(
            objectSet=[PC.ObjectSpec(obj=vim.VirtualMachine(m, stub), skip=False, selectSet=[to_net]) for m in tagged] +
                      [PC.ObjectSpec(obj=view, skip=True, selectSet=[in_view])],
            propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=VM_PATHS),
                     PC.PropertySpec(type=vim.Network, pathSet=["name"]),
                     PC.PropertySpec(type=vim.dvs.DistributedVirtualPortgroup, pathSet=DVPG_PATHS),
                     PC.PropertySpec(type=vim.DistributedVirtualSwitch, pathSet=DVS_PATHS),
                     PC.PropertySpec(type=vim.HostSystem, pathSet=HOST_PATHS)]), a.page_size)
    finally:
        view.Destroy()

    def get(moref, what):
        if moref not in objs:
            raise common.PeerError("%s %s was not returned" % (what, moref))
        return objs[moref]

    f = common.Findings(a.url)
    dvpgs = {}          # portgroup moref -> (properties, Switch, judged)
    std_seen = set()
    port_vms = []       # non-template VMs with a NIC on a portgroup allowing overrides
    for moref in tagged:
        vm = get(moref, "VM")
        template = vm.get("config.template")
        f.vm(moref, vm["name"], template, vm.get("runtime.powerState"), vm.get("config.nestedHVEnabled"),
             vm.get("config.version"), vm.get("capability.nestedHVSupported"))
        wants_ports = False
        for net in vm.get("network") or []:
            if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
                if net._moId not in dvpgs:
                    pg = get(net._moId, "DV portgroup")
                    dvs = pg["config.distributedVirtualSwitch"]._moId
                    sw = get(dvs, "switch")
                    switch = common.Switch(dvs, sw.get("name"), sw.get("config.productInfo.version"),
                                           sw.get("capability.featuresSupported"))
                    judged = common.judged_pg(pg.get("config.uplink"), pg.get("config.backingType"))
                    dvpgs[net._moId] = (pg, switch, judged)
                    if judged:
                        f.dvportgroup(net._moId, pg["name"], switch, pg.get("config.defaultPortConfig"),
                                      pg.get("config.policy"))
                pg, _, judged = dvpgs[net._moId]
                wants_ports |= judged and common.override_allowed(pg.get("config.policy"))
            elif isinstance(net, vim.OpaqueNetwork):
                continue
            else:
                pg_name = get(net._moId, "network")["name"]
                host = vm.get("runtime.host")
                if host is None:
                    raise common.PeerError("VM %s has no host: its portgroup %s is unknown" % (moref, pg_name))
                if (host._moId, pg_name) in std_seen:
                    continue
                std_seen.add((host._moId, pg_name))
                hpg = next((p for p in get(host._moId, "host").get("config.network.portgroup") or []
                            if p.spec.name == pg_name), None)
                if hpg is None:
                    raise common.PeerError("host %s has no portgroup %s" % (host._moId, pg_name))
                f.portgroup(host._moId, pg_name, hpg.computedPolicy.security if hpg.computedPolicy else None)
        if wants_ports and not template:
            port_vms.append(moref)
    if port_vms:
        ports(a, pc, stub, f, objs, dvpgs, port_vms)
    return f


def ports(a, pc, stub, f, objs, dvpgs, port_vms):
    """The devices of the VMs that need it, then their ports, one FetchDVPorts per switch and page."""
    devices = retrieve(pc, PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vim.VirtualMachine(m, stub)) for m in port_vms],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["config.hardware.device"])]), a.page_size)
    wanted = {}         # switch moref -> {port key: (NIC name, portgroup properties, Switch)}
    for moref in port_vms:
        if "config.hardware.device" not in devices.get(moref, {}):
            raise common.PeerError("VM %s: devices not returned" % moref)
        for label, pg_key, port_key in common.nic_ports(devices[moref]["config.hardware.device"]):
            pg, switch, judged = dvpgs.get(pg_key, (None, None, False))
            if judged and common.override_allowed(pg.get("config.policy")):
                wanted.setdefault(switch.moref, {})[port_key] = ("%s %s" % (objs[moref]["name"], label), pg, switch)
    for dvs, keys in wanted.items():
        keys_list = sorted(keys)
        for off in range(0, len(keys_list), a.page_size):
            batch = keys_list[off:off + a.page_size]
            got = {p.key: p for p in vim.DistributedVirtualSwitch(dvs, stub).FetchDVPorts(
                vim.dvs.PortCriteria(portKey=batch)) or []}
            for key in batch:
                name, pg, switch = keys[key]
                port_id = "%s/%s" % (dvs, key)
                f.dvport(port_id, name, switch, pg.get("config.defaultPortConfig"),
                         common.port_setting(got.get(key), port_id))


if __name__ == "__main__":
    common.run(__doc__, check)
