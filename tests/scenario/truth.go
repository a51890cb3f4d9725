// Ground truth: the findings a correct client reports, assembled from the findings each VM and
// portgroup kind declares in kinds.go, with the morefs the build produced.
package main

import (
	"sort"
)

type finding struct {
	Object   string      `json:"object"`
	Kind     string      `json:"kind"`
	Name     string      `json:"name"`
	Check    string      `json:"check"`
	Expected interface{} `json:"expected"`
	Actual   interface{} `json:"actual"`
}

type checkedCounts struct {
	VMs        int `json:"vms"`
	Templates  int `json:"templates"`
	Portgroups int `json:"portgroups"`
	// Ports: the DV ports a correct client reads and judges: those of the NICs of tagged
	// non-template VMs on non-NSX DV portgroups that allow security or MAC management override.
	Ports      int `json:"ports"`
	Unreadable int `json:"unreadable"` // the scenario's own truth: its account reads everything (see -deny)
}

type truth struct {
	Checked          checkedCounts `json:"checked"`
	Findings         []finding     `json:"findings"`
	TemplateFindings []finding     `json:"template_findings"`
	Notices          []notice      `json:"notices"`
}

// notice is not drift: a non-NSX DV portgroup used by a tagged VM lets its ports override the
// security or MAC management policy ("port_override_allowed"), where port-level drift comes from.
type notice struct {
	Object string `json:"object"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Notice string `json:"notice"`
}

func findingsOf(object, kind, name string, checks []check) []finding {
	var out []finding
	for _, c := range checks {
		out = append(out, finding{Object: object, Kind: kind, Name: name,
			Check: c.Check, Expected: c.Expected, Actual: c.Actual})
	}
	return out
}

func sortFindings(f []finding) {
	sort.Slice(f, func(i, j int) bool {
		if f[i].Object != f[j].Object {
			return f[i].Object < f[j].Object
		}
		return f[i].Check < f[j].Check
	})
}

func makeTruth(p *plan, inv *inventory) truth {
	t := truth{Findings: []finding{}, TemplateFindings: []finding{}, Notices: []notice{}}
	kinds := map[string]*dvpgKind{}
	for _, pg := range p.DVPGs {
		kinds[pg.Name] = dvpgKindByID(pg.Kind)
	}
	seen := map[string]bool{}

	for i, vm := range p.VMs {
		if vm.Tag != checkedTag {
			continue
		}
		ref := inv.vms[i].Value
		if vm.Template {
			t.Checked.Templates++
			t.TemplateFindings = append(t.TemplateFindings, findingsOf(ref, "vm", vm.Name, vm.Findings)...)
		} else {
			t.Checked.VMs++
			t.Findings = append(t.Findings, findingsOf(ref, "vm", vm.Name, vm.Findings)...)
		}

		for n, nic := range vm.NICs {
			if kind, ok := kinds[nic]; ok {
				if kind.NSX {
					continue
				}
				obj := inv.dvpgs[nic].Value
				if !seen[obj] {
					seen[obj] = true
					t.Findings = append(t.Findings, findingsOf(obj, "dvportgroup", nic, kind.Findings)...)
					if kind.OverrideAllowed {
						t.Notices = append(t.Notices, notice{obj, "dvportgroup", nic, "port_override_allowed"})
					}
				}
				if kind.OverrideAllowed && !vm.Template {
					t.Checked.Ports++
					t.Findings = append(t.Findings, portFindings(vm, n, inv.nicPorts[i][n])...)
				}
				continue
			}
			std := stdPortgroupByName(nic)
			obj := inv.hosts[vm.Host%len(inv.hosts)].Value + "/" + nic
			if !seen[obj] {
				seen[obj] = true
				t.Findings = append(t.Findings, findingsOf(obj, "portgroup", nic, std.Findings)...)
			}
		}
	}
	t.Checked.Portgroups = len(seen)
	sort.Slice(t.Notices, func(i, j int) bool { return t.Notices[i].Object < t.Notices[j].Object })
	sortFindings(t.Findings)
	sortFindings(t.TemplateFindings)
	return t
}

// portFindings are the findings of the port of a VM's NIC n: those its override declares (a port
// that overrides nothing is covered by its portgroup's verdict).
func portFindings(vm vmSpec, n int, port nicPort) []finding {
	for _, o := range vm.PortOverrides {
		if o.NIC == n {
			return findingsOf(port.Switch.Value+"/"+port.Key, "dvport", vm.Name+" "+port.Label, o.Findings)
		}
	}
	return nil
}
