package binproto

import (
	"fmt"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// command is one entry of the command table: everything the request loop
// knows about a command. Its request type is the type parameter of the
// handle call that built it.
type command struct {
	code wire.Command
	// name labels metrics and logs (Iggy's dotted name).
	name string
	// public commands run before login; every other one is answered 40
	// (unauthenticated) until the session has logged in.
	public bool
	// run decodes the payload, checks the session and runs the handler.
	// hold is the frame's room under the memory budget (PollMessages),
	// released once the answer is written.
	run func(s *Server, sess *broker.Session, payload, out []byte, hold *broker.AnswerHold) ([]byte, error)
}

// handler runs one decoded request on the broker and appends the success
// payload to out (which already holds the 8-byte response header).
type handler[R any] func(s *Server, sess *broker.Session, r R, out []byte) ([]byte, error)

// heldHandler is a handler whose answer may hold room under the memory
// budget until it is written (PollMessages).
type heldHandler[R any] func(s *Server, sess *broker.Session, r R, out []byte, hold *broker.AnswerHold) ([]byte, error)

// Whether a command needs a logged-in session.
const (
	needsLogin = false
	public     = true
)

// handle builds a table entry for the request type T. Decoding comes
// first, so a malformed frame is answered 3 or 4 even before login, as
// Iggy does (docs/protocol/binary.md, "Errors"); then a non-public command
// is refused 40 before login; the broker decides the rest.
func handle[T any, R interface {
	*T
	wire.Request
}](code wire.Command, isPublic bool, h handler[R]) command {
	return handleHeld(code, isPublic, func(s *Server, sess *broker.Session, r R, out []byte, _ *broker.AnswerHold) ([]byte, error) {
		return h(s, sess, r, out)
	})
}

// handleHeld is handle for a handler that takes the frame's AnswerHold.
func handleHeld[T any, R interface {
	*T
	wire.Request
}](code wire.Command, isPublic bool, h heldHandler[R]) command {
	return command{code: code, name: code.String(), public: isPublic,
		run: func(s *Server, sess *broker.Session, payload, out []byte, hold *broker.AnswerHold) ([]byte, error) {
			var req T
			r := R(&req)
			if err := r.Decode(payload); err != nil {
				return out, err
			}
			if !isPublic && !sess.Authenticated() {
				return out, wire.ErrUnauthenticated
			}
			return h(s, sess, r, out, hold)
		}}
}

// table holds every command of Iggy 0.8.0, by code; the handlers live in
// handlers_<resource>.go.
var table = func() map[wire.Command]*command {
	m := map[wire.Command]*command{}
	for _, group := range [][]command{systemCommands, userCommands, tokenCommands, streamCommands,
		topicCommands, groupCommands, offsetCommands, messageCommands} {
		for i := range group {
			c := &group[i]
			if m[c.code] != nil {
				panic(fmt.Sprintf("binproto: command %v twice in the table", c.code))
			}
			m[c.code] = c
		}
	}
	return m
}()

// commandName labels an unknown code "unknown", so a client cannot grow
// the metrics' label sets.
func commandName(code wire.Command) string {
	if c := table[code]; c != nil {
		return c.name
	}
	return "unknown"
}

// dispatch runs one request payload through its table entry. A panic in a
// handler is answered 1 (error), logged and counted (panics.go), and the
// connection lives on.
func (s *Server) dispatch(sess *broker.Session, code wire.Command, payload, out []byte, hold *broker.AnswerHold) (resp []byte, err error) {
	c := table[code]
	if c == nil {
		return out, wire.ErrInvalidCommand
	}
	defer func() {
		if p := recover(); p != nil {
			resp, err = out, s.recovered(c.name, p) // panics.go
		}
	}()
	injectPanic(c.name)
	return c.run(s, sess, payload, out, hold)
}
