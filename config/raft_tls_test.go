package config

import (
	"strings"
	"testing"
)

// TestClusterRaftTLS: [cluster.raft.tls] loads, round-trips through
// TOML(), and is refused when enabled without all three files.
func TestClusterRaftTLS(t *testing.T) {
	cfg := mustLoad(t, writeFile(t, raftNode1+`
[cluster.raft.tls]
enabled = true
cert_file = "node.pem"
key_file = "node-key.pem"
ca_file = "ca.pem"
`))
	want := RaftTLS{Enabled: true, CertFile: "node.pem", KeyFile: "node-key.pem", CAFile: "ca.pem"}
	if cfg.Cluster.Raft.TLS != want {
		t.Fatalf("[cluster.raft.tls] = %+v, want %+v", cfg.Cluster.Raft.TLS, want)
	}
	if back := mustLoad(t, writeFile(t, string(cfg.TOML()))); back.Cluster.Raft.TLS != want {
		t.Fatalf("does not round-trip through TOML(): %+v", back.Cluster.Raft.TLS)
	}
	_, err := Load(writeFile(t, raftNode1+`
[cluster.raft.tls]
enabled = true
cert_file = "node.pem"
key_file = "node-key.pem"
`), nil)
	if err == nil || !strings.Contains(err.Error(), "cluster.raft.tls") || !strings.Contains(err.Error(), "ca_file") {
		t.Fatalf("enabled without ca_file: %v", err)
	}
}
