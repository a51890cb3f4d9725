// Policy objects as vCenter 6.7 reports them: DV port settings that carry both the deprecated
// securityPolicy and macManagementPolicy in step, and standard-switch portgroups whose
// computedPolicy is the vSwitch policy overlaid with the portgroup's overrides (vcsim leaves
// computedPolicy empty for portgroups it did not ship with).
package main

import (
	"github.com/vmware/govmomi/vim25/types"
)

func boolPolicy(v, inherited bool) *types.BoolPolicy {
	return &types.BoolPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		Value:             types.NewBool(v),
	}
}

// applyMacPolicy sets securityPolicy and macManagementPolicy on a DV port setting. On a portgroup
// (atSwitch false) a value equal to the switch default counts as inherited, the way a portgroup
// that never overrode it looks in vCenter.
func applyMacPolicy(s *types.VMwareDVSPortSetting, p macPolicy, atSwitch bool) {
	d := switchDefault
	inh := func(same bool) bool { return !atSwitch && same }

	pInh := inh(p.Promiscuous == d.Promiscuous)
	fInh := inh(p.Forged == d.Forged)
	mInh := inh(p.MacChanges == d.MacChanges)
	lInh := inh(p.Learning == d.Learning && p.Flooding == d.Flooding &&
		p.Limit == d.Limit && p.LimitPolicy == d.LimitPolicy)

	s.SecurityPolicy = &types.DVSSecurityPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: pInh && fInh && mInh},
		AllowPromiscuous:  boolPolicy(p.Promiscuous, pInh),
		MacChanges:        boolPolicy(p.MacChanges, mInh),
		ForgedTransmits:   boolPolicy(p.Forged, fInh),
	}
	limit := p.Limit
	s.MacManagementPolicy = &types.DVSMacManagementPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: pInh && fInh && mInh && lInh},
		AllowPromiscuous:  types.NewBool(p.Promiscuous),
		MacChanges:        types.NewBool(p.MacChanges),
		ForgedTransmits:   types.NewBool(p.Forged),
		MacLearningPolicy: &types.DVSMacLearningPolicy{
			InheritablePolicy:    types.InheritablePolicy{Inherited: lInh},
			Enabled:              p.Learning,
			AllowUnicastFlooding: types.NewBool(p.Flooding),
			Limit:                &limit,
			LimitPolicy:          p.LimitPolicy,
		},
	}
}

// The rest of a port setting, beside the MAC policies: what vCenter 6.7 gives a new switch, and
// what the scenario gives every DV portgroup it plans, so that a reconfiguration that loses or
// resets a sub-policy shows. A portgroup overrides the VLAN, teaming and inbound shaping, and
// inherits outbound shaping and blocked.
func applySwitchPortDefaults(s *types.VMwareDVSPortSetting) {
	s.Vlan = &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: 0}
	s.Blocked = boolPolicy(false, false)
	s.UplinkTeamingPolicy = &types.VmwareUplinkPortTeamingPolicy{
		Policy:         &types.StringPolicy{Value: "loadbalance_srcid"},
		ReversePolicy:  boolPolicy(true, false),
		NotifySwitches: boolPolicy(true, false),
		RollingOrder:   boolPolicy(false, false),
		UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{
			ActiveUplinkPort: []string{"dvUplink1", "dvUplink2"},
		},
	}
	s.InShapingPolicy = shaping(false, 100000000, 100000000, 104857600, false)
	s.OutShapingPolicy = shaping(false, 100000000, 100000000, 104857600, false)
}

func shaping(enabled bool, average, peak, burst int64, inherited bool) *types.DVSTrafficShapingPolicy {
	long := func(v int64) *types.LongPolicy {
		return &types.LongPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: inherited}, Value: v}
	}
	return &types.DVSTrafficShapingPolicy{
		InheritablePolicy: types.InheritablePolicy{Inherited: inherited},
		Enabled:           boolPolicy(enabled, inherited),
		AverageBandwidth:  long(average),
		PeakBandwidth:     long(peak),
		BurstSize:         long(burst),
	}
}

// applyPortgroupSettings gives a planned DV portgroup its VLAN and the overrides above.
func applyPortgroupSettings(s *types.VMwareDVSPortSetting, vlan int32) {
	s.Vlan = &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: vlan}
	s.Blocked = boolPolicy(false, true)
	s.UplinkTeamingPolicy = &types.VmwareUplinkPortTeamingPolicy{
		Policy:         &types.StringPolicy{Value: "failover_explicit"},
		ReversePolicy:  boolPolicy(true, true),
		NotifySwitches: boolPolicy(true, true),
		RollingOrder:   boolPolicy(false, true),
		UplinkPortOrder: &types.VMwareUplinkPortOrderPolicy{
			ActiveUplinkPort:  []string{"dvUplink2"},
			StandbyUplinkPort: []string{"dvUplink1"},
		},
	}
	s.InShapingPolicy = shaping(true, 50000000, 80000000, 52428800, false)
	s.OutShapingPolicy = shaping(false, 100000000, 100000000, 104857600, true)
}

// portgroupVLAN is the VLAN of the i-th planned DV portgroup: 100, 101, ... (pg-ml-ok is 100).
func portgroupVLAN(i int) int32 { return int32(100 + i%3900) }

func (s security) policy() *types.HostNetworkSecurityPolicy {
	return &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: copyBool(s.Promiscuous),
		ForgedTransmits:  copyBool(s.Forged),
		MacChanges:       copyBool(s.MacChanges),
	}
}

func copyBool(b *bool) *bool {
	if b == nil {
		return nil
	}
	v := *b
	return &v
}

func pickBool(over, base *bool) *bool {
	if over != nil {
		return copyBool(over)
	}
	return copyBool(base)
}

func pickString(over, base string) string {
	if over != "" {
		return over
	}
	return base
}

// overlayPolicy computes what ESXi reports as computedPolicy: each field set in the portgroup's
// spec wins, every unset field comes from the vSwitch.
func overlayPolicy(sw, pg types.HostNetworkPolicy) types.HostNetworkPolicy {
	var out types.HostNetworkPolicy

	swSec, pgSec := sw.Security, pg.Security
	if swSec == nil {
		swSec = &types.HostNetworkSecurityPolicy{}
	}
	if pgSec == nil {
		pgSec = &types.HostNetworkSecurityPolicy{}
	}
	out.Security = &types.HostNetworkSecurityPolicy{
		AllowPromiscuous: pickBool(pgSec.AllowPromiscuous, swSec.AllowPromiscuous),
		MacChanges:       pickBool(pgSec.MacChanges, swSec.MacChanges),
		ForgedTransmits:  pickBool(pgSec.ForgedTransmits, swSec.ForgedTransmits),
	}

	swT, pgT := sw.NicTeaming, pg.NicTeaming
	if swT == nil {
		swT = &types.HostNicTeamingPolicy{}
	}
	if pgT == nil {
		pgT = &types.HostNicTeamingPolicy{}
	}
	out.NicTeaming = &types.HostNicTeamingPolicy{
		Policy:         pickString(pgT.Policy, swT.Policy),
		ReversePolicy:  pickBool(pgT.ReversePolicy, swT.ReversePolicy),
		NotifySwitches: pickBool(pgT.NotifySwitches, swT.NotifySwitches),
		RollingOrder:   pickBool(pgT.RollingOrder, swT.RollingOrder),
		NicOrder:       swT.NicOrder,
	}
	if pgT.NicOrder != nil {
		out.NicTeaming.NicOrder = pgT.NicOrder
	}
	swF, pgF := swT.FailureCriteria, pgT.FailureCriteria
	if swF == nil {
		swF = &types.HostNicFailureCriteria{}
	}
	if pgF == nil {
		pgF = &types.HostNicFailureCriteria{}
	}
	out.NicTeaming.FailureCriteria = &types.HostNicFailureCriteria{
		CheckSpeed:        pickString(pgF.CheckSpeed, swF.CheckSpeed),
		Speed:             swF.Speed,
		CheckDuplex:       pickBool(pgF.CheckDuplex, swF.CheckDuplex),
		FullDuplex:        pickBool(pgF.FullDuplex, swF.FullDuplex),
		CheckErrorPercent: pickBool(pgF.CheckErrorPercent, swF.CheckErrorPercent),
		Percentage:        swF.Percentage,
		CheckBeacon:       pickBool(pgF.CheckBeacon, swF.CheckBeacon),
	}
	if pgF.Speed != 0 {
		out.NicTeaming.FailureCriteria.Speed = pgF.Speed
	}
	if pgF.Percentage != 0 {
		out.NicTeaming.FailureCriteria.Percentage = pgF.Percentage
	}

	swO, pgO := sw.OffloadPolicy, pg.OffloadPolicy
	if swO == nil {
		swO = &types.HostNetOffloadCapabilities{}
	}
	if pgO == nil {
		pgO = &types.HostNetOffloadCapabilities{}
	}
	out.OffloadPolicy = &types.HostNetOffloadCapabilities{
		CsumOffload:     pickBool(pgO.CsumOffload, swO.CsumOffload),
		TcpSegmentation: pickBool(pgO.TcpSegmentation, swO.TcpSegmentation),
		ZeroCopyXmit:    pickBool(pgO.ZeroCopyXmit, swO.ZeroCopyXmit),
	}

	// Shaping is overridden as a whole once the portgroup sets "enabled".
	shaping := sw.ShapingPolicy
	if pg.ShapingPolicy != nil && pg.ShapingPolicy.Enabled != nil {
		shaping = pg.ShapingPolicy
	}
	if shaping != nil {
		s := *shaping
		s.Enabled = copyBool(shaping.Enabled)
		out.ShapingPolicy = &s
	}
	return out
}

func vswitchKey(name string) string   { return "key-vim.host.VirtualSwitch-" + name }
func portgroupKey(name string) string { return "key-vim.host.PortGroup-" + name }

// newVSwitch builds a second vSwitch shaped like ESXi's vSwitch0, on its own uplink.
func newVSwitch(name, nic string) types.HostVirtualSwitch {
	return types.HostVirtualSwitch{
		Name:              name,
		Key:               vswitchKey(name),
		NumPorts:          1536,
		NumPortsAvailable: 1536,
		Mtu:               1500,
		Pnic:              []string{"key-vim.host.PhysicalNic-" + nic},
		Spec: types.HostVirtualSwitchSpec{
			NumPorts: 128,
			Bridge: &types.HostVirtualSwitchBondBridge{
				NicDevice: []string{nic},
				Beacon:    &types.HostVirtualSwitchBeaconConfig{Interval: 1},
				LinkDiscoveryProtocolConfig: &types.LinkDiscoveryProtocolConfig{
					Protocol:  "cdp",
					Operation: "listen",
				},
			},
			Policy: &types.HostNetworkPolicy{
				NicTeaming: &types.HostNicTeamingPolicy{
					Policy:         "loadbalance_srcid",
					ReversePolicy:  types.NewBool(true),
					NotifySwitches: types.NewBool(true),
					RollingOrder:   types.NewBool(false),
					FailureCriteria: &types.HostNicFailureCriteria{
						CheckSpeed:        "minimum",
						Speed:             10,
						CheckDuplex:       types.NewBool(false),
						FullDuplex:        types.NewBool(false),
						CheckErrorPercent: types.NewBool(false),
						CheckBeacon:       types.NewBool(false),
					},
					NicOrder: &types.HostNicOrderPolicy{ActiveNic: []string{nic}},
				},
				OffloadPolicy: &types.HostNetOffloadCapabilities{
					CsumOffload:     types.NewBool(true),
					TcpSegmentation: types.NewBool(true),
					ZeroCopyXmit:    types.NewBool(true),
				},
				ShapingPolicy: &types.HostNetworkTrafficShapingPolicy{Enabled: types.NewBool(false)},
			},
		},
	}
}

// emptyOverrides is how ESXi stores a portgroup spec policy that overrides nothing.
func emptyOverrides() types.HostNetworkPolicy {
	return types.HostNetworkPolicy{
		Security:      &types.HostNetworkSecurityPolicy{},
		NicTeaming:    &types.HostNicTeamingPolicy{FailureCriteria: &types.HostNicFailureCriteria{}},
		OffloadPolicy: &types.HostNetOffloadCapabilities{},
		ShapingPolicy: &types.HostNetworkTrafficShapingPolicy{},
	}
}

// setupHostNetwork rewrites a host's network info (vcsim's ESXi template, already copied per
// host) to hold vSwitch0 and vSwitch1 with the table's policies and every standard portgroup.
func setupHostNetwork(n *types.HostNetworkInfo) {
	old := map[string]types.HostPortGroup{}
	for _, pg := range n.Portgroup {
		old[pg.Spec.Name] = pg
	}

	var out []types.HostVirtualSwitch
	for i, vs := range vswitches {
		var sw types.HostVirtualSwitch
		found := false
		for _, cur := range n.Vswitch {
			if cur.Name == vs.Name {
				sw, found = cur, true
			}
		}
		if !found {
			sw = newVSwitch(vs.Name, "vmnic"+string(rune('0'+i)))
		}
		policy := *sw.Spec.Policy
		policy.Security = vs.Policy.policy()
		sw.Spec.Policy = &policy
		sw.Portgroup = nil
		out = append(out, sw)
	}

	var pgs []types.HostPortGroup
	for _, std := range stdPortgroups {
		var sw *types.HostVirtualSwitch
		for i := range out {
			if out[i].Name == std.VSwitch {
				sw = &out[i]
			}
		}
		pg, ok := old[std.Name]
		if !ok {
			pg = types.HostPortGroup{Spec: types.HostPortGroupSpec{Policy: emptyOverrides()}}
		}
		pg.Key = portgroupKey(std.Name)
		pg.Vswitch = sw.Key
		pg.Spec.Name = std.Name
		pg.Spec.VswitchName = std.VSwitch
		pg.Spec.Policy.Security = std.Overrides.policy()
		pg.ComputedPolicy = overlayPolicy(*sw.Spec.Policy, pg.Spec.Policy)
		sw.Portgroup = append(sw.Portgroup, pg.Key)
		pgs = append(pgs, pg)
	}

	n.Vswitch = out
	n.Portgroup = pgs
}
