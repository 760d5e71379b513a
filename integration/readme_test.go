package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeCurl runs the README's "Try it with curl" block, as written,
// against a fresh server: a user with only curl can log in, create a
// stream and a topic, send and poll.
func TestReadmeCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is needed (.ci/run installs it)")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Try it with curl")
	if !ok {
		t.Fatal("README has no curl section")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	script, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README curl block not closed")
	}
	s := Start(t, "")
	script = strings.ReplaceAll(script, "localhost:3000", s.Ports.HTTP)

	// A wrong password stops the block at the login, with the reason.
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "<password>", "not-the-password")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "login failed:") || !strings.Contains(string(out), "invalid_credentials") {
		t.Fatalf("README curl block with a wrong password: %v\n%s", err, out)
	}
	if strings.Contains(string(out), `"name":"orders"`) {
		t.Fatalf("README curl block went on after a failed login:\n%s", out)
	}

	script = strings.ReplaceAll(script, "<password>", RootPassword)
	out, err = exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("README curl block failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"name":"orders"`, `"name":"events"`, `"count":2`, `"payload":"aGVsbG8="`, `"payload":"d29ybGQ="`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("README curl output lacks %s:\n%s", want, out)
		}
	}
}

// TestReadmeCLITour runs the README's shale CLI tour against a fresh
// server: every line but starting the server and the follow (which
// TestCLITerminal covers at a terminal); the password comes from
// IGGY_PASSWORD instead of the prompt.
func TestReadmeCLITour(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## A two-minute tour with the shale CLI")
	if !ok {
		t.Fatal("README has no CLI tour")
	}
	_, rest, _ = strings.Cut(rest, "```sh\n")
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("README tour block not closed")
	}
	var script []string
	for _, line := range strings.Split(block, "\n") {
		if line == "make run" || strings.HasPrefix(line, "export PATH") || strings.Contains(line, "--follow") {
			continue
		}
		script = append(script, line)
	}
	s := Start(t, "")
	bin := cliBinary(t)
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"), "SHALE_HOME="+t.TempDir(),
		"SHALE_TCP_SERVER_ADDRESS="+s.Ports.TCP, "IGGY_PASSWORD="+RootPassword)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README tour failed: %v\n%s", err, out)
	}
	for _, want := range []string{"logged in to", "stream orders created", "topic events created", "sent 2 messages",
		"messages:", "events"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("README tour output lacks %q:\n%s", want, out)
		}
	}
}
