// Tagging through the vAPI REST endpoint of the running server, the same path clients use, so
// the tag and category ids come out exactly as the simulator serves them.
package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
)

var categories = []tags.Category{
	{Name: "nested", Description: "Nested virtualization", Cardinality: "SINGLE",
		AssociableTypes: []string{"VirtualMachine"}},
	{Name: "env", Description: "Environment", Cardinality: "MULTIPLE",
		AssociableTypes: []string{"VirtualMachine"}},
}

var tagNames = []tagRef{checkedTag, otherTag, envDecoyTag}

func setupTags(ctx context.Context, sdk *url.URL, user, pass string, p *plan, inv *inventory) error {
	u := *sdk
	u.User = nil
	// The server is our own and its certificate was made a moment ago: nothing to verify. The
	// name in SNI lets us through the gate that holds other clients until the tags exist.
	sc := soap.NewClient(&u, true)
	sc.DefaultTransport().TLSClientConfig.ServerName = setupServerName
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return err
	}
	rc := rest.NewClient(vc)
	if err = rc.Login(ctx, url.UserPassword(user, pass)); err != nil {
		return fmt.Errorf("vAPI login: %v", err)
	}
	defer func() { _ = rc.Logout(ctx) }()
	m := tags.NewManager(rc)

	catID := map[string]string{}
	for i := range categories {
		id, err := m.CreateCategory(ctx, &categories[i])
		if err != nil {
			return fmt.Errorf("category %s: %v", categories[i].Name, err)
		}
		catID[categories[i].Name] = id
	}
	tagID := map[tagRef]string{}
	for _, t := range tagNames {
		id, err := m.CreateTag(ctx, &tags.Tag{Name: t.Tag, CategoryID: catID[t.Category]})
		if err != nil {
			return fmt.Errorf("tag %s/%s: %v", t.Category, t.Tag, err)
		}
		tagID[t] = id
	}

	members := map[tagRef][]mo.Reference{}
	for i, vm := range p.VMs {
		if vm.Tag != noTag {
			members[vm.Tag] = append(members[vm.Tag], inv.vms[i])
		}
	}
	for _, t := range tagNames {
		if len(members[t]) == 0 {
			continue
		}
		if err := m.AttachTagToMultipleObjects(ctx, tagID[t], members[t]); err != nil {
			return fmt.Errorf("attach %s/%s: %v", t.Category, t.Tag, err)
		}
	}
	return makeExtraTags(ctx, m, p)
}

// makeExtraTags adds the -extra-categories, after the curated ones so that their ids (drawn from
// the seeded generator) stay what they were, one at a time so that theirs are the same at every
// start too. On nothing: the truth does not change.
func makeExtraTags(ctx context.Context, m *tags.Manager, p *plan) error {
	for i := 1; i <= p.ExtraCategories; i++ {
		name := fmt.Sprintf("extra-%03d", i)
		id, err := m.CreateCategory(ctx, &tags.Category{Name: name, Cardinality: "MULTIPLE",
			AssociableTypes: []string{"VirtualMachine"}})
		if err != nil {
			return fmt.Errorf("category %s: %v", name, err)
		}
		for j := 1; j <= p.TagsPerCategory; j++ {
			if _, err = m.CreateTag(ctx, &tags.Tag{Name: fmt.Sprintf("%s-%02d", name, j), CategoryID: id}); err != nil {
				return fmt.Errorf("tag %s-%02d: %v", name, j, err)
			}
		}
	}
	return nil
}
