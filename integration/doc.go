// Package integration holds end-to-end tests: they build bin/shale, start it on
// free ports with a temporary data directory and talk to it over every
// transport through client and raw frames. It also enforces the repository's
// layering rules.
//
// Imports client and wire, never server packages.
package integration
