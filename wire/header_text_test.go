package wire

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestHeaderValueText(t *testing.T) {
	le := binary.LittleEndian
	minus := func(n int) []byte { // two's complement of -n in 16 bytes
		b := make([]byte, 16)
		for i := range b {
			b[i] = 0xff
		}
		le.PutUint64(b, uint64(-int64(n)))
		return b
	}
	for _, tc := range []struct {
		v    HeaderValue
		want string
		ok   bool
	}{
		{StringHeader("héllo"), "héllo", true},
		{HeaderValue{HeaderBool, []byte{1}}, "true", true},
		{HeaderValue{HeaderBool, []byte{0}}, "false", true},
		{HeaderValue{HeaderInt8, []byte{0xff}}, "-1", true},
		{HeaderValue{HeaderInt16, le.AppendUint16(nil, 0x8000)}, "-32768", true},
		{HeaderValue{HeaderInt32, le.AppendUint32(nil, math.MaxUint32)}, "-1", true},
		{HeaderValue{HeaderInt64, le.AppendUint64(nil, 1<<63)}, "-9223372036854775808", true},
		{HeaderValue{HeaderUint8, []byte{255}}, "255", true},
		{HeaderValue{HeaderUint16, le.AppendUint16(nil, 65535)}, "65535", true},
		{Uint32Header(4000000000), "4000000000", true},
		{HeaderValue{HeaderUint64, le.AppendUint64(nil, math.MaxUint64)}, "18446744073709551615", true},
		{HeaderValue{HeaderUint128, minus(1)}, "340282366920938463463374607431768211455", true},
		{HeaderValue{HeaderInt128, minus(5)}, "-5", true},
		{HeaderValue{HeaderFloat32, le.AppendUint32(nil, math.Float32bits(1.5))}, "1.5", true},
		{HeaderValue{HeaderFloat64, le.AppendUint64(nil, math.Float64bits(-0.1))}, "-0.1", true},
		{HeaderValue{HeaderRaw, []byte{1, 2}}, "", false},
		{HeaderValue{HeaderUint32, []byte{1, 2}}, "", false}, // wrong length: no panic
		{HeaderValue{HeaderBool, nil}, "", false},
		{HeaderValue{99, []byte{1}}, "", false},
	} {
		got, ok := tc.v.Text()
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v % x: Text() = %q, %v; want %q, %v", tc.v.Kind, tc.v.Bytes, got, ok, tc.want, tc.ok)
		}
	}
}
