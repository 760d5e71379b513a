package integration

import (
	"os"
	"os/exec"
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
	script = strings.ReplaceAll(script, "<password>", RootPassword)
	script = strings.ReplaceAll(script, "localhost:3000", s.Ports.HTTP)
	out, err := exec.Command("bash", "-euo", "pipefail", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("README curl block failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"name":"orders"`, `"name":"events"`, `"count":2`, `"payload":"aGVsbG8="`, `"payload":"d29ybGQ="`} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("README curl output lacks %s:\n%s", want, out)
		}
	}
}
