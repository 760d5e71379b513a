package wiretest

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/shalemq/shale/wire"
)

// NumberedPayload is a payload of size bytes that names its message: it
// starts "m<i>." and is padded with 'x'. A test that stores message i at
// offset i can then check each polled message is the one stored there
// (NumberedOffsets).
func NumberedPayload(i, size int) []byte {
	p := bytes.Repeat([]byte{'x'}, size)
	copy(p, fmt.Sprintf("m%d.", i))
	return p
}

// NumberedOffsets checks that buf holds whole messages, each with the
// NumberedPayload of its own offset, and returns their offsets.
func NumberedOffsets(t testing.TB, buf []byte) []uint64 {
	t.Helper()
	var offs []uint64
	it := wire.NewMessageIter(buf)
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		if want := fmt.Sprintf("m%d.", m.Offset()); !bytes.HasPrefix(m.Payload(), []byte(want)) {
			t.Fatalf("message at offset %d holds %.10q", m.Offset(), m.Payload())
		}
		offs = append(offs, m.Offset())
	}
	if err := it.Err(); err != nil {
		t.Fatal(err)
	}
	return offs
}
