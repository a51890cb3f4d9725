// Serving: TLS with a certificate a client can pin through ca_file, one set of credentials for
// both SOAP and vAPI, and the vCenter 6.7 identity. vcsim's own test certificate is a 1024-bit
// RSA key, which OpenSSL 3 refuses at its default security level, so we make our own.
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
	"path/filepath"
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

// selfSignedCert returns a certificate for 127.0.0.1, ::1 and localhost. It is its own CA so
// that it can be given to a client as its only trust anchor.
func selfSignedCert() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
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
		return tls.Certificate{}, nil, err
	}
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemCert, nil
}

type serverConfig struct {
	Listen   string
	User     string
	Password string
	CertOut  string
	VAPI     string // rest, api or both (see vapi.go)
}

// startServer serves the model. It returns the server, its vAPI front (see vapi.go) and the path
// of the written certificate.
func startServer(m *simulator.Model, cfg serverConfig) (*simulator.Server, *vapiFront, string, error) {
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, nil, "", fmt.Errorf("-listen %q: %v", cfg.Listen, err)
	}
	if err = checkVAPIMode(cfg.VAPI); err != nil {
		return nil, nil, "", err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, nil, "", fmt.Errorf("-listen %q: only a loopback address is allowed", cfg.Listen)
	}

	cert, pemCert, err := selfSignedCert()
	if err != nil {
		return nil, nil, "", err
	}
	caFile := ""
	if cfg.CertOut != "" {
		if caFile, err = filepath.Abs(cfg.CertOut); err != nil {
			return nil, nil, "", err
		}
		if err = ioutil.WriteFile(caFile, pemCert, 0644); err != nil {
			return nil, nil, "", err
		}
	}

	mux := http.NewServeMux()
	front := newVAPIFront(mux, cfg.VAPI, cfg.User, cfg.Password)

	s := m.Service
	s.ServeMux = mux
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.RegisterEndpoints = true
	// SessionManager.Login compares against Listen.User unless it is vcsim's DefaultLogin.
	s.Listen = &url.URL{Host: cfg.Listen, User: url.UserPassword(cfg.User, cfg.Password)}

	srv, err := newServer(s)
	if err != nil {
		return nil, nil, "", err
	}
	return srv, front, caFile, nil
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
