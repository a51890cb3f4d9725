// The vAPI REST endpoints, in the flavour -vapi selects. vcsim 0.24.2 serves only the legacy
// /rest/com/vmware/cis/... flavour, replies wrapped in {"value": ...}. vCenter 7.0U2 added /api/...,
// replies unwrapped, and 7.0U2–8 serve both. The /api flavour here is a translation: each /api
// request becomes the matching /rest request, handed to the same credential check and the same
// vcsim handler (so the same tag store) that /rest clients reach, and the reply is unwrapped.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
)

const (
	vapiRest = "rest" // /rest only (vcsim 0.24.2, vCenter before 7.0U2)
	vapiAPI  = "api"  // /api only: every /rest/com/vmware/cis/... path answers 404
	vapiBoth = "both" // both (vCenter 7.0U2 to 8)

	restCIS     = "/rest/com/vmware/cis/"
	restSession = "/rest/com/vmware/cis/session"
	restTagging = "/rest/com/vmware/cis/tagging/"
)

func checkVAPIMode(mode string) error {
	switch mode {
	case vapiRest, vapiAPI, vapiBoth:
		return nil
	}
	return fmt.Errorf("-vapi %q: want rest, api or both", mode)
}

// vapiFront sits in front of vcsim's vAPI handler.
type vapiFront struct {
	mux        *http.ServeMux // vcsim registers its handler on "/rest/" when the server starts
	user, pass string
	mode       string
	// restGone is set in -vapi api once the scenario has tagged its VMs (through /rest, the
	// only flavour govmomi 0.24.2 speaks); from then on /rest/com/vmware/cis/... is 404.
	restGone int32
	count    *vapiCounter // nestwarden's requests, either flavour (vapicount.go)
}

func newVAPIFront(mux *http.ServeMux, mode, user, pass string) *vapiFront {
	v := &vapiFront{mux: mux, user: user, pass: pass, mode: mode, count: newVAPICounter(mux)}
	mux.HandleFunc(restCIS, v.count.wrap(v.serveRest))
	if mode != vapiRest {
		mux.HandleFunc("/api/", v.count.wrap(v.serveAPI))
	}
	return v
}

// closeRest ends the /rest flavour in -vapi api; elsewhere it does nothing.
func (v *vapiFront) closeRest() {
	if v.mode == vapiAPI {
		atomic.StoreInt32(&v.restGone, 1)
	}
}

func (v *vapiFront) serveRest(w http.ResponseWriter, r *http.Request) {
	if atomic.LoadInt32(&v.restGone) != 0 {
		http.NotFound(w, r)
		return
	}
	v.rest(w, r)
}

// rest is the legacy flavour: the scenario's credentials on session creation, where vcsim takes
// any non-empty pair, then vcsim. vcsim lets a POST through unauthenticated when its path merely
// ends in the session path, so the check matches the same way.
func (v *vapiFront) rest(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/com/vmware/cis/session") &&
		r.URL.Query().Get("~action") == "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != v.user || p != v.pass {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"com.vmware.vapi.std.errors.unauthenticated","value":{"messages":[{"args":[],"default_message":"Authentication required.","id":"com.vmware.vapi.endpoint.method.authentication.required"}]}}`)
			return
		}
	}
	next, _ := v.mux.Handler(&http.Request{Method: r.Method, URL: &url.URL{Path: "/rest/"}})
	next.ServeHTTP(w, r)
}

// restReply is what the /rest side answered to a translated request.
type restReply struct {
	status int
	body   []byte
}

// call runs one /rest request on behalf of an /api one, carrying over its credentials and its
// session header (never its cookies: /api clients send the header).
func (v *vapiFront) call(r *http.Request, method, path, action string, body interface{}) (restReply, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return restReply{}, err
		}
	}
	req, err := http.NewRequestWithContext(r.Context(), method, "/", bytes.NewReader(data))
	if err != nil {
		return restReply{}, err
	}
	req.URL = &url.URL{Path: path}
	if action != "" {
		req.URL.RawQuery = url.Values{"~action": {action}}.Encode()
	}
	req.RequestURI = req.URL.RequestURI()
	req.Host = r.Host
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("vmware-use-header-authn", "true") // no session cookie in the reply
	for _, h := range []string{"Authorization", "vmware-api-session-id"} {
		if val := r.Header.Get(h); val != "" {
			req.Header.Set(h, val)
		}
	}
	rec := httptest.NewRecorder()
	v.rest(rec, req)
	return restReply{status: rec.Code, body: rec.Body.Bytes()}, nil
}

// value unwraps {"value": X}. vcsim omits "value" when X is empty (a nil list), hence null.
func (rr restReply) value() (json.RawMessage, error) {
	var w struct {
		Value json.RawMessage `json:"value"`
	}
	if len(bytes.TrimSpace(rr.body)) == 0 {
		return json.RawMessage("null"), nil
	}
	if err := json.Unmarshal(rr.body, &w); err != nil {
		return nil, fmt.Errorf("vcsim reply is not JSON: %v", err)
	}
	if w.Value == nil {
		return json.RawMessage("null"), nil
	}
	return w.Value, nil
}

// apiError is vCenter's /api error body (vapi.std.errors.Error with its error_type).
type apiError struct {
	ErrorType string       `json:"error_type"`
	Messages  []apiMessage `json:"messages"`
}

type apiMessage struct {
	Args           []string `json:"args"`
	DefaultMessage string   `json:"default_message"`
	ID             string   `json:"id"`
}

var apiErrors = map[int]apiError{
	http.StatusBadRequest: {"INVALID_ARGUMENT", []apiMessage{{[]string{}, "Invalid argument.",
		"com.vmware.vapi.std.errors.invalid_argument"}}},
	http.StatusUnauthorized: {"UNAUTHENTICATED", []apiMessage{{[]string{}, "Authentication required.",
		"com.vmware.vapi.endpoint.method.authentication.required"}}},
	http.StatusForbidden: {"UNAUTHORIZED", []apiMessage{{[]string{}, "Unable to authorize user.",
		"vapi.security.authorization.invalid"}}},
	http.StatusNotFound: {"NOT_FOUND", []apiMessage{{[]string{}, "The requested resource does not exist.",
		"com.vmware.vapi.std.errors.not_found"}}},
	http.StatusInternalServerError: {"INTERNAL_SERVER_ERROR", []apiMessage{{[]string{}, "Internal server error.",
		"com.vmware.vapi.std.errors.internal_server_error"}}},
}

func apiFail(w http.ResponseWriter, status int) {
	e, ok := apiErrors[status]
	if !ok {
		status, e = http.StatusInternalServerError, apiErrors[http.StatusInternalServerError]
	}
	apiReply(w, status, e)
}

func apiReply(w http.ResponseWriter, status int, val interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if val != nil {
		_ = json.NewEncoder(w).Encode(val)
	}
}

// apiPath splits the part after /api/ into unescaped segments; ok is false for an empty or
// slash-bearing segment (ids never hold one, and vcsim could not route it).
func apiPath(r *http.Request) (segs []string, ok bool) {
	for _, s := range strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/api/"), "/") {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" || strings.Contains(u, "/") {
			return nil, false
		}
		segs = append(segs, u)
	}
	return segs, true
}

// The operations served, as VMware documents them for /api (vSphere Automation API 7.0U2+):
//
//	POST   /api/session                       Basic auth → 201, the session id as a JSON string
//	GET    /api/session                       → 200, the session's info
//	DELETE /api/session                       → 204
//	GET    /api/cis/tagging/category          → 200, [category id]
//	GET    /api/cis/tagging/category/{id}     → 200, the category
//	GET    /api/cis/tagging/tag               → 200, [tag id]
//	GET    /api/cis/tagging/tag/{id}          → 200, the tag
//	POST   /api/cis/tagging/tag?action=list-tags-for-category {"category_id"} → 200, [tag id]
//	POST   /api/cis/tagging/tag-association?action=list-attached-objects-on-tags {"tag_ids"}
//	                                          → 200, [{"tag_id", "object_ids": [{"type", "id"}]}]
//
// Errors carry {"error_type", "messages"}: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED (no, or an
// unknown, vmware-api-session-id), 404 NOT_FOUND (unknown id, or an operation not served here).
func (v *vapiFront) serveAPI(rw http.ResponseWriter, r *http.Request) {
	w := &statusWriter{ResponseWriter: rw}
	defer func() { log.Printf("vAPI %s %s: %d", r.Method, r.URL.RequestURI(), w.status) }() // -v only
	segs, ok := apiPath(r)
	if !ok {
		apiFail(w, http.StatusNotFound)
		return
	}
	action := r.URL.Query().Get("action")
	route := strings.Join(segs, "/")
	if len(segs) == 4 && segs[0] == "cis" && segs[1] == "tagging" {
		route = "cis/tagging/" + segs[2] + "/{id}"
	}
	var err error
	switch {
	case route == "session" && r.Method == http.MethodPost && action == "":
		err = v.apiLogin(w, r)
	case route == "session" && r.Method == http.MethodGet && action == "":
		err = v.apiForward(w, r, http.MethodPost, restSession, "get", nil, asIs)
	case route == "session" && r.Method == http.MethodDelete && action == "":
		err = v.apiLogout(w, r)
	case route == "cis/tagging/category" && r.Method == http.MethodGet && action == "":
		err = v.apiForward(w, r, http.MethodGet, restTagging+"category", "", nil, list)
	case route == "cis/tagging/category/{id}" && r.Method == http.MethodGet && action == "":
		err = v.apiForward(w, r, http.MethodGet, restTagging+"category/id:"+segs[3], "", nil, categoryModel)
	case route == "cis/tagging/tag" && r.Method == http.MethodGet && action == "":
		err = v.apiForward(w, r, http.MethodGet, restTagging+"tag", "", nil, list)
	case route == "cis/tagging/tag/{id}" && r.Method == http.MethodGet && action == "":
		err = v.apiForward(w, r, http.MethodGet, restTagging+"tag/id:"+segs[3], "", nil, tagModel)
	case route == "cis/tagging/tag" && r.Method == http.MethodPost && action == "list-tags-for-category":
		err = v.apiTagsForCategory(w, r)
	case route == "cis/tagging/tag-association" && r.Method == http.MethodPost &&
		action == "list-attached-objects-on-tags":
		err = v.apiAttachedObjects(w, r)
	default:
		apiFail(w, http.StatusNotFound)
		return
	}
	if err != nil {
		apiFail(w, http.StatusInternalServerError)
	}
}

// statusWriter remembers the status sent, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// apiForward translates one request and answers with the unwrapped value, as fix leaves it.
func (v *vapiFront) apiForward(w http.ResponseWriter, r *http.Request, method, path, action string,
	body interface{}, fix func(json.RawMessage) (interface{}, error)) error {
	rr, err := v.call(r, method, path, action, body)
	if err != nil {
		return err
	}
	if rr.status != http.StatusOK {
		apiFail(w, rr.status)
		return nil
	}
	val, err := rr.value()
	if err != nil {
		return err
	}
	out, err := fix(val)
	if err != nil {
		return err
	}
	apiReply(w, http.StatusOK, out)
	return nil
}

func asIs(val json.RawMessage) (interface{}, error) {
	return val, nil
}

// list: vcsim leaves an empty list out of its reply; /api sends [].
func list(val json.RawMessage) (interface{}, error) {
	var ids []string
	if err := json.Unmarshal(val, &ids); err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// withDefaults fills the fields VMware's model marks required and vcsim omits when empty.
func withDefaults(defaults map[string]interface{}) func(json.RawMessage) (interface{}, error) {
	return func(val json.RawMessage) (interface{}, error) {
		var obj map[string]interface{}
		if err := json.Unmarshal(val, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("vcsim reply %s is not an object", val)
		}
		for k, d := range defaults {
			if _, ok := obj[k]; !ok {
				obj[k] = d
			}
		}
		return obj, nil
	}
}

// Tagging CategoryModel and TagModel: every field required.
var (
	categoryModel = withDefaults(map[string]interface{}{"description": "", "associable_types": []string{},
		"used_by": []string{}})
	tagModel = withDefaults(map[string]interface{}{"description": "", "used_by": []string{}})
)

func (v *vapiFront) apiLogin(w http.ResponseWriter, r *http.Request) error {
	rr, err := v.call(r, http.MethodPost, restSession, "", nil)
	if err != nil {
		return err
	}
	if rr.status != http.StatusOK {
		apiFail(w, rr.status)
		return nil
	}
	val, err := rr.value()
	if err != nil {
		return err
	}
	var id string
	if err = json.Unmarshal(val, &id); err != nil || id == "" {
		return fmt.Errorf("vcsim session reply %s holds no id", rr.body)
	}
	apiReply(w, http.StatusCreated, id)
	return nil
}

func (v *vapiFront) apiLogout(w http.ResponseWriter, r *http.Request) error {
	rr, err := v.call(r, http.MethodDelete, restSession, "", nil)
	if err != nil {
		return err
	}
	if rr.status != http.StatusOK {
		apiFail(w, rr.status)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodeBody reads an /api request body into val; false (400 sent) when it is not that JSON.
func decodeBody(w http.ResponseWriter, r *http.Request, val interface{}) bool {
	data, err := ioutil.ReadAll(r.Body)
	if err == nil {
		err = json.Unmarshal(data, val)
	}
	if err != nil {
		apiFail(w, http.StatusBadRequest)
		return false
	}
	return true
}

// apiTagsForCategory: the category id moves from the body into the /rest path. vcsim lists
// nothing, successfully, for an unknown category; vCenter answers NotFound, so ask vcsim for
// the category first.
func (v *vapiFront) apiTagsForCategory(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		CategoryID *string `json:"category_id"`
	}
	if !decodeBody(w, r, &req) {
		return nil
	}
	if req.CategoryID == nil || *req.CategoryID == "" || strings.Contains(*req.CategoryID, "/") {
		apiFail(w, http.StatusBadRequest)
		return nil
	}
	id := *req.CategoryID
	rr, err := v.call(r, http.MethodGet, restTagging+"category/id:"+id, "", nil)
	if err != nil {
		return err
	}
	if rr.status != http.StatusOK {
		apiFail(w, rr.status)
		return nil
	}
	// vcsim insists on a body for ~action calls; the category id is in the path.
	return v.apiForward(w, r, http.MethodPost, restTagging+"tag/id:"+id, "list-tags-for-category",
		struct{}{}, list)
}

type tagToObjects struct {
	TagID     string            `json:"tag_id"`
	ObjectIDs []json.RawMessage `json:"object_ids"`
}

// apiAttachedObjects passes {"tag_ids"} through and fills the lists vcsim leaves null.
func (v *vapiFront) apiAttachedObjects(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		TagIDs *[]string `json:"tag_ids"`
	}
	if !decodeBody(w, r, &req) {
		return nil
	}
	if req.TagIDs == nil {
		apiFail(w, http.StatusBadRequest)
		return nil
	}
	rr, err := v.call(r, http.MethodPost, restTagging+"tag-association", "list-attached-objects-on-tags",
		struct {
			TagIDs []string `json:"tag_ids"`
		}{*req.TagIDs})
	if err != nil {
		return err
	}
	if rr.status != http.StatusOK {
		apiFail(w, rr.status)
		return nil
	}
	val, err := rr.value()
	if err != nil {
		return err
	}
	var res []tagToObjects
	if err = json.Unmarshal(val, &res); err != nil {
		return err
	}
	if res == nil {
		res = []tagToObjects{}
	}
	for i := range res {
		if res[i].ObjectIDs == nil {
			res[i].ObjectIDs = []json.RawMessage{}
		}
	}
	apiReply(w, http.StatusOK, res)
	return nil
}
