package http

import (
	"encoding/json"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

func TestAppendU128(t *testing.T) {
	const chunk = 10_000_000_000_000_000_000
	cases := [][2]uint64{{0, 0}, {0, 1}, {0, 1<<64 - 1}, {1, 0}, {1<<64 - 1, 1<<64 - 1},
		{0, chunk}, {0, chunk - 1}, {5, 0x8ac7230489e80000}, {chunk, 0}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		cases = append(cases, [2]uint64{r.Uint64() >> r.IntN(64), r.Uint64()})
	}
	for _, c := range cases {
		want := new(big.Int).Lsh(new(big.Int).SetUint64(c[0]), 64)
		want.Or(want, new(big.Int).SetUint64(c[1]))
		if got := string(appendU128Parts(nil, c[0], c[1])); got != want.String() {
			t.Fatalf("hi %d lo %d: %s, want %s", c[0], c[1], got, want)
		}
	}
}

// benchPoll is 1,000 messages of 1 KB with random (UUID-sized) ids, the
// answer the end-to-end benchmark polls.
func benchPoll(tb testing.TB) []byte {
	tb.Helper()
	payload := make([]byte, 1000)
	var batch []byte
	for i := range 1000 {
		id := make([]byte, 16)
		for j := range id {
			id[j] = byte(i*7 + j)
		}
		batch = wire.AppendSendMessage(batch, id, uint64(i), payload, nil)
	}
	return batch
}

func TestAppendPolledJSONIsJSON(t *testing.T) {
	msgs := benchPoll(t)
	out := appendPolledJSON(nil, broker.PollResult{PartitionID: 1, CurrentOffset: 999, Count: 1000}, msgs)
	var v struct {
		Count    int `json:"count"`
		Messages []struct {
			Header struct {
				ID json.Number `json:"id"`
			} `json:"header"`
			Payload []byte `json:"payload"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	if v.Count != 1000 || len(v.Messages) != 1000 || len(v.Messages[999].Payload) != 1000 {
		t.Fatalf("count %d, %d messages", v.Count, len(v.Messages))
	}
	id := new(big.Int).SetBytes([]byte{15 + 7, 14 + 7, 13 + 7, 12 + 7, 11 + 7, 10 + 7, 9 + 7, 8 + 7, 7 + 7, 6 + 7, 5 + 7, 4 + 7, 3 + 7, 2 + 7, 1 + 7, 0 + 7})
	if v.Messages[1].Header.ID.String() != id.String() {
		t.Fatalf("id %s, want %s", v.Messages[1].Header.ID, id)
	}
}

func BenchmarkAppendPolledJSON(b *testing.B) {
	msgs := benchPoll(b)
	res := broker.PollResult{PartitionID: 1, CurrentOffset: 999, Count: 1000}
	b.SetBytes(1000 * 1000)
	b.ReportAllocs()
	var out []byte
	for range b.N {
		out = appendPolledJSON(out[:0], res, msgs)
	}
}

// The JSON buffer is sized up front: with every header number at its
// longest and payloads of every length modulo 3 (base64 padding), the
// answer fits polledJSONSize, so rendering never copies it to grow.
func TestPolledJSONSizeFits(t *testing.T) {
	for _, n := range []int{1, 2, 3, 1000} {
		var msgs []byte
		for i := range n {
			start := len(msgs)
			msgs = wire.AppendSendMessage(msgs, nil, 0, make([]byte, i%7), nil)
			h := msgs[start : start+wire.MessageHeaderSize]
			for j := 0; j < 48; j++ { // checksum, id, offset, timestamps
				h[j] = 0xff
			}
			for j := 56; j < 64; j++ { // reserved
				h[j] = 0xff
			}
		}
		res := broker.PollResult{PartitionID: 1<<32 - 1, CurrentOffset: 1<<64 - 1, Count: uint32(n)}
		size := polledJSONSize(len(msgs), res.Count)
		out := appendPolledJSON(make([]byte, 0, size), res, msgs)
		if len(out) > size {
			t.Errorf("%d messages: %d bytes of JSON, room for %d", n, len(out), size)
		}
	}
	// The benchmark's shape, 1 KB payloads: no more than a tenth spare.
	msgs := benchPoll(t)
	res := broker.PollResult{PartitionID: 1, CurrentOffset: 999, Count: 1000}
	out := appendPolledJSON(nil, res, msgs)
	if size := polledJSONSize(len(msgs), 1000); len(out) > size || size > len(out)*11/10 {
		t.Errorf("%d bytes of JSON, room for %d", len(out), size)
	}
}
