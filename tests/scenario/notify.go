// Change notification for the calls vcsim 0.24.2 applies in place. ReconfigVM_Task,
// ReconfigureDVPortgroup_Task, MarkAsTemplate and MarkAsVirtualMachine change the object without
// telling the registry, so no PropertyCollector ever reports them; vCenter does. Wrappers are
// registered in place of every VM, DV portgroup and HostNetworkSystem (vcsim dispatches SOAP calls
// by reflection on the registered object): each snapshots the object, runs the method (vcsim's,
// after refusing what vCenter refuses, or the scenario's own in dvpg.go and hostnet.go), and reports
// every property that differs afterwards through Registry.Update.
//
// A change is reported at the deepest path that differs (config.nestedHVEnabled, not config),
// because vcsim's PropertyFilter fires when a change's path equals a watched path or lies below it
// (it then sends the watched path with its current value), never when the change lies above it: a
// change to "config" would not reach a filter on "config.nestedHVEnabled", while a change to
// "config.nestedHVEnabled" reaches filters on it and on "config" alike.
package main

import (
	"log"
	"reflect"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// withNotifiers lets the tests build a world without the wrappers, to show what vcsim alone does.
var withNotifiers = true

// notifyingVM embeds vcsim's VM by value and first: vcsim finds the mo type (for property paths)
// by following first fields, and its type assertions to *simulator.VirtualMachine no longer hold
// (see the README for the vcsim calls that breaks).
type notifyingVM struct {
	simulator.VirtualMachine
}

func (vm *notifyingVM) mo() *mo.VirtualMachine { return &vm.VirtualMachine.VirtualMachine }

// ReconfigVMTask refuses what vCenter refuses before vcsim's method runs: on a template any change
// but name and annotation (NotSupported; vcsim refuses that too, with its Go type as the message),
// and a change of nestedHVEnabled unless the VM is powered off (InvalidPowerState). Both are a
// failed task, the VM unchanged.
func (vm *notifyingVM) ReconfigVMTask(ctx *simulator.Context, req *types.ReconfigVM_Task) soap.HasFault {
	if f := vm.refuseReconfig(&req.Spec); f != nil {
		task := simulator.CreateTask(vm, "reconfigVm", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
			return nil, f
		})
		return &methods.ReconfigVM_TaskBody{Res: &types.ReconfigVM_TaskResponse{Returnval: runTask(task)}}
	}
	before := snapshot(vm.mo())
	res := vm.VirtualMachine.ReconfigVMTask(ctx, req)
	notifyChanges(ctx.Map, vm, before, vm.mo())
	return res
}

func (vm *notifyingVM) refuseReconfig(spec *types.VirtualMachineConfigSpec) types.BaseMethodFault {
	cfg := vm.VirtualMachine.Config
	if cfg == nil {
		return nil
	}
	if cfg.Template {
		if !reflect.DeepEqual(*spec, types.VirtualMachineConfigSpec{Name: spec.Name, Annotation: spec.Annotation}) {
			return new(types.NotSupported)
		}
		return nil
	}
	state := vm.VirtualMachine.Runtime.PowerState
	if spec.NestedHVEnabled != nil && *spec.NestedHVEnabled != isTrue(cfg.NestedHVEnabled) &&
		state != types.VirtualMachinePowerStatePoweredOff {
		return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOff, ExistingState: state}
	}
	return nil
}

func isTrue(b *bool) bool { return b != nil && *b }

func (vm *notifyingVM) MarkAsTemplate(ctx *simulator.Context, req *types.MarkAsTemplate) soap.HasFault {
	before := snapshot(vm.mo())
	res := vm.VirtualMachine.MarkAsTemplate(req)
	notifyChanges(ctx.Map, vm, before, vm.mo())
	return res
}

func (vm *notifyingVM) MarkAsVirtualMachine(ctx *simulator.Context, req *types.MarkAsVirtualMachine) soap.HasFault {
	before := snapshot(vm.mo())
	res := vm.VirtualMachine.MarkAsVirtualMachine(req)
	notifyChanges(ctx.Map, vm, before, vm.mo())
	return res
}

type notifyingDVPG struct {
	simulator.DistributedVirtualPortgroup
}

func (pg *notifyingDVPG) mo() *mo.DistributedVirtualPortgroup {
	return &pg.DistributedVirtualPortgroup.DistributedVirtualPortgroup
}

// installNotifiers puts the wrappers in place of the VMs, DV portgroups and host network systems
// built so far. The wrappers hold copies; nothing else keeps a pointer to the originals once the
// build is done (a host network system's networkInfo is the host's config.network, shared).
func installNotifiers(r *simulator.Registry) {
	if !withNotifiers {
		return
	}
	installPortServices(r)
	installTellingServices(r)
	for _, e := range r.All("VirtualMachine") {
		if vm, ok := e.(*simulator.VirtualMachine); ok {
			r.Put(&notifyingVM{VirtualMachine: *vm})
		}
	}
	for _, e := range r.All("DistributedVirtualPortgroup") {
		if pg, ok := e.(*simulator.DistributedVirtualPortgroup); ok {
			r.Put(&notifyingDVPG{DistributedVirtualPortgroup: *pg})
		}
	}
	for _, e := range r.All("HostSystem") {
		if h, ok := e.(*simulator.HostSystem); ok && h.ConfigManager.NetworkSystem != nil {
			if ns, ok := r.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem); ok {
				r.Put(&hostNetworkSystem{HostNetworkSystem: *ns})
			}
		}
	}
}

// snapshot deep-copies a managed object (a pointer to an mo struct): vcsim changes fields inside
// shared structs (vm.Config) in place, so a shallow copy would change along with the object.
func snapshot(obj interface{}) reflect.Value {
	return deepCopy(reflect.ValueOf(obj).Elem())
}

func deepCopy(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.Ptr:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Interface:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(deepCopy(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		c.Set(v) // unexported fields (time.Time's) come along as they are
		for i := 0; i < v.NumField(); i++ {
			if c.Field(i).CanSet() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(v.Type())
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	}
	return v // numbers, strings, and the maps and funcs vim types do not have
}

// notifyChanges reports what differs between before (a snapshot) and the object now.
func notifyChanges(r *simulator.Registry, obj mo.Reference, before reflect.Value, now interface{}) {
	var changes []types.PropertyChange
	diffProps("", before, reflect.ValueOf(now).Elem(), &changes)
	if len(changes) == 0 {
		return
	}
	defer func() {
		// Registry.Update re-applies each value to the object; a type it cannot wrap would panic
		// in the middle of a SOAP call. Better a missed update than a dropped connection.
		if e := recover(); e != nil {
			log.Printf("nw-scenario: notifying %v: %v", obj.Reference(), e)
		}
	}()
	r.Update(obj, changes)
}

// diffProps appends a change for every property path under path where a and b (values of one
// type) differ, at the deepest path vcsim can resolve: through structs, pointers, and interfaces
// holding one type; a slice, a basic value or a change of dynamic type is reported whole.
func diffProps(path string, a, b reflect.Value, out *[]types.PropertyChange) {
	if reflect.DeepEqual(a.Interface(), b.Interface()) {
		return
	}
	switch a.Kind() {
	case reflect.Ptr:
		if !a.IsNil() && !b.IsNil() {
			diffProps(path, a.Elem(), b.Elem(), out)
			return
		}
	case reflect.Interface:
		if !a.IsNil() && !b.IsNil() && a.Elem().Type() == b.Elem().Type() {
			diffProps(path, a.Elem(), b.Elem(), out)
			return
		}
	case reflect.Struct:
		if fields, ok := propFields(a.Type()); ok {
			for _, f := range fields {
				diffProps(joinPath(path, f.name), a.FieldByIndex(f.index), b.FieldByIndex(f.index), out)
			}
			return
		}
	}
	if path != "" {
		*out = append(*out, types.PropertyChange{Name: path, Op: types.PropertyChangeOpAssign, Val: propValue(b)})
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// propValue is the value as vcsim's PropertyCollector sends it: pointers followed, interfaces as
// they are, unset as nil.
func propValue(v reflect.Value) interface{} {
	switch v.Kind() {
	case reflect.Ptr, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Ptr {
			return v.Elem().Interface()
		}
	}
	return v.Interface()
}

type propField struct {
	name  string
	index []int
}

// propFields lists a struct's properties, embedded structs flattened, named as in the vSphere API
// (the mo or xml tag). ok is false for a struct with unexported state, which is a value (time.Time)
// to report whole.
func propFields(t reflect.Type) (fields []propField, ok bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.PkgPath != "" {
			return nil, false // unexported state (time.Time): a value, not properties
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			sub, ok := propFields(f.Type)
			if !ok {
				return nil, false
			}
			for _, s := range sub {
				fields = append(fields, propField{s.name, append([]int{i}, s.index...)})
			}
			continue
		}
		name := f.Tag.Get("mo")
		if name == "" {
			name = strings.Split(f.Tag.Get("xml"), ",")[0]
		}
		if name == "" {
			continue // Self, and nothing else in vim types: not a property
		}
		fields = append(fields, propField{name, []int{i}})
	}
	return fields, true
}
