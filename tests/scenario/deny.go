// What a real vCenter answers about objects the account may not read, and about objects deleted
// meanwhile; vcsim answers neither (every session reads everything, and a deleted object asked for
// with reportMissingObjectsInResults is left out silently). The shapes, from VMware's reference:
//
//   - no permission: the object comes back with no propSet and one missingSet entry per requested
//     path, each a NoPermission fault naming the object and System.Read;
//   - deleted: the same with ManagedObjectNotFound;
//   - or the object is left out of the reply altogether.
//
// Which objects the account may not read is test input: -deny FILE names a JSON file, read again at
// every retrieval and update so that a test can change the account's rights while a client runs:
//
//	{"no_permission": ["hv-ok-01", "dvs-66"], "hidden": ["hv-ok-02"],
//	 "empty_reply": false, "endless_token": false}
//
// They apply to nestwarden's sessions only (its User-Agent), not to the tests' own.
// Names are the objects' names (VMs, portgroups, switches, hosts). empty_reply answers every
// RetrievePropertiesEx with an empty response (no returnval), as ESX has been seen to do for a
// timed-out session; endless_token makes every page carry a continuation token that never ends,
// repeating the first object (a broken or hostile server).
package main

import (
	"encoding/json"
	"fmt"
	"io/ioutil"
	"os"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type denyRules struct {
	NoPermission []string `json:"no_permission"`
	Hidden       []string `json:"hidden"`
	EmptyReply   bool     `json:"empty_reply"`
	EndlessToken bool     `json:"endless_token"`
}

var (
	denyFile string
	denyMu   sync.Mutex
)

// denyFor is the rules for the session's account. The rules stand for the rights of nestwarden's
// service account, so only sessions whose client says it is nestwarden get them: a test's own
// pyVmomi session, acting as the admin, still reads everything.
func denyFor(ctx *simulator.Context) denyRules {
	if ctx.Session == nil || !strings.HasPrefix(ctx.Session.UserAgent, "nestwarden/") {
		return denyRules{}
	}
	return currentDeny()
}

// currentDeny reads the rules again; a missing file means no rules, a broken one is reported on
// stderr once per read and taken as no rules (a half-written file is the test's bug, not ours).
func currentDeny() denyRules {
	var d denyRules
	if denyFile == "" {
		return d
	}
	denyMu.Lock()
	defer denyMu.Unlock()
	b, err := ioutil.ReadFile(denyFile)
	if err != nil {
		if !os.IsNotExist(err) {
			simulatorLog("-deny %s: %v", denyFile, err)
		}
		return d
	}
	if err := json.Unmarshal(b, &d); err != nil {
		simulatorLog("-deny %s: %v", denyFile, err)
		return denyRules{}
	}
	return d
}

func simulatorLog(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "nw-scenario: "+format+"\n", args...)
}

// nameOf is the object's name as the registry holds it, "" when it has none or is gone.
func nameOf(ref types.ManagedObjectReference) string {
	obj := simulator.Map.Get(ref)
	if obj == nil {
		return ""
	}
	if e, ok := obj.(mo.Entity); ok {
		return e.Entity().Name
	}
	return ""
}

// requestedPaths lists the paths the specs ask for on objects of ref's type (type names as the
// client sent them, so the DVS's two type names both match).
func requestedPaths(specs []types.PropertyFilterSpec, ref types.ManagedObjectReference) []string {
	var paths []string
	for _, spec := range specs {
		for _, ps := range spec.PropSet {
			if ps.Type == ref.Type || (ref.Type == "VmwareDistributedVirtualSwitch" && ps.Type == "DistributedVirtualSwitch") ||
				(ref.Type == "DistributedVirtualPortgroup" && ps.Type == "Network") {
				for _, p := range ps.PathSet {
					if !contains(paths, p) {
						paths = append(paths, p)
					}
				}
			}
		}
	}
	return paths
}

func missingAll(paths []string, fault types.BaseMethodFault) []types.MissingProperty {
	var m []types.MissingProperty
	for _, p := range paths {
		m = append(m, types.MissingProperty{Path: p, Fault: types.LocalizedMethodFault{Fault: fault}})
	}
	return m
}

func noPermission(ref types.ManagedObjectReference) types.BaseMethodFault {
	return &types.NoPermission{Object: ref, PrivilegeId: "System.Read"}
}

// denyObjects applies the rules to a retrieval's objects and adds vCenter's answer for requested
// objects that no longer exist.
func denyObjects(d denyRules, specs []types.PropertyFilterSpec, objects []types.ObjectContent) []types.ObjectContent {
	out := objects[:0]
	for _, o := range objects {
		name := nameOf(o.Obj)
		switch {
		case name != "" && contains(d.Hidden, name):
			continue
		case name != "" && contains(d.NoPermission, name):
			o.PropSet = nil
			o.MissingSet = missingAll(requestedPaths(specs, o.Obj), noPermission(o.Obj))
		}
		out = append(out, o)
	}
	for _, spec := range specs {
		if spec.ReportMissingObjectsInResults == nil || !*spec.ReportMissingObjectsInResults {
			continue
		}
		for _, os := range spec.ObjectSet {
			if simulator.Map.Get(os.Obj) != nil {
				continue
			}
			out = append(out, types.ObjectContent{
				Obj:        os.Obj,
				MissingSet: missingAll(requestedPaths(specs, os.Obj), &types.ManagedObjectNotFound{Obj: os.Obj}),
			})
		}
	}
	return out
}

// denyUpdates does the same to an update set: an object the account may not read reports its
// requested paths as missing, a hidden one is not reported.
func denyUpdates(d denyRules, set *types.UpdateSet) {
	if set == nil || (len(d.Hidden) == 0 && len(d.NoPermission) == 0) {
		return
	}
	for i := range set.FilterSet {
		fs := &set.FilterSet[i]
		out := fs.ObjectSet[:0]
		for _, ou := range fs.ObjectSet {
			name := nameOf(ou.Obj)
			if name != "" && contains(d.Hidden, name) {
				continue
			}
			if name != "" && contains(d.NoPermission, name) {
				var m []types.MissingProperty
				for _, c := range ou.ChangeSet {
					m = append(m, types.MissingProperty{Path: c.Name,
						Fault: types.LocalizedMethodFault{Fault: noPermission(ou.Obj)}})
				}
				ou.ChangeSet = nil
				ou.MissingSet = m
			}
			out = append(out, ou)
		}
		fs.ObjectSet = out
	}
}
