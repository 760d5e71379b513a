package binproto

import (
	"encoding/binary"
	"io"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTableCoversEveryCommand: one entry per Iggy command, named as wire
// names it, and only ping and the two logins public.
func TestTableCoversEveryCommand(t *testing.T) {
	publics := []wire.Command{wire.CmdPing, wire.CmdLoginUser, wire.CmdLoginWithPersonalAccessToken}
	for _, code := range wire.Commands() {
		c := table[code]
		if c == nil {
			t.Errorf("command %d (%v) has no table entry", code, code)
			continue
		}
		if c.name != code.String() {
			t.Errorf("command %d named %q, wire says %q", code, c.name, code.String())
		}
		if c.public != slices.Contains(publics, code) {
			t.Errorf("command %v: public = %v", code, c.public)
		}
	}
	if len(table) != len(wire.Commands()) {
		t.Errorf("table has %d entries, wire knows %d commands", len(table), len(wire.Commands()))
	}
}

// conn serves one in-memory connection for sess and returns the client end.
func conn(t *testing.T, srv *Server, sess *broker.Session) net.Conn {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.ServeConn(server, sess)
		server.Close()
	}()
	t.Cleanup(func() { client.Close(); <-done })
	return client
}

// exchange writes one frame and reads the answer's status and payload.
func exchange(t *testing.T, c net.Conn, frame []byte) (uint32, []byte) {
	t.Helper()
	if _, err := c.Write(frame); err != nil {
		t.Fatalf("write: %v", err)
	}
	var hdr [wire.ResponseHeaderSize]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		t.Fatalf("read: %v", err)
	}
	status := binary.LittleEndian.Uint32(hdr[:4])
	payload := make([]byte, binary.LittleEndian.Uint32(hdr[4:]))
	if status == 0 {
		if _, err := io.ReadFull(c, payload); err != nil {
			t.Fatalf("read payload: %v", err)
		}
	}
	return status, payload
}

func frameCode(t *testing.T, frame []byte) wire.Command {
	t.Helper()
	_, code, err := wire.ParseRequestHeader(frame)
	if err != nil {
		t.Fatalf("golden frame header: %v", err)
	}
	return code
}

// TestRefusedBeforeLogin sends every golden request frame on a connection
// that has not logged in: the table's public commands run, every other
// command is answered 40 and the connection stays usable.
func TestRefusedBeforeLogin(t *testing.T) {
	env := brokertest.New(t)
	srv := NewServer(env.Broker, Options{})
	c := conn(t, srv, env.Session(t))
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[wire.Command]bool{}
	for _, f := range frames {
		code := frameCode(t, f.Bytes)
		status, _ := exchange(t, c, f.Bytes)
		seen[code] = true
		switch {
		case table[code].public:
			if code == wire.CmdPing && status != 0 {
				t.Errorf("%s: ping answered %d before login", f.Name, status)
			}
			if status == wire.ErrUnauthenticated.Code {
				t.Errorf("%s: public command answered 40", f.Name)
			}
		case status != wire.ErrUnauthenticated.Code:
			t.Errorf("%s (%v): answered %d before login, want 40", f.Name, code, status)
		}
	}
	for _, code := range wire.Commands() {
		if !seen[code] {
			t.Errorf("no golden frame for %v", code)
		}
	}
}

// TestGoldenFramesAfterLogin runs every golden request frame as root, in
// order: each is answered with success or a known error code, none closes
// the connection, and a final ping still works.
func TestGoldenFramesAfterLogin(t *testing.T) {
	reg := prometheus.NewRegistry()
	env := brokertest.NewWithOptions(t, broker.Options{Registerer: reg})
	srv := NewServer(env.Broker, Options{})
	c := conn(t, srv, env.Root)
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		code := frameCode(t, f.Bytes)
		if code == wire.CmdLogoutUser {
			continue // would end the root session for the frames after it
		}
		status, _ := exchange(t, c, f.Bytes)
		if status != 0 && strings.HasPrefix(wire.ErrorForCode(status).Name, "unknown_error") {
			t.Errorf("%s: answered unknown code %d", f.Name, status)
		}
	}
	// An unknown command: 3, labelled "unknown" in the metrics.
	unknown := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 4), 9999)
	if status, _ := exchange(t, c, unknown); status != wire.ErrInvalidCommand.Code {
		t.Errorf("unknown command answered %d, want 3", status)
	}
	ping, _ := wiretest.Request("ping")
	if status, _ := exchange(t, c, ping); status != 0 {
		t.Errorf("final ping answered %d", status)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() != "command" {
					continue
				}
				if name := l.GetValue(); name != "unknown" && !slices.ContainsFunc(wire.Commands(), func(c wire.Command) bool { return c.String() == name }) {
					t.Errorf("metric %s has command label %q, not from the table", mf.GetName(), name)
				}
			}
		}
	}
}
