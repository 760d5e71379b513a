package wire

import (
	"encoding/binary"
	"math"
)

// Append helpers shared by the encoders. They never fail: callers validate
// lengths (names ≤ 255 bytes) before encoding, and an over-long name is cut
// at 255 bytes rather than producing a corrupt frame.

func appendU8(dst []byte, v uint8) []byte { return append(dst, v) }

func appendU16(dst []byte, v uint16) []byte { return binary.LittleEndian.AppendUint16(dst, v) }

func appendU32(dst []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(dst, v) }

func appendU64(dst []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(dst, v) }

func appendF32(dst []byte, v float32) []byte { return appendU32(dst, math.Float32bits(v)) }

func float32frombits(v uint32) float32 { return math.Float32frombits(v) }

func appendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// appendStr8 appends a u8 length and the string (name8 and str8 share it).
func appendStr8(dst []byte, s string) []byte {
	if len(s) > math.MaxUint8 {
		s = s[:math.MaxUint8]
	}
	dst = append(dst, uint8(len(s)))
	return append(dst, s...)
}

// appendStr32 appends a u32 length and the string.
func appendStr32(dst []byte, s string) []byte {
	dst = appendU32(dst, uint32(len(s)))
	return append(dst, s...)
}

func putU32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
