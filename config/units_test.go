package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string // substring of the error; "" means success
	}{
		{in: "200ms", want: 200 * time.Millisecond},
		{in: "10 s", want: 10 * time.Second},
		{in: "1 m", want: time.Minute},
		{in: "1h 30m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "7 days", want: 7 * 24 * time.Hour},
		{in: "2 weeks", want: 14 * 24 * time.Hour},
		{in: "1 M", want: 2_630_016 * time.Second}, // months, not minutes
		{in: "5 MIN", want: 5 * time.Minute},
		{in: "3us", want: 3 * time.Microsecond},
		{in: "3µs", want: 3 * time.Microsecond},
		{in: "  45 sec ", want: 45 * time.Second},
		{in: "0"},
		{in: "none"},
		{in: "None"},
		{in: "disabled"},
		{in: "unlimited"},
		{in: "never_expire"},
		{in: "", err: "empty"},
		{in: "30", err: "needs a unit"},
		{in: "1.5 s", err: "unknown unit"},
		{in: "5 parsecs", err: "unknown unit"},
		{in: "s", err: "expected a number"},
		{in: "-5s", err: "expected a number"},
		{in: "server_default", err: "not allowed"},
		{in: "999999999999 years", err: "too long"},
		{in: "99999999999999999999s", err: "too large"},
	} {
		got, err := ParseDuration(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDuration(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.Std() != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got.Std(), err, tc.want)
		}
	}
}

func TestDurationStringRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, 200 * time.Millisecond, time.Minute,
		90 * time.Minute, 7*24*time.Hour + 3*time.Second + 4*time.Microsecond, math.MaxInt64} {
		s := Duration(d).String()
		back, err := ParseDuration(s)
		if err != nil || back.Std() != d {
			t.Errorf("%v renders as %q, which parses to %v, %v", d, s, back.Std(), err)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		err  string
	}{
		{in: "256 MiB", want: 256 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1GB", want: 1_000_000_000},
		{in: "100 KB", want: 100_000},
		{in: "100 kB", want: 100_000},
		{in: "8 KiB", want: 8192},
		{in: "1.5 KiB", want: 1536},
		{in: "0.5 B", want: 0}, // rounded down
		{in: "12345", want: 12345},
		{in: "0", want: 0},
		{in: "unlimited", want: Unlimited},
		{in: "Unlimited", want: Unlimited},
		{in: "", err: "empty"},
		{in: "-5 MiB", err: "negative"},
		{in: "5 kb", err: "unknown unit"}, // kilobits are not a size
		{in: "5 Kb", err: "unknown unit"},
		{in: "MiB", err: "expected a number"},
		{in: "1.2.3 MB", err: "bad number"},
		{in: "16 EiB", err: "too large"},
		{in: "18446744073709551615", err: "too large"}, // reserved for Unlimited
	} {
		got, err := ParseByteSize(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseByteSize(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestByteSizeString(t *testing.T) {
	for _, tc := range []struct {
		in   ByteSize
		want string
	}{
		{0, "0 B"},
		{1001, "1001 B"},
		{8000, "8 KB"},
		{256 << 20, "256 MiB"},
		{64_000_000, "64 MB"},
		{1 << 30, "1 GiB"},
		{Unlimited, "unlimited"},
		{math.MaxUint64 - 1, "18446744073709551614 B"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("ByteSize(%d).String() = %q, want %q", uint64(tc.in), got, tc.want)
		}
		if back, err := ParseByteSize(tc.in.String()); err != nil || back != tc.in {
			t.Errorf("ByteSize(%d) does not round-trip: %v, %v", uint64(tc.in), back, err)
		}
	}
}

// FuzzParseDuration checks that parsing never panics and that whatever
// parses renders to text that parses back to the same value.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"200ms", "1h 30m", "7 days", "none", "30", "1 M", "99999999999 y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if back, err := ParseDuration(d.String()); err != nil || back != d {
			t.Fatalf("%q parses to %v, renders %q, parses back to %v, %v", s, d.Std(), d.String(), back.Std(), err)
		}
	})
}

// FuzzParseByteSize checks the same for sizes.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"256 MiB", "1GB", "1.5 KiB", "unlimited", "12345", "16 EiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseByteSize(s)
		if err != nil {
			return
		}
		if back, err := ParseByteSize(n.String()); err != nil || back != n {
			t.Fatalf("%q parses to %d, renders %q, parses back to %d, %v", s, uint64(n), n.String(), uint64(back), err)
		}
	})
}
