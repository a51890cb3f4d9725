// Guards the construction tables: the findings each kind declares must follow from the values it
// builds, judged by the policy the scenario promises. selfcheck.py checks the same end to end
// against a running server; this catches a table typo without one.
package main

import (
	"reflect"
	"sort"
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

func hostPolicy(s security) types.HostNetworkPolicy {
	return types.HostNetworkPolicy{Security: s.policy()}
}

func judgeDVPG(p macPolicy, learning bool) []check {
	var out []check
	add := func(name string, want, got interface{}) {
		if !reflect.DeepEqual(want, got) {
			out = append(out, check{name, want, got})
		}
	}
	add("promiscuous", !learning, p.Promiscuous)
	add("forged_transmits", true, p.Forged)
	if learning {
		add("mac_learning", true, p.Learning)
		add("mac_changes", false, p.MacChanges)
		add("mac_learning_limit", limitValue{4096, "drop"}, limitValue{p.Limit, p.LimitPolicy})
	}
	return out
}

func sorted(c []check) []check {
	out := append([]check(nil), c...)
	sort.Slice(out, func(i, j int) bool { return out[i].Check < out[j].Check })
	return out
}

func TestDVPGKindsDeclareTheirFindings(t *testing.T) {
	for _, k := range dvpgKinds {
		if k.NSX {
			if len(k.Findings) != 0 {
				t.Errorf("%s: NSX-backed kinds are skipped, yet declare findings", k.ID)
			}
			continue
		}
		got := sorted(judgeDVPG(k.Policy, switchByName(k.Switch).MacLearning))
		if want := sorted(k.Findings); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: values give %v, table declares %v", k.ID, got, want)
		}
	}
}

func TestStandardPortgroupsDeclareTheirFindings(t *testing.T) {
	for _, pg := range stdPortgroups {
		var sw security
		for _, vs := range vswitches {
			if vs.Name == pg.VSwitch {
				sw = vs.Policy
			}
		}
		computed := overlayPolicy(hostPolicy(sw), hostPolicy(pg.Overrides)).Security
		var got []check
		if !*computed.AllowPromiscuous {
			got = append(got, check{"promiscuous", true, false})
		}
		if !*computed.ForgedTransmits {
			got = append(got, check{"forged_transmits", true, false})
		}
		if !pg.VMs {
			continue
		}
		if want := sorted(pg.Findings); !reflect.DeepEqual(sorted(got), want) {
			t.Errorf("%s: computed policy gives %v, table declares %v", pg.Name, got, want)
		}
	}
}

func TestCuratedVMsUseKnownPortgroups(t *testing.T) {
	p, _, err := makePlan(options{Hosts: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dv := map[string]bool{}
	for _, pg := range p.DVPGs {
		dv[pg.Name] = true
	}
	for _, vm := range p.VMs {
		for _, nic := range vm.NICs {
			if !dv[nic] && stdPortgroupByName(nic) == nil {
				t.Errorf("%s: unknown portgroup %s", vm.Name, nic)
			}
		}
	}
}

func TestScalePlan(t *testing.T) {
	p, notes, err := makePlan(options{Hosts: 10, VMs: 5000, Tagged: 1000, Portgroups: 50, Seed: 1})
	if err != nil || len(notes) != 0 {
		t.Fatal(err, notes)
	}
	if len(p.VMs) != 5000 || countTagged(p.VMs) != 1000 || len(p.DVPGs) != len(curatedDVPGs)+50 {
		t.Errorf("%d VMs, %d tagged, %d portgroups", len(p.VMs), countTagged(p.VMs), len(p.DVPGs))
	}
	q, _, _ := makePlan(options{Hosts: 10, VMs: 5000, Tagged: 1000, Portgroups: 50, Seed: 1})
	if !reflect.DeepEqual(p, q) {
		t.Error("the same seed gave two plans")
	}
}

// A port override declares what judging its policy gives, and only on a portgroup that allows
// overrides (else vCenter refuses it); override-allowing kinds are never generated.
func TestPortOverridesDeclareTheirFindings(t *testing.T) {
	kinds := map[string]*dvpgKind{}
	for _, pg := range curatedDVPGs {
		kinds[pg.Name] = dvpgKindByID(pg.Kind)
	}
	n := 0
	for _, vm := range curatedVMs {
		for _, o := range vm.PortOverrides {
			n++
			k := kinds[vm.NICs[o.NIC]]
			if k == nil || !k.OverrideAllowed || k.NSX {
				t.Errorf("%s: NIC %d is not on a portgroup allowing overrides", vm.Name, o.NIC)
				continue
			}
			got := sorted(judgeDVPG(o.Policy, switchByName(k.Switch).MacLearning))
			if want := sorted(o.Findings); !reflect.DeepEqual(got, want) {
				t.Errorf("%s: port values give %v, table declares %v", vm.Name, got, want)
			}
		}
	}
	if n == 0 {
		t.Error("no curated port override")
	}
	for _, id := range genCycle {
		if dvpgKindByID(id).OverrideAllowed {
			t.Errorf("generated kind %s allows port overrides", id)
		}
	}
}
