package cluster_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shalemq/shale/cluster"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
	pem  []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue signs a node certificate; it returns it and its key as PEM.
func (ca *testCA) issue(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// files writes a node's certificate, key and the CA to dir and loads them
// with cluster.TLSConfig, as cmd/shale does.
func (ca *testCA) files(t *testing.T, name string) *tls.Config {
	t.Helper()
	dir := t.TempDir()
	certPEM, keyPEM := ca.issue(t, name)
	for file, body := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "ca.pem": ca.pem} {
		if err := os.WriteFile(filepath.Join(dir, file), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tc, err := cluster.TLSConfig(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// TestTLSCluster: three nodes replicate over mutual TLS; a peer whose
// certificate another CA signed, or that speaks plain TCP, is refused and
// gets nothing through; and a node refuses a server whose certificate the
// cluster's CA did not sign.
func TestTLSCluster(t *testing.T) {
	ca := newCA(t, "cluster CA")
	c := newCluster(t, 3, cluster.Config{TLS: ca.files(t, "node")})
	lead := c.leader()
	st, tp := makeTopic(t, lead.l, "secure", "t", 1)
	for i := range 10 {
		send(t, lead.l, st.ID, tp.ID, 0, fmt.Sprintf("m%d", i))
	}
	c.converged()
	term := lead.n.Status().Term

	// Not accepted: a certificate of another CA, or no TLS at all. Each
	// sends the transport's hello and a vote request of a far higher term,
	// which would depose the leader if it were delivered.
	rogue := newCA(t, "rogue CA")
	certPEM, keyPEM := rogue.issue(t, "intruder")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	addr := lead.n.Addr()
	intrude := func(what string, conn net.Conn) {
		t.Helper()
		defer conn.Close()
		frame := []byte{'s', 'h', 'r', 'a', 'f', 't', 0, 1}
		// A raftpb.Message: type MsgVote (5), to the leader, from 9, term 1000.
		msg := []byte{0x08, 0x05, 0x10, byte(lead.id), 0x18, 0x09, 0x20, 0xe8, 0x07}
		frame = append(frame, byte(len(msg)), 0, 0, 0)
		frame = append(frame, msg...)
		_, _ = conn.Write(frame)
		// A node that accepted the connection would keep it open and read
		// on; a refused one is closed at once. The deadline is a
		// liveness bound.
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		_, err := io.ReadAll(conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("%s: the node kept the connection open", what)
		}
		t.Logf("%s: closed by the node (%v)", what, err)
	}
	rc, err := tls.Dial("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}, InsecureSkipVerify: true})
	if err == nil {
		intrude("untrusted certificate", rc)
	} else {
		t.Logf("untrusted certificate: refused in the handshake: %v", err)
	}
	pc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	intrude("plain TCP", pc)
	if s := lead.n.Status(); s.Term != term || !s.Writable {
		t.Fatalf("an intruder reached raft: term %d → %d, writable %v", term, s.Term, s.Writable)
	}
	send(t, lead.l, st.ID, tp.ID, 0, "after the intruders")
	c.converged()

	// A node dialling a server with a certificate of another CA refuses it.
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAnyClientCert})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			_, _ = io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), ca.files(t, "node"))
	if err == nil {
		conn.Close()
		t.Fatal("a node accepted a server whose certificate another CA signed")
	}
	t.Logf("a node dialling an untrusted server: %v", err)
}

// TestTLSCatchUpFromSnapshot: a follower catches up from a snapshot,
// streamed over its own connection, under mutual TLS.
func TestTLSCatchUpFromSnapshot(t *testing.T) {
	catchUp(t, cluster.Config{CompactEvery: 4, LogKeep: 1, TLS: newCA(t, "cluster CA").files(t, "node")})
}
