package integration

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// probeConsumer stores offsets only for the linearizable-read step of
// TestClusterPartition; the checker reads checkerConsumer's alone.
const probeConsumer = checkerConsumer + 2

func probeRef(w *Workload) wire.OffsetRef {
	return wire.OffsetRef{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(probeConsumer)},
		Stream: wire.NamedID(w.Stream), Topic: wire.NamedID(w.Topic), Partition: wire.SomePartition(0)}
}

// storeProbe stores the probe consumer's offset on partition 0 through
// node i, retrying while the node is not yet able to (a leader still
// settling), for up to a minute.
func storeProbe(t *testing.T, c *Cluster, w *Workload, i int, v uint64) {
	t.Helper()
	var err error
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		err = c.OnNode(i, func(ctx context.Context, cl *client.Client) error { return cl.StoreOffset(ctx, probeRef(w), v) })
		if err == nil {
			return
		}
	}
	t.Fatalf("store offset %d through %s: %v", v, c.Nodes[i].Name, err)
}

// readProbe reads the probe consumer's offset on node i.
func readProbe(c *Cluster, w *Workload, i int) (v uint64, ok bool, err error) {
	err = c.OnNode(i, func(ctx context.Context, cl *client.Client) error {
		off, found, err := cl.Offset(ctx, probeRef(w))
		v, ok = off.StoredOffset, found
		return err
	})
	return v, ok, err
}

// checkLinearizableOffsets: with node old cut off and nl leading the
// majority, nl stores a newer probe offset than the one every node held;
// old, whose database still holds the previous one, must refuse the read
// with code 8 (it cannot confirm with a majority) rather than answer it,
// and nl answers the new offset.
func checkLinearizableOffsets(t *testing.T, c *Cluster, w *Workload, old, nl int, before uint64) {
	t.Helper()
	storeProbe(t, c, w, nl, before+1)
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		var v uint64
		var ok bool
		v, ok, err = readProbe(c, w, old)
		if err == nil {
			t.Fatalf("%s, cut off, answered the probe offset %d (stored: %v); the majority stored %d", c.Nodes[old].Name, v, ok, before+1)
		}
		if errors.Is(err, wire.ErrDisconnected) {
			break
		}
		// Its connection closed as it stepped down: a refusal too, but
		// ask again for the answer itself.
		t.Logf("offset read on %s, cut off: %v", c.Nodes[old].Name, err)
	}
	if !errors.Is(err, wire.ErrDisconnected) {
		t.Fatalf("offset read on %s, cut off: %v, want disconnected (8)", c.Nodes[old].Name, err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		v, ok, err := readProbe(c, w, nl)
		if err == nil {
			if !ok || v != before+1 {
				t.Fatalf("%s, leading the majority, answered the probe offset %d (stored: %v), want %d", c.Nodes[nl].Name, v, ok, before+1)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("offset read on %s, leading the majority: %v", c.Nodes[nl].Name, err)
		}
	}
}
