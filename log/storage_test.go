package log_test

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// storageEnv is a log with a settable free-space figure and a WAL that
// fails fsync on demand.
type storageEnv struct {
	l         *log.Log
	db        *kv.DB
	free      atomic.Uint64
	failFsync atomic.Bool
	part      *log.Partition

	stream, topic, spare uint32
}

func newStorageEnv(t *testing.T) *storageEnv {
	e := &storageEnv{}
	e.free.Store(1 << 40)
	inj := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if e.failFsync.Load() && strings.HasSuffix(op.Path, ".log") &&
			(op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileSyncTo) {
			return syscall.EIO
		}
		return nil
	})
	db, err := kv.Open("db", kv.Options{
		FS:          errorfs.Wrap(vfs.NewMem(), inj),
		MinFreeDisk: 1 << 20,
		FreeDisk:    func(string) (uint64, error) { return e.free.Load(), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	l, err := log.Open(db, log.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.db, e.l = db, l
	s, err := l.CreateStream("s")
	if err != nil {
		t.Fatal(err)
	}
	tp, err := l.CreateTopic(s.ID, log.TopicSpec{Name: "t", PartitionsCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	spare, err := l.CreateTopic(s.ID, log.TopicSpec{Name: "spare", PartitionsCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	e.stream, e.topic, e.spare = s.ID, tp.ID, spare.ID
	if e.part, err = l.Partition(s.ID, tp.ID, 0); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *storageEnv) append(n int) error {
	msgs, count := batch(nil, strings.Split(strings.Repeat("m,", n-1)+"m", ","))
	_, err := e.part.Append(msgs, count)
	return err
}

// polled is how many messages a poll from offset 0 returns.
func (e *storageEnv) polled(t *testing.T) uint32 {
	t.Helper()
	res, _, err := e.part.Poll(nil, log.PollRequest{Strategy: log.StrategyOffset, Count: 1000})
	if err != nil {
		t.Fatalf("poll in a degraded state: %v", err)
	}
	return res.Count
}

// wantCode checks that err carries the protocol code.
func wantCode(t *testing.T, what string, err error, code *wire.Error) {
	t.Helper()
	if got := wire.CodeOf(err); got != code.Code {
		t.Fatalf("%s: code %d (%v), want %d %s", what, got, err, code.Code, code.Name)
	}
}

// TestDiskFullCodes: under the free-space reserve, appends, consumer-offset
// stores and metadata changes are refused with cannot_write_to_file (10006)
// and nothing is written; polls and metadata reads go on; deleting a topic
// (freeing) is allowed; when space returns every write is accepted again
// with no restart.
func TestDiskFullCodes(t *testing.T) {
	e := newStorageEnv(t)
	if err := e.append(5); err != nil {
		t.Fatal(err)
	}
	e.free.Store(1 << 10)
	h := e.l.StorageHealth()
	if h.Degraded != "disk_full" || !strings.Contains(h.Reason, "min_free_disk") {
		t.Fatalf("health on a full disk: %+v", h)
	}
	wantCode(t, "append", e.append(3), log.ErrStorageFull)
	wantCode(t, "store offset", e.part.StoreOffset(log.Consumer{ID: 7}, 2), log.ErrStorageFull)
	_, err := e.l.CreateStream("new")
	wantCode(t, "create stream", err, log.ErrStorageFull)
	_, err = e.l.CreateGroup(e.stream, e.topic, "g")
	wantCode(t, "create group", err, log.ErrStorageFull)
	if n := e.polled(t); n != 5 {
		t.Fatalf("poll on a full disk returned %d messages, want 5", n)
	}
	if got := len(e.l.Streams()); got != 1 {
		t.Fatalf("%d streams after a refused create, want 1", got)
	}
	if err := e.l.DeleteTopic(e.stream, e.spare); err != nil {
		t.Fatalf("deleting a topic on a full disk (frees space): %v", err)
	}

	e.free.Store(1 << 40)
	if h := e.l.StorageHealth(); h.Degraded != "" {
		t.Fatalf("health after space returned: %+v", h)
	}
	if err := e.append(3); err != nil {
		t.Fatalf("append after space returned: %v", err)
	}
	if err := e.part.StoreOffset(log.Consumer{ID: 7}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := e.l.CreateStream("new"); err != nil {
		t.Fatal(err)
	}
	if n := e.polled(t); n != 8 {
		t.Fatalf("poll after recovery returned %d messages, want 8", n)
	}
}

// TestFailedFsyncCodes: a failed WAL fsync answers the append waiting on it
// with cannot_sync_file (10009) and never an acknowledgement; from then on
// every write (appends, offsets, metadata, even deletes) gets 10009 until the
// database is reopened, while polls and metadata reads go on and see only
// what was acknowledged.
func TestFailedFsyncCodes(t *testing.T) {
	e := newStorageEnv(t)
	if err := e.append(5); err != nil {
		t.Fatal(err)
	}
	e.failFsync.Store(true)
	wantCode(t, "append during the fault", e.append(3), log.ErrStorageFailed)
	e.failFsync.Store(false)
	wantCode(t, "append after the fault", e.append(3), log.ErrStorageFailed)
	wantCode(t, "store offset", e.part.StoreOffset(log.Consumer{ID: 7}, 2), log.ErrStorageFailed)
	_, err := e.l.CreateStream("new")
	wantCode(t, "create stream", err, log.ErrStorageFailed)
	wantCode(t, "delete topic", e.l.DeleteTopic(e.stream, e.spare), log.ErrStorageFailed)
	wantCode(t, "purge the partition whose append failed", e.l.PurgeTopic(e.stream, e.topic), log.ErrStorageFailed)
	if !errors.Is(err, kv.ErrFailed) {
		t.Fatalf("create stream: %v does not wrap kv.ErrFailed", err)
	}
	if n := e.polled(t); n != 5 {
		t.Fatalf("poll after a failed fsync returned %d messages, want the 5 acknowledged", n)
	}
	if got := fmt.Sprint(len(e.l.Streams()), len(mustTopics(t, e.l, e.stream))); got != "1 2" {
		t.Fatalf("streams and topics after refused changes: %s, want 1 2", got)
	}
	h := e.l.StorageHealth()
	if h.Degraded != "failed" || !strings.Contains(h.Reason, "until the server restarts") {
		t.Fatalf("health after a failed fsync: %+v", h)
	}
}

func mustTopics(t *testing.T, l *log.Log, stream uint32) []log.TopicInfo {
	t.Helper()
	ts, ok := l.Topics(stream)
	if !ok {
		t.Fatal("stream 1 is gone")
	}
	return ts
}
