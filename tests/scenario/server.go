// Serving: TLS with a certificate a client can pin through ca_file (kept in -tls-dir across
// restarts), one set of credentials for both SOAP and vAPI, the vCenter 6.7 identity, and a gate
// that holds every client but our own setup until the world is complete. vcsim's own test
// certificate is a 1024-bit RSA key, which OpenSSL 3 refuses at its default security level, so we
// make our own.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/ioutil"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/simulator/esx"
)

// vCenter 6.7.0 GA; ESXi 6.7.0 GA for the hosts, so that a 6.6.0 switch is plausible on them.
func advertise67(m *simulator.Model) {
	a := &m.ServiceContent.About
	a.FullName = "VMware vCenter Server 6.7.0 build-8217866"
	a.Version = "6.7.0"
	a.Build = "8217866"
	a.ApiVersion = "6.7"
	a.LicenseProductVersion = "6.0"

	p := &esx.HostConfigInfo.Product
	p.FullName = "VMware ESXi 6.7.0 build-8169922"
	p.Version = "6.7.0"
	p.Build = "8169922"
	p.ApiVersion = "6.7"
}

// selfSignedCert returns a certificate for 127.0.0.1, ::1 and localhost, and its certificate and
// key in PEM. It is its own CA so that it can be given to a client as its only trust anchor.
func selfSignedCert() (cert tls.Certificate, certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "127.0.0.1", Organization: []string{"nestwarden scenario"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return cert, nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, keyPEM, nil
}

// writeFileAtomic replaces path whole, so that a reader (or a start after a kill) never sees half
// a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := ioutil.TempFile(filepath.Dir(path), "."+filepath.Base(path)+".")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// tlsDirCert reuses dir/cert.pem and dir/key.pem, or makes and writes both when either is missing,
// so that a client pinning cert.pem keeps verifying a restarted server. A pair that exists but is
// unusable is an error rather than replaced: a client may have pinned it. dir/.lock keeps two
// instances sharing the directory from writing different pairs.
func tlsDirCert(dir string) (tls.Certificate, []byte, error) {
	if err := os.MkdirAll(dir, 0700); err != nil {
		return tls.Certificate{}, nil, err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0600)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	defer lock.Close()
	if err = syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return tls.Certificate{}, nil, err
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM, cerr := ioutil.ReadFile(certPath)
	keyPEM, kerr := ioutil.ReadFile(keyPath)
	if cerr == nil && kerr == nil {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err == nil {
			cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
		}
		if err == nil {
			now := time.Now()
			if now.Before(cert.Leaf.NotBefore) || now.After(cert.Leaf.NotAfter) {
				err = fmt.Errorf("not valid now (%v to %v)", cert.Leaf.NotBefore, cert.Leaf.NotAfter)
			} else {
				err = cert.Leaf.VerifyHostname("127.0.0.1")
			}
		}
		if err != nil {
			return tls.Certificate{}, nil, fmt.Errorf("-tls-dir %s: %v (remove cert.pem and key.pem to make new ones)", dir, err)
		}
		return cert, certPEM, nil
	}
	for _, e := range []error{cerr, kerr} {
		if e != nil && !os.IsNotExist(e) {
			return tls.Certificate{}, nil, e
		}
	}
	cert, certPEM, keyPEM, err := selfSignedCert()
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	// The key first: a kill between the two leaves no cert.pem, and the next start makes a new pair.
	if err = writeFileAtomic(keyPath, keyPEM, 0600); err == nil {
		err = writeFileAtomic(certPath, certPEM, 0644)
	}
	return cert, certPEM, err
}

// readyGate holds the TLS handshake of every client until open is called, except our own setup
// client, which names setupServerName in SNI (clients of 127.0.0.1 send no SNI). The port must be
// listening before the world is complete (the tags are made through the vAPI endpoint), and a
// client reconnecting to a restarted simulator must not see VMs without their tags meanwhile.
type readyGate struct {
	once sync.Once
	ch   chan struct{}
}

const setupServerName = "nw-scenario-setup.invalid"

func newReadyGate() *readyGate { return &readyGate{ch: make(chan struct{})} }

func (g *readyGate) open() { g.once.Do(func() { close(g.ch) }) }

func (g *readyGate) hold(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	if hello.ServerName == setupServerName {
		return nil, nil
	}
	select {
	case <-g.ch:
		return nil, nil
	case <-hello.Context().Done():
		return nil, hello.Context().Err()
	}
}

type serverConfig struct {
	Listen   string
	User     string
	Password string
	CertOut  string
	TLSDir   string // keep the certificate and key here across restarts
	VAPI     string // rest, api or both (see vapi.go)
}

// server is the running simulator: the vcsim server, its vAPI front (see vapi.go), the path of
// the certificate for clients ("" if none was asked for) and the gate to open once ready.
type server struct {
	*simulator.Server
	front  *vapiFront
	caFile string
	gate   *readyGate
}

// startServer serves the model; clients other than setupTags wait until gate.open().
func startServer(m *simulator.Model, cfg serverConfig) (*server, error) {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("-listen %q: %v", cfg.Listen, err)
	}
	if err = checkVAPIMode(cfg.VAPI); err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("-listen %q: only a loopback address is allowed", cfg.Listen)
	}

	var cert tls.Certificate
	var pemCert []byte
	caFile := ""
	if cfg.TLSDir != "" {
		if cert, pemCert, err = tlsDirCert(cfg.TLSDir); err != nil {
			return nil, err
		}
		if caFile, err = filepath.Abs(filepath.Join(cfg.TLSDir, "cert.pem")); err != nil {
			return nil, err
		}
	} else if cert, pemCert, _, err = selfSignedCert(); err != nil {
		return nil, err
	}
	if cfg.CertOut != "" {
		if caFile, err = filepath.Abs(cfg.CertOut); err != nil {
			return nil, err
		}
		if err = writeFileAtomic(caFile, pemCert, 0644); err != nil {
			return nil, err
		}
	}

	mux := http.NewServeMux()
	front := newVAPIFront(mux, cfg.VAPI, cfg.User, cfg.Password)
	gate := newReadyGate()

	s := m.Service
	s.ServeMux = mux
	installSOAPFront(mux, s, host)
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, GetConfigForClient: gate.hold}
	s.RegisterEndpoints = true
	// SessionManager.Login compares against Listen.User unless it is vcsim's DefaultLogin.
	s.Listen = &url.URL{Host: cfg.Listen, User: url.UserPassword(cfg.User, cfg.Password)}

	waitForPort(cfg.Listen, 5*time.Second)
	srv, err := newServer(s)
	if err != nil {
		return nil, err
	}
	return &server{Server: srv, front: front, caFile: caFile, gate: gate}, nil
}

// waitForPort gives a fixed port held by a predecessor that is being killed a moment to come free:
// vcsim's NewServer cannot be tried twice (it registers its handlers before it listens).
func waitForPort(addr string, limit time.Duration) {
	if _, port, _ := net.SplitHostPort(addr); port == "0" {
		return
	}
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if l, err := net.Listen("tcp", addr); err == nil {
			_ = l.Close()
			return
		}
	}
}

// newServer turns vcsim's panic on a busy or bad listen address into an error.
func newServer(s *simulator.Service) (srv *simulator.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("serve: %v", r)
		}
	}()
	return s.NewServer(), nil
}
