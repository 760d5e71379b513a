package rest

import "testing"

func TestFormatSize(t *testing.T) {
	// docs/protocol/http.md's examples.
	cases := map[uint64]string{
		0: "0 B", 999: "999 B", 1000: "1 KB", 1023: "1.023 KB", 1024: "1 KiB", 1234: "1.234 KB",
		1536: "1.5 KiB", 1234567: "1234.567 KB", 2000000: "2 MB", 3211776: "3136.5 KiB",
		1073741824: "1 GiB", 1 << 62: "4 EiB", ^uint64(0): "18446744073709551.615 KB",
	}
	for n, want := range cases {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseSize(want); err != nil || back != n {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", want, back, err, n)
		}
	}
	for _, bad := range []string{"1 XB", "x B", "1.2345 KB", ""} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}
