// A PropertyCollector that pages like vCenter's. vcsim 0.24.2 ignores options.maxObjects and has
// no ContinueRetrievePropertiesEx, so a client's paging loop would never be exercised. vcsim
// dispatches SOAP calls by reflection on the registered object and clones the registered type per
// session (simulator.Session.Get), so registering this wrapper in place of the singleton is enough.
package main

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// maxPendingResults bounds the results a collector keeps for tokens nobody continues.
const maxPendingResults = 64

var tokenSerial int64

// pagingCollector embeds the simulator's collector by value: Session.Get creates per-session
// instances with reflect.New, so every field here must work from its zero value.
type pagingCollector struct {
	simulator.PropertyCollector

	pmu     sync.Mutex
	pending map[string]pendingResult
	order   []string
	proxy   *updateProxy
}

// pendingResult is what a token continues: the objects not sent yet and the page size the
// retrieval started with.
type pendingResult struct {
	objects []types.ObjectContent
	size    int32
}

func installCollector() {
	ref := simulator.Map.Get(serviceInstanceRef).(*simulator.ServiceInstance).Content.PropertyCollector
	pc := &pagingCollector{}
	pc.Self = ref
	simulator.Map.Put(pc)
}

var serviceInstanceRef = types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}

func invalidToken() *soap.Fault {
	return simulator.Fault("", &types.InvalidArgument{InvalidProperty: "token"})
}

// notAuthenticated returns the fault vCenter gives a retrieval without a session: only
// SessionManager may be read then (clients use currentSession as their liveness check). vcsim
// instead answers with per-property NotAuthenticated entries in missingSet.
func notAuthenticated(ctx *simulator.Context, specs []types.PropertyFilterSpec) *soap.Fault {
	if ctx.Session != nil {
		return nil
	}
	for _, spec := range specs {
		for _, o := range spec.ObjectSet {
			if o.Obj.Type != "SessionManager" {
				return simulator.Fault("", &types.NotAuthenticated{
					NoPermission: types.NoPermission{Object: o.Obj, PrivilegeId: "System.View"},
				})
			}
		}
	}
	return nil
}

// page returns the first size objects and keeps the rest under a new token.
func (pc *pagingCollector) page(objects []types.ObjectContent, size int32) *types.RetrieveResult {
	if size <= 0 || int(size) >= len(objects) {
		return &types.RetrieveResult{Objects: objects}
	}
	token := strconv.FormatInt(atomic.AddInt64(&tokenSerial, 1), 10)

	pc.pmu.Lock()
	if pc.pending == nil {
		pc.pending = make(map[string]pendingResult)
	}
	pc.pending[token] = pendingResult{objects: objects[size:], size: size}
	pc.order = append(pc.order, token)
	for len(pc.order) > maxPendingResults {
		delete(pc.pending, pc.order[0])
		pc.order = pc.order[1:]
	}
	pc.pmu.Unlock()

	return &types.RetrieveResult{Token: token, Objects: objects[:size]}
}

// endless hands out objects with a token that continues into the same objects again, forever.
func (pc *pagingCollector) endless(objects []types.ObjectContent) *types.RetrieveResult {
	token := strconv.FormatInt(atomic.AddInt64(&tokenSerial, 1), 10)
	pc.pmu.Lock()
	if pc.pending == nil {
		pc.pending = make(map[string]pendingResult)
	}
	pc.pending[token] = pendingResult{objects: objects, size: -1}
	pc.order = append(pc.order, token)
	for len(pc.order) > maxPendingResults {
		delete(pc.pending, pc.order[0])
		pc.order = pc.order[1:]
	}
	pc.pmu.Unlock()
	return &types.RetrieveResult{Token: token, Objects: objects}
}

func (pc *pagingCollector) take(token string) (pendingResult, bool) {
	pc.pmu.Lock()
	defer pc.pmu.Unlock()
	res, ok := pc.pending[token]
	if !ok {
		return res, false
	}
	delete(pc.pending, token)
	for i, t := range pc.order {
		if t == token {
			pc.order = append(pc.order[:i], pc.order[i+1:]...)
			break
		}
	}
	return res, true
}

func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	if f := notAuthenticated(ctx, r.SpecSet); f != nil {
		return &methods.RetrievePropertiesExBody{Fault_: f}
	}
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	if !ok || body.Fault_ != nil || body.Res == nil {
		return res
	}
	var objects []types.ObjectContent
	if body.Res.Returnval != nil {
		objects = body.Res.Returnval.Objects
	}
	if ctx.Session != nil {
		d := denyFor(ctx)
		if d.EmptyReply {
			body.Res.Returnval = nil
			return body
		}
		objects = denyObjects(d, r.SpecSet, objects)
		if d.EndlessToken && len(objects) > 0 {
			body.Res.Returnval = pc.endless(objects[:1])
			return body
		}
	}
	if ctx.Session == nil {
		// Only SessionManager gets here: vCenter leaves currentSession unset, without vcsim's
		// NotAuthenticated entries, and that is how clients notice their session has gone.
		for i := range objects {
			objects[i].MissingSet = nil
		}
	}
	if len(objects) == 0 {
		// vCenter returns no returnval at all when nothing matched.
		body.Res.Returnval = nil
		return body
	}
	body.Res.Returnval = pc.page(objects, r.Options.MaxObjects)
	return body
}

// RetrieveProperties (what pyVmomi's property accessors use) gets the same session rules.
func (pc *pagingCollector) RetrieveProperties(ctx *simulator.Context, r *types.RetrieveProperties) soap.HasFault {
	body := &methods.RetrievePropertiesBody{}
	res := pc.RetrievePropertiesEx(ctx, &types.RetrievePropertiesEx{This: r.This, SpecSet: r.SpecSet})
	if f := res.Fault(); f != nil {
		body.Fault_ = f
		return body
	}
	body.Res = &types.RetrievePropertiesResponse{}
	if ret := res.(*methods.RetrievePropertiesExBody).Res.Returnval; ret != nil {
		body.Res.Returnval = ret.Objects
	}
	return body
}

func (pc *pagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	rest, ok := pc.take(r.Token)
	if !ok {
		body.Fault_ = invalidToken()
		return body
	}
	if rest.size < 0 {
		body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *pc.endless(rest.objects)}
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *pc.page(rest.objects, rest.size)}
	return body
}

func (pc *pagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	body := &methods.CancelRetrievePropertiesExBody{}
	if _, ok := pc.take(r.Token); !ok {
		body.Fault_ = invalidToken()
		return body
	}
	body.Res = &types.CancelRetrievePropertiesExResponse{}
	return body
}

// CreatePropertyCollector hands out pagers too, so a client using its own collector pages alike.
// The moref type must say PropertyCollector, as vCenter's does: left empty, vcsim would name it
// after the Go type, and a client calling it as a PropertyCollector would find nothing.
func (pc *pagingCollector) CreatePropertyCollector(ctx *simulator.Context, c *types.CreatePropertyCollector) soap.HasFault {
	npc := &pagingCollector{}
	npc.Self.Type = "PropertyCollector"
	return &methods.CreatePropertyCollectorBody{
		Res: &types.CreatePropertyCollectorResponse{
			Returnval: ctx.Session.Put(npc).Reference(),
		},
	}
}

// CreateFilter on a collector already waited on: vcsim reports a new filter's objects (as
// "enter") only when it next works through a change, which may never come; vCenter reports them
// at the next WaitForUpdatesEx. An enter for the filter itself is such a change: vcsim only
// collects the filters on it, and the filter is in none of them.
func (pc *pagingCollector) CreateFilter(ctx *simulator.Context, c *types.CreateFilter) soap.HasFault {
	res := pc.PropertyCollector.CreateFilter(ctx, c)
	pc.pmu.Lock()
	listening := pc.proxy != nil
	pc.pmu.Unlock()
	if body, ok := res.(*methods.CreateFilterBody); ok && listening && body.Res != nil {
		pc.PropertyCollector.PutObject(body.Res.Returnval)
	}
	return res
}

// WaitForUpdatesEx works around vcsim registering every session's default collector as an update
// listener under the same moref ("propertyCollector"), so that only the session that started
// waiting last is told about changes. Each collector listens through its own proxy instead.
//
// A version on a collector that was never asked for version "" (a client carrying its version
// over to a new session, after a restart say) faults InvalidCollectorVersion, as on vCenter;
// vcsim would wait, never to report anything, because only version "" starts its listening.
func (pc *pagingCollector) WaitForUpdatesEx(ctx *simulator.Context, r *types.WaitForUpdatesEx) soap.HasFault {
	pc.pmu.Lock()
	started := pc.proxy != nil
	pc.pmu.Unlock()
	if r.Version != "" && !started {
		return &methods.WaitForUpdatesExBody{Fault_: simulator.Fault("", &types.InvalidCollectorVersion{})}
	}
	pc.touch()
	res := pc.PropertyCollector.WaitForUpdatesEx(ctx, r)
	if body, ok := res.(*methods.WaitForUpdatesExBody); ok && body.Res != nil {
		denyUpdates(denyFor(ctx), body.Res.Returnval)
	}
	if r.Version == "" {
		ctx.Map.RemoveHandler(&pc.PropertyCollector)
		pc.pmu.Lock()
		if pc.proxy == nil {
			pc.proxy = &updateProxy{pc: &pc.PropertyCollector, registry: ctx.Map}
			pc.proxy.Self = types.ManagedObjectReference{
				Type:  "PropertyCollector",
				Value: "nw-listener-" + strconv.FormatInt(atomic.AddInt64(&tokenSerial, 1), 10),
			}
			ctx.Map.AddHandler(pc.proxy)
		}
		pc.pmu.Unlock()
	}
	pc.touch()
	return res
}

func (pc *pagingCollector) touch() {
	pc.pmu.Lock()
	if pc.proxy != nil {
		pc.proxy.touch()
	}
	pc.pmu.Unlock()
}

// WaitForUpdates is the pre-5.5 form pyVmomi still uses; vcsim routes it to its own
// WaitForUpdatesEx, bypassing the override above.
func (pc *pagingCollector) WaitForUpdates(ctx *simulator.Context, r *types.WaitForUpdates) soap.HasFault {
	body := &methods.WaitForUpdatesBody{}
	res := pc.WaitForUpdatesEx(ctx, &types.WaitForUpdatesEx{This: r.This, Version: r.Version})
	if f := res.Fault(); f != nil {
		body.Fault_ = f
		return body
	}
	ret := res.(*methods.WaitForUpdatesExBody).Res.Returnval
	if ret == nil {
		ret = &types.UpdateSet{Version: r.Version}
	}
	body.Res = &types.WaitForUpdatesResponse{Returnval: *ret}
	return body
}

// proxyIdle drops a listener whose collector stopped waiting (its session is gone), so that
// abandoned sessions do not queue updates forever.
const proxyIdle = 30 * time.Minute

type updateProxy struct {
	mo.PropertyCollector
	pc       *simulator.PropertyCollector
	registry *simulator.Registry
	last     int64
}

func (u *updateProxy) touch() { atomic.StoreInt64(&u.last, time.Now().UnixNano()) }

func (u *updateProxy) idle() bool {
	if time.Since(time.Unix(0, atomic.LoadInt64(&u.last))) > proxyIdle {
		u.registry.RemoveHandler(u)
		return true
	}
	return false
}

func (u *updateProxy) PutObject(o mo.Reference) {
	if !u.idle() {
		u.pc.PutObject(o)
	}
}

func (u *updateProxy) UpdateObject(o mo.Reference, changes []types.PropertyChange) {
	if !u.idle() {
		u.pc.UpdateObject(o, changes)
	}
}

func (u *updateProxy) RemoveObject(ref types.ManagedObjectReference) {
	if !u.idle() {
		u.pc.RemoveObject(ref)
	}
}
