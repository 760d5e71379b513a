package wire

import (
	"errors"
	"fmt"
)

//go:generate go run ./internal/errgen -in testdata/error_codes.tsv -out errors_gen.go

// Error is an Iggy protocol error: a numeric code that goes on the wire and the
// snake_case name Iggy gives it. The values are generated from error_codes.tsv
// (errors_gen.go); code above wire returns them wrapped with context:
//
//	fmt.Errorf("topic %d in stream %d: %w", t, s, wire.ErrTopicIDNotFound)
//
// The context is for logs and HTTP reasons; the binary response carries only
// the code.
type Error struct {
	Code uint32
	Name string
}

func (e *Error) Error() string { return e.Name }

// CodeOf returns the protocol code carried by err, or 0 when err is nil. An
// error without a protocol code is an internal failure and maps to 1 (error).
func CodeOf(err error) uint32 {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ErrError.Code
}

// ErrorForCode returns the protocol error with the given code. Unknown codes
// give a fresh Error named after the number, so a client can still report it.
func ErrorForCode(code uint32) *Error {
	if e, ok := errorsByCode[code]; ok {
		return e
	}
	return &Error{Code: code, Name: fmt.Sprintf("unknown_error_%d", code)}
}
