// Construction tables: every portgroup kind and VM kind the scenario can build, each declaring the
// findings a correct client must report for it. The truth is read from these declarations, never
// recomputed from the simulator, so a bug in the builder shows up as a mismatch instead of hiding.
package main

// check is one expected finding: a check name with the expected and the actual value as the
// client must print them (bool, the string "unset", or a limitValue).
type check struct {
	Check    string
	Expected interface{}
	Actual   interface{}
}

type limitValue struct {
	Limit       int32  `json:"limit"`
	LimitPolicy string `json:"limit_policy"`
}

// macPolicy is the effective MAC handling of a DV portgroup, as vCenter reports it in config info.
type macPolicy struct {
	Promiscuous bool
	Forged      bool
	MacChanges  bool
	Learning    bool
	Flooding    bool
	Limit       int32
	LimitPolicy string
}

// switchDefault is what vCenter 6.7 gives a new distributed switch: everything rejected, MAC
// learning off. Portgroup values equal to it are reported as inherited.
var switchDefault = macPolicy{Limit: 4096, LimitPolicy: "drop", Flooding: true}

type dvsSpec struct {
	Name        string
	Version     string
	MacLearning bool
}

var switches = []dvsSpec{
	{Name: "dvs-66", Version: "6.6.0", MacLearning: true},
	{Name: "dvs-65", Version: "6.5.0", MacLearning: false},
}

type dvpgKind struct {
	ID     string
	Switch string
	NSX    bool
	Policy macPolicy
	// OverrideAllowed sets config.policy.securityPolicyOverrideAllowed and
	// macManagementOverrideAllowed: its ports may then carry their own MAC policy (dvport.go).
	OverrideAllowed bool
	// Findings are reported once per portgroup used by a tagged VM; NSX-backed kinds have none
	// because a correct client skips them.
	Findings []check
}

func notLearning(p macPolicy) macPolicy   { p.Learning = false; return p }
func promiscuous(p macPolicy) macPolicy   { p.Promiscuous = true; return p }
func noForge(p macPolicy) macPolicy       { p.Forged = false; return p }
func macChanges(p macPolicy) macPolicy    { p.MacChanges = true; return p }
func noPromiscuous(p macPolicy) macPolicy { p.Promiscuous = false; return p }

// mlTarget is the compliant policy on a switch with MAC learning.
var mlTarget = macPolicy{Forged: true, Learning: true, Flooding: true, Limit: 4096, LimitPolicy: "drop"}

// legacyTarget is compliant on a switch without MAC learning: promiscuous and forged transmits on.
// Learning stays at the switch default, which the client must not judge there.
var legacyTarget = macPolicy{Promiscuous: true, Forged: true, Flooding: true, Limit: 4096, LimitPolicy: "drop"}

func limited(p macPolicy) macPolicy { p.Limit = 1024; p.LimitPolicy = "allow"; return p }

var dvpgKinds = []dvpgKind{
	{ID: "ml-ok", Switch: "dvs-66", Policy: mlTarget},
	{ID: "ml-off", Switch: "dvs-66", Policy: notLearning(mlTarget),
		Findings: []check{{"mac_learning", true, false}}},
	{ID: "ml-promisc", Switch: "dvs-66", Policy: promiscuous(mlTarget),
		Findings: []check{{"promiscuous", false, true}}},
	{ID: "ml-noforge", Switch: "dvs-66", Policy: noForge(mlTarget),
		Findings: []check{{"forged_transmits", true, false}}},
	{ID: "ml-macchg", Switch: "dvs-66", Policy: macChanges(mlTarget),
		Findings: []check{{"mac_changes", false, true}}},
	{ID: "ml-limit", Switch: "dvs-66", Policy: limited(mlTarget),
		Findings: []check{{"mac_learning_limit", limitValue{4096, "drop"}, limitValue{1024, "allow"}}}},
	// Everything inherited from the switch default: learning off and forged transmits rejected.
	{ID: "ml-inherit-bad", Switch: "dvs-66", Policy: switchDefault,
		Findings: []check{{"forged_transmits", true, false}, {"mac_learning", true, false}}},
	{ID: "nsx", Switch: "dvs-66", NSX: true, Policy: promiscuous(mlTarget)},
	{ID: "legacy-ok", Switch: "dvs-65", Policy: legacyTarget},
	{ID: "legacy-nopromisc", Switch: "dvs-65", Policy: noPromiscuous(legacyTarget),
		Findings: []check{{"promiscuous", true, false}}},
	{ID: "legacy-noforge", Switch: "dvs-65", Policy: noForge(legacyTarget),
		Findings: []check{{"forged_transmits", true, false}}},
	// Ports may override its policy: a notice for the portgroup, and each port of a tagged VM's NIC
	// is judged on what it overrides (vmSpec.PortOverrides).
	{ID: "ml-override", Switch: "dvs-66", Policy: mlTarget, OverrideAllowed: true},
	// Only untagged VMs use it; its findings must never reach the truth.
	{ID: "ml-multi-bad", Switch: "dvs-66", Policy: promiscuous(notLearning(mlTarget)),
		Findings: []check{{"mac_learning", true, false}, {"promiscuous", false, true}}},
}

// genCycle is the order generated portgroups (-portgroups) take their kinds in.
var genCycle = []string{"ml-ok", "ml-off", "ml-promisc", "ml-noforge", "ml-macchg", "ml-limit",
	"ml-inherit-bad", "nsx", "legacy-ok", "legacy-nopromisc", "legacy-noforge"}

// curatedDVPGs maps the fixed portgroup names to their kinds, in creation order.
var curatedDVPGs = []struct{ Name, Kind string }{
	{"pg-ml-ok", "ml-ok"},
	{"pg-ml-off", "ml-off"},
	{"pg-ml-promisc", "ml-promisc"},
	{"pg-ml-noforge", "ml-noforge"},
	{"pg-ml-macchg", "ml-macchg"},
	{"pg-ml-limit", "ml-limit"},
	{"pg-ml-inherit-bad", "ml-inherit-bad"},
	{"pg-nsx", "nsx"},
	{"pg-untagged-only", "ml-multi-bad"},
	{"pg-legacy-ok", "legacy-ok"},
	{"pg-legacy-nopromisc", "legacy-nopromisc"},
	{"pg-legacy-noforge", "legacy-noforge"},
	{"pg-ml-override", "ml-override"},
}

// lateDVPGs are curated portgroups made after the curated VMs (with lateVMs), so that every moref
// made before them stays what it was before they were added.
var lateDVPGs = map[string]bool{"pg-ml-override": true}

// security is a standard-switch security policy; nil fields inherit from the vSwitch.
type security struct {
	Promiscuous, Forged, MacChanges *bool
}

func bp(b bool) *bool { return &b }

type vswitchSpec struct {
	Name   string
	Policy security // fully set: a vSwitch has nothing to inherit from
}

var vswitches = []vswitchSpec{
	{Name: "vSwitch0", Policy: security{bp(false), bp(true), bp(true)}},
	{Name: "vSwitch1", Policy: security{bp(true), bp(true), bp(false)}},
}

type stdPortgroup struct {
	Name      string
	VSwitch   string
	Overrides security
	// VMs marks the portgroups VMs may be connected to (not the VMkernel one).
	VMs      bool
	Findings []check
}

// stdPortgroups exist on every host. Findings are judged on computedPolicy, i.e. the vSwitch
// policy overlaid with the portgroup's overrides.
var stdPortgroups = []stdPortgroup{
	{Name: "VM Network", VSwitch: "vSwitch0", VMs: true,
		Findings: []check{{"promiscuous", true, false}}},
	{Name: "Management Network", VSwitch: "vSwitch0"},
	{Name: "pg-std-override-ok", VSwitch: "vSwitch0", VMs: true,
		Overrides: security{Promiscuous: bp(true)}},
	{Name: "pg-std-inherit-ok", VSwitch: "vSwitch1", VMs: true},
	{Name: "pg-std-override-bad", VSwitch: "vSwitch1", VMs: true,
		Overrides: security{Forged: bp(false)},
		Findings:  []check{{"forged_transmits", true, false}}},
}

type tagRef struct{ Category, Tag string }

var (
	noTag       = tagRef{}
	checkedTag  = tagRef{"nested", "nested-hyperv"}
	otherTag    = tagRef{"nested", "other"}
	envDecoyTag = tagRef{"env", "nested-hyperv"}
)

// vmSpec describes one VM to build; Findings are the VM's own findings (portgroup findings come
// from the portgroup kinds).
type vmSpec struct {
	Name              string
	Tag               tagRef
	NestedHV          *bool // nil: never set, so vCenter omits config.nestedHVEnabled
	PoweredOn         bool
	Template          bool
	HWVersion         string // empty: vcsim's default, vmx-13
	NoNestedHVSupport bool   // capability.nestedHVSupported false
	NICs              []string
	Host              int // index into the hosts, taken modulo their number
	Findings          []check
	// PortOverrides: the MAC policy (securityPolicy and macManagementPolicy, in step) that the
	// port of a NIC overrides, with the findings a client judging that port must report.
	PortOverrides []portOverride
	Late          bool // made after the other curated VMs and lateDVPGs (see lateDVPGs)
}

type portOverride struct {
	NIC      int // index into NICs
	Policy   macPolicy
	Findings []check
}

var (
	nestedOff   = check{"nested_hv", true, false}
	nestedUnset = check{"nested_hv", true, "unset"}
	unsupported = check{"nested_hv_supported", true, false}
)

var curatedVMs = []vmSpec{
	{Name: "hv-ok-01", Tag: checkedTag, NestedHV: bp(true), PoweredOn: true, Host: 0,
		NICs: []string{"pg-ml-ok", "pg-legacy-ok"}},
	{Name: "hv-off-02", Tag: checkedTag, NestedHV: bp(false), PoweredOn: true, Host: 1,
		NICs: []string{"pg-ml-off"}, Findings: []check{nestedOff}},
	{Name: "hv-off-03", Tag: checkedTag, NestedHV: bp(false), Host: 0,
		NICs: []string{"pg-ml-promisc", "pg-ml-noforge"}, Findings: []check{nestedOff}},
	{Name: "hv-unset-04", Tag: checkedTag, Host: 1,
		NICs: []string{"pg-ml-macchg"}, Findings: []check{nestedUnset}},
	{Name: "hv-oldhw-05", Tag: checkedTag, NestedHV: bp(false), HWVersion: "vmx-08", Host: 0,
		NICs: []string{"pg-ml-limit"}, Findings: []check{nestedOff, unsupported}},
	{Name: "hv-nosupp-06", Tag: checkedTag, NestedHV: bp(true), PoweredOn: true, Host: 1, NoNestedHVSupport: true,
		NICs: []string{"pg-ml-inherit-bad", "pg-nsx"}, Findings: []check{unsupported}},
	{Name: "hv-legacy-07", Tag: checkedTag, NestedHV: bp(true), PoweredOn: true, Host: 0,
		NICs: []string{"pg-legacy-nopromisc", "pg-legacy-noforge"}},
	{Name: "hv-std-08", Tag: checkedTag, NestedHV: bp(true), PoweredOn: true, Host: 0,
		NICs: []string{"VM Network", "pg-std-override-ok"}},
	{Name: "hv-std-09", Tag: checkedTag, NestedHV: bp(true), PoweredOn: true, Host: 1,
		NICs: []string{"pg-std-inherit-ok", "pg-std-override-bad"}},
	{Name: "hv-tmpl-10", Tag: checkedTag, NestedHV: bp(false), Template: true, Host: 1,
		NICs: []string{"pg-ml-ok"}, Findings: []check{nestedOff}},
	{Name: "plain-01", NestedHV: bp(false), PoweredOn: true, Host: 0,
		NICs: []string{"pg-ml-off"}},
	// Tagged nested-hyperv, but in the "env" category: a client matching tags by name alone
	// would report it and pg-untagged-only.
	{Name: "plain-02", Tag: envDecoyTag, NestedHV: bp(false), Host: 1,
		NICs: []string{"pg-untagged-only"}},
	{Name: "plain-03", Tag: otherTag, NestedHV: bp(false), PoweredOn: true, Host: 0,
		NICs: []string{"pg-ml-promisc"}},
	// Untagged, on portgroups whose fix turns promiscuous mode on: the blast radius a remediation
	// must refuse unless allow_promiscuous_on_shared says otherwise.
	{Name: "plain-04", NestedHV: bp(false), PoweredOn: true, Host: 0,
		NICs: []string{"pg-legacy-nopromisc", "VM Network"}},
	// Its portgroup is compliant and allows port overrides; its port rejects forged transmits.
	{Name: "hv-port-11", Tag: checkedTag, NestedHV: bp(true), Host: 0, Late: true,
		NICs: []string{"pg-ml-override"},
		PortOverrides: []portOverride{{NIC: 0, Policy: noForge(mlTarget),
			Findings: []check{{"forged_transmits", true, false}}}}},
}

// genVMKinds are the states a generated VM draws from (-seed).
var genVMKinds = []struct {
	NestedHV *bool
	Findings []check
}{
	{NestedHV: bp(true)},
	{NestedHV: bp(false), Findings: []check{nestedOff}},
	{NestedHV: nil, Findings: []check{nestedUnset}},
}

func dvpgKindByID(id string) *dvpgKind {
	for i := range dvpgKinds {
		if dvpgKinds[i].ID == id {
			return &dvpgKinds[i]
		}
	}
	panic("unknown portgroup kind " + id)
}

func switchByName(name string) *dvsSpec {
	for i := range switches {
		if switches[i].Name == name {
			return &switches[i]
		}
	}
	panic("unknown switch " + name)
}

func stdPortgroupByName(name string) *stdPortgroup {
	for i := range stdPortgroups {
		if stdPortgroups[i].Name == name {
			return &stdPortgroups[i]
		}
	}
	return nil
}
