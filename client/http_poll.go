package client

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// A poll answer over HTTP is mostly base64 payloads inside JSON, and
// encoding/json spent four fifths of the client's time on it (scanning every
// byte twice, then unquoting each payload into a string). polledFromJSON
// reads the shape the server writes in one pass, decoding payloads straight
// into the wire-form result; anything it does not expect (escapes,
// unknown layout) falls back to encoding/json, so any valid answer decodes.

// polledFromJSON rebuilds a binary PollMessages answer, appended to dst.
func polledFromJSON(dst, b []byte) ([]byte, error) {
	if out, err := fastPolledFromJSON(dst, b); err == nil {
		return out, nil
	}
	return slowPolledFromJSON(dst, b)
}

var errSlowPath = errors.New("poll json: take the general decoder")

// jsonCursor walks a JSON document that is expected to be simple: strings
// without escapes, integers without signs, fractions or exponents.
type jsonCursor struct {
	b []byte
	i int
}

func (c *jsonCursor) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// eat consumes ch (after whitespace) if it is next.
func (c *jsonCursor) eat(ch byte) bool {
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == ch {
		c.i++
		return true
	}
	return false
}

func (c *jsonCursor) must(ch byte) error {
	if !c.eat(ch) {
		return errSlowPath
	}
	return nil
}

// str returns the bytes of a string without escapes.
func (c *jsonCursor) str() ([]byte, error) {
	if !c.eat('"') {
		return nil, errSlowPath
	}
	end := bytes.IndexByte(c.b[c.i:], '"')
	if end < 0 {
		return nil, errSlowPath
	}
	s := c.b[c.i : c.i+end]
	if bytes.IndexByte(s, '\\') >= 0 {
		return nil, errSlowPath
	}
	c.i += end + 1
	return s, nil
}

// u128 reads an unsigned decimal integer of up to 128 bits.
func (c *jsonCursor) u128() (hi, lo uint64, err error) {
	c.ws()
	start := c.i
	for c.i < len(c.b) && c.b[c.i] >= '0' && c.b[c.i] <= '9' {
		d := uint64(c.b[c.i] - '0')
		h1, l1 := bits.Mul64(lo, 10)
		h2 := hi * 10
		if hi > 0 && h2/10 != hi {
			return 0, 0, errSlowPath
		}
		var carry uint64
		lo, carry = bits.Add64(l1, d, 0)
		var c2 uint64
		hi, c2 = bits.Add64(h2, h1, carry)
		if c2 != 0 {
			return 0, 0, errSlowPath
		}
		c.i++
	}
	if c.i == start || (c.i < len(c.b) && (c.b[c.i] == '.' || c.b[c.i] == 'e' || c.b[c.i] == 'E')) {
		return 0, 0, errSlowPath
	}
	return hi, lo, nil
}

func (c *jsonCursor) u64() (uint64, error) {
	hi, lo, err := c.u128()
	if err != nil || hi != 0 {
		return 0, errSlowPath
	}
	return lo, nil
}

// skip passes over one value of any kind, returning its bytes.
func (c *jsonCursor) skip() ([]byte, error) {
	c.ws()
	start := c.i
	depth := 0
	for c.i < len(c.b) {
		switch ch := c.b[c.i]; ch {
		case '"':
			if _, err := c.str(); err != nil {
				return nil, err
			}
			if depth == 0 {
				return c.b[start:c.i], nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the object or array holding a scalar
				if c.i == start {
					return nil, errSlowPath
				}
				return c.b[start:c.i], nil
			}
			depth--
			if depth == 0 {
				c.i++
				return c.b[start:c.i], nil
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				if c.i == start {
					return nil, errSlowPath
				}
				return c.b[start:c.i], nil
			}
		}
		c.i++
	}
	if depth != 0 || c.i == start {
		return nil, errSlowPath
	}
	return c.b[start:c.i], nil
}

// skipUnknown passes over the value of a key the decoder does not use,
// unless encoding/json would take the key for one of known (it matches
// keys case-insensitively).
func (c *jsonCursor) skipUnknown(key []byte, known ...string) error {
	for _, k := range known {
		if bytes.EqualFold(key, []byte(k)) {
			return errSlowPath
		}
	}
	_, err := c.skip()
	return err
}

// fields calls fn for each key of an object; fn consumes the value.
func (c *jsonCursor) fields(fn func(key []byte) error) error {
	if err := c.must('{'); err != nil {
		return err
	}
	if c.eat('}') {
		return nil
	}
	for {
		key, err := c.str()
		if err != nil {
			return err
		}
		if err := c.must(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		if c.eat('}') {
			return nil
		}
		if err := c.must(','); err != nil {
			return err
		}
	}
}

func fastPolledFromJSON(dst, b []byte) ([]byte, error) {
	c := &jsonCursor{b: b}
	var partition, count uint32
	var current uint64
	headerAt := len(dst)
	out := wire.AppendPolledHeader(dst, 0, 0, 0)
	var payload []byte // scratch, reused across messages
	var seen uint32
	messages := false
	err := c.fields(func(key []byte) error {
		var err error
		var v uint64
		switch string(key) {
		case "partition_id":
			v, err = c.u64()
			partition = uint32(v)
		case "current_offset":
			current, err = c.u64()
		case "count":
			v, err = c.u64()
			count = uint32(v)
		case "messages":
			if messages {
				return errSlowPath // a repeated key: encoding/json keeps the last
			}
			messages = true
			if err := c.must('['); err != nil {
				return err
			}
			if c.eat(']') {
				return nil
			}
			for {
				out, payload, err = appendPolledMessageJSON(c, out, payload)
				if err != nil {
					return err
				}
				seen++
				if c.eat(']') {
					return nil
				}
				if err := c.must(','); err != nil {
					return err
				}
			}
		default:
			err = c.skipUnknown(key, "partition_id", "current_offset", "count", "messages")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if c.ws(); c.i != len(b) || seen != count {
		return nil, errSlowPath
	}
	wire.AppendPolledHeader(out[headerAt:headerAt], partition, current, count)
	return out, nil
}

func appendPolledMessageJSON(c *jsonCursor, out, payload []byte) ([]byte, []byte, error) {
	var checksum, offset, ts, origin uint64
	var idHi, idLo uint64
	var headers []byte
	havePayload := false
	err := c.fields(func(key []byte) error {
		var err error
		switch string(key) {
		case "header":
			return c.fields(func(key []byte) error {
				var err error
				switch string(key) {
				case "checksum":
					checksum, err = c.u64()
				case "id":
					idHi, idLo, err = c.u128()
				case "offset":
					offset, err = c.u64()
				case "timestamp":
					ts, err = c.u64()
				case "origin_timestamp":
					origin, err = c.u64()
				default:
					err = c.skipUnknown(key, "checksum", "id", "offset", "timestamp", "origin_timestamp")
				}
				return err
			})
		case "payload":
			s, err := c.str()
			if err != nil {
				return err
			}
			payload, err = base64.StdEncoding.AppendDecode(payload[:0], s)
			havePayload = err == nil
			return err
		case "user_headers":
			raw, err := c.skip()
			if err != nil {
				return err
			}
			headers, err = headersFromJSON(raw)
			return err
		default:
			err = c.skipUnknown(key, "header", "payload", "user_headers")
		}
		return err
	})
	if err != nil || !havePayload {
		return nil, nil, errSlowPath
	}
	var id [16]byte
	putU128LE(id[:], idHi, idLo)
	return appendPolledMessage(out, id[:], payload, headers, offset, ts, origin, checksum), payload, nil
}

// appendPolledMessage appends one message in wire form with the fields the
// server set.
func appendPolledMessage(out, id, payload, headers []byte, offset, ts, origin, checksum uint64) []byte {
	start := len(out)
	out = wire.AppendSendMessage(out, id, origin, payload, headers)
	m := wire.Message(out[start:])
	m.SetOffset(offset)
	m.SetTimestamp(ts)
	m.SetChecksum(checksum)
	return out
}

func putU128LE(b []byte, hi, lo uint64) {
	for i := range 8 {
		b[i] = byte(lo >> (8 * i))
		b[8+i] = byte(hi >> (8 * i))
	}
}

// slowPolledFromJSON is the general decoder, for any valid answer.
func slowPolledFromJSON(dst, b []byte) ([]byte, error) {
	var res rest.PolledMessages
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		return nil, err
	}
	out := wire.AppendPolledHeader(dst, res.PartitionID, res.CurrentOffset, res.Count)
	for _, m := range res.Messages {
		payload, err := base64.StdEncoding.DecodeString(m.Payload)
		if err != nil {
			return nil, err
		}
		headers, err := headersFromJSON(m.UserHeaders)
		if err != nil {
			return nil, err
		}
		id, ok := new(big.Int).SetString(m.Header.ID.String(), 10)
		if !ok || id.Sign() < 0 || id.BitLen() > 128 {
			return nil, fmt.Errorf("message id %q", m.Header.ID)
		}
		idLE := id.FillBytes(make([]byte, 16))
		slices.Reverse(idLE)
		out = appendPolledMessage(out, idLE, payload, headers, m.Header.Offset, m.Header.Timestamp, m.Header.OriginTimestamp, m.Header.Checksum)
	}
	return out, nil
}
