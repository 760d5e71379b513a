package http

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire/rest"
)

// sendBody is a body as client/ and the SDKs write it: ids as decimal
// strings (or numbers with numericIDs), payloads base64.
func sendBody(tb testing.TB, n, size int, numericIDs bool) []byte {
	tb.Helper()
	v := base64.StdEncoding.EncodeToString([]byte{2, 0, 0, 0})
	body := rest.SendMessages{Partitioning: rest.Partitioning{Kind: "partition_id", Value: &v}}
	r := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	for i := range n {
		p := make([]byte, size)
		for j := range p {
			p[j] = byte(r.Uint32())
		}
		s := base64.StdEncoding.EncodeToString(p)
		id := json.RawMessage(strconv.Quote(strconv.FormatUint(r.Uint64(), 10) + "123456789"))
		if numericIDs {
			id = json.RawMessage(strconv.FormatUint(uint64(i), 10))
		}
		body.Messages = append(body.Messages, rest.SendMessage{ID: id, Payload: &s})
	}
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// sendCases are bodies the fast decoder must either read exactly as the
// general one does or leave to it.
var sendCases = []string{
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":0,"payload":"aGVsbG8="}]}`,
	` { "messages" : [ { "payload" : "aGk=" , "id" : null , "user_headers" : null } ] , "partitioning" : { "value" : "AQAAAA==" , "kind" : "partition_id" } } `,
	`{"partitioning":{"kind":"messages_key","value":"a2V5"},"messages":[{"id":"340282366920938463463374607431768211455","payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":"340282366920938463463374607431768211456","payload":"eA=="}]}`, // u128 overflow
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":"0198f1b2-7c3e-7a00-8000-000000000001","payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":"12345678123456781234567812345678","payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":18446744073709551615,"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":18446744073709551616,"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":-1,"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":1.5,"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":01,"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":"-0","payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":"","payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":""}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"===="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA"}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"e\u0041=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA=="},]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"id":1}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"Payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA==","extra":1}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA==","payload":"eQ=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA==","user_headers":"AQID"}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA==","user_headers":[]}]}`,
	`{"partitioning":{"kind":"partition_id","value":"AQ=="},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"partition_id","value":""},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"sideways","value":""},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":"!!"},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced"},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":null},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":"","x":1},"messages":[{"payload":"eA=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA=="}],"extra":true}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA=="}],"messages":[{"payload":"eQ=="}]}`,
	`{"partitioning":{"kind":"balanced","value":""}}`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA=="}]} x`,
	`{"partitioning":{"kind":"balanced","value":""},"messages":[{"payload":"eA=="}]`,
	`{"partitioning":{"kind":"baléanced","value":""},"messages":[{"payload":"eA=="}]}`,
	`[]`, ``, `null`, `{}`,
}

func decodeBoth(body []byte) (fast, slow string) {
	show := func() string {
		p, batch, n, err := decodeSend(body, 12345)
		if err != nil {
			return fmt.Sprintf("error %T %v", err, err)
		}
		return fmt.Sprintf("%+v %d %x", p, n, batch)
	}
	sendFastPath = false
	slow = show()
	sendFastPath = true
	fast = show()
	return fast, slow
}

func TestDecodeSendFastMatchesJSON(t *testing.T) {
	bodies := [][]byte{sendBody(t, 1000, 1000, false), sendBody(t, 7, 1, true), sendBody(t, 3, 2, false), sendBody(t, 2, 3, false)}
	for _, b := range bodies {
		if _, ok := decodeSendFast(b, 1); !ok {
			t.Errorf("the fast decoder refused a client-shaped body: %.200s", b)
		}
	}
	for _, c := range sendCases {
		bodies = append(bodies, []byte(c))
	}
	for _, b := range bodies {
		if fast, slow := decodeBoth(b); fast != slow {
			t.Errorf("body %.200s\nfast: %.300s\nslow: %.300s", b, fast, slow)
		}
	}
}

// FuzzDecodeSend: whatever the body, the fast path and encoding/json agree
// on the batch or on the error (the fast path may only decline).
func FuzzDecodeSend(f *testing.F) {
	for _, c := range sendCases {
		f.Add([]byte(c))
	}
	f.Add(sendBody(f, 3, 5, false))
	f.Fuzz(func(t *testing.T, body []byte) {
		if fast, slow := decodeBoth(body); fast != slow {
			t.Fatalf("body %q\nfast: %s\nslow: %s", body, fast, slow)
		}
	})
}

func BenchmarkDecodeSend(b *testing.B) {
	body := sendBody(b, 1000, 1000, false)
	for _, fast := range []bool{false, true} {
		b.Run("fast="+strconv.FormatBool(fast), func(b *testing.B) {
			sendFastPath = fast
			defer func() { sendFastPath = true }()
			b.SetBytes(1000 * 1000)
			b.ReportAllocs()
			for range b.N {
				if _, _, n, err := decodeSend(body, 1); err != nil || n != 1000 {
					b.Fatal(n, err)
				}
			}
		})
	}
}

// BenchmarkHTTPPoll is one HTTP poll of 1,000 stored messages of 1 KB through
// the Fiber app, rendering included; allocs/op shows what a poll costs in
// buffers. With budget=true the answer holds its room under
// limits.request_memory until written.
func BenchmarkHTTPPoll(b *testing.B) {
	b.Run("budget=false", func(b *testing.B) { benchHTTPPoll(b, newAPI(b)) })
	b.Run("budget=true", func(b *testing.B) {
		benchHTTPPoll(b, newAPIEnv(b, brokertest.NewWithOptions(b, broker.Options{
			Limits: broker.Limits{RequestMemory: 64 << 20, PollAnswerBytes: 64 << 20}})))
	})
}

func benchHTTPPoll(b *testing.B, a *api) {
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/streams", `{"name":"s"}`, 200, "")
	a.expect("POST", "/streams/s/topics", `{"name":"t","partitions_count":3,"compression_algorithm":"none","message_expiry":0,"max_topic_size":0}`, 200, "")
	a.expect("POST", "/streams/s/topics/t/messages", string(sendBody(b, 1000, 1000, false)), 201, "")
	b.SetBytes(1000 * 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		a.expect("GET", "/streams/s/topics/t/messages?consumer_id=1&partition_id=2&kind=offset&value=0&count=1000", "", 200, `"count":1000`)
	}
}
