package integration

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Root credentials every test server starts with.
const (
	RootUser     = "iggy"
	RootPassword = "iggy-secret"
)

// Ports is the ports file cmd/shale writes into the data directory once its
// listeners are bound (runtime/ports.json).
type Ports struct {
	TCP  string `json:"tcp,omitempty"`
	QUIC string `json:"quic,omitempty"`
	HTTP string `json:"http,omitempty"`
}

// Server is a running bin/shale.
type Server struct {
	Dir   string // data directory
	Ports Ports
	Env   []string

	t      testing.TB
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan error
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	builtDir  string // the directory Binary built into; removed when the tests end
)

// removeBinary deletes the binary Binary built (TestMain calls it once
// every test has run), so test runs leave no build behind in the temp
// directory.
func removeBinary() {
	if builtDir != "" {
		_ = os.RemoveAll(builtDir)
	}
}

// Binary builds cmd/shale once per test process and returns its path, or
// returns $TEST_SHALE_BINARY when set (a build of one's own: a profiling
// build, a release binary to benchmark).
func Binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		if p := os.Getenv("TEST_SHALE_BINARY"); p != "" {
			binPath, buildErr = filepath.Abs(p)
			return
		}
		dir, err := os.MkdirTemp("", "shale-integration-")
		if err != nil {
			buildErr = err
			return
		}
		builtDir = dir
		binPath = filepath.Join(dir, "shale")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "../cmd/shale")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// Start runs bin/shale on free loopback ports with a fresh data directory
// (or dir, when given, to restart over existing data) and waits until its
// listeners are up. extraEnv entries (KEY=VALUE) override the defaults.
// The server is stopped when the test ends.
func Start(t testing.TB, dir string, extraEnv ...string) *Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s := &Server{Dir: dir, t: t, stderr: &syncBuffer{}, done: make(chan error, 1)}
	s.Env = append(os.Environ(),
		"SHALE_SYSTEM_PATH="+dir,
		"SHALE_TCP_ADDRESS=127.0.0.1:0",
		"SHALE_QUIC_ADDRESS=127.0.0.1:0",
		"SHALE_HTTP_ADDRESS=127.0.0.1:0",
		"IGGY_ROOT_USERNAME="+RootUser,
		"IGGY_ROOT_PASSWORD="+RootPassword,
		"SHALE_SYSTEM_LOGGING_LEVEL=debug",
	)
	s.Env = append(s.Env, extraEnv...)
	_ = os.Remove(filepath.Join(dir, "runtime", "ports.json"))
	s.cmd = exec.Command(Binary(t), "serve")
	s.cmd.Env = s.Env
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start shale: %v", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.Stop() })
	if err := s.waitReady(30 * time.Second); err != nil {
		t.Fatalf("shale did not start: %v\n%s", err, s.stderr.String())
	}
	return s
}

func (s *Server) waitReady(timeout time.Duration) error {
	path := filepath.Join(s.Dir, "runtime", "ports.json")
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &s.Ports) == nil && s.Ports.TCP != "" {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("no ports file after " + timeout.String())
}

// Stop sends SIGTERM and waits for a clean exit; it fails the test if the
// server exits non-zero or takes longer than 30 s. Idempotent.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil && !strings.Contains(err.Error(), "Wait was already called") {
			s.t.Errorf("shale exited with %v\n%s", err, s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("shale did not stop within 30s\n%s", s.stderr.String())
	}
	s.cmd = nil
}

// Kill ends the server with SIGKILL, as a crash would.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.done <- nil
	s.cmd = nil
}

// Output is what the server logged so far.
func (s *Server) Output() string { return s.stderr.String() }

// Lines returns the logged lines containing substr.
func (s *Server) Lines(substr string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), substr) {
			out = append(out, sc.Text())
		}
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var _ io.Writer = (*syncBuffer)(nil)
