package config

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Redacted returns a copy of c with every non-empty secret replaced by
// "******", safe to log or write to disk. An empty secret stays empty, so
// the copy still shows whether a secret was configured.
func (c *Config) Redacted() *Config {
	out := *c
	idx, err := fieldTable()
	if err != nil {
		return &out
	}
	for i := range idx.all {
		f := &idx.all[i]
		dst := fieldValue(&out, f)
		switch {
		case f.secret && f.typ.Kind() == reflect.String && dst.String() != "":
			dst.SetString(masked)
		case f.typ == peersType:
			dst.Set(reflect.ValueOf(slices.Clone(dst.Interface().(ClusterPeers))))
		case f.typ == stringsType:
			// Unshare slices so that editing the copy never edits c.
			dst.Set(reflect.ValueOf(slices.Clone(dst.Interface().([]string))))
		}
	}
	out.loadProblems = slices.Clone(c.loadProblems)
	out.warnings = slices.Clone(c.warnings)
	out.appliedEnv = slices.Clone(c.appliedEnv)
	return &out
}

// TOML renders the effective configuration, secrets masked, as a TOML
// document Load reads back: every key, in defaults.toml's table layout.
// cmd/shale writes it to <system.path>/<system.runtime.path>/current_config.toml,
// where Iggy's test harnesses look for the bound addresses.
func (c *Config) TOML() []byte {
	idx, err := fieldTable()
	if err != nil {
		return []byte("# " + err.Error() + "\n")
	}
	r := c.Redacted()
	var b strings.Builder
	b.WriteString("# Effective shale configuration; secrets are masked.\n")
	table := ""
	for i := range idx.all {
		f := &idx.all[i]
		parent, name := "", f.key
		if dot := strings.LastIndexByte(f.key, '.'); dot >= 0 {
			parent, name = f.key[:dot], f.key[dot+1:]
		}
		// The field table lists a table's own keys before its sub-tables,
		// so each header is written once, as TOML requires.
		if parent != table {
			fmt.Fprintf(&b, "\n[%s]\n", parent)
			table = parent
		}
		b.WriteString(name)
		b.WriteString(" = ")
		if v := fieldValue(r, f); f.zero != "" && v.Type() == durationType && v.Int() == 0 {
			b.WriteString(tomlString(f.zero))
		} else {
			b.WriteString(tomlValue(v))
		}
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func tomlValue(v reflect.Value) string {
	switch v.Type() {
	case peersType:
		return tomlPeers(v.Interface().(ClusterPeers))
	case durationType:
		return tomlString(Duration(v.Int()).String())
	case byteSizeType:
		return tomlString(ByteSize(v.Uint()).String())
	case stringsType:
		list := v.Interface().([]string)
		quoted := make([]string, len(list))
		for i, s := range list {
			quoted[i] = tomlString(s)
		}
		return "[" + strings.Join(quoted, ", ") + "]"
	}
	switch v.Kind() {
	case reflect.String:
		return tomlString(v.String())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int:
		return strconv.FormatInt(v.Int(), 10)
	}
	return tomlString(fmt.Sprint(v.Interface()))
}

// tomlString quotes s as a TOML basic string. strconv.Quote is close but
// not the same language: TOML has no \x escapes and must be valid UTF-8.
func tomlString(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
