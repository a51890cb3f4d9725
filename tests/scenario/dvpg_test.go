// ReconfigureDVPortgroup_Task as vCenter does it (dvpg.go): a partial spec merges, configVersion is
// checked and bumped, securityPolicy follows macManagementPolicy and back, MAC learning needs a
// switch that has it, and -race-dvpg makes a retry path testable. "vcsim alone" shows what the
// simulator does without the wrapper.
package main

import (
	"reflect"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func (w *testWorld) dvpgConfig(name string) types.DVPortgroupConfigInfo {
	w.t.Helper()
	var pg mo.DistributedVirtualPortgroup
	if err := property.DefaultCollector(w.c).RetrieveOne(w.ctx, w.inv.dvpgs[name], []string{"config"}, &pg); err != nil {
		w.t.Fatal(err)
	}
	return pg.Config
}

func (w *testWorld) reconfigureDVPG(name string, spec types.DVPortgroupConfigSpec) (*types.TaskInfo, types.BaseMethodFault) {
	w.t.Helper()
	return w.finish(object.NewDistributedVirtualPortgroup(w.c, w.inv.dvpgs[name]).Reconfigure(w.ctx, spec))
}

func portSetting(c types.DVPortgroupConfigInfo) *types.VMwareDVSPortSetting {
	return c.DefaultPortConfig.(*types.VMwareDVSPortSetting)
}

func vlanOf(c types.DVPortgroupConfigInfo) int32 {
	if v, ok := portSetting(c).Vlan.(*types.VmwareDistributedVirtualSwitchVlanIdSpec); ok {
		return v.VlanId
	}
	return -1
}

// macFix is what nestwarden sends to fix a portgroup on a switch with MAC learning: only
// macManagementPolicy, every field set, inherited false.
func macFix(version string, promiscuous bool) types.DVPortgroupConfigSpec {
	limit := int32(4096)
	return types.DVPortgroupConfigSpec{ConfigVersion: version, DefaultPortConfig: &types.VMwareDVSPortSetting{
		MacManagementPolicy: &types.DVSMacManagementPolicy{
			AllowPromiscuous: types.NewBool(promiscuous), MacChanges: types.NewBool(false), ForgedTransmits: types.NewBool(true),
			MacLearningPolicy: &types.DVSMacLearningPolicy{Enabled: true, AllowUnicastFlooding: types.NewBool(true),
				Limit: &limit, LimitPolicy: "drop"},
		},
	}}
}

// untouched compares what a MAC policy fix must leave alone.
func untouched(t *testing.T, what string, a, b types.DVPortgroupConfigInfo) {
	t.Helper()
	sa, sb := portSetting(a), portSetting(b)
	same := a.Name == b.Name && a.NumPorts == b.NumPorts && a.Type == b.Type && a.Description == b.Description &&
		a.BackingType == b.BackingType && reflect.DeepEqual(a.Policy, b.Policy) && vlanOf(a) == vlanOf(b) &&
		reflect.DeepEqual(sa.UplinkTeamingPolicy, sb.UplinkTeamingPolicy) && reflect.DeepEqual(sa.InShapingPolicy, sb.InShapingPolicy) &&
		reflect.DeepEqual(sa.OutShapingPolicy, sb.OutShapingPolicy) && reflect.DeepEqual(sa.Blocked, sb.Blocked)
	if !same {
		t.Errorf("%s: fields outside the MAC policies changed:\n%+v\n%+v", what, a, b)
	}
}

func TestReconfigureDVPortgroupMerges(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		before := w.dvpgConfig("pg-ml-promisc")
		if vlanOf(before) != 102 || portSetting(before).InShapingPolicy == nil {
			t.Fatalf("pg-ml-promisc has VLAN %d, shaping %v", vlanOf(before), portSetting(before).InShapingPolicy)
		}
		w.createFilter(w.c, w.inv.dvpgs["pg-ml-promisc"], "config.defaultPortConfig.securityPolicy", "config.configVersion")
		version, _ := w.wait(w.c, "", 0)
		_, fault := w.reconfigureDVPG("pg-ml-promisc", macFix(before.ConfigVersion, false))
		after := w.dvpgConfig("pg-ml-promisc")
		if !patched {
			if fault != nil || portSetting(after).Vlan != nil || after.NumPorts != 0 || after.Type != "" {
				t.Fatalf("vcsim alone: fault %v, VLAN %v, numPorts %d, type %q (it replaced everything before)",
					fault, portSetting(after).Vlan, after.NumPorts, after.Type)
			}
			// Nor does it look at configVersion.
			if _, fault = w.reconfigureDVPG("pg-ml-promisc", macFix("stale", true)); fault != nil {
				t.Fatalf("vcsim alone refused a stale version: %#v", fault)
			}
			return
		}
		if fault != nil {
			t.Fatal(fault)
		}
		mm, sec := portSetting(after).MacManagementPolicy, portSetting(after).SecurityPolicy
		if *mm.AllowPromiscuous || mm.Inherited || *sec.AllowPromiscuous.Value || sec.AllowPromiscuous.Inherited ||
			after.ConfigVersion != "2" {
			t.Fatalf("after: mac %+v, security %+v, version %s", mm, sec.AllowPromiscuous, after.ConfigVersion)
		}
		untouched(t, "mac fix", before, after)
		_, got := w.wait(w.c, version, 2)
		ref := w.inv.dvpgs["pg-ml-promisc"].Value
		if s, ok := got[ref+" config.defaultPortConfig.securityPolicy"].(types.DVSSecurityPolicy); !ok ||
			*s.AllowPromiscuous.Value || got[ref+" config.configVersion"] != "2" {
			t.Fatalf("WaitForUpdatesEx: %v", got)
		}

		// A stale configVersion: ConcurrentAccess, in the task, nothing changed.
		info, fault := w.reconfigureDVPG("pg-ml-promisc", macFix("1", true))
		if _, ok := fault.(*types.ConcurrentAccess); !ok {
			t.Fatalf("stale version: %#v", fault)
		}
		if msg := info.Error.LocalizedMessage; msg != "Cannot complete operation due to concurrent modification by another operation." {
			t.Errorf("stale version: message %q", msg)
		}
		if now := w.dvpgConfig("pg-ml-promisc"); !reflect.DeepEqual(now, after) {
			t.Fatal("a refused reconfiguration changed the portgroup")
		}

		// securityPolicy alone, one field (as for a 6.5 switch): macManagementPolicy follows, the
		// other security fields and learning stay.
		legacy := w.dvpgConfig("pg-legacy-noforge")
		spec := types.DVPortgroupConfigSpec{ConfigVersion: legacy.ConfigVersion, DefaultPortConfig: &types.VMwareDVSPortSetting{
			SecurityPolicy: &types.DVSSecurityPolicy{ForgedTransmits: boolPolicy(true, false)},
		}}
		if _, fault = w.reconfigureDVPG("pg-legacy-noforge", spec); fault != nil {
			t.Fatal(fault)
		}
		fixed := w.dvpgConfig("pg-legacy-noforge")
		lmm, lsec, osec := portSetting(fixed).MacManagementPolicy, portSetting(fixed).SecurityPolicy, portSetting(legacy).SecurityPolicy
		if !*lmm.ForgedTransmits || !*lsec.ForgedTransmits.Value || !reflect.DeepEqual(lsec.AllowPromiscuous, osec.AllowPromiscuous) ||
			!reflect.DeepEqual(lsec.MacChanges, osec.MacChanges) || !reflect.DeepEqual(lmm.MacLearningPolicy, portSetting(legacy).MacManagementPolicy.MacLearningPolicy) {
			t.Fatalf("security alone: mac %+v, security %+v", lmm, lsec)
		}
		untouched(t, "security fix", legacy, fixed)

		// Inside a sub-policy, what is unset stays: learning switched on keeps its limit; one
		// teaming field changes, the rest of teaming stays.
		off := w.dvpgConfig("pg-ml-off")
		spec = types.DVPortgroupConfigSpec{ConfigVersion: off.ConfigVersion, DefaultPortConfig: &types.VMwareDVSPortSetting{
			MacManagementPolicy: &types.DVSMacManagementPolicy{MacLearningPolicy: &types.DVSMacLearningPolicy{Enabled: true}},
			UplinkTeamingPolicy: &types.VmwareUplinkPortTeamingPolicy{RollingOrder: boolPolicy(true, false)},
		}}
		if _, fault = w.reconfigureDVPG("pg-ml-off", spec); fault != nil {
			t.Fatal(fault)
		}
		on := portSetting(w.dvpgConfig("pg-ml-off"))
		ml, team, was := on.MacManagementPolicy.MacLearningPolicy, on.UplinkTeamingPolicy, portSetting(off).UplinkTeamingPolicy
		if !ml.Enabled || *ml.Limit != 4096 || ml.LimitPolicy != "drop" || !*ml.AllowUnicastFlooding ||
			!*team.RollingOrder.Value || team.Policy.Value != "failover_explicit" || !reflect.DeepEqual(team.UplinkPortOrder, was.UplinkPortOrder) {
			t.Fatalf("partial sub-policies: learning %+v, teaming %+v", ml, team)
		}

		// MAC learning on the 6.5 switch: NotSupported.
		info, fault = w.reconfigureDVPG("pg-legacy-noforge", macFix(fixed.ConfigVersion, true))
		if _, ok := fault.(*types.NotSupported); !ok || info.Error == nil ||
			info.Error.LocalizedMessage != "The operation is not supported on the object." {
			t.Fatalf("learning on 6.5: %#v", fault)
		}
		if !reflect.DeepEqual(w.dvpgConfig("pg-legacy-noforge"), fixed) {
			t.Fatal("a refused reconfiguration changed pg-legacy-noforge")
		}

		// NSX: backingType stays; a different one is refused.
		nsx := w.dvpgConfig("pg-nsx")
		if _, fault = w.reconfigureDVPG("pg-nsx", macFix(nsx.ConfigVersion, false)); fault != nil || w.dvpgConfig("pg-nsx").BackingType != "nsx" {
			t.Fatalf("nsx: %#v, backing %q", fault, w.dvpgConfig("pg-nsx").BackingType)
		}
		if _, fault = w.reconfigureDVPG("pg-nsx", types.DVPortgroupConfigSpec{ConfigVersion: "2", BackingType: "standard"}); fault == nil {
			t.Fatal("backingType changed")
		}

		// inherited=true takes the switch's policy: pg-ml-ok then looks like pg-ml-inherit-bad.
		ok := w.dvpgConfig("pg-ml-ok")
		spec = types.DVPortgroupConfigSpec{ConfigVersion: ok.ConfigVersion, DefaultPortConfig: &types.VMwareDVSPortSetting{
			MacManagementPolicy: &types.DVSMacManagementPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: true}},
		}}
		if _, fault = w.reconfigureDVPG("pg-ml-ok", spec); fault != nil {
			t.Fatal(fault)
		}
		got1, want := portSetting(w.dvpgConfig("pg-ml-ok")), portSetting(w.dvpgConfig("pg-ml-inherit-bad"))
		if !reflect.DeepEqual(got1.MacManagementPolicy, want.MacManagementPolicy) || !reflect.DeepEqual(got1.SecurityPolicy, want.SecurityPolicy) {
			t.Fatalf("inherited: %+v\nwant %+v", got1.MacManagementPolicy, want.MacManagementPolicy)
		}
	})
}

// The deterministic race: the first reconfiguration of an armed portgroup meets another admin's
// change (VLAN 42, configVersion bumped, both notified) and fails; a client that re-reads and
// retries succeeds, and the other admin's VLAN is still there.
func TestRaceDVPG(t *testing.T) {
	if err := races.Set("pg-ml-promisc,pg-ml-off"); err != nil {
		t.Fatal(err)
	}
	defer func() { races.armed = nil }()
	w := startWorld(t)
	ref := w.inv.dvpgs["pg-ml-promisc"]
	w.createFilter(w.c, ref, "config.defaultPortConfig.vlan", "config.configVersion")
	version, _ := w.wait(w.c, "", 0)

	read := w.dvpgConfig("pg-ml-promisc")
	_, fault := w.reconfigureDVPG("pg-ml-promisc", macFix(read.ConfigVersion, false))
	if _, ok := fault.(*types.ConcurrentAccess); !ok {
		t.Fatalf("first reconfiguration: %#v", fault)
	}
	_, got := w.wait(w.c, version, 2)
	if v, ok := got[ref.Value+" config.defaultPortConfig.vlan"].(types.VmwareDistributedVirtualSwitchVlanIdSpec); !ok ||
		v.VlanId != raceVLAN || got[ref.Value+" config.configVersion"] != "2" {
		t.Fatalf("the other admin's change was not notified: %v", got)
	}

	reread := w.dvpgConfig("pg-ml-promisc")
	if _, fault = w.reconfigureDVPG("pg-ml-promisc", macFix(reread.ConfigVersion, false)); fault != nil {
		t.Fatalf("retry: %#v", fault)
	}
	final := w.dvpgConfig("pg-ml-promisc")
	if vlanOf(final) != raceVLAN || *portSetting(final).MacManagementPolicy.AllowPromiscuous || final.ConfigVersion != "3" {
		t.Fatalf("after the retry: VLAN %d, promiscuous %v, version %s", vlanOf(final),
			*portSetting(final).MacManagementPolicy.AllowPromiscuous, final.ConfigVersion)
	}
	// Later reconfigurations are normal; unarmed portgroups never race; the other armed one does.
	if _, fault = w.reconfigureDVPG("pg-ml-promisc", macFix(final.ConfigVersion, true)); fault != nil {
		t.Fatalf("third: %#v", fault)
	}
	if c := w.dvpgConfig("pg-ml-ok"); func() bool { _, f := w.reconfigureDVPG("pg-ml-ok", macFix(c.ConfigVersion, false)); return f != nil }() {
		t.Fatal("an unarmed portgroup raced")
	}
	if c := w.dvpgConfig("pg-ml-off"); func() bool { _, f := w.reconfigureDVPG("pg-ml-off", macFix(c.ConfigVersion, false)); return f == nil }() {
		t.Fatal("the second armed portgroup did not race")
	}

	// The flag: names checked against the plan.
	if err := races.Set("pg-nsx, no-such-pg"); err != nil {
		t.Fatal(err)
	}
	if bad := races.unknown(w.plan); !reflect.DeepEqual(bad, []string{"no-such-pg"}) {
		t.Fatalf("unknown: %v", bad)
	}
	if races.Set("a,,b") == nil {
		t.Fatal("an empty name was accepted")
	}
}
