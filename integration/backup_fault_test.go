package integration

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/shalemq/shale/wire"
)

// rewriteArchive decodes a backup, lets mutate change entries, and encodes
// it again, so a file's bytes can be damaged under valid compression.
func rewriteArchive(t *testing.T, archive []byte, mutate func(name string, body []byte) []byte) []byte {
	t.Helper()
	zr, err := zstd.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw, _ := zstd.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		body = mutate(hdr.Name, body)
		hdr.Size = int64(len(body))
		_ = tw.WriteHeader(hdr)
		_, _ = tw.Write(body)
	}
	_ = tw.Close()
	_ = zw.Close()
	return out.Bytes()
}

// largestEntry names the biggest db/ file of an archive.
func largestEntry(t *testing.T, archive []byte) string {
	t.Helper()
	name, size := "", -1
	rewriteArchive(t, archive, func(n string, b []byte) []byte {
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
		{"flipped byte", big, rewriteArchive(t, archive, func(n string, b []byte) []byte {
			if n == big {
				b[len(b)/2] ^= 0x20
			}
			return b
		})},
		{"truncated", "db/", archive[:len(archive)/2]},
		{"wrong manifest checksum", "manifest.json", rewriteArchive(t, archive, func(n string, b []byte) []byte {
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
	// The good archive still restores, and not over a used directory.
	if out, err := shaleCmd(t, nil, "restore", "--from", good, "--data-dir", s.Dir); err == nil || !strings.Contains(out, "not empty") {
		t.Fatalf("restore over a live data directory: %v\n%s", err, out)
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
	if len(s.Lines("backup stream ended early")) != 1 {
		t.Fatalf("no log line about the aborted backup\n%s", s.Output())
	}
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
