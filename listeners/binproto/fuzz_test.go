package binproto

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// FuzzServeFrame sends one arbitrary frame (any command code, any
// payload, the length field either true or fuzzed) through the command
// table as root, against a broker that holds the golden frames' streams
// and topics. Whatever arrives, the server answers one well-formed
// response and never the generic error 1, which is what a recovered
// handler panic or an untyped failure would give. The logins (whose
// failures the login throttle slows), logout and the snapshot (slow by
// design) are left out.
func FuzzServeFrame(f *testing.F) {
	frames, err := wiretest.Requests()
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range frames {
		f.Add(false, uint32(0), fr.Bytes[4:])
	}
	f.Add(true, uint32(0), []byte{1, 0, 0, 0})
	f.Add(true, uint32(1<<31), []byte{1, 0, 0, 0, 0})
	env := brokertest.New(f)
	srv := NewServer(env.Broker, Options{})
	for _, fr := range frames {
		if code, _ := frameCommand(fr.Bytes); code == wire.CmdCreateStream || code == wire.CmdCreateTopic {
			var out bytes.Buffer
			_ = srv.ServeStream(&rw{r: bytes.NewReader(fr.Bytes), w: &out}, env.Root)
		}
	}
	f.Fuzz(func(t *testing.T, fuzzLength bool, length uint32, body []byte) {
		if len(body) < 4 {
			return
		}
		switch wire.Command(binary.LittleEndian.Uint32(body)) {
		case wire.CmdLoginUser, wire.CmdLoginWithPersonalAccessToken, wire.CmdLogoutUser, wire.CmdGetSnapshot:
			return
		}
		if !fuzzLength {
			length = uint32(len(body))
		}
		frame := binary.LittleEndian.AppendUint32(nil, length)
		frame = append(frame, body...)
		var out bytes.Buffer
		if err := srv.ServeStream(&rw{r: bytes.NewReader(frame), w: &out}, env.Root); err != nil {
			return // the frame ended early: nothing to answer
		}
		ans := out.Bytes()
		if len(ans) < wire.ResponseHeaderSize {
			t.Fatalf("frame %x: answer of %d bytes", frame, len(ans))
		}
		status, n := binary.LittleEndian.Uint32(ans), binary.LittleEndian.Uint32(ans[4:])
		if status == wire.ErrError.Code {
			t.Fatalf("frame %x: generic error 1", frame)
		}
		if status == 0 && int(n) != len(ans)-wire.ResponseHeaderSize {
			t.Fatalf("frame %x: length %d, payload %d bytes", frame, n, len(ans)-wire.ResponseHeaderSize)
		}
	})
}

func frameCommand(frame []byte) (wire.Command, bool) {
	if len(frame) < 8 {
		return 0, false
	}
	return wire.Command(binary.LittleEndian.Uint32(frame[4:])), true
}

type rw struct {
	r *bytes.Reader
	w *bytes.Buffer
}

func (x *rw) Read(p []byte) (int, error)  { return x.r.Read(p) }
func (x *rw) Write(p []byte) (int, error) { return x.w.Write(p) }
