package integration

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// waitLines waits until the server has logged n lines containing substr.
func waitLines(t *testing.T, s *Server, substr string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for len(s.Lines(substr)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d %q lines\n%s", n, substr, s.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func backupRuns(t *testing.T, s *Server, result string) int {
	t.Helper()
	resp, err := http.Get("http://" + s.Ports.HTTP + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`shale_backup_runs_total\{result="` + result + `"\} (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no shale_backup_runs_total{result=%q} in /metrics", result)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestScheduledBackups: on a short interval the server keeps writing
// verified archives and prunes to keep_last; a schedule that cannot write
// logs and counts its failures and the server goes on.
func TestScheduledBackups(t *testing.T) {
	s := Start(t, "", "SHALE_BACKUP_ENABLED=true", "SHALE_BACKUP_INTERVAL=200ms", "SHALE_BACKUP_KEEP_LAST=2")
	fillRandom(t, s, 1)
	// Runs may have happened while the data went in; the last two kept
	// must come after it (at most one was in flight when it finished).
	seen := len(s.Lines("scheduled backup written"))
	waitLines(t, s, "scheduled backup written", seen+4)
	if n := backupRuns(t, s, "ok"); n < seen+4 {
		t.Fatalf("shale_backup_runs_total{result=\"ok\"} = %d after %d runs", n, seen+4)
	}
	s.Stop() // no run in flight while the directory is read
	dir := filepath.Join(s.Dir, "backups")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Fatalf("backups directory holds %v, want the last 2 archives", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "shale-backup-") || !strings.HasSuffix(n, ".tar.zst") {
			t.Fatalf("unexpected file %s", n)
		}
		if out, err := shaleCmd(t, nil, "backup", "verify", filepath.Join(dir, n)); err != nil || !strings.Contains(out, "1000 messages") {
			t.Fatalf("verify %s: %v\n%s", n, err, out)
		}
	}

	// A directory that cannot be created: failures are logged and counted.
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	f := Start(t, "", "SHALE_BACKUP_ENABLED=true", "SHALE_BACKUP_INTERVAL=200ms", "SHALE_BACKUP_DIRECTORY="+blocker)
	waitLines(t, f, "scheduled backup failed", 2)
	if n := backupRuns(t, f, "error"); n < 2 {
		t.Fatalf("shale_backup_runs_total{result=\"error\"} = %d after 2 failures", n)
	}
	c := dialTCP(t, f)
	login(t, c)
	if entries, _ := os.ReadDir(filepath.Join(f.Dir, "checkpoints")); len(entries) != 0 {
		t.Fatalf("failed runs left %d checkpoints", len(entries))
	}
}
