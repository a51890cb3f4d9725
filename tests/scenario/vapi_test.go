// The vAPI flavours of -vapi, against a running curated scenario: each /api operation's status
// codes and reply shapes, the 404s of the flavour not served, and that /api reads the same tag
// store as /rest.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

const testUser, testPass = "nestwarden@vsphere.local", "s3cret &<x>"

type vapiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

type reply struct {
	path   string // "/api" or "/rest", the flavour asked
	status int
	ctype  string
	body   []byte
}

var (
	noCreds    *url.Userinfo
	goodCreds  = url.UserPassword(testUser, testPass)
	wrongCreds = url.UserPassword(testUser, testPass+"-wrong")
)

// do sends one request with Basic credentials (when given) and a session id (when not empty).
func (c *vapiClient) do(method, path string, body interface{}, creds *url.Userinfo, token string) reply {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if creds != nil {
		pass, _ := creds.Password()
		req.SetBasicAuth(creds.Username(), pass)
	}
	if token != "" {
		req.Header.Set("vmware-api-session-id", token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := ioutil.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{"/" + strings.SplitN(path, "/", 3)[1], res.StatusCode, res.Header.Get("Content-Type"), data}
}

// hasNull reports a JSON null anywhere in v: /api never sends one for the fields served here,
// where vcsim's /rest leaves out (or nulls) empty lists.
func hasNull(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []interface{}:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	case map[string]interface{}:
		for _, e := range x {
			if hasNull(e) {
				return true
			}
		}
	}
	return false
}

// want checks the status and decodes the body into val (when given). An /api success with a
// body must be JSON, and no JSON from /api may hold a null.
func (c *vapiClient) want(r reply, status int, val interface{}, what string) {
	c.t.Helper()
	if r.status != status {
		c.t.Fatalf("%s: HTTP %d, want %d (%s)", what, r.status, status, r.body)
	}
	isJSON := strings.HasPrefix(r.ctype, "application/json")
	if r.path == "/api" && r.status < 300 && len(r.body) > 0 && !isJSON {
		c.t.Fatalf("%s: Content-Type %q", what, r.ctype)
	}
	var generic interface{}
	if r.path == "/api" && isJSON {
		if err := json.Unmarshal(r.body, &generic); err != nil || hasNull(generic) {
			c.t.Fatalf("%s: %s is not JSON free of nulls", what, r.body)
		}
	}
	if val != nil {
		if err := json.Unmarshal(r.body, val); err != nil {
			c.t.Fatalf("%s: %v in %s", what, err, r.body)
		}
	}
}

// wantAPIError checks an /api error: status, JSON, error_type and a message.
func (c *vapiClient) wantAPIError(r reply, status int, errorType, what string) {
	c.t.Helper()
	var e struct {
		ErrorType string `json:"error_type"`
		Messages  []struct {
			ID             string `json:"id"`
			DefaultMessage string `json:"default_message"`
		} `json:"messages"`
	}
	c.want(r, status, &e, what)
	if e.ErrorType != errorType || len(e.Messages) == 0 || e.Messages[0].ID == "" {
		c.t.Fatalf("%s: error %s, want error_type %s with a message", what, r.body, errorType)
	}
	if !strings.HasPrefix(r.ctype, "application/json") {
		c.t.Fatalf("%s: Content-Type %q", what, r.ctype)
	}
}

func keysOf(m map[string]interface{}) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestVAPIFlavours(t *testing.T) {
	log.SetOutput(ioutil.Discard)
	defer log.SetOutput(os.Stderr)
	for _, mode := range []string{vapiRest, vapiAPI, vapiBoth} {
		t.Run(mode, func(t *testing.T) { testVAPIFlavour(t, mode) })
	}
}

func testVAPIFlavour(t *testing.T, mode string) {
	p, _, err := makePlan(options{Hosts: 1, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	model, inv, _, err := build(p, "")
	if err != nil {
		t.Fatal(err)
	}
	defer model.Remove()
	srv, err := startServer(model.Model, serverConfig{Listen: "127.0.0.1:0", User: testUser, Password: testPass,
		VAPI: mode})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // our own fresh certificate
	defer func() {
		tr.CloseIdleConnections()
		srv.Close()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err = setupTags(ctx, srv.URL, testUser, testPass, p, inv); err != nil {
		t.Fatal(err)
	}
	srv.front.closeRest()
	srv.gate.open()

	c := &vapiClient{t: t, base: "https://" + srv.URL.Host, http: &http.Client{Transport: tr, Timeout: time.Minute}}
	want := map[string]bool{}
	for i, vm := range p.VMs {
		if vm.Tag == checkedTag {
			want[inv.vms[i].Value] = true
		}
	}

	restServed := mode != vapiAPI
	apiServed := mode != vapiRest

	// The legacy flavour: served, or 404 on every path, a valid session id notwithstanding.
	var restToken string
	if restServed {
		var tok struct{ Value string }
		c.want(c.do("POST", "/rest/com/vmware/cis/session", nil, noCreds, ""), http.StatusUnauthorized, nil,
			"/rest login without credentials")
		c.want(c.do("POST", "/rest/com/vmware/cis/session", nil, goodCreds, ""), http.StatusOK, &tok, "/rest login")
		restToken = tok.Value
		var cats struct{ Value []string }
		c.want(c.do("GET", "/rest/com/vmware/cis/tagging/category", nil, noCreds, restToken), http.StatusOK, &cats,
			"/rest categories")
		if len(cats.Value) != 2 {
			t.Fatalf("/rest categories: %v", cats.Value)
		}
	}

	if !apiServed {
		for _, path := range []string{"/api/session", "/api/cis/tagging/category"} {
			c.want(c.do("POST", path, nil, goodCreds, ""), http.StatusNotFound, nil, "-vapi rest: POST "+path)
			c.want(c.do("GET", path, nil, noCreds, ""), http.StatusNotFound, nil, "-vapi rest: GET "+path)
		}
		return
	}

	// POST /api/session: Basic auth → 201 and the id as a bare JSON string.
	c.wantAPIError(c.do("POST", "/api/session", nil, noCreds, ""), http.StatusUnauthorized, "UNAUTHENTICATED",
		"/api login without credentials")
	c.wantAPIError(c.do("POST", "/api/session", nil, wrongCreds, ""), http.StatusUnauthorized, "UNAUTHENTICATED", "/api login with a wrong password")
	login := c.do("POST", "/api/session", nil, goodCreds, "")
	var token string
	c.want(login, http.StatusCreated, &token, "/api login")
	if token == "" || !strings.HasPrefix(login.ctype, "application/json") {
		t.Fatalf("/api login: %q, Content-Type %q", login.body, login.ctype)
	}

	if !restServed {
		for _, path := range []string{"/rest/com/vmware/cis/session", "/rest/com/vmware/cis/tagging/category",
			"/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags"} {
			c.want(c.do("POST", path, struct{}{}, goodCreds, token), http.StatusNotFound, nil, "-vapi api: POST "+path)
			c.want(c.do("GET", path, nil, goodCreds, token), http.StatusNotFound, nil, "-vapi api: GET "+path)
		}
	}

	// No session, or an unknown one: 401.
	c.wantAPIError(c.do("GET", "/api/cis/tagging/category", nil, noCreds, ""), http.StatusUnauthorized,
		"UNAUTHENTICATED", "categories without a session")
	c.wantAPIError(c.do("GET", "/api/cis/tagging/category", nil, noCreds, "no-such-session"), http.StatusUnauthorized,
		"UNAUTHENTICATED", "categories with an unknown session")
	c.wantAPIError(c.do("POST", "/api/cis/tagging/tag-association?action=list-attached-objects-on-tags",
		map[string][]string{"tag_ids": {}}, noCreds, ""), http.StatusUnauthorized, "UNAUTHENTICATED",
		"list-attached-objects-on-tags without a session")

	// GET /api/cis/tagging/category → [id]; GET .../category/{id} → the CategoryModel, unwrapped.
	var catIDs []string
	c.want(c.do("GET", "/api/cis/tagging/category", nil, noCreds, token), http.StatusOK, &catIDs, "categories")
	catByName := map[string]map[string]interface{}{}
	for _, id := range catIDs {
		var cat map[string]interface{}
		c.want(c.do("GET", "/api/cis/tagging/category/"+url.PathEscape(id), nil, noCreds, token), http.StatusOK, &cat,
			"category "+id)
		if got := keysOf(cat); !reflect.DeepEqual(got, []string{"associable_types", "cardinality", "description",
			"id", "name", "used_by"}) || cat["id"] != id {
			t.Fatalf("category %s: %v", id, cat)
		}
		catByName[cat["name"].(string)] = cat
	}
	if len(catIDs) != 2 || catByName["nested"] == nil || catByName["env"] == nil {
		t.Fatalf("categories %v: %v", catIDs, catByName)
	}
	if cat := catByName["nested"]; cat["cardinality"] != "SINGLE" ||
		!reflect.DeepEqual(cat["associable_types"], []interface{}{"VirtualMachine"}) {
		t.Fatalf("category nested: %v", cat)
	}
	nestedID := catByName["nested"]["id"].(string)

	// POST /api/cis/tagging/tag?action=list-tags-for-category {"category_id"} → [id];
	// GET .../tag/{id} → the TagModel.
	var tagIDs []string
	c.want(c.do("POST", "/api/cis/tagging/tag?action=list-tags-for-category",
		map[string]string{"category_id": nestedID}, noCreds, token), http.StatusOK, &tagIDs, "list-tags-for-category")
	tagByName := map[string]string{}
	for _, id := range tagIDs {
		var tag map[string]interface{}
		c.want(c.do("GET", "/api/cis/tagging/tag/"+url.PathEscape(id), nil, noCreds, token), http.StatusOK, &tag, "tag "+id)
		if got := keysOf(tag); !reflect.DeepEqual(got, []string{"category_id", "description", "id", "name",
			"used_by"}) || tag["id"] != id || tag["category_id"] != nestedID {
			t.Fatalf("tag %s: %v", id, tag)
		}
		tagByName[tag["name"].(string)] = id
	}
	if len(tagIDs) != 2 || tagByName["nested-hyperv"] == "" || tagByName["other"] == "" {
		t.Fatalf("tags of nested: %v", tagByName)
	}
	hvTag := tagByName["nested-hyperv"]

	// POST /api/cis/tagging/tag-association?action=list-attached-objects-on-tags {"tag_ids"}
	// → [{"tag_id", "object_ids": [{"type", "id"}]}].
	type attached struct {
		TagID     string `json:"tag_id"`
		ObjectIDs []struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"object_ids"`
	}
	listAttached := func(ids []string) []attached {
		t.Helper()
		var res []attached
		r := c.do("POST", "/api/cis/tagging/tag-association?action=list-attached-objects-on-tags",
			map[string][]string{"tag_ids": ids}, noCreds, token)
		c.want(r, http.StatusOK, &res, "list-attached-objects-on-tags")
		if !bytes.HasPrefix(bytes.TrimSpace(r.body), []byte("[")) {
			t.Fatalf("list-attached-objects-on-tags: %s", r.body)
		}
		return res
	}
	res := listAttached([]string{hvTag})
	got := map[string]bool{}
	if len(res) != 1 || res[0].TagID != hvTag {
		t.Fatalf("list-attached-objects-on-tags: %+v", res)
	}
	for _, o := range res[0].ObjectIDs {
		if o.Type != "VirtualMachine" {
			t.Fatalf("attached object %+v", o)
		}
		got[o.ID] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("attached to nested/nested-hyperv: %v, want %v", got, want)
	}
	if res := listAttached([]string{}); len(res) != 0 {
		t.Fatalf("no tags: %+v", res)
	}
	// vcsim lists an unknown tag with no objects (as its /rest does): object_ids [], not null.
	listAttached([]string{"urn:vmomi:InventoryServiceTag:nope:GLOBAL"})

	// Unknown ids: 404; a body without its required field: 400; an operation not served: 404.
	c.wantAPIError(c.do("GET", "/api/cis/tagging/category/urn:vmomi:InventoryServiceCategory:nope:GLOBAL", nil,
		noCreds, token), http.StatusNotFound, "NOT_FOUND", "unknown category")
	c.wantAPIError(c.do("GET", "/api/cis/tagging/tag/urn:vmomi:InventoryServiceTag:nope:GLOBAL", nil, noCreds, token),
		http.StatusNotFound, "NOT_FOUND", "unknown tag")
	c.wantAPIError(c.do("POST", "/api/cis/tagging/tag?action=list-tags-for-category",
		map[string]string{"category_id": "urn:vmomi:InventoryServiceCategory:nope:GLOBAL"}, noCreds, token),
		http.StatusNotFound, "NOT_FOUND", "list-tags-for-category of an unknown category")
	c.wantAPIError(c.do("POST", "/api/cis/tagging/tag?action=list-tags-for-category", struct{}{}, noCreds, token),
		http.StatusBadRequest, "INVALID_ARGUMENT", "list-tags-for-category without category_id")
	c.wantAPIError(c.do("POST", "/api/cis/tagging/tag-association?action=list-attached-objects-on-tags", struct{}{},
		noCreds, token), http.StatusBadRequest, "INVALID_ARGUMENT", "list-attached-objects-on-tags without tag_ids")
	c.wantAPIError(c.do("GET", "/api/cis/tagging/no-such-thing", nil, noCreds, token), http.StatusNotFound,
		"NOT_FOUND", "an unknown path")

	// One store: a tag attached through /rest shows through /api.
	if restServed {
		plain := ""
		for i, vm := range p.VMs {
			if vm.Name == "plain-01" {
				plain = inv.vms[i].Value
			}
		}
		c.want(c.do("POST", "/rest/com/vmware/cis/tagging/tag-association/id:"+url.PathEscape(hvTag)+"?~action=attach",
			map[string]interface{}{"object_id": map[string]string{"type": "VirtualMachine", "id": plain}}, noCreds,
			restToken), http.StatusOK, nil, "/rest attach")
		found := false
		for _, o := range listAttached([]string{hvTag})[0].ObjectIDs {
			found = found || o.ID == plain
		}
		if !found {
			t.Fatalf("/api does not see %s attached through /rest", plain)
		}
		var emptyID struct{ Value string }
		c.want(c.do("POST", "/rest/com/vmware/cis/tagging/category", map[string]interface{}{"create_spec": map[string]interface{}{
			"name": "empty", "description": "", "cardinality": "SINGLE", "associable_types": []string{}}}, noCreds,
			restToken), http.StatusOK, &emptyID, "/rest create category")
		r := c.do("POST", "/api/cis/tagging/tag?action=list-tags-for-category",
			map[string]string{"category_id": emptyID.Value}, noCreds, token)
		c.want(r, http.StatusOK, nil, "list-tags-for-category of a category without tags")
		if string(bytes.TrimSpace(r.body)) != "[]" {
			t.Fatalf("tags of a category without tags: %s", r.body)
		}
		var cat map[string]interface{}
		c.want(c.do("GET", "/api/cis/tagging/category/"+url.PathEscape(emptyID.Value), nil, noCreds, token),
			http.StatusOK, &cat, "category created through /rest")
		if cat["name"] != "empty" || !reflect.DeepEqual(cat["associable_types"], []interface{}{}) {
			t.Fatalf("category created through /rest: %v", cat)
		}
	}

	// DELETE /api/session → 204; the id is then unknown.
	c.want(c.do("DELETE", "/api/session", nil, noCreds, token), http.StatusNoContent, nil, "/api logout")
	c.wantAPIError(c.do("GET", "/api/cis/tagging/category", nil, noCreds, token), http.StatusUnauthorized,
		"UNAUTHENTICATED", "categories after logout")
	c.wantAPIError(c.do("DELETE", "/api/session", nil, noCreds, token), http.StatusUnauthorized, "UNAUTHENTICATED",
		"a second logout")
}
