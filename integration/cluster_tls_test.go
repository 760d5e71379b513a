package integration

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// writeNodeCert writes a certificate for a raft node signed by ca, with
// its key, as cert.pem and key.pem in dir.
func writeNodeCert(t *testing.T, dir, name string, ca *testCA) {
	t.Helper()
	leaf := newCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}, ca)
	kder, err := x509.MarshalPKCS8PrivateKey(leaf.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestClusterRaftTLS: three `shale serve` nodes with [cluster.raft.tls]
// elect a leader and see each other healthy over mutual TLS; a node
// restarted with a certificate of another CA is refused by both peers
// (they log it and report it unreachable, and it cannot elect itself),
// and once it has its real certificate back it rejoins healthy.
func TestClusterRaftTLS(t *testing.T) {
	root := t.TempDir()
	ca := newCert(t, caTemplate("shale cluster CA"), nil)
	caFile := filepath.Join(root, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 3)
	for i := range dirs {
		dirs[i] = filepath.Join(root, fmt.Sprintf("node-%d", i+1))
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		writeNodeCert(t, dirs[i], fmt.Sprintf("node-%d", i+1), ca)
	}
	c := startTestCluster(t, ClusterOptions{Extra: func(i int) string {
		return fmt.Sprintf("\n[cluster.raft.tls]\nenabled = true\ncert_file = %q\nkey_file = %q\nca_file = %q\n",
			filepath.Join(dirs[i], "cert.pem"), filepath.Join(dirs[i], "key.pem"), caFile)
	}})
	l := mustLeader(t, c)
	c.waitMetadata(t, "over TLS", l)

	// A follower comes back with a certificate the cluster's CA did not
	// sign: the other two refuse it.
	f := c.Others(l)[0]
	c.Stop(f)
	writeNodeCert(t, dirs[f], "impostor", newCert(t, caTemplate("another CA"), nil))
	c.Start(f)
	deadline := time.Now().Add(time.Minute)
	for {
		refused := 0
		for _, i := range c.Others(f) {
			if len(c.Nodes[i].Server.Lines("TLS handshake refused")) > 0 {
				refused++
			}
		}
		if refused == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of the 2 nodes logged refusing %s's certificate", refused, c.Nodes[f].Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Nothing from it gets through: both report it unreachable.
	for deadline := time.Now().Add(time.Minute); ; {
		var wrong []string
		for _, i := range c.Others(f) {
			for _, n := range mustMetadata(t, c, i).Nodes {
				if n.Name == c.Nodes[f].Name && n.Status != wire.NodeUnreachable {
					wrong = append(wrong, fmt.Sprintf("%s reports it %s", c.Nodes[i].Name, wire.NodeStatusName(n.Status)))
				}
			}
		}
		if len(wrong) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s, whose certificate is refused: %v", c.Nodes[f].Name, wrong)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if self, err := c.SelfLeader(t.Context(), f); err != nil || self {
		t.Fatalf("%s with an untrusted certificate: leader %v (err %v)", c.Nodes[f].Name, self, err)
	}

	c.Stop(f)
	writeNodeCert(t, dirs[f], c.Nodes[f].Name, ca)
	c.Start(f)
	l = mustLeader(t, c)
	c.waitMetadata(t, c.Nodes[f].Name+" back with its real certificate", l)
}

func mustMetadata(t *testing.T, c *Cluster, i int) wire.ClusterMetadata {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	md, err := c.Metadata(ctx, i)
	if err != nil {
		t.Fatal(err)
	}
	return md
}
