// DV ports as vCenter keeps them (dvport.go): a port per VM NIC with keys unique on the switch,
// FetchDVPorts honouring its criteria, ReconfigureDVPort_Task with configVersion and the
// portgroup's override flags, inheritance from the portgroup's default. "vcsim alone" shows what
// the simulator does without the patches.
package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

func (w *testWorld) nicPort(vm string, nic int) nicPort {
	for i, v := range w.plan.VMs {
		if v.Name == vm {
			return w.inv.nicPorts[i][nic]
		}
	}
	w.t.Fatalf("no VM %s", vm)
	return nicPort{}
}

func (w *testWorld) fetch(dvs types.ManagedObjectReference, c types.DistributedVirtualSwitchPortCriteria) []types.DistributedVirtualPort {
	w.t.Helper()
	ports, err := object.NewDistributedVirtualSwitch(w.c, dvs).FetchDVPorts(w.ctx, &c)
	if err != nil {
		w.t.Fatal(err)
	}
	return ports
}

func (w *testWorld) port(np nicPort) types.DistributedVirtualPort {
	w.t.Helper()
	ports := w.fetch(np.Switch, types.DistributedVirtualSwitchPortCriteria{PortKey: []string{np.Key}})
	if len(ports) != 1 {
		w.t.Fatalf("port %s/%s: %d ports", np.Switch.Value, np.Key, len(ports))
	}
	return ports[0]
}

func (w *testWorld) reconfigurePorts(dvs types.ManagedObjectReference, specs ...types.DVPortConfigSpec) (types.BaseMethodFault, error) {
	w.t.Helper()
	res, err := methods.ReconfigureDVPort_Task(w.ctx, w.c, &types.ReconfigureDVPort_Task{This: dvs, Port: specs})
	if err != nil {
		return nil, err // vcsim alone: MethodNotFound
	}
	_, fault := w.finish(object.NewTask(w.c, res.Returnval), nil)
	return fault, nil
}

func macOverride(version, key string, forged bool) types.DVPortConfigSpec {
	return types.DVPortConfigSpec{Operation: "edit", Key: key, ConfigVersion: version,
		Setting: &types.VMwareDVSPortSetting{MacManagementPolicy: &types.DVSMacManagementPolicy{ForgedTransmits: types.NewBool(forged)}}}
}

func setting(p types.DistributedVirtualPort) *types.VMwareDVSPortSetting {
	return p.Config.Setting.(*types.VMwareDVSPortSetting)
}

func TestNICsHavePortsOfTheirPortgroup(t *testing.T) {
	w := startWorld(t)
	seen := map[string]string{}
	for i, vm := range w.plan.VMs {
		var cfg = w.vmConfigOf(w.inv.vms[i])
		n := 0
		for _, d := range cfg.Hardware.Device {
			card, ok := d.(types.BaseVirtualEthernetCard)
			if !ok {
				continue
			}
			dev := card.GetVirtualEthernetCard()
			n++
			if want := "Network adapter " + string(rune('0'+n)); dev.DeviceInfo.GetDescription().Label != want || dev.Key != int32(3999+n) {
				t.Errorf("%s: NIC %d is %q, key %d", vm.Name, n, dev.DeviceInfo.GetDescription().Label, dev.Key)
			}
			b, ok := dev.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
			if !ok {
				continue
			}
			np := w.inv.nicPorts[i][n-1]
			id := np.Switch.Value + "/" + b.Port.PortKey
			if b.Port.PortKey == "" || seen[id] != "" {
				t.Errorf("%s: port %q (also %s)", vm.Name, id, seen[id])
			}
			seen[id] = vm.Name
			p := w.port(np)
			if p.PortgroupKey != b.Port.PortgroupKey || p.Connectee == nil || *p.Connectee.ConnectedEntity != w.inv.vms[i] ||
				p.Connectee.NicKey != "400"+string(rune('0'+n-1)) || p.Connectee.Type != "vmVnic" {
				t.Errorf("%s: port %s is %+v", vm.Name, id, p)
			}
		}
	}
}

func TestFetchDVPortsCriteria(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		np := w.nicPort("hv-port-11", 0)
		all := w.fetch(np.Switch, types.DistributedVirtualSwitchPortCriteria{})
		keys := map[string]int{}
		for _, p := range all {
			keys[p.Key]++
		}
		one := w.fetch(np.Switch, types.DistributedVirtualSwitchPortCriteria{PortKey: []string{np.Key}})
		if !patched {
			// vcsim: the criteria ignored, keys "0".."7" (here ours) plus one per portgroup key,
			// every port with its portgroup's default and no portgroupKey or connectee.
			if len(one) != len(all) || one[0].PortgroupKey != "" || one[0].Connectee != nil {
				t.Errorf("vcsim alone: %d of %d ports for one key, first %+v", len(one), len(all), one[0])
			}
			return
		}
		for k, n := range keys {
			if n != 1 {
				t.Errorf("port key %s appears %d times", k, n)
			}
		}
		pg := w.inv.dvpgs["pg-ml-override"].Value
		if len(one) != 1 || one[0].Key != np.Key || one[0].PortgroupKey != pg || one[0].Config.ConfigVersion != "1" {
			t.Fatalf("portKey %s: %+v", np.Key, one)
		}
		yes, no := types.NewBool(true), types.NewBool(false)
		count := func(c types.DistributedVirtualSwitchPortCriteria, ok func(types.DistributedVirtualPort) bool) int {
			ports := w.fetch(np.Switch, c)
			for _, p := range ports {
				if !ok(p) {
					t.Errorf("criteria %+v: port %s (%s) does not match", c, p.Key, p.PortgroupKey)
				}
			}
			return len(ports)
		}
		in := count(types.DistributedVirtualSwitchPortCriteria{PortgroupKey: []string{pg}, Inside: yes},
			func(p types.DistributedVirtualPort) bool { return p.PortgroupKey == pg })
		out := count(types.DistributedVirtualSwitchPortCriteria{PortgroupKey: []string{pg}, Inside: no},
			func(p types.DistributedVirtualPort) bool { return p.PortgroupKey != pg })
		conn := count(types.DistributedVirtualSwitchPortCriteria{Connected: yes},
			func(p types.DistributedVirtualPort) bool { return p.Connectee != nil })
		free := count(types.DistributedVirtualSwitchPortCriteria{Connected: no},
			func(p types.DistributedVirtualPort) bool { return p.Connectee == nil })
		up := count(types.DistributedVirtualSwitchPortCriteria{UplinkPort: yes},
			func(p types.DistributedVirtualPort) bool {
				return p.Config.Name == "dvUplink1" || p.Config.Name == "dvUplink2"
			})
		active := count(types.DistributedVirtualSwitchPortCriteria{Active: yes, PortgroupKey: []string{pg}},
			func(p types.DistributedVirtualPort) bool { return false }) // hv-port-11 is powered off
		if in != 8 || in+out != len(all) || conn+free != len(all) || up != 4 || active != 0 || conn == 0 {
			t.Errorf("in %d out %d of %d, connected %d free %d, uplinks %d, active %d", in, out, len(all), conn, free, up, active)
		}
		if n := len(w.fetch(np.Switch, types.DistributedVirtualSwitchPortCriteria{PortKey: []string{"no-such"}})); n != 0 {
			t.Errorf("an unknown key gave %d ports", n)
		}
	})
}

func TestPortOverrideAndInheritance(t *testing.T) {
	w := startWorld(t)
	own := w.port(w.nicPort("hv-port-11", 0))
	s := setting(own)
	if s.MacManagementPolicy.Inherited || isTrue(s.MacManagementPolicy.ForgedTransmits) || s.SecurityPolicy.Inherited ||
		*s.SecurityPolicy.ForgedTransmits.Value || !s.MacManagementPolicy.MacLearningPolicy.Enabled {
		t.Errorf("hv-port-11's port does not override forged transmits: %+v %+v", s.MacManagementPolicy, s.SecurityPolicy)
	}
	if v, ok := s.Vlan.(*types.VmwareDistributedVirtualSwitchVlanIdSpec); !ok || !v.Inherited || v.VlanId != vlanOf(w.dvpgConfig("pg-ml-override")) {
		t.Errorf("the port's VLAN is not the portgroup's, inherited: %+v", s.Vlan)
	}
	// A free port of the same portgroup inherits everything; a change of the portgroup's
	// default shows through on it, not on the overriding port.
	pg, sw := w.inv.dvpgs["pg-ml-override"].Value, w.nicPort("hv-port-11", 0).Switch
	free := w.fetch(sw, types.DistributedVirtualSwitchPortCriteria{PortgroupKey: []string{pg}, Connected: types.NewBool(false)})[0]
	if fs := setting(free); !fs.MacManagementPolicy.Inherited || !isTrue(fs.MacManagementPolicy.ForgedTransmits) {
		t.Errorf("a free port does not inherit: %+v", fs.MacManagementPolicy)
	}
	before := w.dvpgConfig("pg-ml-override")
	if _, f := w.reconfigureDVPG("pg-ml-override", macFix(before.ConfigVersion, true)); f != nil {
		t.Fatal(f)
	}
	freeAfter := w.port(nicPort{Switch: sw, Key: free.Key})
	if !isTrue(setting(freeAfter).MacManagementPolicy.AllowPromiscuous) || !setting(freeAfter).MacManagementPolicy.Inherited {
		t.Errorf("the portgroup's new default does not show through: %+v", setting(freeAfter).MacManagementPolicy)
	}
	if ownAfter := w.port(w.nicPort("hv-port-11", 0)); isTrue(setting(ownAfter).MacManagementPolicy.AllowPromiscuous) {
		t.Errorf("the overriding port took the portgroup's change")
	}
}

func (w *testWorld) vmConfigOf(ref types.ManagedObjectReference) types.VirtualMachineConfigInfo {
	cfg, _ := w.vmConfig(ref)
	return cfg
}

func TestReconfigureDVPort(t *testing.T) {
	bothWays(t, func(t *testing.T, patched bool) {
		w := startWorld(t)
		np := w.nicPort("hv-port-11", 0)
		okPort := w.nicPort("hv-ok-01", 0) // pg-ml-ok: overrides not allowed
		fault, err := w.reconfigurePorts(np.Switch, macOverride("1", np.Key, true))
		if !patched {
			if err == nil || !strings.Contains(err.Error(), "ReconfigureDVPort_Task") {
				t.Errorf("vcsim alone: %v, %v", fault, err)
			}
			return
		}
		if err != nil || fault != nil {
			t.Fatalf("override: %v %v", err, fault)
		}
		p := w.port(np)
		mm, sec := setting(p).MacManagementPolicy, setting(p).SecurityPolicy
		if p.Config.ConfigVersion != "2" || !isTrue(mm.ForgedTransmits) || mm.Inherited || !*sec.ForgedTransmits.Value ||
			sec.Inherited || !mm.MacLearningPolicy.Enabled || isTrue(mm.AllowPromiscuous) {
			t.Errorf("after the edit: version %s, %+v %+v", p.Config.ConfigVersion, mm, sec)
		}
		refusals := []struct {
			what string
			spec types.DVPortConfigSpec
			sw   types.ManagedObjectReference
			want string
		}{
			{"stale configVersion", macOverride("1", np.Key, false), np.Switch, "*types.ConcurrentAccess"},
			{"unknown key", macOverride("1", "no-such", false), np.Switch, "*types.NotFound"},
			{"override not allowed", macOverride("1", okPort.Key, false), okPort.Switch, "*types.InvalidArgument"},
			{"security not allowed", types.DVPortConfigSpec{Operation: "edit", Key: okPort.Key, ConfigVersion: "1",
				Setting: &types.VMwareDVSPortSetting{SecurityPolicy: &types.DVSSecurityPolicy{ForgedTransmits: boolPolicy(false, false)}}},
				okPort.Switch, "*types.InvalidArgument"},
			{"operation add", types.DVPortConfigSpec{Operation: "add", Key: np.Key, ConfigVersion: "2"}, np.Switch, "*types.NotSupported"},
		}
		for _, r := range refusals {
			var before types.DistributedVirtualPort
			if r.spec.Key != "no-such" {
				before = w.port(nicPort{Switch: r.sw, Key: r.spec.Key})
			}
			f, err := w.reconfigurePorts(r.sw, r.spec)
			if err != nil || f == nil || typeName(f) != r.want {
				t.Errorf("%s: %v %s", r.what, err, typeName(f))
			}
			if r.spec.Key != "no-such" {
				if after := w.port(nicPort{Switch: r.sw, Key: r.spec.Key}); after.Config.ConfigVersion != before.Config.ConfigVersion {
					t.Errorf("%s changed the port", r.what)
				}
			}
		}
		if inv, ok := refusalProperty(w, okPort); !ok || inv != "port.setting.macManagementPolicy" {
			t.Errorf("override not allowed names %q", inv)
		}
		// inherited=true drops the override: the portgroup's values, marked inherited.
		drop := types.DVPortConfigSpec{Operation: "edit", Key: np.Key, ConfigVersion: "2",
			Setting: &types.VMwareDVSPortSetting{MacManagementPolicy: &types.DVSMacManagementPolicy{InheritablePolicy: types.InheritablePolicy{Inherited: true}}}}
		if f, err := w.reconfigurePorts(np.Switch, drop); f != nil || err != nil {
			t.Fatal(f, err)
		}
		p = w.port(np)
		if mm := setting(p).MacManagementPolicy; !mm.Inherited || !setting(p).SecurityPolicy.Inherited || p.Config.ConfigVersion != "3" {
			t.Errorf("after inherited=true: %+v, version %s", mm, p.Config.ConfigVersion)
		}
	})
}

func typeName(f types.BaseMethodFault) string { return fmt.Sprintf("%T", f) }

func refusalProperty(w *testWorld, np nicPort) (string, bool) {
	f, _ := w.reconfigurePorts(np.Switch, macOverride("1", np.Key, false))
	inv, ok := f.(*types.InvalidArgument)
	if !ok {
		return "", false
	}
	return inv.InvalidProperty, true
}
