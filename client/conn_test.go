package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shalemq/shale/wire"
)

// echoServer answers every request frame with status 0 and the frame's
// payload, so a test sees exactly what the client put on the wire.
func echoServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		h := make([]byte, wire.RequestHeaderSize)
		var resp []byte // reused, so the server adds no allocations to the client's
		for {
			if _, err := io.ReadFull(conn, h); err != nil {
				return
			}
			n := int(binary.LittleEndian.Uint32(h)) - 4
			resp = wire.AppendResponseHeader(resp[:0], 0, uint32(n))
			resp = append(resp, make([]byte, n)...)[:wire.ResponseHeaderSize+n]
			if _, err := io.ReadFull(conn, resp[wire.ResponseHeaderSize:]); err != nil {
				return
			}
			if _, err := conn.Write(resp); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String()
}

// A batch past splitMin goes out as a head and the caller's message block;
// the bytes on the wire are the frame AppendRequest builds, and the frames
// either side of it are intact.
func TestSendWritesOneFrameFromTwoBuffers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, echoServer(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var msgs []byte
	for i := range 3 {
		msgs = wire.AppendSendMessage(msgs, nil, uint64(i), bytes.Repeat([]byte{byte('a' + i)}, splitMin), nil)
	}
	for _, req := range []wire.Request{
		&wire.Ping{},
		&wire.SendMessages{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), Partitioning: wire.PartitionID(2), Count: 3, Messages: msgs},
		&wire.SendMessages{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), Partitioning: wire.Balanced(), Count: 1, Messages: msgs[:64+splitMin]},
		&wire.SendMessages{Stream: wire.NamedID("s"), Topic: wire.NumericID(1), Partitioning: wire.Balanced(), Count: 1,
			Messages: wire.AppendSendMessage(nil, nil, 0, []byte("small"), nil)},
		&wire.Ping{},
	} {
		got, err := c.Do(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if want := wire.AppendRequest(nil, req)[wire.RequestHeaderSize:]; !bytes.Equal(got, want) {
			t.Fatalf("%T: server read %d bytes, want %d", req, len(got), len(want))
		}
	}
}

// BenchmarkSplitSend is one send of a 64 KiB batch, written from the
// caller's messages, to a server that echoes it; allocs/op is the client's
// (the server reuses its buffers) and was 2 while the writev slice was
// rebuilt for every send, 1 (the response header) since.
func BenchmarkSplitSend(b *testing.B) {
	ctx := context.Background()
	c, err := Dial(ctx, echoServer(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var msgs []byte
	for range 4 {
		msgs = wire.AppendSendMessage(msgs, nil, 0, make([]byte, splitMin), nil)
	}
	req := &wire.SendMessages{Stream: wire.NumericID(1), Topic: wire.NumericID(1), Partitioning: wire.PartitionID(0), Count: 4,
		Indexes: wire.AppendIndexes(nil, msgs), Messages: msgs}
	dst := make([]byte, 0, 2*len(msgs))
	b.SetBytes(int64(len(msgs)))
	b.ReportAllocs()
	for range b.N {
		if _, err := c.DoInto(ctx, req, dst); err != nil {
			b.Fatal(err)
		}
	}
}
