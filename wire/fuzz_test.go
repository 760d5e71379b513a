package wire_test

import (
	"bytes"
	"testing"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

func seedRequests(f *testing.F, add func(code wire.Command, payload []byte)) {
	frames, err := wiretest.Requests()
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range frames {
		_, code, _ := wire.ParseRequestHeader(fr.Bytes)
		add(code, fr.Bytes[wire.RequestHeaderSize:])
	}
}

// FuzzRequestDecode decodes arbitrary payloads for every command. A
// successful decode must re-encode to a payload that decodes to the same
// encoding (the encoder is canonical even where the input was not).
func FuzzRequestDecode(f *testing.F) {
	seedRequests(f, func(code wire.Command, p []byte) { f.Add(uint32(code), p) })
	f.Fuzz(func(t *testing.T, code uint32, payload []byte) {
		r, ok := wire.NewRequest(wire.Command(code))
		if !ok {
			return
		}
		if err := r.Decode(payload); err != nil {
			if wire.CodeOf(err) == wire.ErrError.Code {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		enc := r.AppendTo(nil)
		again, _ := wire.NewRequest(wire.Command(code))
		if err := again.Decode(enc); err != nil {
			t.Fatalf("re-decode of %x: %v", enc, err)
		}
		if enc2 := again.AppendTo(nil); !bytes.Equal(enc, enc2) {
			t.Fatalf("not canonical:\n %x\n %x", enc, enc2)
		}
	})
}

func FuzzFrameHeader(f *testing.F) {
	seedRequests(f, func(_ wire.Command, p []byte) { f.Add(p) })
	f.Fuzz(func(t *testing.T, b []byte) {
		n, code, err := wire.ParseRequestHeader(b)
		if err != nil {
			return
		}
		if len(b) >= 8 && n+4 != uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24 {
			t.Fatalf("length %d from %x", n, b[:4])
		}
		_ = code.String()
	})
}

func FuzzSendMessages(f *testing.F) {
	seedRequests(f, func(code wire.Command, p []byte) {
		if code == wire.CmdSendMessages {
			f.Add(p)
		}
	})
	f.Fuzz(func(t *testing.T, payload []byte) {
		var s wire.SendMessages
		if err := s.Decode(payload); err != nil {
			return
		}
		// A valid batch walks to exactly Count messages covering the area.
		it := wire.NewMessageIter(s.Messages)
		n := 0
		for _, ok := it.Next(); ok; _, ok = it.Next() {
			n++
		}
		if it.Err() != nil || n != int(s.Count) {
			t.Fatalf("valid batch walks %d of %d messages: %v", n, s.Count, it.Err())
		}
	})
}

func FuzzResponseDecode(f *testing.F) {
	frames, err := wiretest.Responses()
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range frames {
		f.Add(fr.Bytes)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []codec{&wire.Stats{}, &wire.ClusterMetadata{}, &wire.ClientDetails{}, &wire.StreamDetails{},
			&wire.TopicDetails{}, &wire.ConsumerGroupDetails{}, &wire.UserDetails{}, &wire.ConsumerOffset{},
			&wire.PolledMessages{}, &wire.RawPersonalAccessToken{}, &wire.IdentityInfo{}} {
			_ = v.Decode(b)
		}
		_, _ = wire.DecodeClients(b)
		_, _ = wire.DecodeStreams(b)
		_, _ = wire.DecodeTopics(b)
		_, _ = wire.DecodeUsers(b)
		_, _ = wire.DecodeConsumerGroups(b)
		_, _ = wire.DecodePersonalAccessTokens(b)
		_, _ = wire.DecodeUserHeaders(b)
	})
}
