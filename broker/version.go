package broker

import (
	"runtime"
	"runtime/debug"
)

// shale's own version, set at build time by the Makefile:
//
//	go build -ldflags "-X github.com/shalemq/shale/broker.shaleVersion=v0.3.0 \
//	  -X github.com/shalemq/shale/broker.shaleCommit=abc1234"
//
// A plain `go build` or `go install` leaves them empty; ShaleVersion and
// ShaleCommit then fall back to what the Go toolchain stamped into the
// binary (the module version, vcs.revision), and finally to "dev".
var (
	shaleVersion string
	shaleCommit  string
)

// ProtocolVersion is the Apache Iggy server release whose protocols shale
// speaks. It is the same as Version, which clients see.
const ProtocolVersion = Version

// ShaleVersion is shale's own version ("v0.3.0-12-gabc1234", a module
// version, or "dev"). It is never sent where an Iggy client reads a server
// version; see docs/compatibility.md.
func ShaleVersion() string {
	if shaleVersion != "" {
		return shaleVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// ShaleCommit is the commit shale was built from, with "-dirty" when the
// work tree had changes, or "unknown".
func ShaleCommit() string {
	if shaleCommit != "" {
		return shaleCommit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			return rev + dirty
		}
	}
	return "unknown"
}

// GoVersion is the Go toolchain that built this binary.
func GoVersion() string { return runtime.Version() }

// VersionString is the one-line summary `shale version` prints and the
// start-up log carries.
func VersionString() string {
	return "shale " + ShaleVersion() + " (commit " + ShaleCommit() + ", " + GoVersion() +
		", " + runtime.GOOS + "/" + runtime.GOARCH + ") speaking Apache Iggy " + ProtocolVersion + " protocols"
}
