package http

import "testing"

func TestByteSize(t *testing.T) {
	// HTTP.md §2.1's examples.
	cases := map[uint64]string{
		0: "0 B", 999: "999 B", 1000: "1 KB", 1023: "1.023 KB", 1024: "1 KiB", 1234: "1.234 KB",
		1536: "1.5 KiB", 1234567: "1234.567 KB", 2000000: "2 MB", 3211776: "3136.5 KiB",
		1073741824: "1 GiB", 1 << 62: "4 EiB", ^uint64(0): "18446744073709551.615 KB",
	}
	for n, want := range cases {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
