package log

import (
	"fmt"
	"strconv"

	"github.com/shalemq/shale/wire"
)

// Ident names a stream, topic or consumer group either by numeric id or by
// exact, case-sensitive name (docs/protocol/binary.md §2.1). A name that looks like a
// number is still a name.
type Ident struct {
	ID     uint32
	Name   string
	ByName bool
}

// ID returns an Ident for a numeric id.
func ID(id uint32) Ident { return Ident{ID: id} }

// Name returns an Ident for a name.
func Name(name string) Ident { return Ident{Name: name, ByName: true} }

func (i Ident) String() string {
	if i.ByName {
		return strconv.Quote(i.Name)
	}
	return strconv.FormatUint(uint64(i.ID), 10)
}

// MaxNameLength is the longest stream, topic or group name (docs/protocol/binary.md §0).
const MaxNameLength = 255

// checkName applies the binary server's only name rule: 1..=255 bytes.
func checkName(what, name string) error {
	if len(name) == 0 || len(name) > MaxNameLength {
		return fmt.Errorf("%s name must be 1..%d bytes, got %d: %w", what, MaxNameLength, len(name), wire.ErrInvalidFormat)
	}
	return nil
}
