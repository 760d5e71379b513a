// Package config loads shale's configuration with koanf: the embedded, commented
// defaults.toml, then a TOML file, then environment variables (SHALE_ and
// IGGY_ prefixes), validated with every problem reported at once.
//
// Key names follow Iggy's server.toml where a key applies, so an Iggy
// operator's settings carry over.
//
// Entry points: Load(path, environ) returns the Config and every problem at
// once; Config.Validate re-checks a Config edited in code; Config.TOML
// renders the effective configuration with secrets masked (cmd/shale writes
// it to <system.path>/<system.runtime.path>/current_config.toml); Getenv
// reads the non-setting variables (ROOT_USERNAME, CONFIG_PATH, ...) with
// the same SHALE_-over-IGGY_ precedence. defaults.toml is the one place a
// default lives.
//
// Imported only by cmd/shale, which maps Config onto each package's Options.
package config
