package integration

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64

func newCert(t *testing.T, tmpl *x509.Certificate, parent *testCA) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	parentCert, parentKey := tmpl, crypto.Signer(key)
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
}

// writeChain makes root → intermediate → leaf for localhost and writes
// the leaf with its intermediate (the chain a server presents) and the
// leaf's key; it returns the root to trust.
func writeChain(t *testing.T, dir string) (root *x509.Certificate, certFile, keyFile string) {
	t.Helper()
	rootCA := newCert(t, caTemplate("shale test root"), nil)
	inter := newCert(t, caTemplate("shale test intermediate"), rootCA)
	leaf := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, inter)
	var chain []byte
	for _, c := range []*x509.Certificate{leaf.cert, inter.cert} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(leaf.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "chain.pem"), filepath.Join(dir, "leaf-key.pem")
	if err := os.WriteFile(certFile, chain, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return rootCA.cert, certFile, keyFile
}

// TestTLSWithCAChain serves TCP, HTTP and QUIC with a certificate signed
// by an intermediate of a root made here. A client that trusts the root
// and names localhost connects on each; TLS 1.2 is accepted on TCP and
// HTTP (QUIC is TLS 1.3 only) and TLS 1.1 refused; a wrong server name
// and a client that does not trust the root are both refused.
func TestTLSWithCAChain(t *testing.T) {
	dir := t.TempDir()
	root, cert, key := writeChain(t, dir)
	s := Start(t, "",
		"SHALE_TCP_TLS_ENABLED=true", "SHALE_TCP_TLS_SELF_SIGNED=false",
		"SHALE_TCP_TLS_CERT_FILE="+cert, "SHALE_TCP_TLS_KEY_FILE="+key,
		"SHALE_HTTP_TLS_ENABLED=true", "SHALE_HTTP_TLS_CERT_FILE="+cert, "SHALE_HTTP_TLS_KEY_FILE="+key,
		"SHALE_QUIC_CERTIFICATE_SELF_SIGNED=false",
		"SHALE_QUIC_CERTIFICATE_CERT_FILE="+cert, "SHALE_QUIC_CERTIFICATE_KEY_FILE="+key)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	good := func() *tls.Config { return &tls.Config{RootCAs: pool, ServerName: "localhost"} }

	for name, addr := range map[string]string{"tcp": s.Ports.TCP, "http": s.Ports.HTTP} {
		t.Run(name, func(t *testing.T) {
			handshake := func(cfg *tls.Config) (tls.ConnectionState, error) {
				c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
				if err != nil {
					return tls.ConnectionState{}, err
				}
				defer c.Close()
				return c.ConnectionState(), nil
			}
			if st, err := handshake(good()); err != nil || st.Version != tls.VersionTLS13 || len(st.VerifiedChains) == 0 || len(st.VerifiedChains[0]) != 3 {
				t.Errorf("trusted handshake: %v, version %x, chains %d", err, st.Version, len(st.VerifiedChains))
			}
			tls12 := good()
			tls12.MaxVersion = tls.VersionTLS12
			if st, err := handshake(tls12); err != nil || st.Version != tls.VersionTLS12 {
				t.Errorf("TLS 1.2 handshake: %v, version %x", err, st.Version)
			}
			tls11 := good()
			tls11.MinVersion, tls11.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
			if _, err := handshake(tls11); err == nil {
				t.Error("a TLS 1.1 client was accepted")
			}
			wrong := good()
			wrong.ServerName = "wrong.example"
			var hostErr x509.HostnameError
			if _, err := handshake(wrong); !errors.As(err, &hostErr) {
				t.Errorf("wrong server name: %v, want a hostname error", err)
			}
			var unknown x509.UnknownAuthorityError
			if _, err := handshake(&tls.Config{ServerName: "localhost"}); !errors.As(err, &unknown) {
				t.Errorf("untrusted root: %v, want an unknown authority error", err)
			}
		})
	}

	t.Run("binary", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for name, dial := range map[string]func(cfg *tls.Config) (*client.Client, error){
			"tcp": func(cfg *tls.Config) (*client.Client, error) {
				return client.Dial(ctx, s.Ports.TCP, client.Options{TLS: cfg})
			},
			"quic": func(cfg *tls.Config) (*client.Client, error) {
				return client.DialQUIC(ctx, s.Ports.QUIC, client.Options{TLS: cfg})
			},
		} {
			c, err := dial(good())
			if err != nil {
				t.Fatalf("%s: dial trusting the root: %v", name, err)
			}
			if _, err := c.Login(ctx, RootUser, RootPassword); err != nil {
				t.Errorf("%s: login over TLS: %v", name, err)
			}
			c.Close()
			wrong := good()
			wrong.ServerName = "wrong.example"
			if c, err := dial(wrong); err == nil {
				// TCP's handshake may wait for the first request.
				if err = c.Ping(ctx); err == nil {
					t.Errorf("%s: a wrong server name was accepted", name)
				}
				c.Close()
			}
		}
	})
}
