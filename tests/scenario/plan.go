// The inventory plan: the curated set plus the generated scale objects, fixed by the flags and
// the seed before anything touches the simulator, so the truth and the build read the same list.
package main

import (
	"fmt"
	"math/rand"
)

type options struct {
	Hosts      int
	VMs        int
	Tagged     int
	Portgroups int
	Seed       int64
	// ExtraCategories categories extra-001…, each with TagsPerCategory tags extra-001-01…, on
	// nothing: a vCenter's many other tags, which a lookup by name must walk past.
	ExtraCategories int
	TagsPerCategory int
}

type dvpgPlan struct {
	Name string
	Kind string
}

type plan struct {
	Hosts           int
	DVPGs           []dvpgPlan
	VMs             []vmSpec
	ExtraCategories int
	TagsPerCategory int
}

func countTagged(vms []vmSpec) int {
	n := 0
	for _, vm := range vms {
		if vm.Tag == checkedTag {
			n++
		}
	}
	return n
}

// makePlan returns the plan and notes on flags it had to clamp (for stderr).
func makePlan(o options) (*plan, []string, error) {
	if o.Hosts < 1 {
		return nil, nil, fmt.Errorf("-hosts must be at least 1")
	}
	if o.VMs < 0 || o.Tagged < 0 || o.Portgroups < 0 {
		return nil, nil, fmt.Errorf("-vms, -tagged and -portgroups must not be negative")
	}
	if o.ExtraCategories < 0 || o.ExtraCategories > 10000 || o.TagsPerCategory < 0 || o.TagsPerCategory > 1000 {
		return nil, nil, fmt.Errorf("-extra-categories wants 0..10000, -tags-per-category 0..1000")
	}
	var notes []string
	p := &plan{Hosts: o.Hosts, ExtraCategories: o.ExtraCategories, TagsPerCategory: o.TagsPerCategory}

	for _, pg := range curatedDVPGs {
		p.DVPGs = append(p.DVPGs, dvpgPlan{Name: pg.Name, Kind: pg.Kind})
	}
	for i := 1; i <= o.Portgroups; i++ {
		p.DVPGs = append(p.DVPGs, dvpgPlan{
			Name: fmt.Sprintf("gen-pg-%04d", i),
			Kind: genCycle[(i-1)%len(genCycle)],
		})
	}

	p.VMs = append(p.VMs, curatedVMs...)
	curated, curatedTagged := len(curatedVMs), countTagged(curatedVMs)
	gen := o.VMs - curated
	if o.VMs != 0 && gen < 0 {
		notes = append(notes, fmt.Sprintf("-vms %d is below the %d curated VMs: building the curated set only", o.VMs, curated))
	}
	if gen < 0 {
		gen = 0
	}
	genTagged := o.Tagged - curatedTagged
	if o.Tagged != 0 && genTagged < 0 {
		notes = append(notes, fmt.Sprintf("-tagged %d is below the %d curated tagged VMs", o.Tagged, curatedTagged))
	}
	if genTagged < 0 {
		genTagged = 0
	}
	if genTagged > gen {
		notes = append(notes, fmt.Sprintf("-tagged %d exceeds what -vms %d leaves: %d generated VMs, all tagged", o.Tagged, o.VMs, gen))
		genTagged = gen
	}

	// Generated VMs connect to any portgroup a tagged VM may meet, never to pg-untagged-only.
	var pool []string
	for _, pg := range p.DVPGs {
		if pg.Name != "pg-untagged-only" {
			pool = append(pool, pg.Name)
		}
	}
	for _, pg := range stdPortgroups {
		if pg.VMs {
			pool = append(pool, pg.Name)
		}
	}

	rng := rand.New(rand.NewSource(o.Seed))
	for i := 0; i < gen; i++ {
		kind := genVMKinds[rng.Intn(len(genVMKinds))]
		vm := vmSpec{
			Name:      fmt.Sprintf("gen-vm-%05d", i+1),
			NestedHV:  kind.NestedHV,
			PoweredOn: rng.Intn(2) == 0,
			Host:      rng.Intn(o.Hosts),
			Findings:  kind.Findings,
		}
		nics := 1 + rng.Intn(2)
		for len(vm.NICs) < nics {
			name := pool[rng.Intn(len(pool))]
			if !contains(vm.NICs, name) {
				vm.NICs = append(vm.NICs, name)
			}
		}
		switch {
		case i < genTagged:
			vm.Tag = checkedTag
		case i%4 == 0:
			vm.Tag = otherTag
		}
		p.VMs = append(p.VMs, vm)
	}
	return p, notes, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
