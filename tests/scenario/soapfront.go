// Routing the SOAP calls vcsim lacks or gets wrong to the scenario's own handlers, without putting a
// wrapper in place of the object they are called on. The DistributedVirtualSwitch, EventManager and
// CustomFieldsManager cannot be wrapped: vcsim casts them to its own types (VM NIC changes look the
// switch up, every login posts an event, SetCustomValue finds the custom fields manager), and a
// wrapper would make those panic. Instead the front reads each /sdk request and, for the methods
// below, rewrites the _this moref's type to one registered by the scenario (same value), then hands
// the request to vcsim's own SOAP handler: session checks, dispatch, faults and encoding stay
// vcsim's. A request whose rewritten target is not registered (a world built without the patches,
// or an unknown moref) goes to vcsim unchanged.
//
// vcsim registers its handler on the exact path /sdk; a ServeMux pattern naming a host takes
// precedence over one without, so the front is registered for the loopback names a client may use.
package main

import (
	"bytes"
	"io/ioutil"
	"net"
	"net/http"
	"regexp"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// soapRoutes maps a method (wire name) to the moref type its _this is rewritten to.
var soapRoutes = map[string]string{
	"FetchDVPorts":           portServiceType,
	"ReconfigureDVPort_Task": portServiceType,
	"LogUserEvent":           userEventType,
	"AddCustomFieldDef":      customFieldsType,
	"SetField":               customFieldsType,
}

var (
	soapMethodRE = regexp.MustCompile(`<(?:[\w.-]+:)?(FetchDVPorts|ReconfigureDVPort_Task|LogUserEvent|AddCustomFieldDef|SetField)[\s/>]`)
	soapThisRE   = regexp.MustCompile(`(<(?:[\w.-]+:)?_this\b[^>]*?\btype=")([^"]*)("[^>]*>)([^<]*)(<)`)
)

// rewriteSOAP returns the body with _this routed to the scenario's handler, or body unchanged.
func rewriteSOAP(body []byte) []byte {
	m := soapMethodRE.FindSubmatch(body)
	if m == nil {
		return body
	}
	target := soapRoutes[string(m[1])]
	loc := soapThisRE.FindSubmatchIndex(body)
	if loc == nil {
		return body
	}
	value := string(body[loc[8]:loc[9]])
	if simulator.Map.Get(types.ManagedObjectReference{Type: target, Value: value}) == nil {
		return body
	}
	out := make([]byte, 0, len(body)+len(target))
	out = append(out, body[:loc[4]]...)
	out = append(out, target...)
	out = append(out, body[loc[5]:]...)
	return out
}

// installSOAPFront puts the front before vcsim's /sdk handler for the loopback names and host.
func installSOAPFront(mux *http.ServeMux, s *simulator.Service, listenHost string) {
	serve := func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := ioutil.ReadAll(r.Body)
			_ = r.Body.Close()
			if err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			body = rewriteSOAP(body)
			r.Body = ioutil.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		s.ServeSDK(w, r)
	}
	seen := map[string]bool{}
	for _, h := range []string{"127.0.0.1", "localhost", "::1", listenHost} {
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		}
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		mux.HandleFunc(h+"/sdk", serve)
		mux.HandleFunc(h+"/sdk/vimService", serve)
	}
}
