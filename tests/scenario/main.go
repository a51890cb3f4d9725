// nw-scenario: a vCenter 6.7 stand-in for nestwarden's tests. It builds a known inventory in
// govmomi's simulator, patches the simulator where it answers unlike vCenter, prints one JSON line
// (URL, CA file, ground truth) on stdout and serves until SIGTERM or SIGINT.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/ioutil"
	"log"
	"math/rand"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers the /rest endpoints
)

type ready struct {
	URL    string `json:"url"`
	CAFile string `json:"ca_file"`
	Truth  truth  `json:"truth"`
}

func readPassword(path string) (string, error) {
	if path == "" {
		return "pass", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("%s: no password on the first line", path)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func run() error {
	var (
		cfg  serverConfig
		opts options
		pwd  string
		verb bool
	)
	flag.StringVar(&cfg.Listen, "listen", "127.0.0.1:0", "`address` to serve on (loopback only)")
	flag.StringVar(&cfg.User, "user", "nestwarden@vsphere.local", "the only user accepted")
	flag.StringVar(&pwd, "password-file", "", "`file` whose first line is the password (default \"pass\")")
	flag.StringVar(&cfg.CertOut, "cert-out", "", "write the server certificate (PEM) to `file`")
	flag.StringVar(&cfg.TLSDir, "tls-dir", "", "keep the certificate and key in `dir` (cert.pem, key.pem) across restarts")
	flag.StringVar(&cfg.VAPI, "vapi", vapiRest, "vAPI REST `flavour`: rest (/rest only), api (/api only) or both")
	flag.IntVar(&opts.Hosts, "hosts", 2, "number of ESXi hosts")
	flag.IntVar(&opts.VMs, "vms", 0, "total VMs including the curated ones (0: curated only)")
	flag.IntVar(&opts.Tagged, "tagged", 0, "total VMs tagged nested/nested-hyperv, curated included")
	flag.IntVar(&opts.Portgroups, "portgroups", 0, "extra generated DV portgroups")
	flag.Int64Var(&opts.Seed, "seed", 1, "seed for the generated VMs")
	flag.IntVar(&opts.ExtraCategories, "extra-categories", 0, "extra tag categories extra-001…, attached to nothing")
	flag.IntVar(&opts.TagsPerCategory, "tags-per-category", 0, "tags extra-NNN-01… in each extra category")
	flag.BoolVar(&explicitBacking, "explicit-backing", false,
		"report backingType \"standard\" on non-NSX DV portgroups (pyVmomi 6.7 cannot parse it)")
	flag.Var(races, "race-dvpg", "DV portgroup `name`s (repeatable, or comma-separated) whose first reconfiguration meets another admin's (VLAN 42, ConcurrentAccess)")
	flag.StringVar(&denyFile, "deny", "", "JSON `file` naming objects the account may not read (see deny.go), read at every retrieval")
	flag.BoolVar(&verb, "v", false, "log simulator activity to stderr")
	flag.BoolVar(&simulator.Trace, "trace", false, "dump SOAP traffic to stderr")
	flag.Parse()
	if flag.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}

	logger := log.New(os.Stderr, "nw-scenario: ", 0)
	if !verb {
		log.SetOutput(ioutil.Discard) // vcsim logs through the standard logger
	}

	if err := checkVAPIMode(cfg.VAPI); err != nil {
		return err
	}
	var err error
	if cfg.Password, err = readPassword(pwd); err != nil {
		return err
	}
	p, notes, err := makePlan(opts)
	if err != nil {
		return err
	}
	for _, n := range notes {
		logger.Print(n)
	}
	if bad := races.unknown(p); len(bad) > 0 {
		return fmt.Errorf("-race-dvpg: no DV portgroup named %s", strings.Join(bad, ", "))
	}
	races.logf = logger.Printf

	// Same flags, same world: the random ids vcsim draws while building and tagging (the
	// service's instanceUuid, tag and category ids) come from the seed, and the datastore
	// directory (part of a moref) is named after the arguments.
	uuid.SetRand(rand.New(rand.NewSource(opts.Seed)))
	start := time.Now()
	model, inv, notes, err := build(p, storeKeyFor(os.Args[1:]))
	if err != nil {
		return err
	}
	defer model.Remove()
	for _, n := range notes {
		logger.Print(n)
	}
	built := time.Since(start)

	srv, err := startServer(model.Model, cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	err = setupTags(ctx, srv.URL, cfg.User, cfg.Password, p, inv)
	cancel()
	if err != nil {
		return err
	}
	srv.front.closeRest() // -vapi api: the tags are made, /rest goes away before anyone is told the URL
	uuid.SetRand(nil)     // session ids from here on: unpredictable again
	srv.gate.open()       // clients that connected early see the complete world

	u := *srv.URL
	u.User = nil
	line, err := json.Marshal(ready{URL: u.String(), CAFile: srv.caFile, Truth: makeTruth(p, inv)})
	if err != nil {
		return err
	}
	if verb {
		logger.Printf("%d VMs, %d DV portgroups, %d hosts: built in %v, serving after %v",
			len(p.VMs), len(p.DVPGs), p.Hosts, built.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	}
	if _, err = fmt.Fprintf(os.Stdout, "%s\n", line); err != nil {
		return err
	}
	_ = os.Stdout.Sync()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig

	// Close waits for requests in flight, and a WaitForUpdates without a timeout never ends.
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "nw-scenario: %v\n", err)
		os.Exit(1)
	}
}
