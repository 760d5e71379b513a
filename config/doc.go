// Package config loads shale's configuration with koanf: the embedded, commented
// defaults.toml, then a TOML file, then environment variables (SHALE_ and
// IGGY_ prefixes), validated with every problem reported at once.
//
// Key names follow Iggy's server.toml where a key applies, so an Iggy
// operator's settings carry over.
//
// Imported only by cmd/shale, which maps Config onto each package's Options.
package config
