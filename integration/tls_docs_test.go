package integration

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// docBlock returns the first ```sh block after heading in a document.
func docBlock(t *testing.T, doc, heading string) string {
	t.Helper()
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), heading+"\n")
	if !ok {
		t.Fatalf("%s has no %q", doc, heading)
	}
	_, rest, ok = strings.Cut(rest, "```sh\n")
	if !ok {
		t.Fatalf("%s: no sh block after %q", doc, heading)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("%s: sh block after %q not closed", doc, heading)
	}
	return block
}

// startIn runs `shale serve args...` from the working directory dir, with
// the data in dir/data and free ports, as Start does.
func startIn(t *testing.T, dir string, args ...string) *Server {
	t.Helper()
	s := &Server{Dir: filepath.Join(dir, "data"), t: t, stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.Env = append(os.Environ(), "SHALE_SYSTEM_PATH="+s.Dir, "SHALE_TCP_ADDRESS=127.0.0.1:0",
		"SHALE_QUIC_ADDRESS=127.0.0.1:0", "SHALE_HTTP_ADDRESS=127.0.0.1:0",
		"IGGY_ROOT_USERNAME="+RootUser, "IGGY_ROOT_PASSWORD="+RootPassword)
	s.cmd = exec.Command(Binary(t), append([]string{"serve"}, args...)...)
	s.cmd.Dir = dir
	s.cmd.Env = s.Env
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(s.Stop)
	if err := s.waitReady(30 * time.Second); err != nil {
		t.Fatalf("shale did not start: %v\n%s", err, s.Output())
	}
	return s
}

// TestTLSFromOperationsDoc follows docs/operations.md "Enable TLS on all
// three transports" as written: make the certificate and the config, start
// the server from that directory, then connect over TCP, QUIC and HTTPS
// verifying the certificate (and with curl as the document shows).
func TestTLSFromOperationsDoc(t *testing.T) {
	for _, tool := range []string{"openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (.ci/run installs it)", tool)
		}
	}
	script := docBlock(t, "../docs/operations.md", "### Enable TLS on all three transports")
	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the document's TLS block failed: %v\n%s", err, out)
	}
	s := startIn(t, dir, "--config", "shale-tls.toml")
	for _, transport := range []string{"tcp", "quic", "http"} {
		if len(s.Lines(transport+" listening")) != 1 {
			t.Fatalf("no %s listener:\n%s", transport, s.Output())
		}
	}

	pem, err := os.ReadFile(filepath.Join(dir, "certs", "shale_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("certs/shale_cert.pem holds no certificate")
	}
	verify := func() *tls.Config { return &tls.Config{RootCAs: roots, ServerName: "localhost"} }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dials := []struct {
		name string
		dial func() (*client.Client, error)
	}{
		{"tcp+tls", func() (*client.Client, error) { return client.Dial(ctx, s.Ports.TCP, client.Options{TLS: verify()}) }},
		{"quic", func() (*client.Client, error) {
			return client.DialQUIC(ctx, s.Ports.QUIC, client.Options{TLS: verify()})
		}},
		{"https", func() (*client.Client, error) {
			return client.DialHTTP(ctx, "https://"+s.Ports.HTTP, client.Options{TLS: verify()})
		}},
	}
	for _, d := range dials {
		c, err := d.dial()
		if err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		if _, err := c.Login(ctx, RootUser, RootPassword); err != nil {
			t.Fatalf("%s login: %v", d.name, err)
		}
		var st wire.Stats
		b, err := c.Do(ctx, &wire.GetStats{})
		if err != nil || st.Decode(b) != nil {
			t.Fatalf("%s stats: %v", d.name, err)
		}
		_ = c.Close()
	}

	// Plain TCP is refused on the TLS port: the handshake is required.
	if c, err := client.Dial(ctx, s.Ports.TCP, client.Options{Timeout: 5 * time.Second}); err == nil {
		if _, err := c.Login(ctx, RootUser, RootPassword); err == nil {
			t.Error("a plain TCP login worked on the TLS port")
		}
		_ = c.Close()
	}

	// The document's curl line, against the bound port.
	const curl = "curl --cacert certs/shale_cert.pem https://localhost:3000/ping"
	if !strings.Contains(string(mustRead(t, "../docs/operations.md")), curl) {
		t.Fatal("docs/operations.md no longer shows the curl line this test runs")
	}
	_, port, _ := strings.Cut(s.Ports.HTTP, ":")
	cmd = exec.Command("bash", "-c", strings.ReplaceAll(curl, "localhost:3000", "localhost:"+port)+" --silent --show-error")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pong") {
		t.Fatalf("curl over HTTPS: %v\n%s", err, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
