package kv

import "testing"

// TestMetaKindsDistinct: no two metadata kinds share a byte, so a scan of
// one kind's prefix never sees another's records.
func TestMetaKindsDistinct(t *testing.T) {
	seen := map[byte]string{}
	for _, k := range MetaKinds {
		if other, dup := seen[k.Kind]; dup {
			t.Errorf("metadata kind %q is both %s and %s", k.Kind, other, k.Name)
		}
		seen[k.Kind] = k.Name
	}
	if len(MetaKinds) != 10 {
		t.Errorf("%d kinds listed; add a new kind to MetaKinds and to this count", len(MetaKinds))
	}
}
