package main

// Output and argument helpers shared by the client verbs.
//
// Every verb prints in one of three modes: an aligned table for people
// (the default), "list" (one `key: value` block per item, the Iggy CLI's
// -l list), or --output json: one JSON document (an object, or an array for
// lists) whose field names are documented in docs/cli.md and do not change.
// --quiet drops status lines ("stream created") but never the data asked
// for (a get, a list, polled messages, a new token).

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/wire"
)

type output struct {
	g    *globals
	w    io.Writer
	mode string // table, list or json
}

func newOutput(g *globals, cmd *cobra.Command) *output {
	mode := g.Output
	if mode == "" {
		mode = "table"
	}
	if f := cmd.Flags().Lookup("list-mode"); f != nil && f.Changed && mode == "table" {
		mode = f.Value.String()
	}
	return &output{g: g, w: g.stdout, mode: mode}
}

// info prints a status line, unless quiet or JSON.
func (o *output) info(format string, a ...any) {
	if o.g.Quiet || o.mode == "json" {
		return
	}
	fmt.Fprintf(o.w, format+"\n", a...)
}

func (o *output) json(v any) error {
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints rows under header, or v as JSON.
func (o *output) table(v any, header []string, rows [][]string) error {
	switch o.mode {
	case "json":
		return o.json(v)
	case "list":
		for i, r := range rows {
			if i > 0 {
				fmt.Fprintln(o.w)
			}
			o.pairs(header, r)
		}
		return nil
	}
	tw := tabwriter.NewWriter(o.w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// object prints one item as aligned `key: value` lines, or v as JSON.
func (o *output) object(v any, keys, values []string) error {
	if o.mode == "json" {
		return o.json(v)
	}
	o.pairs(keys, values)
	return nil
}

func (o *output) pairs(keys, values []string) {
	tw := tabwriter.NewWriter(o.w, 0, 0, 1, ' ', 0)
	for i, k := range keys {
		fmt.Fprintf(tw, "%s:\t%s\n", strings.ToLower(k), values[i])
	}
	_ = tw.Flush()
}

// group makes a command that only holds verbs: run bare it prints its
// help; an unknown verb is a usage error.
func group(name, short string, aliases ...string) *cobra.Command {
	return &cobra.Command{
		Use: name, Short: short, Aliases: aliases,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
}

// exactArgs is cobra.ExactArgs as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return rangeArgs(n, n)
}

func rangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < lo || hi >= 0 && len(args) > hi {
			want := strconv.Itoa(lo)
			switch {
			case hi < 0:
				want = "at least " + want
			case hi != lo:
				want = fmt.Sprintf("%d to %d", lo, hi)
			}
			return usageError("%s takes %s arguments, got %d (usage: %s)", cmd.CommandPath(), want, len(args), cmd.UseLine())
		}
		return nil
	}
}

// ident reads a stream, topic, group, user or consumer id: a number is a
// numeric id, anything else a name (as the Iggy CLI reads Identifier).
func ident(what, s string) (wire.Identifier, error) {
	if s == "" {
		return wire.Identifier{}, usageError("%s: empty", what)
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return wire.NumericID(uint32(n)), nil
	}
	if len(s) > 255 {
		return wire.Identifier{}, usageError("%s: names are at most 255 bytes", what)
	}
	return wire.NamedID(s), nil
}

func idents(names []string, args []string) ([]wire.Identifier, error) {
	out := make([]wire.Identifier, len(names))
	for i, n := range names {
		id, err := ident(n, args[i])
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}

func parseU32(what, s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, usageError("%s: %q is not a number", what, s)
	}
	return uint32(n), nil
}

func parseU64(what, s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, usageError("%s: %q is not a number", what, s)
	}
	return n, nil
}

// durationUnits are the humantime units the Iggy CLI accepts, in
// microseconds.
var durationUnits = map[string]uint64{
	"us": 1, "usec": 1, "microsecond": 1, "microseconds": 1,
	"ms": 1e3, "msec": 1e3, "millisecond": 1e3, "milliseconds": 1e3,
	"s": 1e6, "sec": 1e6, "secs": 1e6, "second": 1e6, "seconds": 1e6,
	"m": 60e6, "min": 60e6, "mins": 60e6, "minute": 60e6, "minutes": 60e6,
	"h": 3600e6, "hr": 3600e6, "hrs": 3600e6, "hour": 3600e6, "hours": 3600e6,
	"d": 86400e6, "day": 86400e6, "days": 86400e6,
	"w": 7 * 86400e6, "week": 7 * 86400e6, "weeks": 7 * 86400e6,
	"M": 2_630_016e6, "month": 2_630_016e6, "months": 2_630_016e6,
	"y": 31_557_600e6, "year": 31_557_600e6, "years": 31_557_600e6,
}

// parseExpiry reads a duration such as "15days 2min 2s" (one or several
// arguments) into microseconds. "unlimited", "none" and "never_expire"
// give wire.Unlimited; "server_default" gives def.
func parseExpiry(args []string, def uint64) (uint64, error) {
	s := strings.TrimSpace(strings.Join(args, " "))
	switch strings.ToLower(s) {
	case "", "server_default", "default":
		return def, nil
	case "unlimited", "none", "never_expire", "0":
		return wire.Unlimited, nil
	}
	var total uint64
	for _, field := range strings.Fields(s) {
		for field != "" {
			i := 0
			for i < len(field) && field[i] >= '0' && field[i] <= '9' {
				i++
			}
			j := i
			for j < len(field) && (field[j] < '0' || field[j] > '9') {
				j++
			}
			if i == 0 || j == i {
				return 0, fmt.Errorf("%q: want a duration like 15days 2min 2s", s)
			}
			n, err := strconv.ParseUint(field[:i], 10, 64)
			unit, ok := durationUnits[field[i:j]]
			if !ok {
				unit, ok = durationUnits[strings.ToLower(field[i:j])]
			}
			if err != nil || !ok {
				return 0, fmt.Errorf("%q: unknown unit %q", s, field[i:j])
			}
			if n > (math.MaxUint64-1-total)/unit {
				return 0, fmt.Errorf("%q: too long", s)
			}
			total += n * unit
			field = field[j:]
		}
	}
	return total, nil
}

// parseSize reads a size such as "15GB", "1.5 GiB" or "unlimited" into
// bytes; "server_default" gives 0 (the server's default).
func parseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	switch strings.ToLower(t) {
	case "", "server_default", "default":
		return 0, nil
	case "unlimited", "none":
		return wire.Unlimited, nil
	}
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	if unit == "" {
		unit = "B"
	}
	mult := map[string]float64{"b": 1, "kb": 1e3, "kib": 1 << 10, "mb": 1e6, "mib": 1 << 20, "gb": 1e9, "gib": 1 << 30,
		"tb": 1e12, "tib": 1 << 40, "pb": 1e15, "pib": 1 << 50}[strings.ToLower(unit)]
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || mult == 0 || v < 0 {
		return 0, fmt.Errorf("%q: want a size like 15GB, 1.5GiB or unlimited", s)
	}
	b := v * mult
	if b >= math.MaxUint64 {
		return 0, fmt.Errorf("%q: too large", s)
	}
	return uint64(b), nil
}

// Formatting for tables.

func fmtTime(us uint64) string {
	if us == 0 {
		return "-"
	}
	return time.UnixMicro(int64(us)).UTC().Format("2006-01-02 15:04:05")
}

func fmtExpiry(us uint64) string {
	switch us {
	case 0:
		return "server_default"
	case wire.Unlimited:
		return "unlimited"
	}
	return (time.Duration(us) * time.Microsecond).String()
}

func fmtSize(b uint64) string {
	if b == wire.Unlimited {
		return "unlimited"
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(b), 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", b)
	}
	return fmt.Sprintf("%.2f %s", v, units[i])
}

func itoa[T ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int](v T) string {
	return strconv.FormatUint(uint64(v), 10)
}

func compressionName(c uint8) string {
	switch c {
	case wire.CompressionNone:
		return "none"
	case wire.CompressionGzip:
		return "gzip"
	}
	return "unknown(" + itoa(c) + ")"
}

func parseCompression(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "none":
		return wire.CompressionNone, nil
	case "gzip":
		return wire.CompressionGzip, nil
	}
	return 0, usageError("compression %q: want none or gzip", s)
}

func transportName(t uint8) string {
	switch t {
	case wire.TransportTCP:
		return "tcp"
	case wire.TransportQUIC:
		return "quic"
	case wire.TransportHTTP:
		return "http"
	case wire.TransportWebSocket:
		return "websocket"
	}
	return "unknown"
}

func userStatusName(s uint8) string {
	if s == wire.UserInactive {
		return "inactive"
	}
	return "active"
}
