package tcp

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/listeners/binproto"
	"github.com/shalemq/shale/wire"
)

// TestPollAnswerHeldUntilWritten: a poll answer over 64 KiB holds its
// bytes under the request memory budget while the client has not read it
// (the write stalls), and gives them back once it has.
func TestPollAnswerHeldUntilWritten(t *testing.T) {
	const n, payload = 16, 1 << 20
	env, addr := serveLimited(t, broker.Limits{RequestMemory: 64 << 20, PollAnswerBytes: 64 << 20}, binproto.Options{})
	b := env.Broker
	answer := env.Fill(t, n, payload)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(wire.AppendRequest(nil, &wire.LoginUser{Username: brokertest.RootUser, Password: brokertest.RootPassword})); err != nil {
		t.Fatal(err)
	}
	if st := readStatus(t, c); st != 0 {
		t.Fatalf("login: %d", st)
	}
	poll := wire.AppendRequest(nil, &wire.PollMessages{Consumer: wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NumericID(1)},
		Stream: wire.NumericID(0), Topic: wire.NumericID(0), Partition: wire.SomePartition(0),
		Strategy: wire.PollingStrategy{Kind: wire.PollFirst}, Count: 1 << 31})
	if _, err := c.Write(poll); err != nil {
		t.Fatal(err)
	}
	// Once the answer's first bytes arrive, the server is writing it; 16
	// MiB cannot all sit in the sockets' buffers while nothing more is
	// read, so the write stalls with the room held.
	var hdr [8]byte
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatal(err)
	}
	if held := b.RequestMemoryHeld(); held != answer {
		t.Fatalf("%d bytes held while the answer is being written, want %d", held, answer)
	}
	if st, size := binary.LittleEndian.Uint32(hdr[:4]), binary.LittleEndian.Uint32(hdr[4:]); st != 0 || int64(size) != 16+answer {
		t.Fatalf("answer status %d, %d bytes; want 0, %d", st, size, 16+answer)
	}
	if _, err := io.CopyN(io.Discard, c, 16+answer); err != nil {
		t.Fatal(err)
	}
	kvtest.WaitFor(t, 20*time.Second, func() error {
		if held := b.RequestMemoryHeld(); held != 0 {
			return fmt.Errorf("%d bytes still held after the answer was read", held)
		}
		return nil
	})
}
