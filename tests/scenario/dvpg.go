// ReconfigureDVPortgroup_Task as vCenter does it. vcsim 0.24.2 replaces the portgroup's whole
// config with the spec (an unset field clears what was there: VLAN, teaming, name, numPorts,
// backingType, ...) and ignores configVersion. Here, as on vCenter:
//
//   - the spec's configVersion must be the current one, else the task fails with ConcurrentAccess;
//     success bumps it;
//   - what the spec leaves unset stays as it is: top-level fields (name, numPorts, description,
//     policy, ...), each sub-policy of defaultPortConfig, and, inside a sub-policy given, each
//     field left unset (nil, empty string). A policy sent with inherited=true takes the switch's
//     value (marked inherited), its own values ignored;
//   - securityPolicy and macManagementPolicy stay in step (macManagementPolicy wins when both are
//     sent and disagree);
//   - MAC learning enabled on a switch without it (macLearningSupported false, version below
//     6.6.0) fails with NotSupported; a backingType other than the portgroup's, InvalidArgument;
//     another portgroup's name, DuplicateName.
//
// Every refusal is a failed task (info.error), the portgroup untouched. -race-dvpg adds a
// deterministic concurrent change for the retry path (see races below).
package main

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func (pg *notifyingDVPG) ReconfigureDVPortgroupTask(ctx *simulator.Context, req *types.ReconfigureDVPortgroup_Task) soap.HasFault {
	pg.interfere(ctx.Map)
	task := simulator.CreateTask(pg, "reconfigureDvPortgroup", func(*simulator.Task) (types.AnyType, types.BaseMethodFault) {
		before := snapshot(pg.mo())
		if f := pg.reconfigure(ctx.Map, &req.Spec); f != nil {
			return nil, f
		}
		notifyChanges(ctx.Map, pg, before, pg.mo())
		return nil, nil
	})
	return &methods.ReconfigureDVPortgroup_TaskBody{
		Res: &types.ReconfigureDVPortgroup_TaskResponse{Returnval: runTask(task)},
	}
}

// reconfigure checks the spec and, when it is acceptable, merges it into the config.
func (pg *notifyingDVPG) reconfigure(r *simulator.Registry, spec *types.DVPortgroupConfigSpec) types.BaseMethodFault {
	cfg := pg.Config
	if spec.ConfigVersion != cfg.ConfigVersion {
		return new(types.ConcurrentAccess)
	}
	if spec.BackingType != "" && spec.BackingType != backingOf(cfg.BackingType) {
		return &types.InvalidArgument{InvalidProperty: "spec.backingType"}
	}
	if spec.Name != "" && spec.Name != pg.Name && pg.Parent != nil {
		if f, ok := r.Get(*pg.Parent).(*simulator.Folder); ok {
			if other := r.FindByName(spec.Name, f.ChildEntity); other != nil {
				return &types.DuplicateName{Name: spec.Name, Object: other.Reference()}
			}
		}
	}
	var dvs *simulator.DistributedVirtualSwitch
	if cfg.DistributedVirtualSwitch != nil {
		dvs, _ = r.Get(*cfg.DistributedVirtualSwitch).(*simulator.DistributedVirtualSwitch)
	}
	if spec.DefaultPortConfig != nil {
		setting, f := mergeSetting(cfg.DefaultPortConfig, spec.DefaultPortConfig, dvs)
		if f != nil {
			return f
		}
		cfg.DefaultPortConfig = setting
	}

	if spec.Name != "" {
		cfg.Name = spec.Name
		pg.Name = spec.Name
		pg.Entity().Name = spec.Name
	}
	if spec.NumPorts != 0 {
		cfg.NumPorts = spec.NumPorts
	}
	for _, s := range []struct{ to, from *string }{
		{&cfg.PortNameFormat, &spec.PortNameFormat}, {&cfg.Description, &spec.Description},
		{&cfg.Type, &spec.Type}, {&cfg.VmVnicNetworkResourcePoolKey, &spec.VmVnicNetworkResourcePoolKey},
		{&cfg.TransportZoneUuid, &spec.TransportZoneUuid}, {&cfg.TransportZoneName, &spec.TransportZoneName},
		{&cfg.LogicalSwitchUuid, &spec.LogicalSwitchUuid}, {&cfg.SegmentId, &spec.SegmentId},
	} {
		if *s.from != "" {
			*s.to = *s.from
		}
	}
	if spec.Policy != nil {
		// Merged: a client of API 6.7 cannot send macManagementOverrideAllowed (6.7.1), which
		// must not be cleared by its leaving the field out.
		cfg.Policy = mergePolicy(cfg.Policy, spec.Policy)
	}
	if spec.AutoExpand != nil {
		cfg.AutoExpand = spec.AutoExpand
	}
	if spec.Scope != nil {
		cfg.Scope = spec.Scope
	}
	if spec.VendorSpecificConfig != nil {
		cfg.VendorSpecificConfig = spec.VendorSpecificConfig
	}
	cfg.ConfigVersion = nextConfigVersion(cfg.ConfigVersion)
	pg.Config = cfg
	return nil
}

// mergePolicy is spec with the optional (pointer) flags it leaves unset taken from cur.
func mergePolicy(cur, spec types.BaseDVPortgroupPolicy) types.BaseDVPortgroupPolicy {
	if cur == nil || reflect.TypeOf(cur) != reflect.TypeOf(spec) {
		return spec
	}
	out := deepCopy(reflect.ValueOf(cur))
	mergeValue(out.Elem(), reflect.ValueOf(spec).Elem(), reflect.Value{})
	return out.Interface().(types.BaseDVPortgroupPolicy)
}

func nextConfigVersion(v string) string {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "1"
	}
	return strconv.FormatInt(n+1, 10)
}

// backingOf is a portgroup's backing type: unset means "standard", the documented default.
func backingOf(b string) string {
	if b == "" {
		return string(types.DistributedVirtualPortgroupBackingTypeStandard)
	}
	return b
}

// switchLearns tells whether a switch supports MAC learning, by capability and by version.
func switchLearns(dvs *simulator.DistributedVirtualSwitch) bool {
	if dvs == nil {
		return false
	}
	feats, ok := dvs.Capability.FeaturesSupported.(*types.VMwareDVSFeatureCapability)
	if !ok || feats.MacLearningSupported == nil || !*feats.MacLearningSupported {
		return false
	}
	version := dvs.Summary.ProductInfo
	if cfg, ok := dvs.Config.(*types.VMwareDVSConfigInfo); ok && cfg.ProductInfo.Version != "" {
		version = &cfg.ProductInfo
	}
	return version != nil && !versionBelow(version.Version, 6, 6)
}

func versionBelow(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return true
	}
	a, errA := strconv.Atoi(parts[0])
	b, errB := strconv.Atoi(parts[1])
	return errA != nil || errB != nil || a < major || (a == major && b < minor)
}

// mergeSetting returns a new port setting: cur with spec merged in, securityPolicy and
// macManagementPolicy kept in step. cur is never changed.
func mergeSetting(cur, spec types.BaseDVPortSetting, dvs *simulator.DistributedVirtualSwitch) (types.BaseDVPortSetting, types.BaseMethodFault) {
	var sw *types.VMwareDVSPortSetting
	if dvs != nil {
		if cfg, ok := dvs.Config.(*types.VMwareDVSConfigInfo); ok {
			sw, _ = cfg.DefaultPortConfig.(*types.VMwareDVSPortSetting)
		}
	}
	if sw == nil {
		sw = &types.VMwareDVSPortSetting{}
	}
	out, ok := deepCopy(reflect.ValueOf(cur)).Interface().(*types.VMwareDVSPortSetting)
	if !ok {
		return nil, &types.NotSupported{}
	}
	switch s := spec.(type) {
	case *types.VMwareDVSPortSetting:
		if mm := s.MacManagementPolicy; mm != nil && mm.MacLearningPolicy != nil &&
			!mm.Inherited && !mm.MacLearningPolicy.Inherited && mm.MacLearningPolicy.Enabled && !switchLearns(dvs) {
			return nil, &types.NotSupported{}
		}
		mergeValue(reflect.ValueOf(out).Elem(), reflect.ValueOf(s).Elem(), reflect.ValueOf(sw).Elem())
		keepInStep(out, s.MacManagementPolicy != nil, s.SecurityPolicy != nil)
	case *types.DVPortSetting:
		mergeValue(reflect.ValueOf(&out.DVPortSetting).Elem(), reflect.ValueOf(s).Elem(), reflect.ValueOf(&sw.DVPortSetting).Elem())
	default:
		return nil, &types.InvalidArgument{InvalidProperty: "spec.defaultPortConfig"}
	}
	return out, nil
}

// mergeValue merges src into dst (addressable, of src's type): an unset src (nil pointer,
// interface or slice, empty string) keeps dst; a struct is merged field by field; anything else
// replaces. A policy src with inherited=true becomes sw's (the switch's) value, marked inherited.
func mergeValue(dst, src, sw reflect.Value) {
	switch src.Kind() {
	case reflect.Ptr:
		if src.IsNil() {
			return
		}
		if dst.IsNil() {
			dst.Set(reflect.New(src.Type().Elem()))
		}
		mergeValue(dst.Elem(), src.Elem(), follow(sw))
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		if src.Elem().Kind() != reflect.Ptr {
			dst.Set(deepCopy(src))
			return
		}
		var c reflect.Value // a pointer of src's dynamic type, to merge into
		if !dst.IsNil() && dst.Elem().Type() == src.Elem().Type() {
			c = deepCopy(dst.Elem())
		} else {
			c = reflect.New(src.Elem().Type().Elem()) // another type (trunk for VLAN id): replaced
		}
		swPtr := follow(sw)
		if swPtr.IsValid() && swPtr.Type() != src.Elem().Type() {
			swPtr = reflect.Value{}
		}
		mergeValue(c.Elem(), src.Elem().Elem(), follow(swPtr))
		dst.Set(c)
	case reflect.Struct:
		if inh := src.FieldByName("Inherited"); inh.IsValid() && inh.Kind() == reflect.Bool && inh.Bool() &&
			sw.IsValid() && sw.Type() == src.Type() {
			c := deepCopy(sw)
			markInherited(c)
			dst.Set(c)
			return
		}
		for i := 0; i < src.NumField(); i++ {
			if dst.Field(i).CanSet() {
				var swField reflect.Value
				if sw.IsValid() && sw.Type() == src.Type() {
					swField = sw.Field(i)
				}
				mergeValue(dst.Field(i), src.Field(i), swField)
			}
		}
	case reflect.Slice:
		if !src.IsNil() {
			dst.Set(deepCopy(src))
		}
	case reflect.String:
		if src.Len() > 0 {
			dst.Set(src)
		}
	default:
		dst.Set(src)
	}
}

// follow returns what a pointer or interface holds, or an invalid Value for nil or invalid.
func follow(v reflect.Value) reflect.Value {
	if !v.IsValid() {
		return v
	}
	if (v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface) && v.IsNil() {
		return reflect.Value{}
	}
	if v.Kind() == reflect.Ptr || v.Kind() == reflect.Interface {
		return v.Elem()
	}
	return v
}

// markInherited sets every InheritablePolicy.inherited inside v (addressable) to true.
func markInherited(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			markInherited(v.Elem()) // a pointer: what it points to is addressable
		}
	case reflect.Ptr:
		if !v.IsNil() {
			markInherited(v.Elem())
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(types.InheritablePolicy{}) {
			v.FieldByName("Inherited").SetBool(true)
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				markInherited(v.Field(i))
			}
		}
	}
}

// keepInStep makes securityPolicy and macManagementPolicy agree after a merge, as vCenter 6.7
// reports them: the policy the spec set decides; when it set both, macManagementPolicy.
func keepInStep(s *types.VMwareDVSPortSetting, setMM, setSec bool) {
	mm, sec := s.MacManagementPolicy, s.SecurityPolicy
	switch {
	case setMM && mm != nil:
		if sec == nil {
			sec = &types.DVSSecurityPolicy{}
		}
		if !setSec {
			sec.Inherited = mm.Inherited
		}
		for _, f := range []struct {
			to  **types.BoolPolicy
			val *bool
		}{{&sec.AllowPromiscuous, mm.AllowPromiscuous}, {&sec.MacChanges, mm.MacChanges}, {&sec.ForgedTransmits, mm.ForgedTransmits}} {
			if f.val == nil {
				continue
			}
			if setSec && *f.to != nil && (*f.to).Value != nil && *(*f.to).Value == *f.val {
				continue // sent in step: kept as sent, inherited flags included
			}
			*f.to = boolPolicy(*f.val, mm.Inherited)
			sec.Inherited = sec.Inherited && mm.Inherited
		}
		s.SecurityPolicy = sec
	case setSec && sec != nil:
		if mm == nil {
			mm = &types.DVSMacManagementPolicy{}
		}
		inherited := sec.Inherited
		for _, f := range []struct {
			to  **bool
			val *types.BoolPolicy
		}{{&mm.AllowPromiscuous, sec.AllowPromiscuous}, {&mm.MacChanges, sec.MacChanges}, {&mm.ForgedTransmits, sec.ForgedTransmits}} {
			if f.val != nil && f.val.Value != nil {
				*f.to = types.NewBool(*f.val.Value)
				inherited = inherited && f.val.Inherited
			}
		}
		mm.Inherited = inherited && (mm.MacLearningPolicy == nil || mm.MacLearningPolicy.Inherited)
		s.MacManagementPolicy = mm
	}
}

// raceVLAN is what "another admin" sets on a -race-dvpg portgroup: a field nestwarden never
// touches, so that a client which retries correctly can be seen to keep it.
const raceVLAN = 42

// raceSet is the -race-dvpg flag: portgroup names (repeatable, or comma-separated) whose first
// ReconfigureDVPortgroup_Task meets a concurrent change.
type raceSet struct {
	mu    sync.Mutex
	armed map[string]bool
	logf  func(format string, args ...interface{})
}

var races = &raceSet{}

func (r *raceSet) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for n := range r.armed {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func (r *raceSet) Set(v string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n == "" {
			return fmt.Errorf("empty portgroup name in %q", v)
		}
		if r.armed == nil {
			r.armed = map[string]bool{}
		}
		r.armed[n] = true
	}
	return nil
}

// unknown lists the armed names that are no DV portgroup of the plan.
func (r *raceSet) unknown(p *plan) []string {
	known := map[string]bool{}
	for _, pg := range p.DVPGs {
		known[pg.Name] = true
	}
	var out []string
	for _, n := range strings.Split(r.String(), ",") {
		if n != "" && !known[n] {
			out = append(out, n)
		}
	}
	return out
}

// take disarms name and tells whether it was armed.
func (r *raceSet) take(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.armed[name] {
		return false
	}
	delete(r.armed, name)
	return true
}

// interfere is "another admin" reconfiguring the portgroup just before the first request for it
// under -race-dvpg arrives: its VLAN becomes raceVLAN and its configVersion moves on, notified as
// any reconfiguration. The request, carrying the version it read, then fails with
// ConcurrentAccess; later ones are normal.
func (pg *notifyingDVPG) interfere(r *simulator.Registry) {
	if !races.take(pg.Name) {
		return
	}
	before := snapshot(pg.mo())
	if cur, ok := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting); ok {
		s := deepCopy(reflect.ValueOf(cur)).Interface().(*types.VMwareDVSPortSetting)
		s.Vlan = &types.VmwareDistributedVirtualSwitchVlanIdSpec{VlanId: raceVLAN}
		pg.Config.DefaultPortConfig = s
	}
	pg.Config.ConfigVersion = nextConfigVersion(pg.Config.ConfigVersion)
	notifyChanges(r, pg, before, pg.mo())
	if races.logf != nil {
		races.logf("-race-dvpg: another admin set VLAN %d on %s (%s), configVersion now %s",
			raceVLAN, pg.Name, pg.Self.Value, pg.Config.ConfigVersion)
	}
}
