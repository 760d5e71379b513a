package integration

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shalemq/shale/admin/admintest"
	"github.com/shalemq/shale/wire"
)

// largestEntry names the biggest db/ file of an archive.
func largestEntry(t *testing.T, archive []byte) string {
	t.Helper()
	name, size := "", -1
	admintest.RewriteArchive(t, archive, func(n string, b []byte) []byte {
		if strings.HasPrefix(n, "db/") && len(b) > size {
			name, size = n, len(b)
		}
		return b
	})
	return name
}

func fillRandom(t *testing.T, s *Server, batches int) {
	t.Helper()
	c := dialTCP(t, s)
	login(t, c)
	ctx := context.Background()
	if _, err := c.CreateStream(ctx, "backups"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(ctx, &wire.CreateTopic{Stream: bkStream, PartitionsCount: 1, Compression: wire.CompressionNone, Name: "events"}); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 1000)
	for range batches {
		var msgs []byte
		for range 1000 {
			_, _ = rand.Read(payload)
			msgs = wire.AppendSendMessage(msgs, nil, 0, payload, nil)
		}
		if err := c.Send(ctx, bkStream, bkTopic, wire.PartitionID(0), 1000, msgs); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCorruptBackupsAreRefused: a flipped byte in a message file, a
// truncated archive and a wrong manifest checksum are refused by `shale
// backup verify` and `shale restore` with a message naming the broken file,
// and restore leaves its target as it was.
func TestCorruptBackupsAreRefused(t *testing.T) {
	s := Start(t, "")
	fillRandom(t, s, 2)
	good := filepath.Join(t.TempDir(), "good.tar.zst")
	httpBackup(t, s, good)
	archive, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	big := largestEntry(t, archive)
	cases := []struct {
		name, names string
		archive     []byte
	}{
		{"flipped byte", big, admintest.RewriteArchive(t, archive, func(n string, b []byte) []byte {
			if n == big {
				b[len(b)/2] ^= 0x20
			}
			return b
		})},
		{"truncated", "db/", archive[:len(archive)/2]},
		{"wrong manifest checksum", "manifest.json", admintest.RewriteArchive(t, archive, func(n string, b []byte) []byte {
			if n == "manifest.json.xxh3" {
				return []byte("xxh3-128:0123456789abcdef0123456789abcdef\n")
			}
			return b
		})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.tar.zst")
			if err := os.WriteFile(path, tc.archive, 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := shaleCmd(t, nil, "backup", "verify", path)
			if err == nil || !strings.Contains(out, tc.names) {
				t.Fatalf("verify: %v, want a refusal naming %s:\n%s", err, tc.names, out)
			}
			t.Logf("verify: %s", strings.TrimSpace(out))
			absent := filepath.Join(t.TempDir(), "absent")
			out, err = shaleCmd(t, nil, "restore", "--from", path, "--data-dir", absent)
			if err == nil || !strings.Contains(out, tc.names) {
				t.Fatalf("restore: %v, want a refusal naming %s:\n%s", err, tc.names, out)
			}
			if _, err := os.Stat(absent); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("restore created %s", absent)
			}
			empty := t.TempDir()
			if out, err := shaleCmd(t, nil, "restore", "--from", path, "--data-dir", empty); err == nil {
				t.Fatalf("restore into an empty directory succeeded:\n%s", out)
			}
			if entries, _ := os.ReadDir(empty); len(entries) != 0 {
				t.Fatalf("restore left %d entries behind", len(entries))
			}
		})
	}
	// Not over a used directory, and not even with --force while a
	// server has the database open.
	if out, err := shaleCmd(t, nil, "restore", "--from", good, "--data-dir", s.Dir); err == nil || !strings.Contains(out, "not empty") {
		t.Fatalf("restore over a live data directory: %v\n%s", err, out)
	}
	if out, err := shaleCmd(t, nil, "restore", "--force", "--from", good, "--data-dir", s.Dir); err == nil || !strings.Contains(out, "in use") {
		t.Fatalf("restore --force over a running server's database: %v\n%s", err, out)
	}
	c := dialTCP(t, s)
	login(t, c)
	if p, err := c.Poll(context.Background(), wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: bkStream, Topic: bkTopic, Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollOffset}, Count: 10}); err != nil || p.Count != 10 {
		t.Fatalf("the server after the refused restores: %+v %v", p, err)
	}
	// Stopped, the same forced restore replaces its database.
	s.Stop()
	if out, err := shaleCmd(t, nil, "restore", "--force", "--from", good, "--data-dir", s.Dir); err != nil {
		t.Fatalf("restore --force over a stopped server's database: %v\n%s", err, out)
	}
}

// TestBackupClientAbort: a client that goes away mid-stream leaves no
// checkpoint behind and the server serving (and backing up) as before.
func TestBackupClientAbort(t *testing.T) {
	s := Start(t, "")
	fillRandom(t, s, 24) // 24 MB of incompressible payload
	req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+backupPath, nil)
	req.Header.Set("Authorization", "Bearer "+httpLogin(t, s, RootUser, RootPassword))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(io.Discard, resp.Body, 64<<10); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Dir, "checkpoints")); len(entries) != 1 {
		t.Fatalf("want one checkpoint while the backup streams, have %d", len(entries))
	}
	resp.Body.Close() // mid-stream: the connection is dropped
	deadline := time.Now().Add(2 * time.Minute)
	for {
		entries, _ := os.ReadDir(filepath.Join(s.Dir, "checkpoints"))
		if len(entries) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the checkpoint was not removed after the client went away\n%s", s.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitLines(t, s, "backup stream ended early", 1)
	// The server goes on: writes, reads and another backup.
	c := dialTCP(t, s)
	login(t, c)
	if err := c.Send(context.Background(), bkStream, bkTopic, wire.PartitionID(0), 1, wire.AppendSendMessage(nil, nil, 0, []byte("still here"), nil)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "after.tar.zst")
	httpBackup(t, s, path)
	if out, err := shaleCmd(t, nil, "backup", "verify", path); err != nil || !strings.Contains(out, "24001 messages") {
		t.Fatalf("verify the next backup: %v\n%s", err, out)
	}
}

// TestBackupProgressOnTerminal runs `shale backup` under a pseudo-terminal
// (script(1)), as a person would: a progress line with bytes and rate is
// redrawn on stderr, then one summary line; without a terminal there is no
// progress line.
func TestBackupProgressOnTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Fatal("script(1) from util-linux is needed")
	}
	s := Start(t, "")
	fillRandom(t, s, 4)
	dir := t.TempDir()
	cmdline := Binary(t) + " backup --out " + filepath.Join(dir, "tty.tar.zst") + " --http-api-url http://" + s.Ports.HTTP +
		" --username " + RootUser + " --password " + RootPassword
	out, err := exec.Command("script", "-qec", cmdline, "/dev/null").CombinedOutput()
	if err != nil {
		t.Fatalf("shale backup under a terminal: %v\n%q", err, out)
	}
	text := string(out)
	if !strings.Contains(text, "\r\x1b[Kbackup: ") || !strings.Contains(text, " received, ") || !strings.Contains(text, "MB/s") {
		t.Fatalf("no progress line on the terminal:\n%q", text)
	}
	if !strings.Contains(text, "tty.tar.zst: ") || !strings.Contains(text, "4000 messages") {
		t.Fatalf("no summary line:\n%q", text)
	}
	t.Logf("terminal showed: %q", text)
	plain, err := shaleCmd(t, nil, "backup", "--out", filepath.Join(dir, "plain.tar.zst"), "--http-api-url", "http://"+s.Ports.HTTP,
		"--username", RootUser, "--password", RootPassword)
	if err != nil || strings.Contains(plain, "received") {
		t.Fatalf("without a terminal: %v\n%q", err, plain)
	}
	// Refused users learn what a backup needs.
	c := dialTCP(t, s)
	login(t, c)
	if _, err := c.Do(context.Background(), &wire.CreateUser{Username: "ops", Password: "ops-secret", Status: 1,
		Permissions: &wire.Permissions{Global: wire.GlobalPermissions{ManageServers: true, ReadServers: true}}}); err != nil {
		t.Fatal(err)
	}
	refused, err := shaleCmd(t, nil, "backup", "--out", filepath.Join(dir, "ops.tar.zst"), "--http-api-url", "http://"+s.Ports.HTTP,
		"--username", "ops", "--password", "ops-secret")
	if err == nil || !strings.Contains(refused, "manage_servers, read_streams and manage_users") {
		t.Fatalf("a user without the rights: %v\n%s", err, refused)
	}
	if _, err := os.Stat(filepath.Join(dir, "ops.tar.zst.partial")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a refused backup left a partial file")
	}
}
