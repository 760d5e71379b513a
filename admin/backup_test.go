package admin_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/admin/admintest"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// fill writes a small but complete state: two topics, messages with headers
// in every partition, a stored consumer offset, a group, a user and a PAT.
func fill(t *testing.T, e *brokertest.Env) (token string) {
	t.Helper()
	b := e.Broker
	if _, err := b.CreateStream(e.Root, "orders"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"eu", "us"} {
		if _, err := b.CreateTopic(e.Root, broker.ByName("orders"), broker.TopicSpec{Name: name, PartitionsCount: 2, Compression: 1}); err != nil {
			t.Fatal(err)
		}
	}
	hdrs := wire.AppendUserHeaders(nil, wire.UserHeader{Key: wire.StringHeader("k"), Value: wire.StringHeader("v")})
	for p := range uint32(2) {
		var msgs []byte
		for i := range 50 {
			msgs = wire.AppendSendMessage(msgs, nil, uint64(i), []byte(fmt.Sprintf("message %d of partition %d, padded %s", i, p, strings.Repeat("x", 200))), hdrs)
		}
		if err := b.Send(e.Root, broker.ByName("orders"), broker.ByName("eu"), broker.Partitioning{Kind: broker.PartitionID, ID: p}, msgs, 50); err != nil {
			t.Fatal(err)
		}
	}
	part := uint32(1)
	if err := b.StoreConsumerOffset(e.Root, broker.Consumer{ID: broker.ByID(7)}, broker.ByName("orders"), broker.ByName("eu"), &part, 41); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateGroup(e.Root, broker.ByName("orders"), broker.ByName("eu"), "billing"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateUser(e.Root, "reader", "reader-pass", wire.UserActive, nil); err != nil {
		t.Fatal(err)
	}
	token, err := b.CreateToken(e.Root, "ci-token", 0)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func takeBackup(t *testing.T, e *brokertest.Env) ([]byte, *admin.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	// A cap well above what this backup needs still takes the paced path.
	m, n, err := admin.Stream(e.Broker, &buf, admin.BackupOptions{ShaleVersion: "test", MaxRate: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("Stream reported %d bytes, wrote %d", n, buf.Len())
	}
	return buf.Bytes(), m
}

func checkpointsLeft(t *testing.T, dataDir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dataDir, "checkpoints"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	token := fill(t, e)
	archive, m := takeBackup(t, e)
	if left := checkpointsLeft(t, dataDir); len(left) != 0 {
		t.Fatalf("checkpoints left behind: %v", left)
	}

	// The manifest describes the copy.
	if m.Format != admin.FormatVersion || m.ShaleVersion != "test" || m.Durability != "sync" {
		t.Fatalf("manifest header: %+v", m)
	}
	if len(m.Streams) != 1 || len(m.Streams[0].Topics) != 2 {
		t.Fatalf("manifest streams: %+v", m.Streams)
	}
	eu := m.Streams[0].Topics[0]
	if eu.Name != "eu" || len(eu.Partitions) != 2 || len(eu.Groups) != 1 || eu.Groups[0].Name != "billing" {
		t.Fatalf("manifest topic: %+v", eu)
	}
	for _, p := range eu.Partitions {
		if p.FirstOffset != 0 || p.LastOffset != 49 || p.NextOffset != 50 || p.MessagesCount != 50 {
			t.Fatalf("manifest partition %d: %+v", p.ID, p)
		}
	}
	if co := eu.Partitions[1].ConsumerOffsets; len(co) != 1 || co[0] != (broker.StoredOffset{Kind: "consumer", Consumer: 7, Offset: 41}) {
		t.Fatalf("consumer offsets: %+v", co)
	}
	if len(m.Users) != 2 || m.Users[1].Username != "reader" || m.Users[0].Tokens != 1 {
		t.Fatalf("users: %+v", m.Users)
	}

	// Verify reads back the same manifest.
	got, err := admin.Read(bytes.NewReader(archive), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Files) != len(m.Files) || got.CreatedAt != m.CreatedAt {
		t.Fatalf("verified manifest differs: %+v", got)
	}
	var desc bytes.Buffer
	got.Describe(&desc)
	if !strings.Contains(desc.String(), `topic 0 "eu"`) || !strings.Contains(desc.String(), "offsets 0..49, 50 messages") {
		t.Fatalf("Describe:\n%s", desc.String())
	}

	// Restore elsewhere; the Check hook sees the unpacked database.
	path := filepath.Join(t.TempDir(), "b"+admin.Extension)
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	checked := false
	if _, err := admin.Restore(path, target, admin.RestoreOptions{Check: func(dir string, _ *admin.Manifest) error {
		checked = true
		entries, err := os.ReadDir(dir)
		if err == nil && len(entries) != len(m.Files) {
			err = fmt.Errorf("%d files unpacked, manifest has %d", len(entries), len(m.Files))
		}
		return err
	}}); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("Check was not called")
	}

	// Poll everything from the original and the restored database.
	want := pollAll(t, e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	r := openRestored(t, target)
	if got := pollAll(t, r); !bytes.Equal(got, want) {
		t.Fatalf("restored messages differ (%d vs %d bytes)", len(got), len(want))
	}
	part := uint32(1)
	off, ok, err := r.Broker.ConsumerOffset(r.Root, broker.Consumer{ID: broker.ByID(7)}, broker.ByName("orders"), broker.ByName("eu"), &part)
	if err != nil || !ok || off.StoredOffset != 41 {
		t.Fatalf("consumer offset after restore: %+v %v %v", off, ok, err)
	}
	s := r.Session(t)
	if _, err := r.Broker.LoginWithToken(s, token); err != nil {
		t.Fatalf("PAT login after restore: %v", err)
	}
	if _, err := r.Broker.Login(r.Session(t), "reader", "reader-pass"); err != nil {
		t.Fatalf("login after restore: %v", err)
	}
	// A producer continues at the next offset.
	msgs := wire.AppendSendMessage(nil, nil, 0, []byte("after"), nil)
	if err := r.Broker.Send(r.Root, broker.ByName("orders"), broker.ByName("eu"), broker.Partitioning{Kind: broker.PartitionID, ID: 0}, msgs, 1); err != nil {
		t.Fatal(err)
	}
	if info, _ := r.Log.Topic(0, 0); info.Partitions[0].CurrentOffset != 50 {
		t.Fatalf("next message got offset %d, want 50", info.Partitions[0].CurrentOffset)
	}
}

func openRestored(t *testing.T, dataDir string) *brokertest.Env {
	t.Helper()
	return brokertest.NewOnDisk(t, dataDir)
}

// pollAll returns every message of topic eu, partitions in order, exactly as
// stored (ids, offsets, timestamps, headers, payloads).
func pollAll(t *testing.T, e *brokertest.Env) []byte {
	t.Helper()
	var out []byte
	for p := range uint32(2) {
		part := p
		_, got, err := e.Broker.PollMessages(e.Root, broker.Poll{Consumer: broker.Consumer{ID: broker.ByID(1)},
			Stream: broker.ByName("orders"), Topic: broker.ByName("eu"), Partition: &part,
			Strategy: broker.StrategyOffset, Count: 1000}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	if len(out) == 0 {
		t.Fatal("nothing polled")
	}
	return out
}

func TestCorruptArchivesAreRefused(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	fill(t, e)
	// About 2 MB of incompressible messages, flushed to an sstable, so
	// the archive spans many compressed blocks.
	payload := make([]byte, 1000)
	var msgs []byte
	for i := range 2000 {
		_, _ = rand.Read(payload)
		msgs = wire.AppendSendMessage(msgs, nil, uint64(i), payload, nil)
	}
	if err := e.Broker.Send(e.Root, broker.ByName("orders"), broker.ByName("us"), broker.Partitioning{Kind: broker.PartitionID, ID: 0}, msgs, 2000); err != nil {
		t.Fatal(err)
	}
	if err := e.Log.Flush(); err != nil {
		t.Fatal(err)
	}
	archive, m := takeBackup(t, e)
	// The largest file holds the messages.
	big := m.Files[0]
	for _, f := range m.Files {
		if f.Size > big.Size {
			big = f
		}
	}
	cases := []struct {
		name     string
		archive  []byte
		wantFile string
		wantErr  error
	}{
		{"flipped byte in a data file", admintest.RewriteArchive(t, archive, func(name string, b []byte) []byte {
			if name == admin.DBPrefix+big.Name {
				b[len(b)/2] ^= 0x01
			}
			return b
		}), admin.DBPrefix + big.Name, admin.ErrChecksum},
		{"truncated archive", archive[:len(archive)*2/3], admin.DBPrefix + "*", admin.ErrTruncated},
		{"truncated in the manifest", archive[:100], admin.ManifestName, admin.ErrTruncated},
		{"wrong manifest checksum", admintest.RewriteArchive(t, archive, func(name string, b []byte) []byte {
			if name == admin.ManifestSumName {
				return []byte(admin.ChecksumPrefix + strings.Repeat("0", 32) + "\n")
			}
			return b
		}), admin.ManifestName, admin.ErrChecksum},
		{"edited manifest", admintest.RewriteArchive(t, archive, func(name string, b []byte) []byte {
			if name == admin.ManifestName {
				return bytes.Replace(b, []byte(`"orders"`), []byte(`"ordres"`), 1)
			}
			return b
		}), admin.ManifestName, admin.ErrChecksum},
		{"newer format", admintest.RewriteArchive(t, archive, func(name string, b []byte) []byte {
			return b
		}), "", nil}, // replaced below
		{"not an archive", []byte("hello, this is not zstd"), admin.ManifestName, nil},
	}
	// A newer format with a correct checksum: the refusal must be about the
	// version, not about corruption.
	var newer []byte
	newer = admintest.RewriteArchive(t, archive, func(name string, b []byte) []byte {
		if name == admin.ManifestName {
			b = bytes.Replace(b, []byte(`"format": 1`), []byte(`"format": 99`), 1)
			newer = b
		}
		if name == admin.ManifestSumName {
			return []byte(admin.ChecksumOf(newer) + "\n")
		}
		return b
	})
	cases[5].archive, cases[5].wantFile, cases[5].wantErr = newer, admin.ManifestName, admin.ErrNewerFormat

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := admin.Read(bytes.NewReader(tc.archive), nil)
			checkRefusal(t, err, tc.wantFile, tc.wantErr)

			// Restore refuses it too and leaves the target as it was: an
			// absent directory absent, an empty one empty.
			path := filepath.Join(t.TempDir(), "bad"+admin.Extension)
			if err := os.WriteFile(path, tc.archive, 0o644); err != nil {
				t.Fatal(err)
			}
			absent := filepath.Join(t.TempDir(), "absent")
			_, err = admin.Restore(path, absent, admin.RestoreOptions{})
			checkRefusal(t, err, tc.wantFile, tc.wantErr)
			if _, err := os.Stat(absent); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("restore created %s: %v", absent, err)
			}
			empty := t.TempDir()
			_, err = admin.Restore(path, empty, admin.RestoreOptions{})
			checkRefusal(t, err, tc.wantFile, tc.wantErr)
			if entries, _ := os.ReadDir(empty); len(entries) != 0 {
				t.Fatalf("restore left %d entries in %s", len(entries), empty)
			}
		})
	}
}

func checkRefusal(t *testing.T, err error, wantFile string, wantErr error) {
	t.Helper()
	var fe *admin.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want a *FileError", err)
	}
	if prefix, ok := strings.CutSuffix(wantFile, "*"); ok && !strings.HasPrefix(fe.Name, prefix) {
		t.Fatalf("error names %q, want one under %q (%v)", fe.Name, prefix, err)
	} else if !ok && wantFile != "" && fe.Name != wantFile {
		t.Fatalf("error names %q, want %q (%v)", fe.Name, wantFile, err)
	}
	if wantErr != nil && !errors.Is(err, wantErr) {
		t.Fatalf("got %v, want %v", err, wantErr)
	}
	t.Logf("refused: %v", err)
}

// failAfter accepts n bytes, then fails like a closed connection.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errors.New("connection reset by peer")
	}
	w.n -= len(p)
	return len(p), nil
}

func TestAbortedBackupLeavesNoCheckpoint(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	fill(t, e)
	bk, err := admin.Prepare(e.Broker, admin.BackupOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if left := checkpointsLeft(t, dataDir); len(left) != 1 {
		t.Fatalf("want one checkpoint while the backup runs, have %v", left)
	}
	if _, err := bk.WriteTo(&failAfter{n: 1000}); err == nil {
		t.Fatal("WriteTo to a failing writer succeeded")
	}
	if err := bk.Close(); err != nil {
		t.Fatal(err)
	}
	if left := checkpointsLeft(t, dataDir); len(left) != 0 {
		t.Fatalf("checkpoints left behind: %v", left)
	}
	// The server goes on.
	msgs := wire.AppendSendMessage(nil, nil, 0, []byte("after"), nil)
	if err := e.Broker.Send(e.Root, broker.ByName("orders"), broker.ByName("eu"), broker.Partitioning{Kind: broker.PartitionID, ID: 0}, msgs, 1); err != nil {
		t.Fatal(err)
	}
	// A leftover from a crash is removed at startup.
	if err := os.MkdirAll(filepath.Join(dataDir, "checkpoints", "ckpt-1-abc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Broker.RemoveStaleCheckpoints(); n != 1 || err != nil {
		t.Fatalf("RemoveStaleCheckpoints = %d, %v", n, err)
	}
}

func TestRestoreRefusesNonEmptyDirectory(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	fill(t, e)
	archive, _ := takeBackup(t, e)
	path := filepath.Join(t.TempDir(), "b"+admin.Extension)
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	target := t.TempDir()
	if err := os.MkdirAll(filepath.Join(target, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(target, "db", "junk"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Restore(path, target, admin.RestoreOptions{}); !errors.Is(err, admin.ErrNotEmpty) {
		t.Fatalf("got %v, want ErrNotEmpty", err)
	}
	if _, err := os.Stat(filepath.Join(target, "db", "junk")); err != nil {
		t.Fatal("refused restore touched the directory")
	}
	// A failing Check leaves it as it was too.
	if _, err := admin.Restore(path, target, admin.RestoreOptions{Force: true, Check: func(string, *admin.Manifest) error {
		return errors.New("no")
	}}); err == nil {
		t.Fatal("restore with a failing check succeeded")
	}
	if _, err := os.Stat(filepath.Join(target, "db", "junk")); err != nil {
		t.Fatal("failed restore touched the directory")
	}
	if _, err := admin.Restore(path, target, admin.RestoreOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(target, "db", "junk")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("forced restore kept the old database")
	}
	entries, _ := os.ReadDir(target)
	if len(entries) != 1 {
		t.Fatalf("forced restore left %d entries, want only db", len(entries))
	}
	// It opens.
	db, err := kv.Open(filepath.Join(target, "db"), kv.Options{CacheSize: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := log.Open(db, log.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := l.Stats(); st.Messages != 100 {
		t.Fatalf("restored %d messages, want 100", st.Messages)
	}
	if _, err := auth.Open(db, auth.Options{}); err != nil {
		t.Fatal(err)
	}
}
