package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in Iggy's humantime form: "200ms",
// "10 s", "1 m", "1h 30m", "7 days". The words 0, none, disabled, unlimited
// and never_expire mean zero; what zero means (off, never, no cap) is said
// by each key's comment in defaults.toml.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String renders d in a form ParseDuration accepts back, largest unit
// first ("1h 30m", "200ms", "0s").
func (d Duration) String() string {
	if d == 0 {
		return "0s"
	}
	v := time.Duration(d)
	var b strings.Builder
	if v < 0 {
		// Only reachable for a value built in code; keep it readable and
		// let Validate reject it.
		b.WriteByte('-')
		if v == math.MinInt64 {
			return "-" + strconv.FormatUint(uint64(math.MaxInt64)+1, 10) + "ns"
		}
		v = -v
	}
	parts := []struct {
		unit time.Duration
		name string
	}{
		{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"},
		{time.Millisecond, "ms"}, {time.Microsecond, "us"}, {time.Nanosecond, "ns"},
	}
	first := true
	for _, p := range parts {
		if n := v / p.unit; n > 0 {
			if !first {
				b.WriteByte(' ')
			}
			first = false
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(p.name)
			v -= n * p.unit
		}
	}
	return b.String()
}

// MarshalText renders d like String.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text with ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// durationUnits maps every unit spelling humantime accepts to its length.
// Months and years use humantime's averages (30.44 and 365.25 days).
var durationUnits = map[string]time.Duration{
	"nsec": time.Nanosecond, "ns": time.Nanosecond,
	"usec": time.Microsecond, "us": time.Microsecond, "µs": time.Microsecond,
	"msec": time.Millisecond, "ms": time.Millisecond,
	"seconds": time.Second, "second": time.Second, "sec": time.Second, "s": time.Second,
	"minutes": time.Minute, "minute": time.Minute, "min": time.Minute, "m": time.Minute,
	"hours": time.Hour, "hour": time.Hour, "hr": time.Hour, "h": time.Hour,
	"days": 24 * time.Hour, "day": 24 * time.Hour, "d": 24 * time.Hour,
	"weeks": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "w": 7 * 24 * time.Hour,
	"months": 2_630_016 * time.Second, "month": 2_630_016 * time.Second, "M": 2_630_016 * time.Second,
	"years": 31_557_600 * time.Second, "year": 31_557_600 * time.Second, "y": 31_557_600 * time.Second,
}

// ParseDuration parses Iggy's humantime syntax (config/defaults.toml): one or more
// "<integer><unit>" parts, spaces allowed between and within them. A bare
// number other than 0 is rejected, as in Iggy: "30" could mean seconds or
// milliseconds, and guessing wrong silently is worse than an error.
func ParseDuration(s string) (Duration, error) {
	text := strings.TrimSpace(s)
	switch strings.ToLower(text) {
	case "0", "none", "disabled", "unlimited", "never_expire":
		return 0, nil
	case "":
		return 0, errors.New("empty duration")
	case "server_default", "default":
		return 0, fmt.Errorf("%q is not allowed here: give a duration or none", text)
	}
	var total time.Duration
	rest := text
	for rest != "" {
		digits := 0
		for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
			digits++
		}
		if digits == 0 {
			return 0, fmt.Errorf("invalid duration %q: expected a number at %q", text, rest)
		}
		n, err := strconv.ParseInt(rest[:digits], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: number too large", text)
		}
		rest = strings.TrimLeft(rest[digits:], " ")
		unitLen := 0
		for unitLen < len(rest) && !(rest[unitLen] >= '0' && rest[unitLen] <= '9') && rest[unitLen] != ' ' {
			unitLen++
		}
		if unitLen == 0 {
			return 0, fmt.Errorf("invalid duration %q: %d needs a unit such as ms, s, m, h or days", text, n)
		}
		name := rest[:unitLen]
		unit, ok := durationUnits[name]
		if !ok {
			// humantime is case-sensitive only for M (months) versus m
			// (minutes); accept other units in any case.
			unit, ok = durationUnits[strings.ToLower(name)]
		}
		if !ok {
			return 0, fmt.Errorf("invalid duration %q: unknown unit %q", text, name)
		}
		if n > int64(math.MaxInt64/unit) || total > math.MaxInt64-time.Duration(n)*unit {
			return 0, fmt.Errorf("invalid duration %q: too long", text)
		}
		total += time.Duration(n) * unit
		rest = strings.TrimLeft(rest[unitLen:], " ")
	}
	return Duration(total), nil
}

// ByteSize is a size in bytes written as Iggy writes sizes: "256 MiB",
// "1GB", "100 KB", a plain integer of bytes, or "unlimited".
type ByteSize uint64

// Unlimited is the ByteSize "unlimited" parses to. It is only meaningful
// where defaults.toml says a key may be unlimited; Validate rejects it
// elsewhere.
const Unlimited ByteSize = math.MaxUint64

// IsUnlimited reports whether s is Unlimited.
func (s ByteSize) IsUnlimited() bool { return s == Unlimited }

// byteUnits maps each unit spelling to its size. Unit letters are
// case-sensitive as in Iggy: "Kb" or "kb" would be kilobits, which no
// setting means, so they are rejected rather than guessed.
var byteUnits = map[string]uint64{
	"B":  1,
	"KB": 1e3, "kB": 1e3, "KiB": 1 << 10,
	"MB": 1e6, "MiB": 1 << 20,
	"GB": 1e9, "GiB": 1 << 30,
	"TB": 1e12, "TiB": 1 << 40,
	"PB": 1e15, "PiB": 1 << 50,
	"EB": 1e18, "EiB": 1 << 60,
}

// String renders s in a form ParseByteSize accepts back, with the unit
// that divides it exactly into the smallest number ("256 MiB", "64 MB",
// "1001 B").
func (s ByteSize) String() string {
	if s == Unlimited {
		return "unlimited"
	}
	v := uint64(s)
	best, bestUnit := v, "B"
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "KB", "MB", "GB", "TB", "PB", "EB"} {
		if n := byteUnits[u]; v != 0 && v%n == 0 && v/n < best {
			best, bestUnit = v/n, u
		}
	}
	return strconv.FormatUint(best, 10) + " " + bestUnit
}

// MarshalText renders s like String.
func (s ByteSize) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText parses text with ParseByteSize.
func (s *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseByteSize parses a size: a number (integer or decimal) with an
// optional space and unit, or "unlimited". A decimal size is rounded down to
// whole bytes.
func ParseByteSize(s string) (ByteSize, error) {
	text := strings.TrimSpace(s)
	if strings.EqualFold(text, "unlimited") {
		return Unlimited, nil
	}
	if text == "" {
		return 0, errors.New("empty size")
	}
	if text[0] == '-' {
		return 0, fmt.Errorf("size %q must not be negative", text)
	}
	end := 0
	for end < len(text) && (text[end] >= '0' && text[end] <= '9' || text[end] == '.') {
		end++
	}
	number, unitName := text[:end], strings.TrimSpace(text[end:])
	if number == "" {
		return 0, fmt.Errorf("invalid size %q: expected a number such as \"256 MiB\"", text)
	}
	unit := uint64(1)
	if unitName != "" {
		var ok bool
		if unit, ok = byteUnits[unitName]; !ok {
			return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, KiB, MB, MiB, GB, GiB, ...)", text, unitName)
		}
	}
	// big.Rat keeps "1.5 GiB" exact and catches overflow without float
	// rounding surprises near 2^64.
	r, ok := new(big.Rat).SetString(number)
	if !ok {
		return 0, fmt.Errorf("invalid size %q: bad number %q", text, number)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).SetUint64(unit)))
	bytes := new(big.Int).Quo(r.Num(), r.Denom())
	// MaxUint64 itself is reserved for Unlimited, so a size must stay below it.
	if !bytes.IsUint64() || bytes.Uint64() == math.MaxUint64 {
		return 0, fmt.Errorf("invalid size %q: too large", text)
	}
	return ByteSize(bytes.Uint64()), nil
}
