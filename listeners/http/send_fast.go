package http

import (
	"encoding/base64"
	"encoding/binary"
	"math/bits"

	"github.com/shalemq/shale/wire"
)

// fastSend is what decodeSendFast read.
type fastSend struct {
	kind, value string // the partitioning, still to be checked
	batch       []byte // the messages in wire form
	count       int
}

// decodeSendFast reads a send body of the shape SDKs write, in one pass and
// without reflection: the object {"partitioning": {"kind", "value"},
// "messages": [{"id", "payload", "user_headers": null}, ...]} with keys in
// any order, ids as JSON numbers, decimal strings or UUIDs, and strings
// without escapes. Each payload is decoded from base64 straight into the
// batch. Profiled, encoding/json (validation, then reflection) took over
// half of the server's time in an HTTP send of 1,000 × 1 KB.
//
// It reports ok = false for anything else (escapes, unknown or repeated
// keys, user headers, an empty or malformed payload, bad syntax), and then
// the caller uses decodeSendJSON, which answers those cases, errors
// included. So whatever this accepts, the general decoder would have turned
// into the same batch; the differential test checks it.
func decodeSendFast(body []byte, origin uint64) (f fastSend, ok bool) {
	c := cursor{b: body}
	// Base64 is 4/3 of the payload, and every message carries some JSON
	// around it, so the body's length bounds the batch unless payloads are
	// tiny; append grows it then.
	f.batch = make([]byte, 0, len(body))
	var sawPart, sawMsgs bool
	okObj := c.object(func(key []byte) bool {
		switch {
		case string(key) == "partitioning" && !sawPart:
			sawPart = true
			var sawKind, sawValue bool
			return c.object(func(k []byte) bool {
				switch {
				case string(k) == "kind" && !sawKind:
					sawKind = true
					s, ok := c.str()
					f.kind = string(s)
					return ok
				case string(k) == "value" && !sawValue:
					sawValue = true
					s, ok := c.str()
					f.value = string(s)
					return ok
				}
				return false
			}) && sawKind && sawValue
		case string(key) == "messages" && !sawMsgs:
			sawMsgs = true
			return c.array(func() bool {
				var ok bool
				f.batch, ok = c.message(f.batch, origin)
				f.count++
				return ok
			}) && f.count > 0
		}
		return false
	})
	c.ws()
	return f, okObj && sawPart && sawMsgs && c.i == len(c.b)
}

// cursor walks JSON bytes. Every method returns false on anything outside
// the subset decodeSendFast handles, valid JSON or not.
type cursor struct {
	b []byte
	i int
}

func (c *cursor) ws() {
	for c.i < len(c.b) && (c.b[c.i] == ' ' || c.b[c.i] == '\t' || c.b[c.i] == '\n' || c.b[c.i] == '\r') {
		c.i++
	}
}

func (c *cursor) eat(ch byte) bool {
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ch {
		c.i++
		return true
	}
	return false
}

// str reads a string of printable ASCII without escapes and returns its
// contents (aliasing the body).
func (c *cursor) str() ([]byte, bool) {
	if !c.eat('"') {
		return nil, false
	}
	start := c.i
	for c.i < len(c.b) {
		c.i += plainRun(c.b[c.i:])
		if c.i >= len(c.b) {
			break
		}
		ch := c.b[c.i]
		switch {
		case ch == '"':
			c.i++
			return c.b[start : c.i-1], true
		case ch == '\\' || ch < 0x20 || ch >= 0x80:
			return nil, false
		}
		c.i++
	}
	return nil, false
}

// plainRun is how many leading bytes of b, in whole 8-byte words, are
// printable ASCII other than '"' and '\\': eight bytes a step instead of one
// (a payload string is over a kilobyte of base64), leaving the word that
// holds the first other byte to the byte loop.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	n := 0
	for ; n+8 <= len(b); n += 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		// A byte of q or bs is zero where x has '"' or '\\'; x - 0x20 per
		// byte borrows where x < 0x20; the high bit marks bytes ≥ 0x80.
		if ((q-ones)&^q|(bs-ones)&^bs|(x-ones*0x20)&^x|x)&highs != 0 {
			break
		}
	}
	return n
}

// object reads {"key": value, ...}; field reads the value of each key.
func (c *cursor) object(field func(key []byte) bool) bool {
	if !c.eat('{') {
		return false
	}
	if c.eat('}') {
		return true
	}
	for {
		key, ok := c.str()
		if !ok || !c.eat(':') || !field(key) {
			return false
		}
		if c.eat('}') {
			return true
		}
		if !c.eat(',') {
			return false
		}
	}
}

// array reads [elem, ...]; elem reads one element.
func (c *cursor) array(elem func() bool) bool {
	if !c.eat('[') {
		return false
	}
	if c.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if c.eat(']') {
			return true
		}
		if !c.eat(',') {
			return false
		}
	}
}

func (c *cursor) null() bool {
	c.ws()
	if len(c.b)-c.i >= 4 && string(c.b[c.i:c.i+4]) == "null" {
		c.i += 4
		return c.delim()
	}
	return false
}

// delim reports whether the next byte may follow a number or literal.
func (c *cursor) delim() bool {
	if c.i == len(c.b) {
		return true
	}
	switch c.b[c.i] {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// message reads one message object and appends it to batch in wire form.
func (c *cursor) message(batch []byte, origin uint64) ([]byte, bool) {
	var id [16]byte
	var payload []byte
	var sawID, sawPayload, sawHeaders bool
	ok := c.object(func(key []byte) bool {
		switch {
		case string(key) == "id" && !sawID:
			sawID = true
			return c.id(&id)
		case string(key) == "payload" && !sawPayload:
			sawPayload = true
			var ok bool
			payload, ok = c.str()
			return ok
		case string(key) == "user_headers" && !sawHeaders:
			sawHeaders = true
			return c.null()
		}
		return false
	})
	if !ok || !sawPayload {
		return batch, false
	}
	// Exact decoded length from the padding; the general decoder refuses
	// (or, for odd lengths, reads differently) what this leaves to it.
	if len(payload) == 0 || len(payload)%4 != 0 {
		return batch, false
	}
	n := len(payload) / 4 * 3
	if payload[len(payload)-1] == '=' {
		n--
		if payload[len(payload)-2] == '=' {
			n--
		}
	}
	if n == 0 || n > wire.MaxPayloadSize {
		return batch, false
	}
	batch = wire.AppendMessageHeader(batch, id[:], origin, uint32(n), 0)
	at := len(batch)
	batch = append(batch, make([]byte, len(payload)/4*3)...) // room for Decode's whole quanta
	got, err := base64.StdEncoding.Decode(batch[at:], payload)
	if err != nil || got != n {
		return batch, false
	}
	return batch[:at+n], true
}

// id reads a message id: null, a JSON number that fits u64, or a string
// holding a decimal u128; a UUID or anything else is left to the general
// decoder. It fills id as a little-endian u128, zero meaning "assign".
func (c *cursor) id(id *[16]byte) bool {
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == 'n' {
		return c.null()
	}
	if c.i < len(c.b) && c.b[c.i] == '"' {
		s, ok := c.str()
		if !ok {
			return false
		}
		hi, lo, ok := decimalU128(s)
		binary.LittleEndian.PutUint64(id[0:], lo)
		binary.LittleEndian.PutUint64(id[8:], hi)
		return ok
	}
	start := c.i
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
		c.i++
	}
	digits := c.b[start:c.i]
	if len(digits) == 0 || len(digits) > 20 || (len(digits) > 1 && digits[0] == '0') || !c.delim() {
		return false
	}
	hi, lo, ok := decimalU128(digits)
	binary.LittleEndian.PutUint64(id[0:], lo)
	return ok && hi == 0
}

// decimalU128 parses 1 to 39 decimal digits into a u128, refusing overflow.
// Leading zeros are allowed, as in the general decoder's big.Int parse.
func decimalU128(s []byte) (hi, lo uint64, ok bool) {
	if len(s) == 0 || len(s) > 39 {
		return 0, 0, false
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, 0, false
		}
		// (hi, lo) = (hi, lo) × 10 + digit
		h1, l1 := bits.Mul64(lo, 10)
		h2, h := bits.Mul64(hi, 10)
		if h2 != 0 {
			return 0, 0, false
		}
		h, carry := bits.Add64(h, h1, 0)
		if carry != 0 {
			return 0, 0, false
		}
		lo, carry = bits.Add64(l1, uint64(ch-'0'), 0)
		h, carry = bits.Add64(h, 0, carry)
		if carry != 0 {
			return 0, 0, false
		}
		hi = h
	}
	return hi, lo, true
}
