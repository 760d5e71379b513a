package config

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// field is one settable leaf of Config: its dotted key, where it sits in
// the struct, and its environment name. The table of all of them is derived
// from Config's koanf tags, so adding a field to Config is the only step
// needed to make it loadable from a file and from the environment.
type field struct {
	key    string // dotted koanf key, e.g. "tcp.tls.cert_file"
	index  []int  // reflect field index path from Config
	typ    reflect.Type
	secret bool
	env    string // environment name without prefix, e.g. "TCP_TLS_CERT_FILE"
	// zero is how a zero Duration is written back (tag zero:"none"), for
	// keys where zero means "never" rather than "no time".
	zero string
}

var (
	durationType = reflect.TypeFor[Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
	stringsType  = reflect.TypeFor[[]string]()
)

// isLeaf reports whether a field of type t holds a value rather than a table.
func isLeaf(t reflect.Type) bool {
	switch t {
	case durationType, byteSizeType, stringsType, peersType:
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int:
		return true
	}
	return false
}

// fieldTable is the table of every leaf of Config, leaves of a table before
// its sub-tables (the order TOML rendering needs), and an index by
// environment name. It is computed once; an error means Config itself is
// malformed, which TestFieldTable catches.
var fieldTable = sync.OnceValues(func() (fieldIndex, error) {
	var idx fieldIndex
	if err := walkFields(reflect.TypeFor[Config](), "", nil, &idx.all); err != nil {
		return fieldIndex{}, err
	}
	idx.byEnv = make(map[string]*field, len(idx.all))
	idx.byKey = make(map[string]*field, len(idx.all))
	for i := range idx.all {
		f := &idx.all[i]
		if other, dup := idx.byEnv[f.env]; dup {
			return fieldIndex{}, fmt.Errorf("config: keys %q and %q share the environment name %s", other.key, f.key, f.env)
		}
		idx.byEnv[f.env] = f
		idx.byKey[f.key] = f
	}
	return idx, nil
})

type fieldIndex struct {
	all   []field
	byEnv map[string]*field
	byKey map[string]*field
}

func walkFields(t reflect.Type, prefix string, index []int, out *[]field) error {
	type table struct {
		key   string
		index []int
		typ   reflect.Type
	}
	var tables []table
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name := sf.Tag.Get("koanf")
		if name == "" || strings.ContainsAny(name, ".,") {
			return fmt.Errorf("config: field %s.%s needs a koanf tag with a plain key name", t.Name(), sf.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		at := append(index[:len(index):len(index)], i)
		switch {
		case isLeaf(sf.Type):
			*out = append(*out, field{
				key:    key,
				index:  at,
				typ:    sf.Type,
				secret: sf.Tag.Get("secret") == "true",
				zero:   sf.Tag.Get("zero"),
				env:    strings.ToUpper(strings.ReplaceAll(key, ".", "_")),
			})
		case sf.Type.Kind() == reflect.Struct:
			tables = append(tables, table{key, at, sf.Type})
		default:
			return fmt.Errorf("config: field %s.%s has unsupported type %s", t.Name(), sf.Name, sf.Type)
		}
	}
	for _, tb := range tables {
		if err := walkFields(tb.typ, tb.key, tb.index, out); err != nil {
			return err
		}
	}
	return nil
}

// assign converts a value from a TOML file or the environment (where every
// value is a string) to the field's type and stores it in dst. The error
// says what was expected, in an operator's terms.
func assign(dst reflect.Value, raw any) error {
	switch dst.Type() {
	case peersType:
		peers, err := parsePeers(raw)
		if err != nil {
			return err
		}
		dst.Set(reflect.ValueOf(peers))
		return nil
	case durationType:
		switch v := raw.(type) {
		case string:
			d, err := ParseDuration(v)
			if err != nil {
				return err
			}
			dst.SetInt(int64(d))
			return nil
		case int64:
			if v == 0 {
				dst.SetInt(0)
				return nil
			}
			return fmt.Errorf("%d needs a unit: write a string such as \"%d s\" or \"%d ms\"", v, v, v)
		}
		return wrongType(raw, "a duration string such as \"10 s\"")
	case byteSizeType:
		switch v := raw.(type) {
		case string:
			s, err := ParseByteSize(v)
			if err != nil {
				return err
			}
			dst.SetUint(uint64(s))
			return nil
		case int64:
			if v < 0 {
				return fmt.Errorf("size %d must not be negative", v)
			}
			dst.SetUint(uint64(v))
			return nil
		}
		return wrongType(raw, "a size such as \"256 MiB\"")
	case stringsType:
		switch v := raw.(type) {
		case string:
			dst.Set(reflect.ValueOf(parseList(v)))
			return nil
		case []any:
			list := make([]string, 0, len(v))
			for i, e := range v {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("element %d: %w", i, wrongType(e, "a string"))
				}
				list = append(list, s)
			}
			dst.Set(reflect.ValueOf(list))
			return nil
		}
		return wrongType(raw, "a list of strings")
	}
	switch dst.Kind() {
	case reflect.String:
		if s, ok := raw.(string); ok {
			dst.SetString(s)
			return nil
		}
		return wrongType(raw, "a string")
	case reflect.Bool:
		switch v := raw.(type) {
		case bool:
			dst.SetBool(v)
			return nil
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "true":
				dst.SetBool(true)
				return nil
			case "false":
				dst.SetBool(false)
				return nil
			}
			return fmt.Errorf("%q is not a boolean: want true or false", v)
		}
		return wrongType(raw, "true or false")
	case reflect.Int:
		switch v := raw.(type) {
		case int64:
			if v < math.MinInt || v > math.MaxInt {
				return fmt.Errorf("%d is out of range", v)
			}
			dst.SetInt(v)
			return nil
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 0)
			if err != nil {
				return fmt.Errorf("%q is not an integer", v)
			}
			dst.SetInt(n)
			return nil
		}
		return wrongType(raw, "an integer")
	}
	// Unreachable while isLeaf and this switch agree; TestFieldTable loads
	// every field, so a new leaf type without a case here fails it.
	return fmt.Errorf("internal: no conversion to %s", dst.Type())
}

func wrongType(raw any, want string) error {
	var got string
	switch v := raw.(type) {
	case string:
		got = strconv.Quote(v)
	case map[string]any:
		got = "a table"
	case []any:
		got = "a list"
	case bool, int64, float64:
		got = fmt.Sprint(v)
	default:
		got = fmt.Sprintf("a %T", v)
	}
	return fmt.Errorf("want %s, got %s", want, got)
}

// parseList reads a list from an environment value the way Iggy does:
// "[a, b]" or "a,b", elements trimmed and stripped of optional double
// quotes; "[]" or "" is the empty list.
func parseList(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	list := []string{}
	if s == "" {
		return list
	}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if len(e) >= 2 && e[0] == '"' && e[len(e)-1] == '"' {
			e = e[1 : len(e)-1]
		}
		list = append(list, e)
	}
	return list
}

// fieldValue returns the settable value of f inside c.
func fieldValue(c *Config, f *field) reflect.Value {
	return reflect.ValueOf(c).Elem().FieldByIndex(f.index)
}
