// Server-side counting of the vAPI requests nestwarden makes (sessions whose User-Agent starts
// with "nestwarden/", as -deny matches them), so that a test can tell what a tag refresh costs
// without trusting the client. Each /rest or /api request a client sends counts once (an /api
// request's translation into /rest is not a second one). GET /nw-scenario/vapi-requests answers
// with the log as JSON; the server listens on loopback only.
package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

const vapiCountPath = "/nw-scenario/vapi-requests"

// vapiCountMax bounds the log: a run far longer than any test keeps counting, not recording.
const vapiCountMax = 1000000

type vapiRequest struct {
	T      float64 `json:"t"` // seconds since the server started serving
	Method string  `json:"method"`
	Route  string  `json:"route"` // the path and query with ids replaced by {id}
	Status int     `json:"status"`
}

type vapiCounter struct {
	mu      sync.Mutex
	start   time.Time
	total   int
	byRoute map[string]int
	log     []vapiRequest
}

func newVAPICounter(mux *http.ServeMux) *vapiCounter {
	c := &vapiCounter{start: time.Now(), byRoute: map[string]int{}}
	mux.HandleFunc(vapiCountPath, c.serve)
	return c
}

// vapiRoute names a request without its ids: /rest's "id:X" segments and /api's tagging/KIND/X.
func vapiRoute(r *http.Request) string {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "id:") {
			segs[i] = "id:{id}"
		} else if i == 5 && segs[1] == "api" && segs[2] == "cis" && segs[3] == "tagging" {
			segs[i] = "{id}"
		}
	}
	route := strings.Join(segs, "/")
	if r.URL.RawQuery != "" {
		route += "?" + r.URL.RawQuery
	}
	return route
}

// wrap counts the requests next serves to nestwarden.
func (c *vapiCounter) wrap(next http.HandlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.UserAgent(), "nestwarden/") {
			next(rw, r)
			return
		}
		w := &statusWriter{ResponseWriter: rw}
		next(w, r)
		if w.status == 0 {
			w.status = http.StatusOK
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.total++
		route := r.Method + " " + vapiRoute(r)
		c.byRoute[route]++
		if len(c.log) < vapiCountMax {
			c.log = append(c.log, vapiRequest{T: time.Since(c.start).Seconds(), Method: r.Method,
				Route: vapiRoute(r), Status: w.status})
		}
	}
}

func (c *vapiCounter) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	c.mu.Lock()
	body, err := json.Marshal(struct {
		Now      float64        `json:"now"`
		Total    int            `json:"total"`
		ByRoute  map[string]int `json:"by_route"`
		Requests []vapiRequest  `json:"requests"`
	}{time.Since(c.start).Seconds(), c.total, c.byRoute, c.log})
	c.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
