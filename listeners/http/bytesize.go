package http

import (
	"math/bits"
	"strconv"
	"strings"
)

// byteUnits are tried from the largest, binary before decimal at each
// magnitude, as Iggy's byte-unit rendering does (HTTP.md §2.1).
var byteUnits = []struct {
	name string
	size uint64
}{
	{"EiB", 1 << 60}, {"EB", 1e18}, {"PiB", 1 << 50}, {"PB", 1e15}, {"TiB", 1 << 40}, {"TB", 1e12},
	{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
}

// ByteSize renders n as Iggy does: the first unit that divides n with at
// most three decimals, trailing zeros dropped ("1.5 KiB", "1234.567 KB"),
// else "<n> B". The web console shows it verbatim and the C# SDK parses it.
func ByteSize(n uint64) string {
	hi, lo := bits.Mul64(n, 1000) // n*1000 as 128 bits; hi < 1000 <= every unit
	for _, u := range byteUnits {
		if n < u.size {
			continue
		}
		q, rem := bits.Div64(hi, lo, u.size)
		if rem != 0 {
			continue
		}
		whole, frac := q/1000, q%1000
		s := strconv.FormatUint(whole, 10)
		if frac != 0 {
			f := strconv.FormatUint(frac+1000, 10)[1:] // three digits, zero-padded
			s += "." + strings.TrimRight(f, "0")
		}
		return s + " " + u.name
	}
	return strconv.FormatUint(n, 10) + " B"
}
