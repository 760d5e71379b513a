package wire

import "testing"

// TestNamesRoundTrip checks that every enum name parses back to its code,
// so the renderer and the parser of each name cannot disagree.
func TestNamesRoundTrip(t *testing.T) {
	for k := HeaderRaw; k <= HeaderFloat64; k++ {
		if got, ok := ParseHeaderKind(k.Name()); !ok || got != k {
			t.Errorf("header kind %d: name %q parses to %d, %v", k, k.Name(), got, ok)
		}
	}
	if _, ok := ParseHeaderKind(""); ok {
		t.Error(`header kind "" parsed`)
	}
	for k := PollOffset; k <= PollNext; k++ {
		if got, ok := ParsePollKind(k.Name()); !ok || got != k {
			t.Errorf("poll kind %d: %q parses to %d, %v", k, k.Name(), got, ok)
		}
		if got, ok := ParsePollKind(k.Name()[:1]); !ok || got != k {
			t.Errorf("poll kind %d: short form parses to %d, %v", k, got, ok)
		}
	}
	for k := PartitionBalanced; k <= PartitionByMessageKey; k++ {
		if got, ok := ParsePartitioningKind(k.Name()); !ok || got != k {
			t.Errorf("partitioning %d: %q parses to %d, %v", k, k.Name(), got, ok)
		}
	}
	for _, c := range []uint8{CompressionNone, CompressionGzip} {
		name, ok := CompressionName(c)
		if got, ok2 := ParseCompression(name); !ok || !ok2 || got != c {
			t.Errorf("compression %d: %q parses to %d", c, name, got)
		}
	}
	if _, ok := CompressionName(3); ok {
		t.Error("compression 3 has a name")
	}
	for _, st := range []uint8{UserActive, UserInactive} {
		name, _ := UserStatusName(st)
		if got, ok := ParseUserStatus(name); !ok || got != st {
			t.Errorf("status %d: %q parses to %d", st, name, got)
		}
	}
	for _, tr := range []uint8{TransportTCP, TransportQUIC, TransportHTTP, TransportWebSocket} {
		if got := ParseTransport(TransportName(tr)); got != tr {
			t.Errorf("transport %d: %q parses to %d", tr, TransportName(tr), got)
		}
	}
	for c := uint8(1); c <= 6; c++ {
		if got, ok := ParseSnapshotCompression(SnapshotCompressionName(c)); !ok || got != c {
			t.Errorf("snapshot compression %d does not round-trip", c)
		}
	}
	for _, ty := range []uint8{1, 2, 3, 4, 5, 6, SnapshotAll} {
		if got, ok := ParseSnapshotType(SnapshotTypeName(ty)); !ok || got != ty {
			t.Errorf("snapshot type %d does not round-trip", ty)
		}
	}
}
