package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit checks docs/systemd/shale.service with systemd-analyze
// verify (the binary path pointed at the built shale), and that its
// ExecStart command line is one shale accepts.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile("../docs/systemd/shale.service")
	if err != nil {
		t.Fatal(err)
	}
	const installed = "/usr/local/bin/shale"
	var execStart string
	for _, line := range strings.Split(string(unit), "\n") {
		if v, ok := strings.CutPrefix(line, "ExecStart="); ok {
			execStart = v
		}
	}
	args := strings.Fields(execStart)
	if len(args) < 2 || args[0] != installed || args[1] != "serve" {
		t.Fatalf("ExecStart = %q, want %s serve …", execStart, installed)
	}

	// The command line, with the config it names, passes --check-config.
	dir := t.TempDir()
	config := filepath.Join(dir, "shale.toml")
	if err := os.WriteFile(config, []byte("[tcp]\naddress = \"0.0.0.0:8090\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdArgs := append([]string{}, args[1:]...)
	for i, a := range cmdArgs {
		if a == "/etc/shale/shale.toml" {
			cmdArgs[i] = config
		}
	}
	cmd := exec.Command(Binary(t), append(cmdArgs, "--check-config")...)
	cmd.Env = append(os.Environ(), "SHALE_SYSTEM_PATH="+filepath.Join(dir, "data"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v --check-config: %v\n%s", cmdArgs, err, out)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd); the unit file was not verified")
	}
	path := filepath.Join(dir, "shale.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), installed, Binary(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	// verify exits non-zero on errors and only warns about unknown keys;
	// both count.
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
