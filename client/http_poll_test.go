package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
)

// A poll answer as shale and Iggy write it: the second message has a
// 128-bit id and a user header.
const polledJSON = `{"partition_id":2,"current_offset":9,"count":2,"messages":[` +
	`{"header":{"checksum":11,"id":7,"offset":4,"timestamp":1000,"origin_timestamp":900,"user_headers_length":0,"payload_length":2,"reserved":0},"payload":"aGk=","user_headers":[]},` +
	`{"header":{"checksum":18446744073709551615,"id":340282366920938463463374607431768211455,"offset":5,"timestamp":1001,"origin_timestamp":901,"user_headers_length":21,"payload_length":3,"reserved":0},"payload":"YWJj",` +
	`"user_headers":[{"key":{"kind":"string","value":"aw=="},"value":{"kind":"string","value":"dg=="}}]}]}`

func decodePolled(t *testing.T, b []byte) wire.PolledMessages {
	t.Helper()
	var p wire.PolledMessages
	if err := p.Decode(b); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return p
}

func TestPolledFromJSONFastPath(t *testing.T) {
	fast, err := fastPolledFromJSON(nil, []byte(polledJSON))
	if err != nil {
		t.Fatalf("the fast path refused the server's own layout: %v", err)
	}
	slow, err := slowPolledFromJSON(nil, []byte(polledJSON))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatalf("fast and general decoders differ:\n%x\n%x", fast, slow)
	}
	p := decodePolled(t, fast)
	if p.PartitionID != 2 || p.CurrentOffset != 9 || p.Count != 2 {
		t.Fatalf("header: %+v", p)
	}
	it := wire.NewMessageIter(p.Messages)
	m, _ := it.Next()
	if string(m.Payload()) != "hi" || m.Offset() != 4 || m.Timestamp() != 1000 || m.OriginTimestamp() != 900 || m.Checksum() != 11 || m.ID()[0] != 7 {
		t.Fatalf("first message: payload %q offset %d", m.Payload(), m.Offset())
	}
	m, _ = it.Next()
	if string(m.Payload()) != "abc" || !bytes.Equal(m.ID(), bytes.Repeat([]byte{0xff}, 16)) || m.Checksum() != 1<<64-1 {
		t.Fatalf("second message: payload %q id %x", m.Payload(), m.ID())
	}
	hs, err := wire.DecodeUserHeaders(m.UserHeaders())
	if err != nil || len(hs) != 1 || string(hs[0].Key.Bytes) != "k" || string(hs[0].Value.Bytes) != "v" {
		t.Fatalf("headers: %+v %v", hs, err)
	}
}

// Layouts the fast path does not take still decode, through encoding/json.
func TestPolledFromJSONOtherLayouts(t *testing.T) {
	want, err := slowPolledFromJSON(nil, []byte(polledJSON))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"pretty printed": strings.NewReplacer(",", ",\n  ", ":", ": ", "{", "{ ").Replace(polledJSON),
		"escaped base64": strings.Replace(polledJSON, `"aGk="`, `"aGk\u003d"`, 1),
		"fields reordered, unknown ones added": `{"messages":[` +
			`{"user_headers":[],"payload":"aGk=","extra":{"a":[1,2,{"b":"c"}]},"header":{"reserved":0,"id":7,"offset":4,"timestamp":1000,"origin_timestamp":900,"checksum":11,"payload_length":2,"user_headers_length":0}},` +
			polledJSON[strings.Index(polledJSON, `{"header":{"checksum":18446744073709551615`):len(polledJSON)-1] +
			`,"count":2,"current_offset":9,"note":null,"partition_id":2}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := polledFromJSON(nil, []byte(in))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got  %x\nwant %x", got, want)
			}
		})
	}
}

func TestPolledFromJSONRejects(t *testing.T) {
	for name, in := range map[string]string{
		"truncated":        polledJSON[:len(polledJSON)-3],
		"bad base64":       strings.Replace(polledJSON, `"aGk="`, `"a!k="`, 1),
		"id over 128 bits": strings.Replace(polledJSON, `"id":7`, `"id":340282366920938463463374607431768211456`, 1),
		"negative offset":  strings.Replace(polledJSON, `"offset":4`, `"offset":-4`, 1),
		"not json":         "<html>",
	} {
		if _, err := polledFromJSON(nil, []byte(in)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestPolledFromJSONReusesDst(t *testing.T) {
	buf := make([]byte, 0, 4096)
	got, err := polledFromJSON(buf, []byte(polledJSON))
	if err != nil {
		t.Fatal(err)
	}
	if &got[:1][0] != &buf[:1][0] {
		t.Fatal("answer not decoded into the buffer given")
	}
}

// The fast path must hand anything it cannot read exactly to the general
// decoder rather than produce a wrong answer.
func TestPolledFromJSONFastPathRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"count not matching the messages": strings.Replace(polledJSON, `"count":2`, `"count":3`, 1),
		"id of 2^128":                     strings.Replace(polledJSON, `"id":7`, `"id":340282366920938463463374607431768211456`, 1),
		"offset of 2^64":                  strings.Replace(polledJSON, `"offset":4`, `"offset":18446744073709551616`, 1),
		"fractional number":               strings.Replace(polledJSON, `"offset":4`, `"offset":4.5`, 1),
		"key differing only in case":      strings.Replace(polledJSON, `"offset":4`, `"OFFSET":4`, 1),
		"messages twice":                  strings.Replace(polledJSON, `"count":2,`, `"count":2,"messages":[],`, 1),
	} {
		if _, err := fastPolledFromJSON(nil, []byte(in)); err == nil {
			t.Errorf("%s: fast path accepted it", name)
		}
	}
}

// FuzzPolledFromJSON: never a panic, and where both decoders accept an
// answer they agree on it.
func FuzzPolledFromJSON(f *testing.F) {
	f.Add([]byte(polledJSON))
	f.Add([]byte(`{"partition_id":0,"current_offset":0,"count":0,"messages":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ferr := fastPolledFromJSON(nil, b)
		slow, serr := slowPolledFromJSON(nil, b)
		if ferr == nil && serr == nil && !bytes.Equal(fast, slow) {
			t.Fatalf("decoders differ on %q", b)
		}
	})
}
