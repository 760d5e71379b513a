package log_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/wire"
)

// TestTruncateConcurrentWithAppends truncates while producers append and
// checks that the counters still describe the stored messages exactly, and
// still do after a restart.
func TestTruncateConcurrentWithAppends(t *testing.T) {
	e := newEnv(t, log.Options{ChunkSize: 4096})
	p := e.onePartition()
	const producers, appends = 4, 200
	var wg sync.WaitGroup
	for w := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range appends {
				msgs, n := batch(nil, []string{fmt.Sprintf("w%d-%d", w, i), "x", "a longer payload to vary sizes"})
				if _, err := p.Append(msgs, n); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	truncErr := make(chan error, 1)
	go func() {
		var last uint64
		for range 100 {
			info := p.Info()
			// Half-way between first and next: usually inside a chunk.
			b := info.FirstOffset + (info.NextOffset-info.FirstOffset)/2
			tr, err := p.TruncateBefore(b)
			if err != nil {
				truncErr <- err
				return
			}
			if tr.First < last {
				truncErr <- fmt.Errorf("first went back from %d to %d", last, tr.First)
				return
			}
			last = tr.First
		}
		truncErr <- nil
	}()
	wg.Wait()
	if err := <-truncErr; err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		info := p.Info()
		var bytes, count uint64
		next := info.FirstOffset
		if err := p.ScanChunks(0, func(c log.ChunkSummary) bool {
			if c.First != next {
				t.Errorf("chunk starts at %d, want %d", c.First, next)
			}
			next = c.End
			bytes += c.Bytes
			count += c.End - c.First
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if bytes != info.SizeBytes || count != info.MessagesCount || next != info.NextOffset {
			t.Fatalf("counters say %d messages, %d bytes up to %d; stored: %d messages, %d bytes up to %d",
				info.MessagesCount, info.SizeBytes, info.NextOffset, count, bytes, next)
		}
		if info.NextOffset != producers*appends*3 {
			t.Fatalf("next offset %d, want %d", info.NextOffset, producers*appends*3)
		}
	}
	check()
	e.close()
	e.open()
	var err error
	if p, err = e.l.Partition(0, 0, 0); err != nil {
		t.Fatal(err)
	}
	check()
}

// TestTruncateDeletedPartition: a partition deleted while someone holds it
// refuses truncation with its not-found code.
func TestTruncateDeletedPartition(t *testing.T) {
	e := newEnv(t, log.Options{})
	p := e.onePartition()
	msgs, n := batch(nil, []string{"a", "b"})
	if _, err := p.Append(msgs, n); err != nil {
		t.Fatal(err)
	}
	if err := e.l.DeleteTopic(0, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := p.TruncateBefore(1); !errors.Is(err, wire.ErrTopicIDNotFound) {
		t.Fatalf("truncate after delete: %v, want topic_id_not_found", err)
	}
}
