package binproto

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/listeners/deadline"
	"github.com/shalemq/shale/wire"
)

// Options configure the request loop.
type Options struct {
	// MaxControlPayload bounds every command except SendMessages. Iggy's is
	// 10 MiB (docs/protocol/binary.md §1.2).
	MaxControlPayload uint32
	// MaxSendPayload bounds a SendMessages frame. Iggy has no frame-level
	// limit there; a server that reads the frame into memory needs one.
	// Default 64 MiB + 1 MiB of metadata and indexes.
	MaxSendPayload uint32
	// Logger receives per-connection events. Default slog.Default().
	Logger *slog.Logger
	// Transport labels the metrics ("tcp", "quic").
	Transport string
	// FrameTimeout: once a frame has begun, each read of the rest must
	// return within it (deadlines.go). 0 means no limit.
	FrameTimeout time.Duration
	// WriteTimeout: each write of an answer must make progress within it
	// (listeners/deadline). 0 means no limit.
	WriteTimeout time.Duration
	// IdleTimeout closes a stream connection (TCP) silent this long
	// between frames. 0 means never.
	IdleTimeout time.Duration
}

func (o *Options) ensureDefaults() {
	if o.MaxControlPayload == 0 {
		o.MaxControlPayload = wire.MaxControlPayload
	}
	if o.MaxSendPayload == 0 {
		o.MaxSendPayload = 65<<20 + 1<<20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Transport == "" {
		o.Transport = "tcp"
	}
}

// Server runs binary requests against a broker. One Server serves every
// connection of a listener; it is safe for concurrent use.
type Server struct {
	broker  *broker.Broker
	opts    Options
	bufs    sync.Pool // *[]byte, request and response buffers
	writers sync.Pool // *bufio.Writer, held while one request is served
}

// NewServer returns a request loop over b.
func NewServer(b *broker.Broker, opts Options) *Server {
	opts.ensureDefaults()
	s := &Server{broker: b, opts: opts}
	s.bufs.New = func() any { buf := make([]byte, 0, 64<<10); return &buf }
	s.writers.New = func() any { return bufio.NewWriterSize(nil, 64<<10) }
	return s
}

// Broker is the server's broker.
func (s *Server) Broker() *broker.Broker { return s.broker }

// Conn is what ServeConn needs from a connection.
type Conn interface {
	io.ReadWriter
}

// draining is offered by a connection whose listener can end it between
// requests (shutdown, a cluster role change): once Draining reports true,
// ServeConn serves no further request and returns ErrDraining.
type draining interface {
	Draining() bool
}

// ErrDraining is ServeConn's answer when the connection's listener began
// ending it before the next request was served.
var ErrDraining = errors.New("binproto: connection is being closed by the server")

// ServeConn answers requests on a stream connection (TCP) until EOF, a read
// or write error, or a fatal protocol error; requests are handled strictly
// one after another. It does not close conn or the session.
func (s *Server) ServeConn(conn Conn, sess *broker.Session) error {
	var rd io.Reader = conn
	var wr io.Writer = conn
	fr := &frameReader{c: conn}
	if d, ok := conn.(deadliner); ok {
		if s.opts.FrameTimeout > 0 || s.opts.IdleTimeout > 0 {
			fr.d, fr.frame, fr.idle = d, s.opts.FrameTimeout, s.opts.IdleTimeout
			rd = fr
		}
		if s.opts.WriteTimeout > 0 {
			wr = &deadline.Writer{W: conn, D: d, Timeout: s.opts.WriteTimeout}
		}
	}
	// An idle connection holds its read-ahead buffer and nothing else: the
	// response writer comes from a pool for each request. The read-ahead
	// takes a small frame whole; a larger payload is read past it, straight
	// into the request buffer.
	r := bufio.NewReaderSize(rd, readAhead)
	hold := new(broker.AnswerHold) // requests are served one at a time
	var hdr [wire.RequestHeaderSize]byte
	for {
		// Between frames: the idle timeout, if any; from the first byte
		// on: the frame timeout.
		fr.mid = false
		if r.Buffered() == 0 {
			if _, err := r.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
		fr.mid = true
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if dr, ok := conn.(draining); ok && dr.Draining() {
			// A read that was already past its deadline check can still
			// return a request sent after the listener began ending the
			// connection; it is not served (the listener sends the notice).
			return ErrDraining
		}
		w := s.writer(wr)
		keep, err := s.serveFrame(r, w, hdr, sess, hold)
		if err == nil {
			err = w.Flush()
		}
		s.putWriter(w)
		if err != nil || !keep {
			return err
		}
	}
}

// ServeStream answers the single request of a QUIC stream: read one frame,
// write one response. The caller finishes the stream.
func (s *Server) ServeStream(rw io.ReadWriter, sess *broker.Session) error {
	var hdr [wire.RequestHeaderSize]byte
	if _, err := io.ReadFull(rw, hdr[:]); err != nil {
		return err
	}
	w := s.writer(rw)
	defer s.putWriter(w)
	if _, err := s.serveFrame(rw, w, hdr, sess, new(broker.AnswerHold)); err != nil {
		return err
	}
	return w.Flush()
}

// readAhead is a TCP connection's read buffer: it holds a request of up to
// this size (every control command, a send of a few messages) whole in one
// read, and it is all the memory an idle connection keeps.
const readAhead = 16 << 10

// writer returns a pooled response writer writing to w.
func (s *Server) writer(w io.Writer) *bufio.Writer {
	bw := s.writers.Get().(*bufio.Writer)
	bw.Reset(w)
	return bw
}

// putWriter returns a response writer to the pool, dropping anything it
// could not write and its reference to the connection.
func (s *Server) putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	s.writers.Put(bw)
}

// serveFrame handles one frame whose 8-byte header was read. It reports
// whether the connection may continue. hold is the room the answer takes
// under the memory budget; it is released once the answer is written (into
// w, whose buffer is smaller than the answers that take room).
func (s *Server) serveFrame(r io.Reader, w io.Writer, hdr [8]byte, sess *broker.Session, hold *broker.AnswerHold) (keep bool, err error) {
	length := binary.LittleEndian.Uint32(hdr[0:4])
	code := wire.Command(binary.LittleEndian.Uint32(hdr[4:8]))
	if length < 4 {
		// Nothing follows the header but the code; the stream stays in sync.
		return true, s.writeError(w, code, wire.ErrInvalidCommand)
	}
	size := length - 4
	if sess.Stale() {
		// Dropped for missing heartbeats: Iggy answers 30 and closes.
		return false, s.writeError(w, code, wire.ErrStaleClient)
	}
	limit := s.opts.MaxControlPayload
	if code == wire.CmdSendMessages {
		limit = s.opts.MaxSendPayload
	}
	if size > limit {
		// Answer before reading what we refuse to buffer, then close: Iggy
		// leaves the payload unread and desynchronises; we end cleanly.
		s.opts.Logger.Warn("oversized frame", "client", sess.ID(), "command", code, "bytes", size, "limit", limit)
		return false, s.writeError(w, code, fmt.Errorf("payload of %d bytes over %d: %w", size, limit, wire.ErrInvalidCommand))
	}
	if code == wire.CmdSendMessages && !sess.Authenticated() {
		// Iggy answers 40 before reading the payload, which then parses as
		// the next frame; drain it first so the connection stays in sync.
		if _, err := io.CopyN(io.Discard, r, int64(size)); err != nil {
			return false, err
		}
		return true, s.writeError(w, code, wire.ErrUnauthenticated)
	}
	// Large payloads take room under the server-wide request memory
	// limit first (broker/limits.go); one that finds none in time is
	// refused unread and the connection ends.
	release, ok := s.broker.ReserveRequestMemory(context.Background(), int64(size))
	if !ok {
		return false, s.writeError(w, code, fmt.Errorf("no room for a payload of %d bytes under the request memory limit: %w", size, wire.ErrError))
	}
	defer release()
	bp := s.bufs.Get().(*[]byte)
	defer s.putBuf(bp)
	buf := grow((*bp)[:0], int(size))
	*bp = buf // a grown buffer goes back to the pool, not the one it replaced
	if _, err := io.ReadFull(r, buf); err != nil {
		return false, err
	}
	start := time.Now()
	out := s.getBuf()
	defer s.putBuf(out)
	defer hold.Release()
	resp, herr := s.dispatch(sess, code, buf, (*out)[:wire.ResponseHeaderSize], hold)
	*out = resp[:0]
	s.broker.RequestServed(s.opts.Transport, commandName(code), time.Since(start))
	if herr != nil {
		if err := s.writeError(w, code, herr); err != nil {
			return false, err
		}
		c := wire.CodeOf(herr)
		// Iggy closes the connection after these two (docs/protocol/binary.md §1.2).
		return c != wire.ErrStaleClient.Code && c != wire.ErrClientNotFound.Code, nil
	}
	binary.LittleEndian.PutUint32(resp[0:4], 0)
	binary.LittleEndian.PutUint32(resp[4:8], uint32(len(resp)-wire.ResponseHeaderSize))
	_, err = w.Write(resp)
	return true, err
}

func (s *Server) writeError(w io.Writer, code wire.Command, err error) error {
	c := wire.CodeOf(err)
	s.broker.RequestFailed(s.opts.Transport, commandName(code), strconv.FormatUint(uint64(c), 10))
	if c == wire.ErrError.Code {
		s.opts.Logger.Error("request failed", "command", code, "err", err)
	} else {
		s.opts.Logger.Debug("request refused", "command", code, "code", c, "err", err)
	}
	var hdr [wire.ResponseHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[0:4], c)
	_, werr := w.Write(hdr[:])
	return werr
}

func (s *Server) getBuf() *[]byte { return s.bufs.Get().(*[]byte) }

// putBuf returns a buffer to the pool unless a huge request grew it: those
// would pin memory for the life of the process.
func (s *Server) putBuf(bp *[]byte) {
	if cap(*bp) <= 4<<20 {
		*bp = (*bp)[:0]
		s.bufs.Put(bp)
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}
