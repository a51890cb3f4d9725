// HostNetworkSystem.UpdatePortGroup, which vcsim 0.24.2 lacks (MethodNotFound). As on ESXi, the
// spec replaces the portgroup's spec whole: a security field left unset is no override (the
// vSwitch's value applies). computedPolicy is recomputed (vSwitch policy overlaid with the new
// spec.policy), and the change is reported to WaitForUpdatesEx on the HostSystem's
// config.network.portgroup (and config.network.vswitch when the portgroup moves) and on the
// HostNetworkSystem's networkInfo, which is the same object. Not a task: it answers an empty
// UpdatePortGroupResponse, or a SOAP fault.
package main

import (
	"reflect"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type hostNetworkSystem struct {
	simulator.HostNetworkSystem
}

func (s *hostNetworkSystem) UpdatePortGroup(ctx *simulator.Context, req *types.UpdatePortGroup) soap.HasFault {
	body := &methods.UpdatePortGroupBody{}
	if f := s.updatePortGroup(ctx.Map, req); f != nil {
		body.Fault_ = soapFault(f)
		return body
	}
	body.Res = &types.UpdatePortGroupResponse{}
	return body
}

func (s *hostNetworkSystem) updatePortGroup(r *simulator.Registry, req *types.UpdatePortGroup) types.BaseMethodFault {
	info := s.NetworkInfo
	spec := req.Portgrp
	if info == nil || s.Host == nil {
		return new(types.NotFound)
	}
	if spec.Name == "" {
		return &types.InvalidArgument{InvalidProperty: "portgrp.name"}
	}
	if spec.VlanId < 0 || spec.VlanId > 4095 {
		return &types.InvalidArgument{InvalidProperty: "portgrp.vlanId"}
	}
	at := -1
	for i, pg := range info.Portgroup {
		if pg.Spec.Name == req.PgName {
			at = i
		}
		if spec.Name != req.PgName && pg.Spec.Name == spec.Name {
			return &types.AlreadyExists{Name: spec.Name}
		}
	}
	if at < 0 {
		return new(types.NotFound)
	}
	if spec.Name != req.PgName {
		// ESXi renames; here the Network entity (shared by every host) would have to follow.
		return new(types.NotSupported)
	}
	sw := -1
	for i, vs := range info.Vswitch {
		if vs.Name == spec.VswitchName {
			sw = i
		}
	}
	if sw < 0 {
		return new(types.NotFound)
	}

	var changes []types.PropertyChange
	r.WithLock(s.Host, func() {
		pgs := deepCopy(reflect.ValueOf(info.Portgroup)).Interface().([]types.HostPortGroup)
		pg := &pgs[at]
		pg.Spec = deepCopy(reflect.ValueOf(spec)).Interface().(types.HostPortGroupSpec)
		normalizeOverrides(&pg.Spec.Policy)
		var swPolicy types.HostNetworkPolicy
		if p := info.Vswitch[sw].Spec.Policy; p != nil {
			swPolicy = *p
		}
		pg.ComputedPolicy = overlayPolicy(swPolicy, pg.Spec.Policy)
		changes = append(changes, types.PropertyChange{Name: "portgroup", Val: pgs})
		if pg.Vswitch != info.Vswitch[sw].Key { // moved to another vSwitch
			vss := deepCopy(reflect.ValueOf(info.Vswitch)).Interface().([]types.HostVirtualSwitch)
			for i := range vss {
				vss[i].Portgroup = removeString(vss[i].Portgroup, pg.Key)
			}
			vss[sw].Portgroup = append(vss[sw].Portgroup, pg.Key)
			pg.Vswitch = vss[sw].Key
			info.Vswitch = vss
			changes = append(changes, types.PropertyChange{Name: "vswitch", Val: vss})
		}
		info.Portgroup = pgs
		r.Update(s.Host, prefixed("config.network.", changes))
	})
	r.Update(&s.HostNetworkSystem.HostNetworkSystem, prefixed("networkInfo.", changes))
	return nil
}

func prefixed(prefix string, changes []types.PropertyChange) []types.PropertyChange {
	out := make([]types.PropertyChange, len(changes))
	for i, c := range changes {
		out[i] = types.PropertyChange{Name: prefix + c.Name, Op: types.PropertyChangeOpAssign, Val: c.Val}
	}
	return out
}

func removeString(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// normalizeOverrides stores a spec policy as ESXi does: every sub-policy present, empty where
// nothing is overridden (see emptyOverrides).
func normalizeOverrides(p *types.HostNetworkPolicy) {
	e := emptyOverrides()
	if p.Security == nil {
		p.Security = e.Security
	}
	if p.NicTeaming == nil {
		p.NicTeaming = e.NicTeaming
	}
	if p.NicTeaming.FailureCriteria == nil {
		p.NicTeaming.FailureCriteria = e.NicTeaming.FailureCriteria
	}
	if p.OffloadPolicy == nil {
		p.OffloadPolicy = e.OffloadPolicy
	}
	if p.ShapingPolicy == nil {
		p.ShapingPolicy = e.ShapingPolicy
	}
}
