package config

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	gotoml "github.com/pelletier/go-toml/v2"
)

// defaultsTOML is the single source of every default and its documentation.
//
//go:embed defaults.toml
var defaultsTOML []byte

// DefaultsTOML returns the embedded, commented defaults.toml, for
// `shale config defaults` or documentation.
func DefaultsTOML() []byte { return slices.Clone(defaultsTOML) }

// Load builds the configuration from three layers, each overriding the one
// before: the embedded defaults.toml, the TOML file at path (skipped when
// path is ""), and the environment (IGGY_ variables, then SHALE_ ones, so
// SHALE_ wins). environ is in os.Environ form; tests pass their own.
//
// The returned error is a plain error when the file cannot be read or is not
// TOML, and then the Config is nil. Otherwise Config is always returned and
// the error is Validate's: every problem found while loading (unparsable
// values, unknown SHALE_ variables) and every invalid setting, as Problems.
// Keys the file has that shale does not use, and unknown IGGY_ variables,
// are not errors: Iggy files and environments must load, so they are
// reported by Warnings.
func Load(path string, environ []string) (*Config, error) {
	idx, err := fieldTable()
	if err != nil {
		return nil, err
	}
	defaults := koanf.New(".")
	if err := defaults.Load(rawbytes.Provider(defaultsTOML), toml.Parser()); err != nil {
		return nil, fmt.Errorf("config: embedded defaults.toml: %w", err)
	}
	merged := defaults.Copy()
	cfg := &Config{}
	source := make(map[string]string) // key → the file or variable that set it

	var unknown []string // file keys neither shale nor Iggy knows
	if path != "" {
		fromFile, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		var unused []string
		for _, key := range fromFile.Keys() {
			switch _, ok := idx.byKey[key]; {
			case ok:
				source[key] = path
			case isIggyKey(key):
				unused = append(unused, key)
			default:
				unknown = append(unknown, key)
			}
		}
		if len(unused) > 0 {
			// One line, not one per key: an Iggy server.toml has dozens of
			// keys for features shale does not have.
			cfg.warnings = append(cfg.warnings, fmt.Sprintf("%s: Iggy keys not used by shale, ignored: %s", path, strings.Join(unused, ", ")))
		}
		if err := merged.Merge(fromFile); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}

	// IGGY_ first, SHALE_ second: a later load overrides an earlier one.
	peers := peerVars{}
	for _, prefix := range []string{iggyPrefix, shalePrefix} {
		if err := merged.Load(envProvider(prefix, environ, idx, cfg, source, peers), nil); err != nil {
			return nil, fmt.Errorf("config: environment: %w", err)
		}
	}
	if len(peers) > 0 {
		// As in Iggy, indexed variables replace the file's whole list.
		if err := merged.Set("cluster.node.others", peers.list()); err != nil {
			return nil, fmt.Errorf("config: environment: %w", err)
		}
	}

	for i := range idx.all {
		f := &idx.all[i]
		dst := fieldValue(cfg, f)
		raw := merged.Get(f.key)
		if raw == nil {
			cfg.loadProblems = append(cfg.loadProblems, Problem{Key: f.key,
				Message: "no value: a non-table value replaced its table" + from(source, f.key)})
		} else if err := assign(dst, raw); err != nil {
			cfg.loadProblems = append(cfg.loadProblems, Problem{Key: f.key, Message: err.Error() + from(source, f.key)})
		} else {
			continue
		}
		// Keep the default so that Validate reports the bad value once,
		// not again as whatever the zero value happens to violate.
		_ = assign(dst, defaults.Get(f.key))
	}
	for _, key := range unknown {
		msg := "unknown key in " + path + suggestKey(key, idx)
		if cfg.File.UnknownKeys == UnknownKeysWarn {
			cfg.warnings = append(cfg.warnings, key+": "+msg+"; ignored (config.unknown_keys = \"warn\")")
			continue
		}
		cfg.loadProblems = append(cfg.loadProblems, Problem{Key: key, Message: msg +
			" (for a file shared with another Iggy version: config.unknown_keys = \"warn\" or serve --unknown-keys=warn)"})
	}
	return cfg, cfg.Validate()
}

// loadFile reads the TOML file at path; a syntax error names the line and
// column ("shale.toml:3:9: ...") and shows the line.
func loadFile(path string) (*koanf.Koanf, error) {
	k := koanf.New(".")
	if err := k.Load(file.Provider(path), toml.Parser()); err != nil {
		var de *gotoml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("config: %s:%d:%d: %s\n%s", path, row, col, de.Error(), de.String())
		}
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return k, nil
}

// suggestKey names the closest shale or Iggy key when key is a plausible
// typo of it.
func suggestKey(key string, idx fieldIndex) string {
	best, bestDist := "", 4 // more than 3 edits away is not a typo
	consider := func(k string) {
		if d := editDistance(key, k); d < bestDist || d == bestDist && k < best {
			best, bestDist = k, d
		}
	}
	for _, f := range idx.all {
		consider(f.key)
	}
	for k := range iggyKeys() {
		consider(k)
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + best + "?"
}

// from names where a key's value came from, for problem messages.
func from(source map[string]string, key string) string {
	if s, ok := source[key]; ok {
		return " (from " + s + ")"
	}
	return ""
}

// Default returns the built-in configuration: defaults.toml alone.
func Default() *Config {
	cfg, err := Load("", nil)
	if err != nil {
		// The embedded file is part of the binary, not input; TestDefaults
		// keeps it valid, so this is a broken build.
		panic("config: embedded defaults are invalid: " + err.Error())
	}
	return cfg
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Key is the dotted key, or the environment variable's name for an
	// unknown variable.
	Key     string
	Message string
}

func (p Problem) Error() string { return p.Key + ": " + p.Message }

// Problems is every problem Validate found: those Load met first, then
// invalid settings in Config order. Match it with errors.As.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 1 {
		return "config: " + ps[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "config: %d problems:", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}
