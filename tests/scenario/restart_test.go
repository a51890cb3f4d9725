// The scenario killed (SIGKILL) and started again with the same flags on the same port comes back
// the same: the same line (URL, ca_file, truth), a certificate the client's CA file still
// verifies, the same morefs, names, datastore, tag ids and attachments; no client connecting early
// sees VMs before their tags; a kill leaves nothing that stops the next start, and SIGTERM cleans up.
// The scenario runs as this test binary re-executed, so it can be killed without a separate build.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io/ioutil"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func TestMain(m *testing.M) {
	if os.Getenv("NW_SCENARIO_AS_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type child struct {
	cmd    *exec.Cmd
	line   string
	stderr bytes.Buffer
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(os.Args[0], args...)}
	c.cmd.Env = append(os.Environ(), "NW_SCENARIO_AS_MAIN=1")
	c.cmd.Stderr = &c.stderr
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err = c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	select {
	case c.line = <-lines:
	case <-time.After(time.Minute):
	}
	if c.line == "" {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
		t.Fatalf("no line from the scenario: %s", c.stderr.String())
	}
	return c
}

// state is everything a client could compare across the restart, one line per fact, sorted.
func state(t *testing.T, ctx context.Context, c *vim25.Client) []string {
	t.Helper()
	var out []string
	out = append(out, "instance "+c.ServiceContent.About.InstanceUuid)
	m := view.NewManager(c)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"ManagedEntity"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	var entities []mo.ManagedEntity
	if err = v.Retrieve(ctx, []string{"ManagedEntity"}, []string{"name", "parent"}, &entities); err != nil {
		t.Fatal(err)
	}
	for _, e := range entities {
		out = append(out, fmt.Sprintf("entity %s %q parent %v", e.Self, e.Name, e.Parent))
	}
	var vms []mo.VirtualMachine
	if err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "network", "datastore", "runtime.host",
		"runtime.powerState", "config.uuid", "config.instanceUuid", "config.nestedHVEnabled"}, &vms); err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		out = append(out, fmt.Sprintf("vm %s %q net %v ds %v host %v %s uuid %s/%s nested %v", vm.Self.Value, vm.Name,
			vm.Network, vm.Datastore, vm.Runtime.Host, vm.Runtime.PowerState, vm.Config.Uuid, vm.Config.InstanceUuid,
			vm.Config.NestedHVEnabled != nil && *vm.Config.NestedHVEnabled))
	}

	rc := rest.NewClient(c)
	if err = rc.Login(ctx, url.UserPassword("nestwarden@vsphere.local", "pass")); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Logout(ctx) }()
	tm := tags.NewManager(rc)
	cats, err := tm.GetCategories(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cat := range cats {
		out = append(out, fmt.Sprintf("category %s %q", cat.ID, cat.Name))
	}
	tl, err := tm.GetTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range tl {
		objs, err := tm.ListAttachedObjects(ctx, tag.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range objs {
			ids = append(ids, o.Reference().Value)
		}
		sort.Strings(ids)
		out = append(out, fmt.Sprintf("tag %s %q in %s on %v", tag.ID, tag.Name, tag.CategoryID, ids))
	}
	sort.Strings(out)
	return out
}

// verifyingClient trusts only caFile, as the daemon does.
func verifyingClient(t *testing.T, ctx context.Context, sdk, caFile string) *vim25.Client {
	t.Helper()
	u, err := url.Parse(sdk)
	if err != nil {
		t.Fatal(err)
	}
	sc := soap.NewClient(u, false)
	if err = sc.SetRootCAs(caFile); err != nil {
		t.Fatal(err)
	}
	c, err := vim25.NewClient(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	if err = session.NewManager(c).Login(ctx, url.UserPassword("nestwarden@vsphere.local", "pass")); err != nil {
		t.Fatal(err)
	}
	return c
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// firstAnswer keeps asking for the tag categories, over TLS verified by caFile, from before the
// server listens until it answers; it returns how many categories that first answer held.
func firstAnswer(addr, caFile string, start <-chan struct{}, res chan<- int) {
	pem, _ := ioutil.ReadFile(caFile)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	<-start
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		req, _ := http.NewRequest("POST", "https://"+addr+"/rest/com/vmware/cis/session", nil)
		req.SetBasicAuth("nestwarden@vsphere.local", "pass")
		r, err := hc.Do(req)
		if err != nil {
			continue // not listening yet
		}
		tok := r.Header.Get("Set-Cookie")
		_ = r.Body.Close()
		req, _ = http.NewRequest("GET", "https://"+addr+"/rest/com/vmware/cis/tagging/category", nil)
		req.Header.Set("Cookie", strings.SplitN(tok, ";", 2)[0])
		if r, err = hc.Do(req); err != nil {
			continue
		}
		body, _ := ioutil.ReadAll(r.Body)
		_ = r.Body.Close()
		res <- strings.Count(string(body), "InventoryServiceCategory")
		return
	}
	res <- -1
}

func TestKillAndRestart(t *testing.T) {
	tlsDir := t.TempDir()
	addr := freePort(t)
	args := []string{"-listen", addr, "-tls-dir", tlsDir, "-vms", "60", "-tagged", "25", "-portgroups", "4", "-seed", "5"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	a := startChild(t, args...)
	defer func() { _ = a.cmd.Process.Kill(); _ = a.cmd.Wait() }()
	caFile := filepath.Join(tlsDir, "cert.pem")
	if !strings.Contains(a.line, fmt.Sprintf(`"ca_file":%q`, caFile)) {
		t.Fatalf("ca_file is not %s: %s", caFile, a.line)
	}
	certBefore, _ := ioutil.ReadFile(caFile)
	if fi, err := os.Stat(filepath.Join(tlsDir, "key.pem")); err != nil || fi.Mode().Perm() != 0600 {
		t.Fatalf("key.pem: %v %v", fi, err)
	}
	c := verifyingClient(t, ctx, "https://"+addr+"/sdk", caFile)
	before := state(t, ctx, c)

	// A long poll in flight when the process dies, as the daemon's will be.
	polling := verifyingClient(t, ctx, "https://"+addr+"/sdk", caFile)
	pollErr := make(chan error, 1)
	go func() {
		maxWait := int32(60)
		req := &types.WaitForUpdatesEx{This: polling.ServiceContent.PropertyCollector, Options: &types.WaitOptions{MaxWaitSeconds: &maxWait}}
		if _, err := methods.WaitForUpdatesEx(ctx, polling, req); err != nil {
			pollErr <- err
			return
		}
		req.Version = "-"
		_, err := methods.WaitForUpdatesEx(ctx, polling, req)
		pollErr <- err
	}()
	time.Sleep(300 * time.Millisecond)

	start := make(chan struct{})
	first := make(chan int, 1)
	go firstAnswer(addr, caFile, start, first)
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = a.cmd.Wait()
	if err := <-pollErr; err == nil {
		t.Error("the long poll survived the kill")
	}
	close(start)
	b := startChild(t, args...) // at once: the port may still have connections in TIME_WAIT
	defer func() { _ = b.cmd.Process.Kill(); _ = b.cmd.Wait() }()

	if a.line != b.line {
		t.Fatalf("the line changed:\n%s\n%s", a.line, b.line)
	}
	if n := <-first; n != 2 {
		t.Errorf("a client that connected during the start saw %d categories, not 2", n)
	}
	if certAfter, _ := ioutil.ReadFile(caFile); !bytes.Equal(certBefore, certAfter) {
		t.Error("cert.pem changed")
	}
	// The session died with the process, as on vCenter; the same client logs in again.
	if us, err := session.NewManager(c).UserSession(ctx); err != nil || us != nil {
		t.Fatalf("the old session: %v %v", us, err)
	}
	if err := session.NewManager(c).Login(ctx, url.UserPassword("nestwarden@vsphere.local", "pass")); err != nil {
		t.Fatal(err)
	}
	after := state(t, ctx, c)
	if strings.Join(before, "\n") != strings.Join(after, "\n") {
		t.Fatalf("the state changed:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	if len(before) < 60+5 {
		t.Fatalf("only %d facts compared", len(before))
	}

	// SIGTERM: exit 0 and no datastore left behind.
	var ds string
	for _, f := range before {
		if i := strings.Index(f, "ds ["); i >= 0 && ds == "" {
			ds = strings.SplitN(strings.SplitN(f[i+len("ds [Datastore:"):], "]", 2)[0], "@", 2)[0]
		}
	}
	if _, err := os.Stat(ds); err != nil {
		t.Fatalf("datastore directory %q: %v", ds, err)
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	if err := b.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v: %s", err, b.stderr.String())
	}
	if _, err := os.Stat(ds); !os.IsNotExist(err) {
		t.Fatalf("datastore directory %s left behind: %v", ds, err)
	}
}
