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
	Unreadable int `json:"unreadable"` // the scenario's own truth: its account reads everything (see -deny)
}

type truth struct {
	Checked          checkedCounts `json:"checked"`
	Findings         []finding     `json:"findings"`
	TemplateFindings []finding     `json:"template_findings"`
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
	t := truth{Findings: []finding{}, TemplateFindings: []finding{}}
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

		for _, nic := range vm.NICs {
			if kind, ok := kinds[nic]; ok {
				if kind.NSX {
					continue
				}
				obj := inv.dvpgs[nic].Value
				if !seen[obj] {
					seen[obj] = true
					t.Findings = append(t.Findings, findingsOf(obj, "dvportgroup", nic, kind.Findings)...)
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
	sortFindings(t.Findings)
	sortFindings(t.TemplateFindings)
	return t
}
