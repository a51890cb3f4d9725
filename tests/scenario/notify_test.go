// Every change the daemon tests make reaches WaitForUpdatesEx, as on vCenter: a tagged VM's
// nestedHVEnabled, a DV portgroup's defaultPortConfig (with configVersion bumped), power state,
// template flag; a filter created on a collector already waited on; and the vAPI detach the tests
// untag with. The same steps on a world built without the wrappers show what vcsim alone reports.
package main

import (
	"context"
	"crypto/tls"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// testWorld is a curated world served in-process, with a logged-in client.
type testWorld struct {
	t    *testing.T
	ctx  context.Context
	plan *plan
	inv  *inventory
	srv  *server
	c    *vim25.Client
}

func startWorld(t *testing.T) *testWorld {
	t.Helper()
	log.SetOutput(ioutil.Discard)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	p, _, err := makePlan(options{Hosts: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	model, inv, _, err := build(p, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(model.Remove)
	srv, err := startServer(model.Model, serverConfig{Listen: "127.0.0.1:0", User: testUser, Password: testPass, VAPI: vapiRest})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err = setupTags(ctx, srv.URL, testUser, testPass, p, inv); err != nil {
		t.Fatal(err)
	}
	srv.gate.open()
	w := &testWorld{t: t, ctx: ctx, plan: p, inv: inv, srv: srv}
	w.c = w.login()
	return w
}

func (w *testWorld) login() *vim25.Client {
	w.t.Helper()
	u := *w.srv.URL
	u.User = nil
	c, err := vim25.NewClient(w.ctx, soap.NewClient(&u, true))
	if err != nil {
		w.t.Fatal(err)
	}
	if err = session.NewManager(c).Login(w.ctx, url.UserPassword(testUser, testPass)); err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *testWorld) vm(name string) types.ManagedObjectReference {
	for i, vm := range w.plan.VMs {
		if vm.Name == name {
			return w.inv.vms[i]
		}
	}
	w.t.Fatalf("no VM %s", name)
	return types.ManagedObjectReference{}
}

func (w *testWorld) createFilter(c *vim25.Client, obj types.ManagedObjectReference, paths ...string) {
	w.t.Helper()
	_, err := methods.CreateFilter(w.ctx, c, &types.CreateFilter{
		This: c.ServiceContent.PropertyCollector,
		Spec: types.PropertyFilterSpec{
			ObjectSet: []types.ObjectSpec{{Obj: obj}},
			PropSet:   []types.PropertySpec{{Type: obj.Type, PathSet: paths}},
		},
	})
	if err != nil {
		w.t.Fatal(err)
	}
}

// wait calls WaitForUpdatesEx and returns the new version and the changes, keyed "moref path",
// entered objects as "moref enter".
func (w *testWorld) wait(c *vim25.Client, version string, maxWait int32) (string, map[string]interface{}) {
	w.t.Helper()
	res, err := methods.WaitForUpdatesEx(w.ctx, c, &types.WaitForUpdatesEx{
		This:    c.ServiceContent.PropertyCollector,
		Version: version,
		Options: &types.WaitOptions{MaxWaitSeconds: &maxWait},
	})
	if err != nil {
		w.t.Fatalf("WaitForUpdatesEx(%q): %v", version, err)
	}
	got := map[string]interface{}{}
	if res.Returnval == nil {
		return version, got
	}
	for _, fu := range res.Returnval.FilterSet {
		for _, ou := range fu.ObjectSet {
			if ou.Kind == types.ObjectUpdateKindEnter {
				got[ou.Obj.Value+" enter"] = true
			}
			for _, pc := range ou.ChangeSet {
				got[ou.Obj.Value+" "+pc.Name] = pc.Val
			}
		}
	}
	return res.Returnval.Version, got
}

func (w *testWorld) runTask(task *object.Task, err error) {
	w.t.Helper()
	if err == nil {
		err = task.Wait(w.ctx)
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestReconfigureReachesWaitForUpdates(t *testing.T) {
	t.Run("patched", func(t *testing.T) { testUpdates(t, true) })
	t.Run("vcsim alone", func(t *testing.T) {
		withNotifiers = false
		defer func() { withNotifiers = true }()
		testUpdates(t, false)
	})
}

func testUpdates(t *testing.T, patched bool) {
	w := startWorld(t)
	hvOff, hvOk := w.vm("hv-off-03"), w.vm("hv-ok-01")
	pgRef := w.inv.dvpgs["pg-ml-ok"]
	w.createFilter(w.c, hvOff, "config.nestedHVEnabled", "config.template")
	w.createFilter(w.c, hvOk, "runtime.powerState", "config") // "config": a parent of what changes
	w.createFilter(w.c, pgRef, "config.defaultPortConfig", "config.configVersion")
	version, initial := w.wait(w.c, "", 0)
	if initial[hvOff.Value+" config.nestedHVEnabled"] != false || initial[pgRef.Value+" config.configVersion"] != "1" {
		t.Fatalf("initial update: %v", initial)
	}

	// A long poll already waiting, as the daemon's is, hears of the change within the tick vcsim
	// batches updates in (250 ms).
	type result struct {
		got map[string]interface{}
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		_, got := w.wait(w.c, version, 2)
		done <- result{got, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond)
	w.runTask(object.NewVirtualMachine(w.c, hvOff).Reconfigure(w.ctx, types.VirtualMachineConfigSpec{NestedHVEnabled: types.NewBool(true)}))
	changed := time.Now()
	res := <-done
	if patched {
		if res.got[hvOff.Value+" config.nestedHVEnabled"] != true {
			t.Fatalf("nestedHVEnabled: got %v", res.got)
		}
		t.Logf("nestedHVEnabled reported %v after the task ended", res.at.Sub(changed).Round(time.Millisecond))
		if res.at.Sub(changed) > time.Second {
			t.Errorf("the update took %v", res.at.Sub(changed))
		}
	} else if len(res.got) != 0 {
		t.Fatalf("vcsim alone reported %v (if it does now, the wrapper may go)", res.got)
	}

	// The portgroup: the whole current setting with one field changed, at the current version.
	var pg mo.DistributedVirtualPortgroup
	if err := property.DefaultCollector(w.c).RetrieveOne(w.ctx, pgRef, []string{"config"}, &pg); err != nil {
		t.Fatal(err)
	}
	setting := pg.Config.DefaultPortConfig.(*types.VMwareDVSPortSetting)
	setting.MacManagementPolicy.AllowPromiscuous = types.NewBool(true)
	setting.SecurityPolicy.AllowPromiscuous.Value = types.NewBool(true)
	spec := types.DVPortgroupConfigSpec{ConfigVersion: pg.Config.ConfigVersion, Name: pg.Config.Name, Type: pg.Config.Type,
		NumPorts: pg.Config.NumPorts, Policy: pg.Config.Policy, DefaultPortConfig: setting}
	w.runTask(object.NewDistributedVirtualPortgroup(w.c, pgRef).Reconfigure(w.ctx, spec))
	version, got := w.wait(w.c, version, 1)
	if patched {
		// An xsd:anyType value decodes as a struct, not a pointer.
		s, ok := got[pgRef.Value+" config.defaultPortConfig"].(types.VMwareDVSPortSetting)
		if !ok || !*s.MacManagementPolicy.AllowPromiscuous || !*s.SecurityPolicy.AllowPromiscuous.Value ||
			got[pgRef.Value+" config.configVersion"] != "2" {
			t.Fatalf("portgroup: got %v", got)
		}
	} else if len(got) != 0 {
		t.Fatalf("vcsim alone reported %v", got)
	}

	// Power: vcsim reports it itself. The filter on "config" of hv-ok-01 hears nothing of it.
	w.runTask(object.NewVirtualMachine(w.c, hvOk).PowerOff(w.ctx))
	version, got = w.wait(w.c, version, 1)
	if got[hvOk.Value+" runtime.powerState"] != types.VirtualMachinePowerStatePoweredOff || len(got) != 1 {
		t.Fatalf("power off: got %v", got)
	}

	// A change below a watched parent path reaches it as the parent, with its current value.
	w.runTask(object.NewVirtualMachine(w.c, hvOk).Reconfigure(w.ctx, types.VirtualMachineConfigSpec{NestedHVEnabled: types.NewBool(false)}))
	version, got = w.wait(w.c, version, 1)
	if cfg, ok := got[hvOk.Value+" config"].(types.VirtualMachineConfigInfo); patched && (!ok || *cfg.NestedHVEnabled) {
		t.Fatalf("config: got %v", got)
	}

	if err := object.NewVirtualMachine(w.c, hvOff).MarkAsTemplate(w.ctx); err != nil {
		t.Fatal(err)
	}
	_, got = w.wait(w.c, version, 1)
	if patched && got[hvOff.Value+" config.template"] != true {
		t.Fatalf("template: got %v", got)
	} else if !patched && len(got) != 0 {
		t.Fatalf("vcsim alone reported %v", got)
	}
}

// A filter created after the collector was first waited on reports its objects at the next wait,
// with nothing else changing; a version on a collector never waited on is refused.
func TestNewFilterOnAWaitingCollector(t *testing.T) {
	w := startWorld(t)
	a, b := w.vm("hv-ok-01"), w.vm("hv-off-02")
	w.createFilter(w.c, a, "name")
	version, _ := w.wait(w.c, "", 0)
	w.createFilter(w.c, b, "name", "config.nestedHVEnabled")
	_, got := w.wait(w.c, version, 2)
	if got[b.Value+" enter"] != true || got[b.Value+" name"] != "hv-off-02" || got[a.Value+" enter"] != nil {
		t.Fatalf("new filter: got %v", got)
	}

	fresh := w.login()
	w.createFilter(fresh, a, "name")
	maxWait := int32(1)
	_, err := methods.WaitForUpdatesEx(w.ctx, fresh, &types.WaitForUpdatesEx{
		This: fresh.ServiceContent.PropertyCollector, Version: version, Options: &types.WaitOptions{MaxWaitSeconds: &maxWait}})
	if !soap.IsSoapFault(err) {
		t.Fatalf("a version on a fresh collector: no fault but %v", err)
	}
	if _, ok := soap.ToSoapFault(err).VimFault().(types.InvalidCollectorVersion); !ok {
		t.Fatalf("a version on a fresh collector: %v", err)
	}
}

// The daemon tests untag through the vAPI detach; it must go through the scenario's credential
// check and change what list-attached-objects-on-tags reports.
func TestVAPIDetach(t *testing.T) {
	w := startWorld(t)
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	c := &vapiClient{t: t, base: "https://" + w.srv.URL.Host, http: &http.Client{Transport: tr, Timeout: time.Minute}}
	var tagIDs struct{ Value []string }
	var login struct{ Value string }
	c.want(c.do("POST", "/rest/com/vmware/cis/session", nil, goodCreds, ""), http.StatusOK, &login, "login")
	c.want(c.do("GET", "/rest/com/vmware/cis/tagging/tag", nil, noCreds, login.Value), http.StatusOK, &tagIDs, "tags")
	vm := w.vm("hv-ok-01").Value
	for _, id := range tagIDs.Value {
		var tag struct{ Value struct{ Name string } }
		c.want(c.do("GET", "/rest/com/vmware/cis/tagging/tag/id:"+url.PathEscape(id), nil, noCreds, login.Value), http.StatusOK, &tag, "tag")
		if tag.Value.Name != "nested-hyperv" {
			continue
		}
		attached := func() bool {
			var objs struct{ Value []struct{ ID string } }
			c.want(c.do("POST", "/rest/com/vmware/cis/tagging/tag-association/id:"+url.PathEscape(id)+"?~action=list-attached-objects",
				struct{}{}, noCreds, login.Value), http.StatusOK, &objs, "list-attached-objects")
			for _, o := range objs.Value {
				if o.ID == vm {
					return true
				}
			}
			return false
		}
		was := attached()
		body := map[string]interface{}{"object_id": map[string]string{"type": "VirtualMachine", "id": vm}}
		path := "/rest/com/vmware/cis/tagging/tag-association/id:" + url.PathEscape(id) + "?~action=detach"
		c.want(c.do("POST", path, body, noCreds, ""), http.StatusUnauthorized, nil, "detach without a session")
		c.want(c.do("POST", path, body, noCreds, login.Value), http.StatusOK, nil, "detach")
		if was && attached() {
			t.Fatalf("%s is still attached to %s", vm, id)
		}
	}
}
