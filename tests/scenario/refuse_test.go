// The scenario refuses what vCenter refuses: ReconfigVM_Task changing nestedHVEnabled on a VM that
// is not powered off (InvalidPowerState) or changing a template (NotSupported), and it serves
// HostNetworkSystem.UpdatePortGroup as ESXi does. Each test also runs on a world without the
// wrappers, to show what vcsim alone does. dvpg_test.go does the same for ReconfigureDVPortgroup_Task.
package main

import (
	"reflect"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/task"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// bothWays runs a test on the patched world and on vcsim alone.
func bothWays(t *testing.T, test func(t *testing.T, patched bool)) {
	t.Run("patched", func(t *testing.T) { test(t, true) })
	t.Run("vcsim alone", func(t *testing.T) {
		withNotifiers = false
		defer func() { withNotifiers = true }()
		test(t, false)
	})
}

// finish waits for a task and returns its info; fault is the task's info.error.fault, if any.
func (w *testWorld) finish(tk *object.Task, err error) (info *types.TaskInfo, fault types.BaseMethodFault) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("the call itself failed (a task was expected): %v", err)
	}
	info, err = tk.WaitForResult(w.ctx, nil)
	if info == nil {
		w.t.Fatalf("task %v: no info (%v)", tk.Reference(), err)
	}
	if e, ok := err.(task.Error); ok {
		fault = e.Fault()
	}
	return info, fault
}

func (w *testWorld) vmConfig(ref types.ManagedObjectReference) (types.VirtualMachineConfigInfo, types.VirtualMachinePowerState) {
	w.t.Helper()
	var vm mo.VirtualMachine
	if err := property.DefaultCollector(w.c).RetrieveOne(w.ctx, ref, []string{"config", "runtime.powerState"}, &vm); err != nil {
		w.t.Fatal(err)
	}
	return *vm.Config, vm.Runtime.PowerState
}

func TestReconfigVMRefusals(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		on, off, tmpl := w.vm("hv-ok-01"), w.vm("hv-off-03"), w.vm("hv-tmpl-10")
		nested := func(v bool) types.VirtualMachineConfigSpec {
			return types.VirtualMachineConfigSpec{NestedHVEnabled: types.NewBool(v)}
		}

		// Powered on: vCenter refuses, the VM stays as it was.
		before, state := w.vmConfig(on)
		if state != types.VirtualMachinePowerStatePoweredOn || !isTrue(before.NestedHVEnabled) {
			t.Fatalf("hv-ok-01 starts %s, nestedHV %v", state, before.NestedHVEnabled)
		}
		info, fault := w.finish(object.NewVirtualMachine(w.c, on).Reconfigure(w.ctx, nested(false)))
		after, _ := w.vmConfig(on)
		if patched {
			ips, ok := fault.(*types.InvalidPowerState)
			if !ok || ips.RequestedState != types.VirtualMachinePowerStatePoweredOff ||
				ips.ExistingState != types.VirtualMachinePowerStatePoweredOn {
				t.Fatalf("powered on: fault %#v", fault)
			}
			if msg := info.Error.LocalizedMessage; msg != "The attempted operation cannot be performed in the current state (Powered on)." {
				t.Errorf("message %q", msg)
			}
			if !isTrue(after.NestedHVEnabled) {
				t.Fatal("the refused reconfiguration changed nestedHVEnabled")
			}
			// The same value is no change: accepted.
			if _, fault = w.finish(object.NewVirtualMachine(w.c, on).Reconfigure(w.ctx, nested(true))); fault != nil {
				t.Fatalf("nestedHVEnabled true again on hv-ok-01: %#v", fault)
			}
		} else if fault != nil || isTrue(after.NestedHVEnabled) {
			t.Fatalf("vcsim alone: fault %#v, nestedHV %v (if it refuses now, say so in the README)", fault, *after.NestedHVEnabled)
		}

		// Powered off: accepted everywhere.
		if _, fault = w.finish(object.NewVirtualMachine(w.c, off).Reconfigure(w.ctx, nested(true))); fault != nil {
			t.Fatalf("powered off: %#v", fault)
		}
		if cfg, _ := w.vmConfig(off); !isTrue(cfg.NestedHVEnabled) {
			t.Fatal("powered off: nestedHVEnabled not set")
		}

		// A template takes a new annotation and nothing else (vcsim refuses too, with its Go type
		// for a message).
		info, fault = w.finish(object.NewVirtualMachine(w.c, tmpl).Reconfigure(w.ctx, nested(true)))
		if _, ok := fault.(*types.NotSupported); !ok {
			t.Fatalf("template: fault %#v", fault)
		}
		want := "The operation is not supported on the object."
		if !patched {
			want = "*types.NotSupported"
		}
		if info.Error.LocalizedMessage != want {
			t.Errorf("template: message %q", info.Error.LocalizedMessage)
		}
		if cfg, _ := w.vmConfig(tmpl); isTrue(cfg.NestedHVEnabled) || !cfg.Template {
			t.Fatal("template: changed")
		}
		if _, fault = w.finish(object.NewVirtualMachine(w.c, tmpl).Reconfigure(w.ctx, types.VirtualMachineConfigSpec{Annotation: "gold"})); fault != nil {
			t.Fatalf("template annotation: %#v", fault)
		}
	})
}

// hostNet returns a host's network system and its current portgroups.
func (w *testWorld) hostNet(host types.ManagedObjectReference) (*object.HostNetworkSystem, []types.HostPortGroup) {
	w.t.Helper()
	var h mo.HostSystem
	if err := property.DefaultCollector(w.c).RetrieveOne(w.ctx, host, []string{"configManager.networkSystem", "config.network.portgroup"}, &h); err != nil {
		w.t.Fatal(err)
	}
	return object.NewHostNetworkSystem(w.c, *h.ConfigManager.NetworkSystem), h.Config.Network.Portgroup
}

func portgroupNamed(pgs []types.HostPortGroup, name string) *types.HostPortGroup {
	for i := range pgs {
		if pgs[i].Spec.Name == name {
			return &pgs[i]
		}
	}
	return nil
}

func TestUpdatePortGroup(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		host, other := w.inv.hosts[0], w.inv.hosts[1]
		ns, pgs := w.hostNet(host)
		before := *portgroupNamed(pgs, "VM Network")
		spec := before.Spec
		spec.Policy.Security = &types.HostNetworkSecurityPolicy{AllowPromiscuous: types.NewBool(true)}

		if !patched {
			err := ns.UpdatePortGroup(w.ctx, "VM Network", spec)
			if _, ok := soap.ToSoapFault(err).VimFault().(types.MethodNotFound); !soap.IsSoapFault(err) || !ok {
				t.Fatalf("vcsim alone: %v (if it has UpdatePortGroup now, the wrapper may go)", err)
			}
			return
		}

		w.createFilter(w.c, host, "config.network.portgroup")
		version, _ := w.wait(w.c, "", 0)
		if err := ns.UpdatePortGroup(w.ctx, "VM Network", spec); err != nil {
			t.Fatal(err)
		}
		_, got := w.wait(w.c, version, 2)
		if _, ok := got[host.Value+" config.network.portgroup"]; !ok {
			t.Fatalf("WaitForUpdatesEx: %v", got)
		}
		_, pgs = w.hostNet(host)
		after := *portgroupNamed(pgs, "VM Network")
		if s, c := after.Spec.Policy.Security, after.ComputedPolicy.Security; !isTrue(s.AllowPromiscuous) ||
			!isTrue(c.AllowPromiscuous) || s.ForgedTransmits != nil || !isTrue(c.ForgedTransmits) {
			t.Fatalf("after: spec %+v, computed %+v", s, c)
		}
		if !reflect.DeepEqual(after.ComputedPolicy.NicTeaming, before.ComputedPolicy.NicTeaming) ||
			after.Spec.VswitchName != before.Spec.VswitchName || after.Key != before.Key {
			t.Fatal("UpdatePortGroup changed more than the security policy")
		}
		var hns mo.HostNetworkSystem
		if err := property.DefaultCollector(w.c).RetrieveOne(w.ctx, ns.Reference(), []string{"networkInfo.portgroup"}, &hns); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*portgroupNamed(hns.NetworkInfo.Portgroup, "VM Network"), after) {
			t.Fatal("HostNetworkSystem.networkInfo and the host's config.network disagree")
		}
		if _, otherPgs := w.hostNet(other); portgroupNamed(otherPgs, "VM Network").ComputedPolicy.Security.AllowPromiscuous == nil ||
			*portgroupNamed(otherPgs, "VM Network").ComputedPolicy.Security.AllowPromiscuous {
			t.Fatal("the other host's VM Network changed too")
		}

		// The override cleared: the vSwitch's value (promiscuous rejected on vSwitch0) is back.
		spec.Policy.Security = &types.HostNetworkSecurityPolicy{}
		if err := ns.UpdatePortGroup(w.ctx, "VM Network", spec); err != nil {
			t.Fatal(err)
		}
		_, pgs = w.hostNet(host)
		if now := *portgroupNamed(pgs, "VM Network"); !reflect.DeepEqual(now, before) {
			t.Fatalf("cleared: %+v\nwant %+v", now, before)
		}

		// Refusals are SOAP faults (not a task): no such portgroup, no such vSwitch.
		for _, c := range []struct{ pg, vswitch string }{{"no-such-pg", "vSwitch0"}, {"VM Network", "vSwitch9"}} {
			s := spec
			s.Name, s.VswitchName = c.pg, c.vswitch
			err := ns.UpdatePortGroup(w.ctx, c.pg, s)
			if !soap.IsSoapFault(err) {
				t.Fatalf("%v: %v", c, err)
			}
			f := soap.ToSoapFault(err)
			if _, ok := f.VimFault().(types.NotFound); !ok || f.String != "The object or item referred to could not be found." {
				t.Fatalf("%v: %#v %q", c, f.VimFault(), f.String)
			}
		}
	})
}
