package http

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// Message routes: poll, send, flush.

func (s *Server) poll(c *fiber.Ctx) error {
	bad := func(msg string) error {
		return &plainError{status: fiber.StatusBadRequest, text: "Failed to deserialize query string: " + msg}
	}
	pid, err := queryU32(c, "partition_id", 0, false)
	if err != nil {
		return err
	}
	count, err := queryU32(c, "count", 10, false)
	if err != nil {
		return err
	}
	strategy := broker.StrategyOffset
	if k := c.Query("kind"); k != "" {
		kind, known := wire.ParsePollKind(k)
		if !known {
			return bad("unknown kind " + strconv.Quote(k))
		}
		strategy = broker.Strategy(kind)
	}
	var value uint64
	if v := c.Query("value"); v != "" {
		if value, err = strconv.ParseUint(v, 10, 64); err != nil {
			return bad("value: " + err.Error())
		}
	}
	auto := false
	if v := c.Query("auto_commit"); v != "" {
		if v != "true" && v != "false" {
			return bad("auto_commit must be true or false")
		}
		auto = v == "true"
	}
	// The stored messages land in a pooled buffer: they are rendered into
	// the JSON answer below and not referenced after this handler.
	bp := pollBufs.Get().(*[]byte)
	hold := new(broker.AnswerHold)
	res, msgs, err := s.b.PollMessages(session(c), broker.Poll{
		Consumer: consumerID(c.Query("consumer_id")), Stream: ident(c, "stream_id"), Topic: ident(c, "topic_id"),
		Partition: &pid, Strategy: strategy, Value: value, Count: count, AutoCommit: auto, Hold: hold,
	}, (*bp)[:0])
	defer putPollBuf(bp, msgs)
	if err != nil {
		hold.Release()
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	// What stays in memory until written is the JSON, not the stored
	// messages the poll counted: the hold becomes the body's size, past
	// the budget if need be (AnswerHold.Settle).
	body := appendPolledJSON(make([]byte, 0, polledJSONSize(len(msgs), res.Count)), res, msgs)
	hold.Settle(len(body))
	return sendHeld(c, body, hold)
}

// polledJSONSize is room for the JSON of count stored messages taking
// stored bytes, so that appendPolledJSON does not grow its buffer (a copy
// of the whole answer) unless messages carry user headers: a payload takes
// 4/3 of itself in base64 and up to 4 bytes of padding, and a message's
// fields under 300 bytes with every number at its longest, of which 4/3 of
// the stored 64-byte header already counts 85 (TestPolledJSONSizeFits).
func polledJSONSize(stored int, count uint32) int {
	return stored*4/3 + int(count)*238 + 128
}

// appendPolledJSON renders a poll result (docs/protocol/http.md §4.10.1). An empty result
// always reports partition 0 and current offset 0, as Iggy's does.
func appendPolledJSON(dst []byte, res broker.PollResult, msgs []byte) []byte {
	if res.Count == 0 {
		return append(dst, `{"partition_id":0,"current_offset":0,"count":0,"messages":[]}`...)
	}
	// strconv rather than fmt: this loop runs once per message polled.
	dst = append(dst, `{"partition_id":`...)
	dst = strconv.AppendUint(dst, uint64(res.PartitionID), 10)
	dst = append(dst, `,"current_offset":`...)
	dst = strconv.AppendUint(dst, res.CurrentOffset, 10)
	dst = append(dst, `,"count":`...)
	dst = strconv.AppendUint(dst, uint64(res.Count), 10)
	dst = append(dst, `,"messages":[`...)
	it := wire.NewMessageIter(msgs)
	first := true
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `{"header":{"checksum":`...)
		dst = strconv.AppendUint(dst, m.Checksum(), 10)
		dst = append(dst, `,"id":`...)
		dst = appendU128(dst, m.ID())
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendUint(dst, m.Offset(), 10)
		dst = append(dst, `,"timestamp":`...)
		dst = strconv.AppendUint(dst, m.Timestamp(), 10)
		dst = append(dst, `,"origin_timestamp":`...)
		dst = strconv.AppendUint(dst, m.OriginTimestamp(), 10)
		dst = append(dst, `,"user_headers_length":`...)
		dst = strconv.AppendUint(dst, uint64(m.UserHeadersLength()), 10)
		dst = append(dst, `,"payload_length":`...)
		dst = strconv.AppendUint(dst, uint64(m.PayloadLength()), 10)
		dst = append(dst, `,"reserved":`...)
		dst = strconv.AppendUint(dst, m.Reserved(), 10)
		dst = append(dst, `},"payload":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, m.Payload())
		dst = append(dst, `","user_headers":`...)
		dst = appendHeadersJSON(dst, m.UserHeaders())
		dst = append(dst, '}')
	}
	return append(dst, "]}"...)
}

// appendU128 writes 16 little-endian bytes as a decimal number.
func appendU128(dst, id []byte) []byte {
	return appendU128Parts(dst, binary.LittleEndian.Uint64(id[8:]), binary.LittleEndian.Uint64(id))
}

// appendU128Parts writes hi·2⁶⁴+lo in decimal, 19 digits at a time (10¹⁹
// is the largest power of ten below 2⁶⁴).
func appendU128Parts(dst []byte, hi, lo uint64) []byte {
	if hi == 0 {
		return strconv.AppendUint(dst, lo, 10)
	}
	const chunk = 10_000_000_000_000_000_000
	qHi, r := hi/chunk, hi%chunk
	qLo, rem := bits.Div64(r, lo, chunk)
	dst = appendU128Parts(dst, qHi, qLo)
	var digits [19]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + rem%10)
		rem /= 10
	}
	return append(dst, digits[:]...)
}

// appendHeadersJSON writes user headers as entries sorted by key (kind,
// then bytes), or as a base64 string when the bytes do not parse.
func appendHeadersJSON(dst, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, "[]"...)
	}
	hs, err := wire.DecodeUserHeaders(raw)
	if err != nil {
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, raw)
		return append(dst, '"')
	}
	slices.SortStableFunc(hs, func(a, b wire.UserHeader) int {
		if a.Key.Kind != b.Key.Kind {
			return int(a.Key.Kind) - int(b.Key.Kind)
		}
		return bytes.Compare(a.Key.Bytes, b.Key.Bytes)
	})
	dst = append(dst, '[')
	for i, h := range hs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"key":`...)
		dst = appendHeaderValue(dst, h.Key)
		dst = append(dst, `,"value":`...)
		dst = appendHeaderValue(dst, h.Value)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

func appendHeaderValue(dst []byte, v wire.HeaderValue) []byte {
	dst = fmt.Appendf(dst, `{"kind":"%s","value":"`, v.Kind.Name())
	dst = base64.StdEncoding.AppendEncode(dst, v.Bytes)
	return append(dst, `"}`...)
}

// pollBufs holds the buffers polls read stored messages into, so a consumer
// polling in a loop does not grow a fresh one, doubling, on every request.
var pollBufs = sync.Pool{New: func() any { return new([]byte) }}

// putPollBuf returns a poll buffer, unless an unusually large poll grew it:
// the pool would pin that memory.
func putPollBuf(bp *[]byte, b []byte) {
	if cap(b) <= 8<<20 {
		*bp = b[:0]
		pollBufs.Put(bp)
	}
}

// send appends a batch (docs/protocol/http.md §4.10.2): exactly the two top-level keys,
// base64 payloads, ids as numbers, decimal strings or UUID hex.
func (s *Server) send(c *fiber.Ctx) error {
	if err := jsonContentType(c); err != nil {
		return err
	}
	if !utf8.Valid(c.Body()) { // serde's rule (jsonshape.go)
		return errBodyNotJSON
	}
	p, batch, count, err := decodeSend(c.Body(), uint64(time.Now().UnixMicro()))
	if err != nil {
		return err
	}
	if err := s.b.Send(session(c), ident(c, "stream_id"), ident(c, "topic_id"), p, batch, count); err != nil {
		return err
	}
	return empty(c, fiber.StatusCreated)
}

// sendFastPath turns decodeSendFast on; tests turn it off to compare.
var sendFastPath = true

// decodeSend turns a send body into the partitioning and the batch in wire
// form (origin stamped on every message). The common shape is read in one
// pass by decodeSendFast; everything else goes through encoding/json, and
// both give the same batch and the same errors.
func decodeSend(body []byte, origin uint64) (broker.Partitioning, []byte, int, error) {
	if sendFastPath {
		if f, ok := decodeSendFast(body, origin); ok {
			p, err := partitioningOf(f.kind, f.value)
			return p, f.batch, f.count, err
		}
	}
	return decodeSendJSON(body, origin)
}

// decodeSendJSON is the general decoder, built on encoding/json.
func decodeSendJSON(body []byte, origin uint64) (broker.Partitioning, []byte, int, error) {
	var p broker.Partitioning
	if !validJSON(body) {
		return p, nil, 0, errBodyNotJSON
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return p, nil, 0, unprocessable(err.Error())
	}
	for _, k := range slices.Sorted(maps.Keys(top)) { // sorted: the same body, the same answer
		if k != "partitioning" && k != "messages" {
			return p, nil, 0, unprocessable("unknown field `" + k + "`")
		}
	}
	rawPart, ok1 := top["partitioning"]
	rawMsgs, ok2 := top["messages"]
	if !ok1 || !ok2 {
		return p, nil, 0, unprocessable("missing field `partitioning` or `messages`")
	}
	var part rest.Partitioning
	if err := json.Unmarshal(rawPart, &part); err != nil || part.Value == nil {
		return p, nil, 0, unprocessable("partitioning")
	}
	p, err := partitioningOf(part.Kind, *part.Value)
	if err != nil {
		return p, nil, 0, err
	}
	var msgs []rest.SendMessage
	if err := json.Unmarshal(rawMsgs, &msgs); err != nil {
		return p, nil, 0, unprocessable("messages: " + err.Error())
	}
	if len(msgs) == 0 {
		return p, nil, 0, fmt.Errorf("no messages: %w", wire.ErrInvalidMessagesCount)
	}
	var batch []byte
	for i, m := range msgs {
		id, err := parseMessageID(m.ID)
		if err != nil {
			return p, nil, 0, unprocessable(fmt.Sprintf("messages[%d].id: %v", i, err))
		}
		if m.Payload == nil {
			return p, nil, 0, unprocessable(fmt.Sprintf("messages[%d]: missing field `payload`", i))
		}
		payload, err := base64.StdEncoding.DecodeString(*m.Payload)
		if err != nil || len(payload) == 0 || len(payload) > wire.MaxPayloadSize {
			return p, nil, 0, unprocessable(fmt.Sprintf("messages[%d].payload: must be non-empty base64", i))
		}
		headers, err := parseHeaders(m.UserHeaders)
		if err != nil {
			return p, nil, 0, unprocessable(fmt.Sprintf("messages[%d].user_headers: %v", i, err))
		}
		batch = wire.AppendSendMessage(batch, id, origin, payload, headers)
	}
	return p, batch, len(msgs), nil
}

// partitioningOf reads a send's partitioning: a wire.PartitioningKind name
// and its base64 value.
func partitioningOf(kindName, value string) (broker.Partitioning, error) {
	var p broker.Partitioning
	pv, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		return p, unprocessable("partitioning.value: " + err.Error())
	}
	kind, _ := wire.ParsePartitioningKind(kindName)
	switch kind {
	case wire.PartitionBalanced:
		p.Kind = broker.PartitionBalanced
	case wire.PartitionByID:
		if len(pv) == 0 {
			return p, fmt.Errorf("empty partition id: %w", wire.ErrInvalidKeyValueLength)
		}
		if len(pv) < 4 {
			return p, fmt.Errorf("partition id of %d bytes: %w", len(pv), wire.ErrInvalidCommand)
		}
		p = broker.Partitioning{Kind: broker.PartitionID, ID: binary.LittleEndian.Uint32(pv)}
	case wire.PartitionByMessageKey:
		p = broker.Partitioning{Kind: broker.PartitionMessagesKey, Key: pv}
	default:
		return p, unprocessable("unknown partitioning kind " + strconv.Quote(kindName))
	}
	return p, nil
}

// parseMessageID reads an id: absent or 0 (assign one), a JSON number that
// fits u64, a decimal u128 string, or 32 hex digits with or without dashes.
// It returns 16 little-endian bytes, or nil for "assign".
func parseMessageID(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	id := make([]byte, 16)
	var n uint64
	if err := json.Unmarshal(raw, &n); err == nil {
		binary.LittleEndian.PutUint64(id, n)
		return id, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("must be a number or a string")
	}
	if v, ok := new(big.Int).SetString(s, 10); ok && v.Sign() >= 0 && v.BitLen() <= 128 {
		be := v.FillBytes(make([]byte, 16))
		slices.Reverse(be)
		return be, nil
	}
	h := strings.ReplaceAll(s, "-", "")
	if b, err := hex.DecodeString(h); err == nil && len(b) == 16 {
		// A UUID's text is big-endian; the id is a little-endian u128.
		slices.Reverse(b)
		return b, nil
	}
	return nil, errors.New("not a u128 or a UUID: " + strconv.Quote(s))
}

// parseHeaders reads user headers: null/absent, an array of {key, value}
// entries, or a base64 string of pre-encoded header bytes.
func parseHeaders(raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var pre string
	if err := json.Unmarshal(raw, &pre); err == nil {
		b, err := base64.StdEncoding.DecodeString(pre)
		if err != nil {
			return nil, err
		}
		if len(b) > wire.MaxUserHeadersSize {
			return nil, errors.New("over 100,000 bytes")
		}
		return b, nil
	}
	var entries []rest.Header
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, err
	}
	hs := make([]wire.UserHeader, 0, len(entries))
	for _, e := range entries {
		if e.Key == nil || e.Value == nil {
			return nil, errors.New("an entry needs key and value")
		}
		k, err := headerValue(e.Key)
		if err != nil {
			return nil, err
		}
		v, err := headerValue(e.Value)
		if err != nil {
			return nil, err
		}
		hs = append(hs, wire.UserHeader{Key: k, Value: v})
	}
	b := wire.AppendUserHeaders(nil, hs...)
	if _, err := wire.DecodeUserHeaders(b); err != nil {
		return nil, err
	}
	if len(b) > wire.MaxUserHeadersSize {
		return nil, errors.New("over 100,000 bytes")
	}
	return b, nil
}

func headerValue(j *rest.HeaderValue) (wire.HeaderValue, error) {
	kind, ok := wire.ParseHeaderKind(j.Kind)
	if !ok {
		return wire.HeaderValue{}, errors.New("unknown header kind " + strconv.Quote(j.Kind))
	}
	b, err := base64.StdEncoding.DecodeString(j.Value)
	if err != nil {
		return wire.HeaderValue{}, err
	}
	return wire.HeaderValue{Kind: kind, Bytes: b}, nil
}

func (s *Server) flush(c *fiber.Ctx) error {
	pid, err := pathU32(c, "partition_id")
	if err != nil {
		return err
	}
	// Both "true" and the Rust SDK's "fsync=true" spellings.
	v := strings.TrimPrefix(c.Params("fsync"), "fsync=")
	fsync, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return &plainError{status: fiber.StatusBadRequest, text: "Invalid URL: fsync must be true or false"}
	}
	if err := s.b.FlushUnsavedBuffer(session(c), ident(c, "stream_id"), ident(c, "topic_id"), pid, fsync); err != nil {
		return err
	}
	return empty(c, fiber.StatusOK)
}
