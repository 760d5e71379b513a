package integration

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchIdleConnections: --idle-connections holds that many logged-in
// connections open beside the actors while the run lasts, and the report
// records them.
func TestBenchIdleConnections(t *testing.T) {
	s := Start(t, "", "SHALE_SYSTEM_LOGGING_LEVEL=warn")
	out := filepath.Join(t.TempDir(), "idle.json")
	cmd := exec.Command(Binary(t), "bench", "pp", "tcp", "--tcp-server-address", s.Ports.TCP, "--username", RootUser,
		"--password", RootPassword, "--no-progress", "-m", "100", "-p", "10", "-d", "3s", "--rate-limit", "100KB",
		"--idle-connections", "30", "-o", out)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	most := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("shale bench: %v\n%s", err, logs.String())
			}
			running = false
		case <-time.After(50 * time.Millisecond):
			most = max(most, connectedClients(t, s.Ports.HTTP))
		}
	}
	// 30 idle and 1 producer; the run's own setup connection may or may not
	// still be counted.
	if most < 31 {
		t.Errorf("at most %d clients connected during the run, want at least 31", most)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Params struct {
			Idle int `json:"idle_connections"`
		} `json:"params"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Params.Idle != 30 {
		t.Errorf("report records %d idle connections (%v), want 30", r.Params.Idle, err)
	}
	if !strings.Contains(logs.String(), "30 idle connections") {
		t.Errorf("report text does not mention the idle connections:\n%s", logs.String())
	}
}

// connectedClients reads shale_clients from /metrics.
func connectedClients(t *testing.T, httpAddr string) int {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "shale_clients "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return int(n)
		}
	}
	return -1
}
