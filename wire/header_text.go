package wire

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
)

// Text is a header key or value as a person reads it: a string's text,
// true or false, a number in decimal (int128 and uint128 too), a float in
// the shortest form that reads back the same. ok is false for raw bytes
// and for a value whose length does not fit its kind; the caller picks how
// to show those (hex, base64). The dashboard and the CLI both print headers
// through it.
func (v HeaderValue) Text() (text string, ok bool) {
	b := v.Bytes
	if n := v.Kind.fixedSize(); n == 0 && v.Kind != HeaderString || n != 0 && len(b) != n {
		return "", false
	}
	le := binary.LittleEndian
	switch v.Kind {
	case HeaderString:
		return string(b), true
	case HeaderBool:
		return strconv.FormatBool(b[0] == 1), true
	case HeaderInt8:
		return strconv.FormatInt(int64(int8(b[0])), 10), true
	case HeaderInt16:
		return strconv.FormatInt(int64(int16(le.Uint16(b))), 10), true
	case HeaderInt32:
		return strconv.FormatInt(int64(int32(le.Uint32(b))), 10), true
	case HeaderInt64:
		return strconv.FormatInt(int64(le.Uint64(b)), 10), true
	case HeaderUint8:
		return strconv.FormatUint(uint64(b[0]), 10), true
	case HeaderUint16:
		return strconv.FormatUint(uint64(le.Uint16(b)), 10), true
	case HeaderUint32:
		return strconv.FormatUint(uint64(le.Uint32(b)), 10), true
	case HeaderUint64:
		return strconv.FormatUint(le.Uint64(b), 10), true
	case HeaderInt128, HeaderUint128:
		be := make([]byte, 16)
		for i := range 16 {
			be[i] = b[15-i]
		}
		n := new(big.Int).SetBytes(be)
		if v.Kind == HeaderInt128 && be[0]&0x80 != 0 {
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), 128))
		}
		return n.String(), true
	case HeaderFloat32:
		return strconv.FormatFloat(float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32), true
	case HeaderFloat64:
		return strconv.FormatFloat(math.Float64frombits(le.Uint64(b)), 'g', -1, 64), true
	}
	return "", false
}
