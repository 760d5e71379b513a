package integration

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// TestCheckConfig runs `shale serve --check-config`: a bad configuration
// lists every problem at once and exits non-zero; a good one prints the
// effective configuration and exits 0.
func TestCheckConfig(t *testing.T) {
	bin := Binary(t)
	cmd := exec.Command(bin, "serve", "--check-config")
	cmd.Env = append(os.Environ(), "SHALE_SYSTEM_DURABILITY_MODE=sometimes", "IGGY_HTTP_JWT_ALGORITHM=RS999",
		"SHALE_SYSTEM_PATH="+t.TempDir())
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("bad config: exit %v, want 2\n%s", err, out)
	}
	for _, key := range []string{"system.durability.mode", "http.jwt.algorithm"} {
		if !strings.Contains(string(out), key) {
			t.Errorf("problem list lacks %s:\n%s", key, out)
		}
	}
	cmd = exec.Command(bin, "serve", "--check-config")
	cmd.Env = append(os.Environ(), "SHALE_SYSTEM_PATH="+t.TempDir(), "SHALE_HTTP_JWT_ENCODING_SECRET=top-secret")
	out, err = cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "configuration is valid") || strings.Contains(string(out), "top-secret") {
		t.Fatalf("good config: %v\n%s", err, out)
	}
}

// TestGeneratedRootPassword starts without IGGY_ROOT_PASSWORD: a random
// password is printed once, works, and survives a restart unchanged.
func TestGeneratedRootPassword(t *testing.T) {
	s := Start(t, "", "IGGY_ROOT_PASSWORD=")
	m := regexp.MustCompile(`generated password \(shown only now\):\s+(\S+)`).FindStringSubmatch(s.Output())
	if m == nil {
		t.Fatalf("no generated password in the output:\n%s", s.Output())
	}
	password := m[1]
	c := dialTCP(t, s)
	if _, err := c.Login(context.Background(), RootUser, password); err != nil {
		t.Fatalf("login with the generated password: %v", err)
	}
	if _, err := c.Login(context.Background(), RootUser, "iggy"); !errors.Is(err, wire.ErrInvalidCredentials) {
		t.Fatalf("the well-known default works: %v", err)
	}
	s.Stop()
	s2 := Start(t, s.Dir, "IGGY_ROOT_PASSWORD=")
	if strings.Contains(s2.Output(), "generated password") {
		t.Fatal("a second password was generated on restart")
	}
	if _, err := dialTCP(t, s2).Login(context.Background(), RootUser, password); err != nil {
		t.Fatalf("login after restart: %v", err)
	}
}

// TestHTTPMetricsAndLimits checks what cmd/shale wires around the REST API:
// a public /metrics and the request body limit.
func TestHTTPMetricsAndLimits(t *testing.T) {
	s := Start(t, "", "SHALE_HTTP_MAX_REQUEST_SIZE=1000 B")
	resp, err := http.Get("http://" + s.Ports.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "shale_") {
		t.Fatalf("/metrics: %d\n%.300s", resp.StatusCode, body)
	}
	resp, err = http.Post("http://"+s.Ports.HTTP+"/users/login", "application/json", strings.NewReader(strings.Repeat(" ", 5000)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d, want 413", resp.StatusCode)
	}
}

// TestHeartbeatEviction turns heartbeats on: a client that stops pinging is
// dropped and its next command is answered 30 and the connection closed.
func TestHeartbeatEviction(t *testing.T) {
	s := Start(t, "", "SHALE_HEARTBEAT_ENABLED=true", "SHALE_HEARTBEAT_INTERVAL=100ms")
	c := dialTCP(t, s)
	if err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Wait for the server to report the eviction rather than for a time.
	deadline := time.Now().Add(20 * time.Second)
	for len(s.Lines("dropped stale clients")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no eviction:\n%s", s.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, wire.ErrStaleClient) {
		t.Fatalf("command after eviction: %v, want stale_client", err)
	}
}
