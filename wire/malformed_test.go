package wire_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// optionalTail lists requests whose last bytes may be missing: LoginUser's
// version and context, the Go SDK's pad byte in UpdateUser.
var optionalTail = map[wire.Command]bool{wire.CmdLoginUser: true, wire.CmdUpdateUser: true}

func TestTruncatedRequestsFail(t *testing.T) {
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		_, code, _ := wire.ParseRequestHeader(f.Bytes)
		payload := f.Bytes[wire.RequestHeaderSize:]
		for cut := 0; cut < len(payload); cut++ {
			r, _ := wire.NewRequest(code)
			err := r.Decode(payload[:cut])
			if err == nil && !optionalTail[code] {
				t.Errorf("%s cut at %d/%d: decoded without error", f.Name, cut, len(payload))
			}
			if err != nil && wire.CodeOf(err) == wire.ErrError.Code {
				t.Errorf("%s cut at %d: untyped error %v", f.Name, cut, err)
			}
		}
	}
}

func TestMalformedRequests(t *testing.T) {
	h := func(s string) []byte { return mustHex(s) }
	cases := []struct {
		name    string
		req     wire.Request
		payload []byte
		want    *wire.Error
	}{
		{"numeric id of 3 bytes", &wire.GetStream{}, h("0103000000"), wire.ErrInvalidFormat},
		{"unknown identifier kind", &wire.GetStream{}, h("090400000000"), wire.ErrInvalidCommand},
		{"empty name identifier", &wire.GetStream{}, h("0200"), wire.ErrInvalidFormat},
		{"invalid utf-8 name", &wire.GetStream{}, h("0202fffe"), wire.ErrInvalidCommand},
		{"empty stream name", &wire.CreateStream{}, h("00"), wire.ErrInvalidFormat},
		{"unknown consumer kind", &wire.GetConsumerOffset{}, h("03010400000000"), wire.ErrInvalidCommand},
		{"unknown poll strategy", &wire.PollMessages{}, h("0101040000000001040000000001040000000000000000000900000000000000000100000000"), wire.ErrInvalidCommand},
		{"permissions longer than declared", &wire.UpdatePermissions{}, h("01040100000001" + "0a000000" + "0000000000000000000000"), wire.ErrInvalidFormat},
		{"permissions shorter than declared", &wire.UpdatePermissions{}, h("01040100000001" + "0c000000" + "000000000000000000000000"), wire.ErrInvalidFormat},
		{"permissions length past the payload", &wire.CreateUser{}, h("03626f6203626f620101ff000000"), wire.ErrInvalidFormat},
		{"snapshot type 100 with another", &wire.GetSnapshot{}, h("01020164"), wire.ErrInvalidCommand},
		{"snapshot compression 7", &wire.GetSnapshot{}, h("070101"), wire.ErrInvalidCommand},
	}
	for _, c := range cases {
		err := c.req.Decode(c.payload)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// sendFrame builds a SendMessages payload from a valid batch and lets the
// case corrupt it.
func sendPayload(t *testing.T, mutate func(p []byte) []byte) []byte {
	t.Helper()
	msgs := wire.AppendSendMessage(nil, nil, 1, []byte("hello"), nil)
	msgs = wire.AppendSendMessage(msgs, nil, 2, []byte("world!"), nil)
	p := (&wire.SendMessages{Stream: s0, Topic: t0id, Partitioning: wire.PartitionID(0), Count: 2, Messages: msgs}).AppendTo(nil)
	return mutate(p)
}

func TestMalformedSendMessages(t *testing.T) {
	const meta = 4 + 6 + 6 + 6 + 4 // metadata length field, 2 identifiers, partitioning, count
	const idx = meta               // start of the index block
	cases := []struct {
		name   string
		mutate func(p []byte) []byte
		want   *wire.Error
	}{
		{"valid", func(p []byte) []byte { return p }, nil},
		{"metadata length past the payload", func(p []byte) []byte { p[0] = 0xff; p[1] = 0xff; return p }, wire.ErrInvalidCommand},
		{"bad stream identifier", func(p []byte) []byte { p[5] = 3; return p }, wire.ErrInvalidIdentifier},
		{"balanced with a value", func(p []byte) []byte { p[16] = 1; return p }, wire.ErrInvalidCommand},
		{"unknown partitioning", func(p []byte) []byte { p[16] = 9; return p }, wire.ErrInvalidCommand},
		{"no messages", func(p []byte) []byte { p[meta-4] = 0; return p[:meta] }, wire.ErrInvalidMessagesCount},
		{"index block past the payload", func(p []byte) []byte { p[meta-4] = 200; return p }, wire.ErrInvalidCommand},
		{"non-zero index offset", func(p []byte) []byte { p[idx] = 1; return p }, wire.ErrNonZeroOffset},
		{"non-zero index timestamp", func(p []byte) []byte { p[idx+8] = 1; return p }, wire.ErrNonZeroTimestamp},
		{"index past the area", func(p []byte) []byte { p[idx+5] = 0xff; return p }, wire.ErrMissingIndex},
		{"message under 64 bytes", func(p []byte) []byte { p[idx+4] = 10; return p }, wire.ErrTooSmallMessage},
		{"payload larger than its range", func(p []byte) []byte { p[idx+32+52] = 200; return p }, wire.ErrMissingIndex},
		{"area longer than the messages", func(p []byte) []byte { return append(p, 0) }, wire.ErrInvalidMessagesSize},
		{"last message cut short", func(p []byte) []byte {
			q := append([]byte(nil), p...)
			return q[:len(q)-1]
		}, wire.ErrMissingIndex},
	}
	for _, c := range cases {
		var s wire.SendMessages
		err := s.Decode(sendPayload(t, c.mutate))
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestPartitionForKey(t *testing.T) {
	// Values from docs/protocol/binary.md §2.3, computed with the reference xxHash library.
	cases := []struct {
		key  []byte
		want [5]uint32 // for 1, 2, 3, 4, 10 partitions
	}{
		{[]byte("user-42"), [5]uint32{0, 0, 2, 2, 6}},
		{[]byte("order-1001"), [5]uint32{0, 1, 0, 3, 3}},
		{[]byte("a"), [5]uint32{0, 0, 0, 2, 0}},
		{[]byte{0x2a, 0, 0, 0}, [5]uint32{0, 1, 1, 1, 7}},
	}
	for _, c := range cases {
		for i, n := range []uint32{1, 2, 3, 4, 10} {
			if got := wire.PartitionForKey(c.key, n); got != c.want[i] {
				t.Errorf("key %q, %d partitions: %d, want %d", c.key, n, got, c.want[i])
			}
		}
	}
}

func TestConsumerNumberHashesNames(t *testing.T) {
	named := wire.Consumer{Kind: wire.ConsumerSingle, ID: wire.NamedID("user-42")}
	if got := named.ConsumerNumber(); got != 1635883646 {
		t.Fatalf("XXH32(user-42) = %d, want 1635883646", got)
	}
	if got := (wire.Consumer{ID: wire.NumericID(7)}).ConsumerNumber(); got != 7 {
		t.Fatalf("numeric consumer = %d", got)
	}
}

func TestUserHeadersRoundTrip(t *testing.T) {
	hs := []wire.UserHeader{
		{Key: wire.StringHeader("k"), Value: wire.Uint32Header(3)},
		{Key: wire.HeaderValue{Kind: wire.HeaderRaw, Bytes: []byte{1, 2}}, Value: wire.HeaderValue{Kind: wire.HeaderBool, Bytes: []byte{1}}},
	}
	b := wire.AppendUserHeaders(nil, hs...)
	got, err := wire.DecodeUserHeaders(b)
	if err != nil || len(got) != 2 || !bytes.Equal(wire.AppendUserHeaders(nil, got...), b) {
		t.Fatalf("round trip: %v %v", got, err)
	}
	bad := wire.AppendUserHeaders(nil, wire.UserHeader{Key: wire.StringHeader("k"),
		Value: wire.HeaderValue{Kind: wire.HeaderUint32, Bytes: []byte{1}}})
	if _, err := wire.DecodeUserHeaders(bad); !errors.Is(err, wire.ErrInvalidHeaderValue) {
		t.Fatalf("short uint32: %v", err)
	}
	if _, err := wire.DecodeUserHeaders([]byte{0, 1, 0, 0, 0, 1}); err == nil {
		t.Fatal("kind 0 accepted")
	}
}

func TestFrameHeader(t *testing.T) {
	if _, _, err := wire.ParseRequestHeader(mustHex("0300000001000000")); !errors.Is(err, wire.ErrInvalidCommand) {
		t.Fatalf("length 3: %v", err)
	}
	n, code, err := wire.ParseRequestHeader(mustHex("0400000001000000"))
	if err != nil || n != 0 || code != wire.CmdPing {
		t.Fatalf("ping header: %d %v %v", n, code, err)
	}
	if _, ok := wire.NewRequest(9999); ok {
		t.Fatal("unknown code has a request")
	}
	if len(wire.Commands()) != 47 {
		t.Fatalf("%d commands, want 47", len(wire.Commands()))
	}
}
