#!/usr/bin/python3
"""The per-VM script an admin writes: nestwarden's check, the way people usually write it with pyVmomi.
A benchmark peer (bench/compare.py), not part of nestwarden.

  bench/peers/pervm.py --url URL --user USER --password-file FILE --ca-file FILE
                       [--category nested] [--tag nested-hyperv]

The tagged VMs come from the vSphere tagging REST API; then, VM by VM, it reads what it needs through
pyVmomi's managed-object properties: every attribute of a managed object (vm.config, vm.runtime,
net.name, pg.config, host.config, ...) is one RetrievePropertiesEx for that one property, a round
trip at a time. It is a careful admin's script, not a straw man: it keeps what one access returned
(vm.config once per VM, not once per field) and judges each portgroup once (a report names a
portgroup once anyway), but it keeps nothing else and reads each NIC's DV port with its own
FetchDVPorts. Prints the findings as `nestwarden check --json` does (common.py has the policy).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from pyVmomi import vim  # noqa: E402


def check(a, si, tagged):
    f = common.Findings(a.url)
    dvpgs = {}          # portgroup moref -> (config, Switch, judged), for the NICs' ports below
    std_seen = set()    # (host, portgroup name) pairs judged
    for moref in tagged:
        vm = vim.VirtualMachine(moref, si._stub)
        name = vm.name
        config = vm.config
        runtime = vm.runtime
        f.vm(moref, name, config.template, runtime.powerState, config.nestedHVEnabled, config.version,
             vm.capability.nestedHVSupported)

        for net in vm.network:
            if isinstance(net, vim.dvs.DistributedVirtualPortgroup):
                if net._moId in dvpgs:
                    continue
                pg = net.config
                dvs = pg.distributedVirtualSwitch
                switch = common.Switch(dvs._moId, dvs.name, dvs.config.productInfo.version,
                                       dvs.capability.featuresSupported)
                judged = common.judged_pg(pg.uplink, pg.backingType)
                dvpgs[net._moId] = (pg, switch, judged)
                if judged:
                    f.dvportgroup(net._moId, pg.name, switch, pg.defaultPortConfig, pg.policy)
            elif isinstance(net, vim.OpaqueNetwork):
                continue    # NSX-T owns it
            else:
                # A standard portgroup lives on the VM's host: judge the host's computed policy.
                pg_name = net.name
                host = runtime.host
                if host is None:
                    raise common.PeerError("VM %s has no host: its portgroup %s is unknown" % (moref, pg_name))
                if (host._moId, pg_name) in std_seen:
                    continue
                std_seen.add((host._moId, pg_name))
                hpg = next((p for p in host.config.network.portgroup if p.spec.name == pg_name), None)
                if hpg is None:
                    raise common.PeerError("host %s has no portgroup %s" % (host._moId, pg_name))
                f.portgroup(host._moId, pg_name, hpg.computedPolicy.security if hpg.computedPolicy else None)

        # The NICs' own ports, where their portgroup lets ports override it (not for templates).
        if config.template:
            continue
        for label, pg_key, port_key in common.nic_ports(config.hardware.device):
            pg, switch, judged = dvpgs.get(pg_key, (None, None, False))
            if not judged or not common.override_allowed(pg.policy):
                continue
            dvs = vim.DistributedVirtualSwitch(switch.moref, si._stub)
            ports = dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[port_key]))
            port_id = "%s/%s" % (switch.moref, port_key)
            setting = common.port_setting(next((p for p in ports or [] if p.key == port_key), None), port_id)
            f.dvport(port_id, "%s %s" % (name, label), switch, pg.defaultPortConfig, setting)
    return f


if __name__ == "__main__":
    common.run(__doc__, check)
