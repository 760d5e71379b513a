package admin

import (
	"testing"
	"time"

	"github.com/shalemq/shale/broker"
)

// TestFormRoundTrip: what the edit form shows parses back to the same
// value, so saving a topic without touching a field keeps it.
func TestFormRoundTrip(t *testing.T) {
	for _, us := range []uint64{0, broker.Unlimited, uint64(7 * 24 * time.Hour / time.Microsecond),
		uint64(90 * time.Second / time.Microsecond), uint64(36*time.Hour/time.Microsecond) + 5} {
		got, err := parseExpiry(expiryInput(us))
		if err != nil || got != us {
			t.Errorf("expiry %d → %q → %d, %v", us, expiryInput(us), got, err)
		}
	}
	for _, b := range []uint64{0, broker.Unlimited} {
		if got, err := parseSize(maxSize(b)); err != nil || got != b {
			t.Errorf("size %d → %q → %d, %v", b, maxSize(b), got, err)
		}
	}
	if got, err := parseSize("2 GiB"); err != nil || got != 2<<30 {
		t.Errorf("2 GiB: %d %v", got, err)
	}
	for _, bad := range []string{"soon", "-5m", "12 parsecs", "GiB"} {
		if _, err := parseExpiry(bad); err == nil {
			t.Errorf("expiry %q accepted", bad)
		}
		if _, err := parseSize(bad); err == nil {
			t.Errorf("size %q accepted", bad)
		}
	}
	if got := safeNext("//evil.example/x"); got != "/ui/" {
		t.Errorf("safeNext: %q", got)
	}
	if got := safeNext("/ui/groups"); got != "/ui/groups" {
		t.Errorf("safeNext: %q", got)
	}
}
