package kvtest

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cockroachdb/datadriven"
)

// Argument readers for the datadriven tests of kv's users (log,
// retention): one copy. A malformed argument panics, which datadriven
// reports with the file and line of the directive.

// StrArg is the first value of key, or def.
func StrArg(d *datadriven.TestData, key, def string) string {
	for _, a := range d.CmdArgs {
		if a.Key == key && len(a.Vals) > 0 {
			return a.Vals[0]
		}
	}
	return def
}

// UintArg reads a u64; "max" is the largest one.
func UintArg(d *datadriven.TestData, key string, def uint64) uint64 {
	if !d.HasArg(key) {
		return def
	}
	v := StrArg(d, key, "")
	if v == "max" {
		return ^uint64(0)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		panic(fmt.Sprintf("%s=%s: %v", key, v, err))
	}
	return n
}

// DurArg reads a Go duration ("1h30m").
func DurArg(d *datadriven.TestData, key string, def time.Duration) time.Duration {
	if !d.HasArg(key) {
		return def
	}
	v, err := time.ParseDuration(StrArg(d, key, ""))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", key, err))
	}
	return v
}

// ListArg is every value of key.
func ListArg(d *datadriven.TestData, key string) []string {
	for _, a := range d.CmdArgs {
		if a.Key == key {
			return a.Vals
		}
	}
	return nil
}
