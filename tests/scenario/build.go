// Building the plan into vcsim. Objects are created through the simulator's own method
// implementations, called directly rather than over SOAP (tasks run synchronously, so 5000 VMs
// take seconds), and then patched where vcsim leaves out what vCenter fills in.
package main

import (
	"context"
	"fmt"
	"io/ioutil"
	"log"
	"os"
	"reflect"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// inventory is what the build produced, for tagging and for the truth.
type inventory struct {
	hosts   []types.ManagedObjectReference
	dvpgs   map[string]types.ManagedObjectReference // by name, curated and generated
	uplinks []types.ManagedObjectReference
	vms     []types.ManagedObjectReference // parallel to plan.VMs
	// nicPorts: per VM (parallel to vms), per NIC, its DV port ("" on a standard portgroup)
	nicPorts [][]nicPort
}

type nicPort struct {
	Switch types.ManagedObjectReference
	Key    string
	Label  string
}

type builder struct {
	ctx      *simulator.Context
	plan     *plan
	dc       *simulator.Datacenter
	cluster  *simulator.ClusterComputeResource
	hosts    []*simulator.HostSystem
	switches map[string]*simulator.DistributedVirtualSwitch
	dvpgs    map[string]*simulator.DistributedVirtualPortgroup
	std      map[string]*mo.Network
	inv      inventory
	lateDone bool
}

func newModel(hosts int) *simulator.Model {
	m := simulator.VPX()
	m.Datacenter = 1
	m.Cluster = 1
	m.ClusterHost = hosts
	m.Host = 0
	m.Portgroup = 0
	m.Machine = 0
	m.Datastore = 0 // made by datastore.go, in a directory that survives a restart's comparison
	m.Autostart = false
	advertise67(m)
	return m
}

// taskResult runs the simulator's answer to a *_Task method to its result.
func taskResult(res soap.HasFault) (types.AnyType, error) {
	if f := res.Fault(); f != nil {
		return nil, fmt.Errorf("%s: %T", f.String, f.Detail.Fault)
	}
	ref := fieldRef(res)
	task := simulator.Map.Get(ref).(*simulator.Task)
	if e := task.Info.Error; e != nil {
		return nil, fmt.Errorf("%s: %T %s", task.Info.DescriptionId, e.Fault, e.LocalizedMessage)
	}
	return task.Info.Result, nil
}

// preferTmpfs puts the datastore on /dev/shm unless TMPDIR says otherwise: vcsim writes a
// directory and three files per VM, which on a disk-backed /tmp makes 5000 VMs take 7 s, not 1.5.
func preferTmpfs() {
	if os.Getenv("TMPDIR") != "" {
		return
	}
	if f, err := ioutil.TempFile("/dev/shm", "nw-scenario-"); err == nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		_ = os.Setenv("TMPDIR", "/dev/shm")
	}
}

// world is the built model with its datastore directory.
type world struct {
	*simulator.Model
	store *datastore
}

// Remove deletes what the model made on disk.
func (w *world) Remove() {
	w.Model.Remove()
	w.store.remove()
}

// build builds the plan; storeKey names the datastore directory ("": a random name). Notes are
// for stderr.
func build(p *plan, storeKey string) (*world, *inventory, []string, error) {
	preferTmpfs()
	resetPorts()
	store, note, err := openDatastore(storeKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("datastore: %v", err)
	}
	var notes []string
	if note != "" {
		notes = append(notes, note)
	}
	w := &world{Model: newModel(p.Hosts), store: store}
	if err := w.Create(); err != nil {
		w.Remove()
		return nil, nil, nil, err
	}
	installCollector()

	b := &builder{
		ctx: &simulator.Context{
			Context: context.Background(),
			Session: &simulator.Session{
				UserSession: types.UserSession{Key: "nw-scenario-builder", UserName: "vpxd-extension"},
				Registry:    simulator.NewRegistry(),
			},
			Map: simulator.Map,
		},
		plan:     p,
		switches: map[string]*simulator.DistributedVirtualSwitch{},
		dvpgs:    map[string]*simulator.DistributedVirtualPortgroup{},
		std:      map[string]*mo.Network{},
		inv:      inventory{dvpgs: map[string]types.ManagedObjectReference{}},
	}
	b.dc = simulator.Map.Any("Datacenter").(*simulator.Datacenter)
	b.cluster = simulator.Map.Any("ClusterComputeResource").(*simulator.ClusterComputeResource)
	for _, ref := range b.cluster.Host {
		b.hosts = append(b.hosts, simulator.Map.Get(ref).(*simulator.HostSystem))
		b.inv.hosts = append(b.inv.hosts, ref)
	}
	// Where vcsim's model would have made it, so that every moref numbered after it stays put.
	if err := store.mount(b.ctx, b.hosts); err != nil {
		w.Remove()
		return nil, nil, nil, err
	}

	steps := []struct {
		name string
		run  func() error
	}{
		{"switches", b.buildSwitches},
		{"DV portgroups", b.buildPortgroups},
		{"standard portgroups", b.buildStandard},
		{"VMs", b.buildVMs},
	}
	for _, step := range steps {
		start := time.Now()
		if err := step.run(); err != nil {
			w.Remove()
			return nil, nil, nil, err
		}
		log.Printf("built %s in %v", step.name, time.Since(start).Round(time.Millisecond))
	}
	if err := b.buildLatePortgroups(); err != nil { // no late VM in the plan: still made
		w.Remove()
		return nil, nil, nil, err
	}
	b.linkNetworks()
	installNotifiers(simulator.Map) // last: the build holds pointers to vcsim's own objects
	return w, &b.inv, notes, nil
}

func (b *builder) folder(ref types.ManagedObjectReference) *simulator.Folder {
	return simulator.Map.Get(ref).(*simulator.Folder)
}

func (b *builder) buildSwitches() error {
	net := b.folder(b.dc.NetworkFolder)
	var members []types.DistributedVirtualSwitchHostMemberConfigSpec
	for _, h := range b.hosts {
		members = append(members, types.DistributedVirtualSwitchHostMemberConfigSpec{
			Operation: string(types.ConfigSpecOperationAdd),
			Host:      h.Self,
		})
	}

	for _, sw := range switches {
		product := types.DistributedVirtualSwitchProductSpec{
			Name:            "DVS",
			Vendor:          "VMware, Inc.",
			Version:         sw.Version,
			Build:           "8217866",
			ForwardingClass: "etherswitch",
		}
		spec := types.DVSCreateSpec{
			ConfigSpec: &types.VMwareDVSConfigSpec{
				DVSConfigSpec: types.DVSConfigSpec{Name: sw.Name, ConfigVersion: "1", MaxPorts: 2147483647},
				MaxMtu:        1500,
			},
			ProductInfo: &product,
		}
		res, err := taskResult(net.CreateDVSTask(b.ctx, &types.CreateDVS_Task{This: net.Self, Spec: spec}))
		if err != nil {
			return fmt.Errorf("create %s: %v", sw.Name, err)
		}
		dvs := simulator.Map.Get(res.(types.ManagedObjectReference)).(*simulator.DistributedVirtualSwitch)
		b.switches[sw.Name] = dvs
		newSwitchPorts(dvs)

		_, err = taskResult(dvs.ReconfigureDvsTask(&types.ReconfigureDvs_Task{
			This: dvs.Self,
			Spec: &types.VMwareDVSConfigSpec{DVSConfigSpec: types.DVSConfigSpec{Host: members}},
		}))
		if err != nil {
			return fmt.Errorf("add hosts to %s: %v", sw.Name, err)
		}

		// vcsim fills summary.productInfo only; vCenter reports it in config too.
		cfg := dvs.Config.(*types.VMwareDVSConfigInfo)
		cfg.ProductInfo = product
		cfg.CreateTime = time.Now().UTC()
		cfg.UplinkPortPolicy = &types.DVSNameArrayUplinkPortPolicy{UplinkPortName: []string{"dvUplink1", "dvUplink2"}}
		setting := &types.VMwareDVSPortSetting{}
		applySwitchPortDefaults(setting)
		applyMacPolicy(setting, switchDefault, true)
		cfg.DefaultPortConfig = setting
		for _, ref := range dvs.Portgroup {
			cfg.UplinkPortgroup = append(cfg.UplinkPortgroup, ref) // only the uplink exists yet
			b.inv.uplinks = append(b.inv.uplinks, ref)
		}
		dvs.Capability = types.DVSCapability{
			DvsOperationSupported:         types.NewBool(true),
			DvPortGroupOperationSupported: types.NewBool(true),
			DvPortOperationSupported:      types.NewBool(true),
			FeaturesSupported: &types.VMwareDVSFeatureCapability{
				DVSFeatureCapability: types.DVSFeatureCapability{
					NetworkResourceManagementSupported: true,
					VmDirectPathGen2Supported:          true,
					NicTeamingPolicy: []string{"loadbalance_ip", "loadbalance_srcmac",
						"loadbalance_srcid", "failover_explicit", "loadbalance_loadbased"},
					NetworkFilterSupported: types.NewBool(true),
					MacLearningSupported:   types.NewBool(sw.MacLearning),
				},
				VspanSupported:             types.NewBool(true),
				LldpSupported:              types.NewBool(true),
				IpfixSupported:             types.NewBool(true),
				MulticastSnoopingSupported: types.NewBool(true),
			},
		}
	}
	return nil
}

func (b *builder) buildPortgroups() error { return b.createPortgroups(false) }

// buildLatePortgroups makes the lateDVPGs (once), after the VMs made before them.
func (b *builder) buildLatePortgroups() error {
	if b.lateDone {
		return nil
	}
	b.lateDone = true
	return b.createPortgroups(true)
}

// createPortgroups makes the planned portgroups that are late (or not), sets them up as vCenter
// reports them, and gives them their ports.
func (b *builder) createPortgroups(late bool) error {
	bySwitch := map[string][]types.DVPortgroupConfigSpec{}
	for _, pg := range b.plan.DVPGs {
		if lateDVPGs[pg.Name] != late {
			continue
		}
		kind := dvpgKindByID(pg.Kind)
		bySwitch[kind.Switch] = append(bySwitch[kind.Switch], types.DVPortgroupConfigSpec{
			Name:     pg.Name,
			Type:     string(types.DistributedVirtualPortgroupPortgroupTypeEarlyBinding),
			NumPorts: 8,
		})
	}
	var made []*simulator.DistributedVirtualPortgroup // in switch and creation order
	for _, sw := range switches {
		dvs := b.switches[sw.Name]
		if specs := bySwitch[sw.Name]; len(specs) > 0 {
			if _, err := taskResult(dvs.AddDVPortgroupTask(b.ctx, &types.AddDVPortgroup_Task{This: dvs.Self, Spec: specs})); err != nil {
				return fmt.Errorf("add portgroups to %s: %v", sw.Name, err)
			}
		}
		for _, ref := range dvs.Portgroup {
			pg := simulator.Map.Get(ref).(*simulator.DistributedVirtualPortgroup)
			if _, ok := b.dvpgs[pg.Name]; !ok {
				b.dvpgs[pg.Name] = pg
				made = append(made, pg)
			}
		}
	}

	uplink := map[types.ManagedObjectReference]bool{}
	for _, ref := range b.inv.uplinks {
		uplink[ref] = true
	}
	kinds, index := map[string]string{}, map[string]int{}
	for i, pg := range b.plan.DVPGs {
		kinds[pg.Name], index[pg.Name] = pg.Kind, i
		if p, ok := b.dvpgs[pg.Name]; ok {
			b.inv.dvpgs[pg.Name] = p.Self
		}
	}
	for _, pg := range made {
		name := pg.Name
		isUplink := uplink[pg.Self]
		cfg := &pg.Config
		cfg.ConfigVersion = "1"
		cfg.Uplink = types.NewBool(isUplink)
		setting, ok := cfg.DefaultPortConfig.(*types.VMwareDVSPortSetting)
		if !ok {
			return fmt.Errorf("%s: unexpected default port config %T", name, cfg.DefaultPortConfig)
		}
		override := false
		if isUplink {
			applyMacPolicy(setting, switchDefault, false)
		} else {
			kind := dvpgKindByID(kinds[name])
			override = kind.OverrideAllowed
			applyPortgroupSettings(setting, portgroupVLAN(index[name]))
			applyMacPolicy(setting, kind.Policy, false)
			// backingType is a 7.0 property that pyVmomi 6.7 cannot parse; "standard" is its
			// documented default, so only the NSX portgroup carries it (see README).
			if kind.NSX {
				cfg.BackingType = "nsx"
			} else if explicitBacking {
				cfg.BackingType = "standard"
			}
		}
		if pol, ok := cfg.Policy.(*types.VMwareDVSPortgroupPolicy); ok {
			pol.MacManagementOverrideAllowed = types.NewBool(override)
			pol.SecurityPolicyOverrideAllowed = override
		}
		b.numberPorts(pg, isUplink)
	}
	return nil
}

// numberPorts replaces vcsim's port keys ("0".."7" in every portgroup) with keys unique on the
// switch; an uplink portgroup gets dvUplink1 and dvUplink2 for each host.
func (b *builder) numberPorts(pg *simulator.DistributedVirtualPortgroup, isUplink bool) {
	sp := portsOf(*pg.Config.DistributedVirtualSwitch)
	pg.PortKeys = nil
	if !isUplink {
		sp.addPorts(pg, int(pg.Config.NumPorts), nil)
		return
	}
	var names []string
	for range b.hosts {
		names = append(names, "dvUplink1", "dvUplink2")
	}
	pg.Config.NumPorts = int32(len(names))
	sp.addPorts(pg, len(names), names)
}

// explicitBacking makes every non-NSX DV portgroup report backingType "standard" (-explicit-backing).
var explicitBacking bool

func (b *builder) buildStandard() error {
	// HostNetworkSystem.AddPortGroup is the only exported way to create the Network entities; it
	// needs the vSwitch to exist, and its bookkeeping is replaced right after.
	first := b.hosts[0]
	ns := simulator.Map.Get(*first.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
	ns.NetworkInfo = &types.HostNetworkInfo{}
	for _, vs := range vswitches {
		ns.NetworkInfo.Vswitch = append(ns.NetworkInfo.Vswitch, types.HostVirtualSwitch{Name: vs.Name})
	}
	for _, pg := range stdPortgroups {
		if !pg.VMs || simulator.Map.FindByName(pg.Name, b.dc.Network) != nil {
			continue
		}
		res := ns.AddPortGroup(b.ctx, &types.AddPortGroup{
			This:    ns.Self,
			Portgrp: types.HostPortGroupSpec{Name: pg.Name, VswitchName: pg.VSwitch},
		})
		if f := res.Fault(); f != nil {
			return fmt.Errorf("add portgroup %s: %T", pg.Name, f.Detail.Fault)
		}
	}
	for _, pg := range stdPortgroups {
		if !pg.VMs {
			continue
		}
		e := simulator.Map.FindByName(pg.Name, b.dc.Network)
		if e == nil {
			return fmt.Errorf("network %s missing", pg.Name)
		}
		b.std[pg.Name] = e.(*mo.Network)
	}

	for _, h := range b.hosts {
		setupHostNetwork(h.Config.Network)
		hns := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
		hns.NetworkInfo = h.Config.Network
	}
	return nil
}

// nicBacking is a NIC's backing; on a DV portgroup it takes a port of it (vcsim left portKey unset).
func nicBacking(b *builder, name string) (types.BaseVirtualDeviceBackingInfo, error) {
	if pg, ok := b.dvpgs[name]; ok {
		dvs := simulator.Map.Get(*pg.Config.DistributedVirtualSwitch).(*simulator.DistributedVirtualSwitch)
		key := portsOf(dvs.Self).connect(pg)
		return &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{
			Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: dvs.Uuid, PortgroupKey: pg.Key, PortKey: key},
		}, nil
	}
	if n, ok := b.std[name]; ok {
		ref := n.Self
		return &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: name},
			Network:                        &ref,
		}, nil
	}
	return nil, fmt.Errorf("no portgroup named %q", name)
}

func (b *builder) buildVMs() error {
	vmFolder := b.folder(b.dc.VmFolder)
	for i := range b.plan.VMs {
		spec := &b.plan.VMs[i]
		host := b.hosts[spec.Host%len(b.hosts)]
		if spec.Late {
			if err := b.buildLatePortgroups(); err != nil {
				return err
			}
		}

		var devices object.VirtualDeviceList
		for _, nic := range spec.NICs {
			backing, err := nicBacking(b, nic)
			if err != nil {
				return fmt.Errorf("%s: %v", spec.Name, err)
			}
			card, err := devices.CreateEthernetCard("vmxnet3", backing)
			if err != nil {
				return err
			}
			devices = append(devices, card)
		}
		changes, err := devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
		if err != nil {
			return err
		}
		config := types.VirtualMachineConfigSpec{
			Name:            spec.Name,
			GuestId:         string(types.VirtualMachineGuestOsIdentifierWindows9Server64Guest),
			NumCPUs:         2,
			MemoryMB:        4096,
			Version:         spec.HWVersion,
			NestedHVEnabled: spec.NestedHV,
			Files:           &types.VirtualMachineFileInfo{VmPathName: "[LocalDS_0]"},
			DeviceChange:    changes,
		}
		res, err := taskResult(vmFolder.CreateVMTask(b.ctx, &types.CreateVM_Task{
			This:   vmFolder.Self,
			Config: config,
			Pool:   *b.cluster.ResourcePool,
			Host:   &host.Self,
		}))
		if err != nil {
			return fmt.Errorf("create %s: %v", spec.Name, err)
		}
		vm := simulator.Map.Get(res.(types.ManagedObjectReference)).(*simulator.VirtualMachine)
		b.inv.vms = append(b.inv.vms, vm.Self)
		b.inv.nicPorts = append(b.inv.nicPorts, b.connectNICs(vm, spec))

		vm.Capability = vmCapability(!spec.NoNestedHVSupport)
		if spec.PoweredOn {
			if _, err := taskResult(vm.PowerOnVMTask(b.ctx, &types.PowerOnVM_Task{This: vm.Self})); err != nil {
				return fmt.Errorf("power on %s: %v", spec.Name, err)
			}
		}
		if spec.Template {
			if f := vm.MarkAsTemplate(&types.MarkAsTemplate{This: vm.Self}).Fault(); f != nil {
				return fmt.Errorf("mark %s as template: %T", spec.Name, f.Detail.Fault)
			}
		}
	}
	return nil
}

// connectNICs labels the VM's NICs as vCenter does ("Network adapter N"; vcsim said
// "ethernet-N"), makes each DV NIC its port's connectee, and sets the port overrides the spec asks.
func (b *builder) connectNICs(vm *simulator.VirtualMachine, spec *vmSpec) []nicPort {
	var out []nicPort
	for _, d := range vm.Config.Hardware.Device {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		dev := card.GetVirtualEthernetCard()
		np := nicPort{Label: fmt.Sprintf("Network adapter %d", len(out)+1)}
		// vCenter keys NICs 4000, 4001, ...; vcsim drew a random key.
		old := dev.Key
		dev.Key = int32(4000 + len(out))
		for g := range vm.Guest.Net {
			if vm.Guest.Net[g].DeviceConfigId == old {
				vm.Guest.Net[g].DeviceConfigId = dev.Key
			}
		}
		if dev.DeviceInfo == nil {
			dev.DeviceInfo = &types.Description{}
		}
		dev.DeviceInfo.GetDescription().Label = np.Label
		if bk, ok := dev.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); ok {
			for _, sw := range b.switches {
				if sw.Uuid == bk.Port.SwitchUuid {
					np.Switch, np.Key = sw.Self, bk.Port.PortKey
					portsOf(sw.Self).setConnectee(np.Key, vm.Self, dev.Key)
				}
			}
		}
		out = append(out, np)
	}
	for _, o := range spec.PortOverrides {
		own := &types.VMwareDVSPortSetting{}
		applyMacPolicy(own, o.Policy, true) // every value the port's own: inherited false
		portsOf(out[o.NIC].Switch).ports[out[o.NIC].Key].own = own
	}
	return out
}

// vmCapability is what vCenter reports for a hardware version 13 VM on ESXi 6.7; vcsim
// reports all false.
func vmCapability(nestedHV bool) types.VirtualMachineCapability {
	t := types.NewBool(true)
	return types.VirtualMachineCapability{
		SnapshotOperationsSupported:      true,
		MultipleSnapshotsSupported:       true,
		SnapshotConfigSupported:          true,
		PoweredOffSnapshotsSupported:     true,
		MemorySnapshotsSupported:         true,
		RevertToSnapshotSupported:        true,
		QuiescedSnapshotsSupported:       true,
		ConsolePreferencesSupported:      true,
		CpuFeatureMaskSupported:          true,
		SettingScreenResolutionSupported: true,
		ToolsAutoUpdateSupported:         true,
		SwapPlacementSupported:           true,
		ToolsSyncTimeSupported:           true,
		VirtualMmuUsageSupported:         true,
		DiskSharesSupported:              true,
		BootOptionsSupported:             true,
		SettingVideoRamSizeSupported:     true,
		BootRetryOptionsSupported:        t,
		ChangeTrackingSupported:          t,
		MultipleCoresPerSocketSupported:  t,
		NestedHVSupported:                types.NewBool(nestedHV),
		VPMCSupported:                    t,
		SecureBootSupported:              t,
	}
}

// linkNetworks fills what vCenter keeps and vcsim does not: Network.vm and
// DistributedVirtualPortgroup.vm, and the hosts (and cluster) seeing the standard networks.
func (b *builder) linkNetworks() {
	vmsOn := map[types.ManagedObjectReference][]types.ManagedObjectReference{}
	for _, ref := range b.inv.vms {
		vm := simulator.Map.Get(ref).(*simulator.VirtualMachine)
		for _, net := range vm.Network {
			vmsOn[net] = append(vmsOn[net], ref)
		}
	}
	for _, pg := range b.dvpgs {
		pg.Vm = vmsOn[pg.Self]
	}

	var stdRefs []types.ManagedObjectReference
	for _, sp := range stdPortgroups {
		if n, ok := b.std[sp.Name]; ok {
			n.Vm = vmsOn[n.Self]
			n.Host = append([]types.ManagedObjectReference(nil), b.inv.hosts...)
			stdRefs = append(stdRefs, n.Self)
		}
	}

	// Fresh slices: vcsim shares backing arrays between hosts and their cluster.
	var dvRefs []types.ManagedObjectReference
	for _, sw := range switches {
		dvRefs = append(dvRefs, b.switches[sw.Name].Portgroup...)
	}
	all := append(append([]types.ManagedObjectReference(nil), stdRefs...), dvRefs...)
	for _, h := range b.hosts {
		h.Network = append([]types.ManagedObjectReference(nil), all...)
	}
	b.cluster.Network = append([]types.ManagedObjectReference(nil), all...)
}

// fieldRef extracts Res.Returnval, the task moref, from a *_TaskBody.
func fieldRef(res soap.HasFault) types.ManagedObjectReference {
	ret := reflect.ValueOf(res).Elem().FieldByName("Res").Elem().FieldByName("Returnval")
	return ret.Interface().(types.ManagedObjectReference)
}
