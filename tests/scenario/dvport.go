// Distributed ports as vCenter keeps them. vcsim 0.24.2 has no per-port state: FetchDVPorts ignores
// its criteria and lists, for every portgroup, a port keyed by the portgroup's key plus ports "0".."7"
// (the same keys in every portgroup of a switch), each with the portgroup's default setting;
// ReconfigureDVPort_Task is MethodNotFound, and a VM NIC's backing names no port. Here:
//
//   - every port has a key unique on its switch ("0", "1", ... in portgroup order, as vCenter
//     numbers them), a portgroup, a configVersion, and its own settings: the sub-policies of a
//     VMwareDVSPortSetting it overrides. Its effective config.setting is, per sub-policy, its own
//     value (inherited false) or the portgroup's current defaultPortConfig value marked inherited;
//   - each VM NIC on a DV portgroup gets a port of that portgroup (backing.port.portKey), the port
//     its connectee (VM, NIC device key, vmVnic); a portgroup short of ports grows (autoExpand);
//   - FetchDVPorts honours portKey, portgroupKey with inside, connected, active (a powered-on VM),
//     uplinkPort, nsxPort and host; scope is ignored;
//   - ReconfigureDVPort_Task: operation "edit", the port's configVersion (else ConcurrentAccess), a
//     known key (else NotFound); a sub-policy sent with inherited=false becomes the port's override
//     (fields left unset keep the current effective values), inherited=true drops it. Overriding
//     needs the portgroup's matching config.policy.*OverrideAllowed (macManagementPolicy:
//     macManagementOverrideAllowed or securityPolicyOverrideAllowed), else InvalidArgument naming
//     the sub-policy. securityPolicy and macManagementPolicy stay in step, as on portgroups.
//
// The methods are served through soapfront.go: a call on a switch reaches dvPortService.
package main

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type dvPort struct {
	key, pgKey string
	name       string
	own        *types.VMwareDVSPortSetting // only the sub-policies the port overrides are set
	version    string
	connectee  *types.DistributedVirtualSwitchPortConnectee
	changed    time.Time
}

// switchPorts is one switch's ports.
type switchPorts struct {
	mu    sync.Mutex
	dvs   *simulator.DistributedVirtualSwitch
	next  int
	ports map[string]*dvPort
	order []*dvPort
}

var (
	portsMu sync.Mutex
	ports   = map[string]*switchPorts{} // by switch moref value
)

// resetPorts starts a new world's port tables (tests build several worlds in one process).
func resetPorts() {
	portsMu.Lock()
	ports = map[string]*switchPorts{}
	portsMu.Unlock()
}

func portsOf(dvs types.ManagedObjectReference) *switchPorts {
	portsMu.Lock()
	defer portsMu.Unlock()
	return ports[dvs.Value]
}

func newSwitchPorts(dvs *simulator.DistributedVirtualSwitch) *switchPorts {
	sp := &switchPorts{dvs: dvs, ports: map[string]*dvPort{}}
	portsMu.Lock()
	ports[dvs.Self.Value] = sp
	portsMu.Unlock()
	return sp
}

// addPorts gives a portgroup n more ports, keyed on from the switch's counter.
func (sp *switchPorts) addPorts(pg *simulator.DistributedVirtualPortgroup, n int, names []string) {
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		p := &dvPort{key: strconv.Itoa(sp.next), pgKey: pg.Key, version: "1", changed: now}
		if i < len(names) {
			p.name = names[i]
		}
		sp.next++
		sp.ports[p.key] = p
		sp.order = append(sp.order, p)
		pg.PortKeys = append(pg.PortKeys, p.key)
	}
}

// connect takes the first free port of pg for a NIC (the VM and the NIC's device key are filled
// in by setConnectee once the VM exists), growing the portgroup by 8 ports when none is free.
func (sp *switchPorts) connect(pg *simulator.DistributedVirtualPortgroup) string {
	for _, key := range pg.PortKeys {
		if p := sp.ports[key]; p.connectee == nil {
			p.connectee = &types.DistributedVirtualSwitchPortConnectee{Type: "vmVnic"}
			return key
		}
	}
	sp.addPorts(pg, 8, nil)
	pg.Config.NumPorts += 8
	return sp.connect(pg)
}

func (sp *switchPorts) setConnectee(key string, vm types.ManagedObjectReference, nicKey int32) {
	if p := sp.ports[key]; p != nil && p.connectee != nil {
		p.connectee.ConnectedEntity = &vm
		p.connectee.NicKey = strconv.Itoa(int(nicKey))
	}
}

// portgroupConfig finds a DV portgroup's config by key (its moref value), wrapped or not.
func portgroupConfig(r *simulator.Registry, key string) *types.DVPortgroupConfigInfo {
	switch pg := r.Get(types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: key}).(type) {
	case *notifyingDVPG:
		return &pg.Config
	case *simulator.DistributedVirtualPortgroup:
		return &pg.Config
	}
	return nil
}

// subPolicies lists the sub-policies of a VMwareDVSPortSetting (v addressable), by wire name.
func subPolicies(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				if f.Type != reflect.TypeOf(types.DynamicData{}) {
					walk(v.Field(i))
				}
				continue
			}
			out[strings.Split(f.Tag.Get("xml"), ",")[0]] = v.Field(i)
		}
	}
	walk(v)
	return out
}

// effective is the port's config.setting: its own sub-policies, the rest the portgroup's default
// marked inherited.
func (sp *switchPorts) effective(r *simulator.Registry, p *dvPort) *types.VMwareDVSPortSetting {
	out := &types.VMwareDVSPortSetting{}
	if cfg := portgroupConfig(r, p.pgKey); cfg != nil {
		if s, ok := cfg.DefaultPortConfig.(*types.VMwareDVSPortSetting); ok {
			out = deepCopy(reflect.ValueOf(s)).Interface().(*types.VMwareDVSPortSetting)
		}
	}
	markInherited(reflect.ValueOf(out))
	if p.own != nil {
		mine := subPolicies(reflect.ValueOf(p.own).Elem())
		for name, f := range subPolicies(reflect.ValueOf(out).Elem()) {
			if m := mine[name]; !m.IsNil() {
				f.Set(deepCopy(m))
			}
		}
	}
	return out
}

// overrideAllowed tells whether the portgroup policy lets a port override the named sub-policy.
func overrideAllowed(policy types.BaseDVPortgroupPolicy, name string) bool {
	if policy == nil {
		return false
	}
	base := policy.GetDVPortgroupPolicy()
	vm, _ := policy.(*types.VMwareDVSPortgroupPolicy)
	if vm == nil {
		vm = &types.VMwareDVSPortgroupPolicy{}
	}
	switch name {
	case "securityPolicy":
		return vm.SecurityPolicyOverrideAllowed
	case "macManagementPolicy":
		// macManagementOverrideAllowed is API 6.7.1, which a client of this API 6.7 server
		// (pyVmomi 6.7.1 at version12) can neither read nor send; securityPolicyOverrideAllowed,
		// which it replaced, allows it too (the scenario's choice; see README).
		return isTrue(vm.MacManagementOverrideAllowed) || vm.SecurityPolicyOverrideAllowed
	case "vlan":
		return vm.VlanOverrideAllowed
	case "uplinkTeamingPolicy":
		return vm.UplinkTeamingOverrideAllowed
	case "ipfixEnabled":
		return isTrue(vm.IpfixOverrideAllowed)
	case "blocked":
		return base.BlockOverrideAllowed
	case "inShapingPolicy", "outShapingPolicy":
		return base.ShapingOverrideAllowed
	case "vendorSpecificConfig":
		return base.VendorConfigOverrideAllowed
	case "networkResourcePoolKey":
		return isTrue(base.NetworkResourcePoolOverrideAllowed)
	case "filterPolicy":
		return isTrue(base.TrafficFilterOverrideAllowed)
	}
	return true
}

// inheritedFlag reads a sub-policy's InheritablePolicy.inherited (false where it has none).
func inheritedFlag(v reflect.Value) bool {
	v = follow(v)
	if v.Kind() == reflect.Ptr {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return false
	}
	f := v.FieldByName("Inherited")
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}

// markOwn sets every InheritablePolicy.inherited inside v to false: the port's own policy.
func markOwn(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Ptr:
		if !v.IsNil() {
			markOwn(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(types.InheritablePolicy{}) {
			v.FieldByName("Inherited").SetBool(false)
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				markOwn(v.Field(i))
			}
		}
	}
}

// merge returns the port's own settings after spec, or the fault refusing it.
func (sp *switchPorts) merge(r *simulator.Registry, p *dvPort, setting types.BaseDVPortSetting) (*types.VMwareDVSPortSetting, types.BaseMethodFault) {
	var spec *types.VMwareDVSPortSetting
	switch s := setting.(type) {
	case *types.VMwareDVSPortSetting:
		spec = s
	case *types.DVPortSetting:
		spec = &types.VMwareDVSPortSetting{DVPortSetting: *s}
	default:
		return nil, &types.InvalidArgument{InvalidProperty: "port.setting"}
	}
	cfg := portgroupConfig(r, p.pgKey)
	if cfg == nil {
		return nil, &types.NotFound{}
	}
	eff := sp.effective(r, p)
	own := &types.VMwareDVSPortSetting{}
	if p.own != nil {
		own = deepCopy(reflect.ValueOf(p.own)).Interface().(*types.VMwareDVSPortSetting)
	}
	effF, ownF := subPolicies(reflect.ValueOf(eff).Elem()), subPolicies(reflect.ValueOf(own).Elem())
	specF := subPolicies(reflect.ValueOf(spec).Elem())
	names := make([]string, 0, len(specF))
	for name := range specF {
		names = append(names, name)
	}
	sort.Strings(names) // the first refused sub-policy in a stable order
	sent := map[string]bool{}
	for _, name := range names {
		sv := specF[name]
		if sv.IsNil() {
			continue
		}
		sent[name] = true
		if inheritedFlag(sv) {
			ownF[name].Set(reflect.Zero(sv.Type()))
			continue
		}
		if !overrideAllowed(cfg.Policy, name) {
			return nil, &types.InvalidArgument{InvalidProperty: "port.setting." + name}
		}
		if mm := spec.MacManagementPolicy; name == "macManagementPolicy" && mm.MacLearningPolicy != nil &&
			!mm.MacLearningPolicy.Inherited && mm.MacLearningPolicy.Enabled && !switchLearns(sp.dvs) {
			return nil, &types.NotSupported{}
		}
		merged := deepCopy(effF[name])
		holder := reflect.New(merged.Type()).Elem()
		holder.Set(merged)
		mergeValue(holder, sv, reflect.Value{})
		markOwn(holder)
		ownF[name].Set(holder)
	}
	portInStep(own, eff, sent["macManagementPolicy"], sent["securityPolicy"])
	return own, nil
}

// portInStep keeps the port's securityPolicy and macManagementPolicy overrides together: the one
// sent decides (macManagementPolicy when both were), the other follows, dropped with it.
func portInStep(own, eff *types.VMwareDVSPortSetting, sentMM, sentSec bool) {
	switch {
	case sentMM:
		mm := own.MacManagementPolicy
		if mm == nil {
			own.SecurityPolicy = nil
			return
		}
		own.SecurityPolicy = &types.DVSSecurityPolicy{
			AllowPromiscuous: boolPolicy(isTrue(mm.AllowPromiscuous), false),
			MacChanges:       boolPolicy(isTrue(mm.MacChanges), false),
			ForgedTransmits:  boolPolicy(isTrue(mm.ForgedTransmits), false),
		}
	case sentSec:
		sec := own.SecurityPolicy
		if sec == nil {
			own.MacManagementPolicy = nil
			return
		}
		mm := &types.DVSMacManagementPolicy{}
		if eff.MacManagementPolicy != nil {
			mm = deepCopy(reflect.ValueOf(eff.MacManagementPolicy)).Interface().(*types.DVSMacManagementPolicy)
		}
		for _, f := range []struct {
			to  **bool
			val *types.BoolPolicy
		}{{&mm.AllowPromiscuous, sec.AllowPromiscuous}, {&mm.MacChanges, sec.MacChanges}, {&mm.ForgedTransmits, sec.ForgedTransmits}} {
			if f.val != nil && f.val.Value != nil {
				*f.to = types.NewBool(*f.val.Value)
			}
		}
		markOwn(reflect.ValueOf(mm))
		own.MacManagementPolicy = mm
	}
}

// reconfigure applies specs all or nothing.
func (sp *switchPorts) reconfigure(r *simulator.Registry, specs []types.DVPortConfigSpec) types.BaseMethodFault {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	type change struct {
		p    *dvPort
		own  *types.VMwareDVSPortSetting
		name string
	}
	var changes []change
	for _, spec := range specs {
		if spec.Operation != string(types.ConfigSpecOperationEdit) {
			return &types.NotSupported{}
		}
		p := sp.ports[spec.Key]
		if p == nil {
			return &types.NotFound{}
		}
		if spec.ConfigVersion != p.version {
			return new(types.ConcurrentAccess)
		}
		c := change{p: p, own: p.own, name: p.name}
		if spec.Setting != nil {
			own, f := sp.merge(r, p, spec.Setting)
			if f != nil {
				return f
			}
			c.own = own
		}
		if spec.Name != "" {
			c.name = spec.Name
		}
		changes = append(changes, c)
	}
	now := time.Now().UTC()
	for _, c := range changes {
		c.p.own, c.p.name = c.own, c.name
		c.p.version = nextConfigVersion(c.p.version)
		c.p.changed = now
	}
	return nil
}

// matches tells whether a port meets the criteria.
func (sp *switchPorts) matches(r *simulator.Registry, p *dvPort, c *types.DistributedVirtualSwitchPortCriteria, uplink map[string]bool) bool {
	if c == nil {
		return true
	}
	if len(c.PortKey) > 0 && !contains(c.PortKey, p.key) {
		return false
	}
	if len(c.PortgroupKey) > 0 {
		if contains(c.PortgroupKey, p.pgKey) != (c.Inside == nil || *c.Inside) {
			return false
		}
	} else if c.Inside != nil && *c.Inside != (p.pgKey != "") {
		return false
	}
	if c.Connected != nil && *c.Connected != (p.connectee != nil) {
		return false
	}
	if c.UplinkPort != nil && *c.UplinkPort != uplink[p.pgKey] {
		return false
	}
	if c.NsxPort != nil {
		cfg := portgroupConfig(r, p.pgKey)
		if *c.NsxPort != (cfg != nil && cfg.BackingType == "nsx") {
			return false
		}
	}
	vm := connectedVM(r, p)
	if c.Active != nil && *c.Active != (vm != nil && vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn) {
		return false
	}
	if len(c.Host) > 0 && (vm == nil || vm.Runtime.Host == nil || simulator.FindReference(c.Host, *vm.Runtime.Host) == nil) {
		return false
	}
	return true
}

func connectedVM(r *simulator.Registry, p *dvPort) *mo.VirtualMachine {
	if p.connectee == nil || p.connectee.ConnectedEntity == nil {
		return nil
	}
	return vmOf(r, *p.connectee.ConnectedEntity)
}

// vmOf is a VM's mo, wrapped or not.
func vmOf(r *simulator.Registry, ref types.ManagedObjectReference) *mo.VirtualMachine {
	switch vm := r.Get(ref).(type) {
	case *notifyingVM:
		return vm.mo()
	case *simulator.VirtualMachine:
		return &vm.VirtualMachine
	}
	return nil
}

func (sp *switchPorts) fetch(r *simulator.Registry, c *types.DistributedVirtualSwitchPortCriteria) []types.DistributedVirtualPort {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	uplink := map[string]bool{}
	if cfg, ok := sp.dvs.Config.(*types.VMwareDVSConfigInfo); ok {
		for _, ref := range cfg.UplinkPortgroup {
			uplink[ref.Value] = true
		}
	}
	out := []types.DistributedVirtualPort{}
	for _, p := range sp.order {
		if !sp.matches(r, p, c, uplink) {
			continue
		}
		port := types.DistributedVirtualPort{
			Key:              p.key,
			DvsUuid:          sp.dvs.Uuid,
			PortgroupKey:     p.pgKey,
			Config:           types.DVPortConfigInfo{Name: p.name, ConfigVersion: p.version, Setting: sp.effective(r, p)},
			LastStatusChange: p.changed,
			HostLocalPort:    types.NewBool(false),
		}
		if p.connectee != nil {
			cn := *p.connectee
			port.Connectee = &cn
			if vm := connectedVM(r, p); vm != nil && vm.Runtime.Host != nil {
				h := *vm.Runtime.Host
				port.ProxyHost = &h
			}
		}
		out = append(out, port)
	}
	return out
}

// portServiceType is the moref type a switch's port calls are routed to (soapfront.go).
const portServiceType = "NwDVPortService"

// dvPortService serves FetchDVPorts and ReconfigureDVPort_Task for one switch.
type dvPortService struct {
	Self types.ManagedObjectReference
	sp   *switchPorts
}

func (s *dvPortService) Reference() types.ManagedObjectReference { return s.Self }

func (s *dvPortService) FetchDVPorts(ctx *simulator.Context, req *types.FetchDVPorts) soap.HasFault {
	return &methods.FetchDVPortsBody{Res: &types.FetchDVPortsResponse{Returnval: s.sp.fetch(ctx.Map, req.Criteria)}}
}

func (s *dvPortService) ReconfigureDVPortTask(ctx *simulator.Context, req *types.ReconfigureDVPort_Task) soap.HasFault {
	task := simulator.CreateTask(s.sp.dvs, "reconfigureDVPort", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		return nil, s.sp.reconfigure(ctx.Map, req.Port)
	})
	return &methods.ReconfigureDVPort_TaskBody{Res: &types.ReconfigureDVPort_TaskResponse{Returnval: runTask(task)}}
}

// installPortServices registers each switch's port service.
func installPortServices(r *simulator.Registry) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for ref, sp := range ports {
		r.Put(&dvPortService{Self: types.ManagedObjectReference{Type: portServiceType, Value: ref}, sp: sp})
	}
}
