package http

import (
	"bytes"
	"testing"
)

// TestPlainRun: the word-at-a-time scan stops at the word holding the first
// byte the byte loop must see ('"', '\\', a control byte, non-ASCII) and
// skips every whole word before it.
func TestPlainRun(t *testing.T) {
	for n := range 40 {
		plain := bytes.Repeat([]byte("Az09+/= "), 5)[:n]
		if got := plainRun(plain); got != n&^7 {
			t.Errorf("%d plain bytes: skipped %d, want %d", n, got, n&^7)
		}
		for _, special := range []byte{'"', '\\', 0x00, 0x1f, 0x7f + 1, 0xc3, 0xff} {
			for at := range n {
				b := bytes.Clone(plain)
				b[at] = special
				got := plainRun(b)
				if got > at || got%8 != 0 || got+8 <= at {
					t.Errorf("byte %#x at %d of %d: skipped %d", special, at, n, got)
				}
			}
		}
	}
	// 0x7f (DEL) and the bytes around the limits are plain.
	if got := plainRun([]byte{0x7f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7e, 0x7f}); got != 8 {
		t.Errorf("printable edge bytes: skipped %d, want 8", got)
	}
}
