// Telling vCenter itself (events.go): LogUserEvent records a GeneralUserEvent that QueryEvents and
// an entity-filtered collector return; the custom fields manager answers as vCenter does. "vcsim
// alone" shows the simulator's own answers.
package main

import (
	"strings"
	"testing"

	"github.com/vmware/govmomi/event"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func TestLogUserEvent(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		vm := w.vm("hv-port-11")
		_, err := methods.LogUserEvent(w.ctx, w.c, &types.LogUserEvent{This: *w.c.ServiceContent.EventManager, Entity: vm, Msg: "nestwarden: drift"})
		if !patched {
			if err == nil || !strings.Contains(err.Error(), "LogUserEvent") {
				t.Errorf("vcsim alone: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		filter := types.EventFilterSpec{Entity: &types.EventFilterSpecByEntity{Entity: vm, Recursion: types.EventFilterSpecRecursionOptionSelf},
			EventTypeId: []string{"GeneralUserEvent"}}
		events, err := event.NewManager(w.c).QueryEvents(w.ctx, filter)
		if err != nil || len(events) != 1 {
			t.Fatalf("%d events, %v", len(events), err)
		}
		e, ok := events[0].(*types.GeneralUserEvent)
		if !ok || e.Message != "nestwarden: drift" || e.UserName != testUser || e.Key == 0 || e.CreatedTime.IsZero() ||
			e.Entity == nil || e.Entity.Entity != vm || e.Entity.Name != "hv-port-11" || e.Vm == nil || e.Vm.Name != "hv-port-11" ||
			e.FullFormattedMessage != "User logged event: nestwarden: drift" {
			t.Errorf("event %+v", events[0])
		}
		// A collector filtered by another entity does not see it; by the VM's host it does not either
		// (recursion self), by the host with recursion all it does (the event names the host).
		other, _ := event.NewManager(w.c).QueryEvents(w.ctx, types.EventFilterSpec{EventTypeId: []string{"GeneralUserEvent"},
			Entity: &types.EventFilterSpecByEntity{Entity: w.vm("hv-ok-01"), Recursion: types.EventFilterSpecRecursionOptionSelf}})
		if len(other) != 0 {
			t.Errorf("hv-ok-01 sees %d user events", len(other))
		}
		_, err = methods.LogUserEvent(w.ctx, w.c, &types.LogUserEvent{This: *w.c.ServiceContent.EventManager,
			Entity: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-99999"}, Msg: "x"})
		if err == nil || !strings.Contains(err.Error(), "ManagedObjectNotFound") {
			t.Errorf("unknown entity: %v", err)
		}
	})
}

func TestCustomFields(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		m, err := object.GetCustomFieldsManager(w.c)
		if err != nil {
			t.Fatal(err)
		}
		def, err := m.Add(w.ctx, "nestwarden", "VirtualMachine", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err = m.Add(w.ctx, "nestwarden", "VirtualMachine", nil, nil); err == nil || !strings.Contains(err.Error(), "DuplicateName") &&
			!strings.Contains(err.Error(), "already exists") {
			t.Errorf("a second definition: %v", err)
		}
		vm := w.vm("hv-ok-01")
		for _, v := range []string{"drift: forged_transmits on pg-ml-noforge", "compliant"} {
			if err = m.Set(w.ctx, vm, def.Key, v); err != nil {
				t.Fatal(err)
			}
		}
		var got mo.VirtualMachine
		if err = property.DefaultCollector(w.c).RetrieveOne(w.ctx, vm, []string{"customValue", "availableField"}, &got); err != nil {
			t.Fatal(err)
		}
		fields, err := m.Field(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !patched {
			// vcsim: key 0, the moType as the value type, and a value appended per SetField.
			if def.Key != 0 || def.Type != "VirtualMachine" || len(got.CustomValue) != 2 {
				t.Errorf("vcsim alone: %+v, %d values", def, len(got.CustomValue))
			}
			return
		}
		if def.Key < 100 || def.Type != "string" || def.ManagedObjectType != "VirtualMachine" || def.FieldInstancePrivileges == nil {
			t.Errorf("definition %+v", def)
		}
		if len(fields) != 1 || fields[0].Key != def.Key || len(got.AvailableField) != 1 || got.AvailableField[0].Name != "nestwarden" {
			t.Errorf("field %+v, availableField %+v", fields, got.AvailableField)
		}
		if len(got.CustomValue) != 1 || got.CustomValue[0].(*types.CustomFieldStringValue).Value != "compliant" {
			t.Errorf("customValue %+v", got.CustomValue)
		}
		if err = m.Set(w.ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-99999"}, def.Key, "x"); err == nil {
			t.Error("SetField on an unknown entity succeeded")
		}
		if err = m.Set(w.ctx, w.inv.hosts[0], def.Key, "x"); err == nil {
			t.Error("a VirtualMachine field set on a host")
		}
		// customValue changes reach WaitForUpdatesEx.
		w.createFilter(w.c, vm, "customValue")
		version, _ := w.wait(w.c, "", 0)
		if err = m.Set(w.ctx, vm, def.Key, "pending power-off"); err != nil {
			t.Fatal(err)
		}
		if _, changes := w.wait(w.c, version, 5); changes[vm.Value+" customValue"] == nil {
			t.Errorf("customValue change not reported: %v", changes)
		}
	})
}
