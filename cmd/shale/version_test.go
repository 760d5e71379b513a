package main

import (
	"bytes"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
)

func TestVersionOutput(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		root := rootCommand()
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != 4 {
			t.Fatalf("%v printed %d lines, want 4:\n%s", args, len(lines), out.String())
		}
		for i, prefix := range []string{"shale ", "commit ", runtime.Version(), "iggy protocol 0.8.0"} {
			if !strings.HasPrefix(lines[i], prefix) {
				t.Errorf("%v line %d = %q, want prefix %q", args, i, lines[i], prefix)
			}
		}
		if lines[0] == "shale " {
			t.Errorf("%v: empty version", args)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	root := rootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"version", "--json"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	var v versionInfo
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if v.Version == "" || v.Commit == "" || v.Go != runtime.Version() || v.Protocol != "0.8.0" {
		t.Errorf("version --json = %+v", v)
	}
}
