package main

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/config"
)

func TestLockedDataDirectory(t *testing.T) {
	dir := t.TempDir()
	first, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockDataDir(dir)
	if err == nil {
		t.Fatal("second lock on the same directory succeeded")
	}
	for _, want := range []string{"in use by another shale", "pid " + strconv.Itoa(os.Getpid()), "started 20"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	first.release()
	again, err := lockDataDir(dir)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.release()
}

func TestCreatableDir(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{dir, true},
		{filepath.Join(dir, "a", "b", "c"), true},
		{filepath.Join(file, "data"), false},
		{filepath.Join(readOnly, "data"), os.Geteuid() == 0},
	} {
		err := creatableDir(tc.path)
		if (err == nil) != tc.ok {
			t.Errorf("creatableDir(%s) = %v, want ok=%v", tc.path, err, tc.ok)
		}
		if _, serr := os.Stat(filepath.Join(dir, "a")); serr == nil {
			t.Fatalf("creatableDir created %s", filepath.Join(dir, "a"))
		}
	}
}

// writeKeyPair writes a self-signed certificate and its key as PEM.
func writeKeyPair(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	cert, err := selfSignedCert()
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.MarshalECPrivateKey(cert.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+"_cert.pem"), filepath.Join(dir, name+"_key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestPreflightCertificates(t *testing.T) {
	dir := t.TempDir()
	certA, keyA := writeKeyPair(t, dir, "a")
	_, keyB := writeKeyPair(t, dir, "b")
	for _, tc := range []struct {
		name    string
		environ []string
		want    string // "" = passes
	}{
		{"given pair on every transport", []string{
			"SHALE_TCP_TLS_ENABLED=true", "SHALE_TCP_TLS_CERT_FILE=" + certA, "SHALE_TCP_TLS_KEY_FILE=" + keyA,
			"SHALE_QUIC_CERTIFICATE_SELF_SIGNED=false", "SHALE_QUIC_CERTIFICATE_CERT_FILE=" + certA, "SHALE_QUIC_CERTIFICATE_KEY_FILE=" + keyA,
			"SHALE_HTTP_TLS_ENABLED=true", "SHALE_HTTP_TLS_CERT_FILE=" + certA, "SHALE_HTTP_TLS_KEY_FILE=" + keyA}, ""},
		{"tcp self-signed when the file is missing", []string{"SHALE_TCP_TLS_ENABLED=true", "SHALE_TCP_TLS_CERT_FILE=" + filepath.Join(dir, "none.pem")}, ""},
		{"http without files", []string{"SHALE_HTTP_TLS_ENABLED=true", "SHALE_HTTP_TLS_CERT_FILE=" + filepath.Join(dir, "none.pem")}, "http.tls"},
		{"http key of another certificate", []string{"SHALE_HTTP_TLS_ENABLED=true", "SHALE_HTTP_TLS_CERT_FILE=" + certA, "SHALE_HTTP_TLS_KEY_FILE=" + keyB}, "does not match"},
		{"quic unreadable key", []string{"SHALE_QUIC_CERTIFICATE_SELF_SIGNED=false", "SHALE_QUIC_CERTIFICATE_CERT_FILE=" + certA,
			"SHALE_QUIC_CERTIFICATE_KEY_FILE=" + filepath.Join(dir, "missing_key.pem")}, "quic.certificate"},
		{"data directory under a file", []string{"SHALE_SYSTEM_PATH=" + filepath.Join(certA, "data")}, "system.path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load("", append([]string{"SHALE_SYSTEM_PATH=" + filepath.Join(dir, "data")}, tc.environ...))
			if err != nil {
				t.Fatal(err)
			}
			_, err = preflight(cfg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("preflight: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("preflight = %v, want an error saying %q", err, tc.want)
			}
			var ee *exitError
			if err != nil && (!errors.As(err, &ee) || ee.code != 2) {
				t.Errorf("error %v is not a configuration error (exit 2)", err)
			}
		})
	}
}

func TestClusterMetadataFromConfig(t *testing.T) {
	load := func(t *testing.T, body string) *config.Config {
		path := filepath.Join(t.TempDir(), "c.toml")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	bound := boundPorts{tcp: 40001, quic: 40002, http: 40003}

	t.Run("off", func(t *testing.T) {
		cfg := load(t, "[tcp]\naddress = \"0.0.0.0:8090\"\n[cluster.node.current]\nname = \"ignored\"\n")
		got := clusterMetadata(cfg, bound, true)
		want := broker.Cluster{Name: "single-node", Nodes: []broker.Node{{Name: "iggy-node", IP: "0.0.0.0",
			TCPPort: 40001, QUICPort: 40002, HTTPPort: 40003, WSPort: 8092}}}
		if !equalCluster(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("on", func(t *testing.T) {
		cfg := load(t, `
[tcp]
address = "127.0.0.1:7000"
[quic]
address = "127.0.0.1:7001"
[http]
address = "127.0.0.1:7002"
[websocket]
address = "127.0.0.1:7003"
[cluster]
enabled = true
name = "prod"
[cluster.node.current]
name = "n1"
ip = "10.0.0.1"
[[cluster.node.others]]
name = "n2"
ip = "10.0.0.2"
ports = { tcp = 8091, quic = 8081, http = 3001, websocket = 8093 }
[[cluster.node.others]]
name = "n3"
ip = "10.0.0.3"
ports = { http = 3002 }
`)
		want := broker.Cluster{Name: "prod", Nodes: []broker.Node{
			{Name: "n1", IP: "10.0.0.1", TCPPort: 40001, QUICPort: 40002, HTTPPort: 40003, WSPort: 7003},
			{Name: "n2", IP: "10.0.0.2", TCPPort: 8091, QUICPort: 8081, HTTPPort: 3001, WSPort: 8093, Follower: true},
			{Name: "n3", IP: "10.0.0.3", TCPPort: 7000, QUICPort: 7001, HTTPPort: 3002, WSPort: 7003, Follower: true},
		}}
		if got := clusterMetadata(cfg, bound, false); !equalCluster(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
		// --follower swaps the roles; nothing bound reports the configured ports.
		got := clusterMetadata(cfg, boundPorts{}, true)
		if !got.Nodes[0].Follower || got.Nodes[1].Follower || got.Nodes[0].TCPPort != 7000 || got.Nodes[0].HTTPPort != 7002 {
			t.Errorf("follower: %+v", got)
		}
	})
}

func equalCluster(a, b broker.Cluster) bool {
	if a.Name != b.Name || len(a.Nodes) != len(b.Nodes) {
		return false
	}
	for i := range a.Nodes {
		if a.Nodes[i] != b.Nodes[i] {
			return false
		}
	}
	return true
}

func TestAddressParts(t *testing.T) {
	for _, tc := range []struct {
		addr string
		host string
		port uint16
	}{
		{"127.0.0.1:8090", "127.0.0.1", 8090},
		{"[::1]:3000", "::1", 3000},
		{"0.0.0.0:0", "0.0.0.0", 0},
		{"localhost", "localhost", 0},
	} {
		if h, p := addressHost(tc.addr), addressPort(tc.addr); h != tc.host || p != tc.port {
			t.Errorf("%s: %s %d, want %s %d", tc.addr, h, p, tc.host, tc.port)
		}
	}
}
