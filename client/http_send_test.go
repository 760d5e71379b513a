package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// sendBodyByReflection is the body as encoding/json builds it from the REST
// shapes: what appendSendBody must reproduce byte for byte.
func sendBodyByReflection(t *testing.T, r *wire.SendMessages) []byte {
	value := base64.StdEncoding.EncodeToString(r.Partitioning.Value)
	body := rest.SendMessages{Partitioning: rest.Partitioning{Kind: r.Partitioning.Kind.Name(), Value: &value},
		Messages: []rest.SendMessage{}}
	it := wire.NewMessageIter(r.Messages)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		payload := base64.StdEncoding.EncodeToString(m.Payload())
		mj := rest.SendMessage{ID: strconv.AppendQuote(nil, u128String(m.ID())), Payload: &payload}
		if h := m.UserHeaders(); len(h) > 0 {
			mj.UserHeaders = strconv.AppendQuote(nil, base64.StdEncoding.EncodeToString(h))
		}
		body.Messages = append(body.Messages, mj)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSendBodyMatchesEncodingJSON(t *testing.T) {
	id := func(lo, hi uint64) []byte {
		b := make([]byte, 16)
		for i := range 8 {
			b[i], b[8+i] = byte(lo>>(8*i)), byte(hi>>(8*i))
		}
		return b
	}
	msg := func(dst, id, payload, headers []byte) []byte {
		dst = wire.AppendMessageHeader(dst, id, 7, uint32(len(payload)), uint32(len(headers)))
		return append(append(dst, payload...), headers...)
	}
	var all []byte
	all = msg(all, id(0, 0), []byte("hello"), nil)
	all = msg(all, id(42, 0), []byte{0, 0xff, '"', '\\', '<'}, []byte{1, 2, 3})
	all = msg(all, id(1<<63+5, 0), bytes.Repeat([]byte("x"), 1000), nil)
	all = msg(all, id(3, 1), []byte("a"), nil)
	all = msg(all, id(^uint64(0), ^uint64(0)), []byte("ab"), []byte("hdr"))
	for name, r := range map[string]*wire.SendMessages{
		"balanced, five messages": {Partitioning: wire.Balanced(), Messages: all, Count: 5},
		"partition id":            {Partitioning: wire.PartitionID(3), Messages: msg(nil, id(0, 0), []byte("p"), nil), Count: 1},
		"messages key":            {Partitioning: wire.MessagesKey([]byte("key/+=")), Messages: msg(nil, id(9, 0), []byte("k"), nil), Count: 1},
		"no messages":             {Partitioning: wire.Balanced()},
	} {
		got := appendSendBody(nil, r)
		want := sendBodyByReflection(t, r)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func BenchmarkSendBody(b *testing.B) {
	var msgs []byte
	payload := bytes.Repeat([]byte("p"), 1000)
	for range 1000 {
		msgs = wire.AppendMessageHeader(msgs, make([]byte, 16), 0, uint32(len(payload)), 0)
		msgs = append(msgs, payload...)
	}
	r := &wire.SendMessages{Partitioning: wire.PartitionID(1), Messages: msgs, Count: 1000}
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = appendSendBody(make([]byte, 0, len(msgs)*4/3+1000*64+64), r)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		t := &testing.T{}
		for b.Loop() {
			_ = sendBodyByReflection(t, r)
		}
	})
}
