// The datastore directory. A datastore's moref is its directory (plus "@folder-N"), so vcsim's own
// random temp directory made the moref differ on every start; and a SIGKILLed run leaves its
// directory behind. Here the directory is named after the command line, so the same flags give the
// same moref on every start, and each directory is held through a lock file (flock, released by the
// kernel when its holder dies): a start first sweeps every directory nobody holds, which is what a
// killed run left, then takes its own, emptying whatever a killed predecessor left in it.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const storePrefix = "nw-scenario-ds-"

type datastore struct {
	dir  string
	lock *os.File
}

// storeKeyFor names the directory after the arguments; "" (tests building in-process) asks for a
// random name.
func storeKeyFor(args []string) string {
	if args == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(args, "\x00")))
	return hex.EncodeToString(sum[:8])
}

func randomKey() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return fmt.Sprintf("%x", time.Now().UnixNano())
	}
	return "r" + hex.EncodeToString(b)
}

// openDatastore sweeps directories left by dead runs, then takes the one for key. If a live
// process holds it (another instance with the same arguments), a random one is used instead and
// note says so.
func openDatastore(key string) (d *datastore, note string, err error) {
	base := os.TempDir()
	sweepDatastores(base)
	if key != "" {
		for try := 0; try < 5; try++ { // a sweeper may hold it for a moment
			if d, err = takeDatastore(base, key); d != nil || err != nil {
				return d, "", err
			}
			time.Sleep(40 * time.Millisecond)
		}
		note = fmt.Sprintf("datastore %s is in use by another instance: using a random one", filepath.Join(base, storePrefix+key))
	}
	for {
		if d, err = takeDatastore(base, randomKey()); d != nil || err != nil {
			return d, note, err
		}
	}
}

// lockPath returns an open, exclusively locked lock file, or nil if a live process holds it.
func lockPath(path string) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0600)
		if err != nil {
			return nil, err
		}
		if err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			_ = f.Close()
			if err == syscall.EWOULDBLOCK {
				return nil, nil
			}
			return nil, err
		}
		// A sweeper may have removed the file between our open and our lock: then we hold a lock
		// nobody else can see, so start over on the file now at the path.
		var held, cur syscall.Stat_t
		if syscall.Fstat(int(f.Fd()), &held) == nil && syscall.Stat(path, &cur) == nil &&
			held.Ino == cur.Ino && held.Dev == cur.Dev {
			return f, nil
		}
		_ = f.Close()
	}
}

func takeDatastore(base, key string) (*datastore, error) {
	dir := filepath.Join(base, storePrefix+key)
	lock, err := lockPath(dir + ".lock")
	if err != nil || lock == nil {
		return nil, err
	}
	if err = os.RemoveAll(dir); err == nil { // a killed predecessor's files
		err = os.Mkdir(dir, 0700)
	}
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return &datastore{dir: dir, lock: lock}, nil
}

// sweepDatastores removes the directories of runs that died without cleaning up.
func sweepDatastores(base string) {
	locks, _ := filepath.Glob(filepath.Join(base, storePrefix+"*.lock"))
	for _, path := range locks {
		f, err := lockPath(path)
		if err != nil || f == nil {
			continue
		}
		// The directory goes before the lock file, so that whoever takes the name next finds it
		// gone or takes the lock only after we are done.
		_ = os.RemoveAll(strings.TrimSuffix(path, ".lock"))
		_ = os.Remove(path)
		_ = f.Close()
	}
}

// remove deletes the directory and lets go of it.
func (d *datastore) remove() {
	if d == nil {
		return
	}
	_ = os.RemoveAll(d.dir)
	_ = os.Remove(d.lock.Name())
	_ = d.lock.Close()
}

// mount creates the datastore LocalDS_0 on every host, as vcsim's model does with its own temp
// directory when Model.Datastore is 1.
func (d *datastore) mount(ctx *simulator.Context, hosts []*simulator.HostSystem) error {
	for _, h := range hosts {
		dss := simulator.Map.Get(*h.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem)
		res := dss.CreateLocalDatastore(ctx, &types.CreateLocalDatastore{This: dss.Self, Name: "LocalDS_0", Path: d.dir})
		if f := res.Fault(); f != nil {
			return fmt.Errorf("datastore on %s: %s %T", h.Name, f.String, f.Detail.Fault)
		}
	}
	return nil
}
