package rest

import (
	"encoding/json"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Size is a byte count that Iggy's JSON writes as text ("1.5 KiB"). It
// marshals with FormatSize and unmarshals from that text or a plain number.
type Size uint64

// MarshalJSON writes the size as FormatSize text.
func (s Size) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, FormatSize(uint64(s))), nil
}

// UnmarshalJSON reads the text form or a number.
func (s *Size) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		var n uint64
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*s = Size(n)
		return nil
	}
	n, err := ParseSize(str)
	*s = Size(n)
	return err
}

// sizeUnits are tried from the largest, binary before decimal at each
// magnitude, as Iggy's byte-unit rendering does (docs/protocol/http.md).
var sizeUnits = []struct {
	name string
	size uint64
}{
	{"EiB", 1 << 60}, {"EB", 1e18}, {"PiB", 1 << 50}, {"PB", 1e15}, {"TiB", 1 << 40}, {"TB", 1e12},
	{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3},
}

// FormatSize renders n as Iggy does: the first unit that divides n with at
// most three decimals, trailing zeros dropped ("1.5 KiB", "1234.567 KB"),
// else "<n> B". The web console shows it verbatim and the C# SDK parses it.
func FormatSize(n uint64) string {
	hi, lo := bits.Mul64(n, 1000) // n*1000 as 128 bits; hi < 1000 <= every unit
	for _, u := range sizeUnits {
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

// ParseSize reads Iggy's byte-size text ("1.5 KiB", "0 B", or a bare
// number).
func ParseSize(s string) (uint64, error) {
	num, unit, ok := strings.Cut(s, " ")
	if !ok {
		return strconv.ParseUint(s, 10, 64)
	}
	u := uint64(0)
	if unit == "B" {
		u = 1
	}
	for _, su := range sizeUnits {
		if su.name == unit {
			u = su.size
		}
	}
	if u == 0 {
		return 0, fmt.Errorf("byte size %q: unknown unit", s)
	}
	whole, frac, _ := strings.Cut(num, ".")
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, err
	}
	v := w * u
	if frac != "" {
		f, err := strconv.ParseUint((frac + "000")[:3], 10, 64)
		if err != nil || len(frac) > 3 {
			return 0, fmt.Errorf("byte size %q", s)
		}
		v += f * u / 1000
	}
	return v, nil
}
