package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/knadh/koanf/providers/env/v2"
)

const (
	shalePrefix = "SHALE_"
	iggyPrefix  = "IGGY_"
	masked      = "******"
)

// nonConfigEnv are variable names, after either prefix, that the server
// reads itself rather than as settings (cmd/shale, through Getenv).
var nonConfigEnv = []string{"CONFIG_PATH", "ENV_PATH", "DISPLAY_CONFIG", "ROOT_USERNAME", "ROOT_PASSWORD"}

// clientEnv are the names the client verbs of cmd/shale read (docs/cli.md):
// not settings, but set in the same shells that start the server.
var clientEnv = []string{"TRANSPORT", "TCP_SERVER_ADDRESS", "QUIC_SERVER_ADDRESS", "HTTP_API_URL", "USERNAME",
	"PASSWORD", "TOKEN", "TLS_CA_FILE", "TLS_SERVER_NAME", "TLS_SKIP_VERIFY", "CONTEXT", "OUTPUT", "HOME"}

// iggyOnlyEnv are IGGY_ names Iggy's own tooling sets that are not server
// settings; Iggy does not warn about them, so neither does shale.
var iggyOnlyEnv = []string{"CI_BUILD", "CONNECTORS_CONFIG_PATH", "MCP_CONFIG_PATH", "TEST_CLEANUP_DISABLED", "TEST_VERBOSE"}

// Getenv returns the value of SHALE_<name>, or else IGGY_<name>, from
// environ: the same precedence as settings. cmd/shale uses it for the
// variables that are not settings: CONFIG_PATH, ENV_PATH, DISPLAY_CONFIG,
// ROOT_USERNAME and ROOT_PASSWORD.
func Getenv(environ []string, name string) string {
	var iggy string
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		switch k {
		case shalePrefix + name:
			if v != "" {
				return v
			}
		case iggyPrefix + name:
			iggy = v
		}
	}
	return iggy
}

// EnvNames returns the environment name, without prefix, of every setting
// in Config order, marking the secret ones; for documentation and
// `shale config env`.
func EnvNames() (names []string, secret []bool) {
	idx, err := fieldTable()
	if err != nil {
		return nil, nil
	}
	for _, f := range idx.all {
		names = append(names, f.env)
		secret = append(secret, f.secret)
	}
	return names, secret
}

// envProvider reads the variables with prefix from environ through the
// explicit name table, never by splitting on "_": keys such as
// max_connections contain underscores. It records what it applies, and
// unknown names, in cfg; and the variable behind each key in source.
func envProvider(prefix string, environ []string, idx fieldIndex, cfg *Config, source map[string]string, peers peerVars) *env.Env {
	return env.Provider(".", env.Opt{
		Prefix:      prefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(name, value string) (string, any) {
			suffix := strings.TrimPrefix(name, prefix)
			if m := peerEnv.FindStringSubmatch(suffix); m != nil {
				if value != "" {
					i, _ := strconv.Atoi(m[1])
					peers.set(i, m[2], value)
					cfg.appliedEnv = append(cfg.appliedEnv, name+"="+value)
					source["cluster.node.others"] = name
				}
				return "", nil
			}
			f, ok := idx.byEnv[suffix]
			if !ok {
				unknownEnv(prefix, name, suffix, idx, cfg)
				return "", nil
			}
			// Iggy ignores empty values, so `IGGY_HTTP_ADDRESS=` in a
			// compose file does not blank the address.
			if value == "" {
				return "", nil
			}
			shown := value
			if f.secret {
				shown = masked
			}
			cfg.appliedEnv = append(cfg.appliedEnv, name+"="+shown)
			source[f.key] = name
			return f.key, value
		},
	})
}

func unknownEnv(prefix, name, suffix string, idx fieldIndex, cfg *Config) {
	if slices.Contains(nonConfigEnv, suffix) || slices.Contains(clientEnv, suffix) {
		return
	}
	if prefix == iggyPrefix {
		if slices.Contains(iggyOnlyEnv, suffix) ||
			strings.HasPrefix(suffix, "CONNECTORS_SINK_") || strings.HasPrefix(suffix, "CONNECTORS_SOURCE_") {
			return
		}
		// An Iggy deployment sets variables for features shale lacks
		// (websocket, cluster, telemetry); they must not stop the server.
		cfg.warnings = append(cfg.warnings, fmt.Sprintf("%s is not a shale setting; ignored%s", name, suggest(prefix, suffix, idx)))
		return
	}
	// A SHALE_ name can only be meant for shale, so a typo is an error
	// rather than a setting silently left at its default.
	cfg.loadProblems = append(cfg.loadProblems, Problem{Key: name,
		Message: "unknown environment variable" + suggest(prefix, suffix, idx)})
}

// suggest names the closest known variable when it is a plausible typo.
func suggest(prefix, suffix string, idx fieldIndex) string {
	best, bestDist := "", 4 // more than 3 edits away is not a typo
	for _, f := range idx.all {
		if d := editDistance(suffix, f.env); d < bestDist {
			best, bestDist = f.env, d
		}
	}
	if best == "" {
		return ""
	}
	return "; did you mean " + prefix + best + "?"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
