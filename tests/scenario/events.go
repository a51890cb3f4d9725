// Telling vCenter itself: EventManager.LogUserEvent, which vcsim 0.24.2 lacks (MethodNotFound), and
// the CustomFieldsManager calls where vcsim answers unlike vCenter. Both are reached through
// soapfront.go (vcsim casts the managers to its own types, so they cannot be wrapped).
//
//   - LogUserEvent(entity, msg) posts a GeneralUserEvent through vcsim's EventManager (so key,
//     chainId, createdTime, userName of the session and every collector are vcsim's): message msg,
//     entity {name, entity}, fullFormattedMessage "User logged event: msg", and the entity
//     arguments vCenter fills (vm, host, computeResource, datacenter, net, dvs, ds) so that
//     QueryEvents and a collector filtered by the entity find it. An unknown entity:
//     ManagedObjectNotFound.
//   - AddCustomFieldDef: type "string" (vcsim put the moType there), keys from 100 (vcsim began at
//     0), default privileges, DuplicateName as vcsim, and the change to `field` and to each entity's
//     `availableField` reported to the PropertyCollector (vcsim changed them in place).
//   - SetField replaces the entity's value for that key (vcsim appended another one each time, so
//     customValue grew duplicates), reports customValue/value, faults ManagedObjectNotFound for an
//     unknown entity (vcsim panicked) and InvalidArgument (entity) for a field of another type.
package main

import (
	"sort"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	userEventType    = "NwUserEventService"
	customFieldsType = "NwCustomFieldsService"
)

type userEventService struct {
	Self types.ManagedObjectReference
}

func (s *userEventService) Reference() types.ManagedObjectReference { return s.Self }

func (s *userEventService) LogUserEvent(ctx *simulator.Context, req *types.LogUserEvent) soap.HasFault {
	body := &methods.LogUserEventBody{}
	obj, ok := ctx.Map.Get(req.Entity).(mo.Entity)
	if !ok {
		body.Fault_ = soapFault(&types.ManagedObjectNotFound{Obj: req.Entity})
		return body
	}
	ev := &types.GeneralUserEvent{
		GeneralEvent: types.GeneralEvent{Message: req.Msg},
		Entity: &types.ManagedEntityEventArgument{
			EntityEventArgument: types.EntityEventArgument{Name: obj.Entity().Name}, Entity: req.Entity},
	}
	ev.FullFormattedMessage = "User logged event: " + req.Msg
	fillEventArguments(ctx.Map, obj, &ev.Event)
	m := ctx.Map.EventManager()
	ctx.WithLock(m, func() { m.PostEvent(ctx, &types.PostEvent{This: m.Self, EventToPost: ev}) })
	body.Res = &types.LogUserEventResponse{}
	return body
}

// fillEventArguments sets the event's entity arguments as vCenter does for an event on obj.
func fillEventArguments(r *simulator.Registry, obj mo.Entity, e *types.Event) {
	arg := func(o mo.Entity) types.EntityEventArgument { return types.EntityEventArgument{Name: o.Entity().Name} }
	ref := obj.Reference()
	switch ref.Type {
	case "VirtualMachine":
		e.Vm = &types.VmEventArgument{EntityEventArgument: arg(obj), Vm: ref}
		if vm := vmOf(r, ref); vm != nil && vm.Runtime.Host != nil {
			if h, ok := r.Get(*vm.Runtime.Host).(mo.Entity); ok {
				fillEventArguments(r, h, e)
			}
		}
	case "HostSystem":
		e.Host = &types.HostEventArgument{EntityEventArgument: arg(obj), Host: ref}
		if p := obj.Entity().Parent; p != nil {
			if cr, ok := r.Get(*p).(mo.Entity); ok {
				e.ComputeResource = &types.ComputeResourceEventArgument{EntityEventArgument: arg(cr), ComputeResource: *p}
			}
		}
	case "ClusterComputeResource", "ComputeResource":
		e.ComputeResource = &types.ComputeResourceEventArgument{EntityEventArgument: arg(obj), ComputeResource: ref}
	case "Datastore":
		e.Ds = &types.DatastoreEventArgument{EntityEventArgument: arg(obj), Datastore: ref}
	case "Network", "DistributedVirtualPortgroup", "OpaqueNetwork":
		e.Net = &types.NetworkEventArgument{EntityEventArgument: arg(obj), Network: ref}
	case "DistributedVirtualSwitch", "VmwareDistributedVirtualSwitch":
		e.Dvs = &types.DvsEventArgument{EntityEventArgument: arg(obj), Dvs: ref}
	case "Datacenter":
		e.Datacenter = &types.DatacenterEventArgument{EntityEventArgument: arg(obj), Datacenter: ref}
		return
	}
	if e.Datacenter == nil {
		for p := obj.Entity().Parent; p != nil; {
			o, ok := r.Get(*p).(mo.Entity)
			if !ok {
				break
			}
			if p.Type == "Datacenter" {
				e.Datacenter = &types.DatacenterEventArgument{EntityEventArgument: arg(o), Datacenter: *p}
				break
			}
			p = o.Entity().Parent
		}
	}
}

// customFieldsService serves AddCustomFieldDef and SetField on vcsim's CustomFieldsManager.
type customFieldsService struct {
	Self types.ManagedObjectReference
	mu   sync.Mutex
}

func (s *customFieldsService) Reference() types.ManagedObjectReference { return s.Self }

const firstCustomFieldKey = 100

func customFieldsManager(r *simulator.Registry) *simulator.CustomFieldsManager {
	return r.CustomFieldsManager()
}

func (s *customFieldsService) AddCustomFieldDef(ctx *simulator.Context, req *types.AddCustomFieldDef) soap.HasFault {
	body := &methods.AddCustomFieldDefBody{}
	def, f := s.add(ctx.Map, req)
	if f != nil {
		body.Fault_ = soapFault(f)
		return body
	}
	body.Res = &types.AddCustomFieldDefResponse{Returnval: def}
	return body
}

func (s *customFieldsService) add(r *simulator.Registry, req *types.AddCustomFieldDef) (types.CustomFieldDef, types.BaseMethodFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfm := customFieldsManager(r)
	key := int32(firstCustomFieldKey)
	for _, f := range cfm.Field {
		if f.Name == req.Name && (f.ManagedObjectType == "" || req.MoType == "" || f.ManagedObjectType == req.MoType) {
			return types.CustomFieldDef{}, &types.DuplicateName{Name: req.Name, Object: cfm.Self}
		}
		if f.Key >= key {
			key = f.Key + 1
		}
	}
	defPriv, instPriv := req.FieldDefPolicy, req.FieldPolicy
	if defPriv == nil {
		defPriv = &types.PrivilegePolicyDef{CreatePrivilege: "Global.ManageCustomFields", ReadPrivilege: "System.View",
			UpdatePrivilege: "Global.ManageCustomFields", DeletePrivilege: "Global.ManageCustomFields"}
	}
	if instPriv == nil {
		instPriv = &types.PrivilegePolicyDef{CreatePrivilege: "Global.SetCustomField", ReadPrivilege: "System.View",
			UpdatePrivilege: "Global.SetCustomField", DeletePrivilege: "Global.SetCustomField"}
	}
	def := types.CustomFieldDef{Key: key, Name: req.Name, Type: "string", ManagedObjectType: req.MoType,
		FieldDefPrivileges: defPriv, FieldInstancePrivileges: instPriv}
	fields := append(append([]types.CustomFieldDef(nil), cfm.Field...), def)
	r.Update(cfm, []types.PropertyChange{{Name: "field", Val: fields}})
	for _, e := range entitiesOf(r, req.MoType) {
		avail := append(append([]types.CustomFieldDef(nil), e.Entity().AvailableField...), def)
		r.Update(e, []types.PropertyChange{{Name: "availableField", Val: avail}})
	}
	return def, nil
}

// entitiesOf lists the entities of a managed object type ("" for every entity), in moref order.
func entitiesOf(r *simulator.Registry, moType string) []mo.Entity {
	var out []mo.Entity
	kinds := []string{moType}
	if moType == "" {
		kinds = []string{"Folder", "Datacenter", "VirtualMachine", "HostSystem", "ClusterComputeResource",
			"ComputeResource", "ResourcePool", "Datastore", "Network", "DistributedVirtualPortgroup",
			"DistributedVirtualSwitch", "VirtualApp"}
	}
	for _, k := range kinds {
		out = append(out, r.All(k)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference().Value < out[j].Reference().Value })
	return out
}

func (s *customFieldsService) SetField(ctx *simulator.Context, req *types.SetField) soap.HasFault {
	body := &methods.SetFieldBody{}
	if f := s.set(ctx.Map, req.Entity, req.Key, req.Value); f != nil {
		body.Fault_ = soapFault(f)
		return body
	}
	body.Res = &types.SetFieldResponse{}
	return body
}

func (s *customFieldsService) set(r *simulator.Registry, ref types.ManagedObjectReference, key int32, value string) types.BaseMethodFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var def *types.CustomFieldDef
	for i, f := range customFieldsManager(r).Field {
		if f.Key == key {
			def = &customFieldsManager(r).Field[i]
		}
	}
	if def == nil {
		return &types.InvalidArgument{InvalidProperty: "key"}
	}
	obj, ok := r.Get(ref).(mo.Entity)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: ref}
	}
	if def.ManagedObjectType != "" && def.ManagedObjectType != ref.Type {
		return &types.InvalidArgument{InvalidProperty: "entity"}
	}
	v := &types.CustomFieldStringValue{CustomFieldValue: types.CustomFieldValue{Key: key}, Value: value}
	replace := func(list []types.BaseCustomFieldValue) []types.BaseCustomFieldValue {
		var out []types.BaseCustomFieldValue
		for _, x := range list {
			if x.GetCustomFieldValue().Key != key {
				out = append(out, x)
			}
		}
		return append(out, v)
	}
	e := obj.Entity()
	r.Update(obj, []types.PropertyChange{
		{Name: "customValue", Val: replace(e.CustomValue)},
		{Name: "value", Val: replace(e.Value)},
	})
	return nil
}

// SetCustomValue (ExtensibleManagedObject.setCustomValue on a VM): vcsim's went through its own
// SetField, appending. Here: the field named key (made, for every type, when missing, as
// vCenter does), then SetField's replace.
func (vm *notifyingVM) SetCustomValue(ctx *simulator.Context, req *types.SetCustomValue) soap.HasFault {
	body := &methods.SetCustomValueBody{}
	svc, _ := ctx.Map.Get(types.ManagedObjectReference{Type: customFieldsType, Value: ctx.Map.CustomFieldsManager().Self.Value}).(*customFieldsService)
	if svc == nil {
		return vm.VirtualMachine.SetCustomValue(ctx, req)
	}
	var key *int32
	for _, f := range customFieldsManager(ctx.Map).Field {
		if f.Name == req.Key && (f.ManagedObjectType == "" || f.ManagedObjectType == req.This.Type) {
			k := f.Key
			key = &k
		}
	}
	if key == nil {
		def, f := svc.add(ctx.Map, &types.AddCustomFieldDef{Name: req.Key})
		if f != nil {
			body.Fault_ = soapFault(f)
			return body
		}
		key = &def.Key
	}
	if f := svc.set(ctx.Map, req.This, *key, req.Value); f != nil {
		body.Fault_ = soapFault(f)
		return body
	}
	body.Res = &types.SetCustomValueResponse{}
	return body
}

// installTellingServices registers the LogUserEvent and custom field services.
func installTellingServices(r *simulator.Registry) {
	em := r.EventManager().Self
	r.Put(&userEventService{Self: types.ManagedObjectReference{Type: userEventType, Value: em.Value}})
	cfm := r.CustomFieldsManager().Self
	r.Put(&customFieldsService{Self: types.ManagedObjectReference{Type: customFieldsType, Value: cfm.Value}})
}
