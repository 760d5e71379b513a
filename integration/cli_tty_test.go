package integration

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// ttyRun starts bin/shale on a pseudo-terminal, as a person at a terminal
// runs it, and collects what the terminal shows.
type ttyRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	out  *syncBuffer
	done chan struct{}
}

func startTTY(t *testing.T, c *cli, line string) *ttyRun {
	t.Helper()
	args := splitWords(c.expand(line))
	cmd := exec.Command(cliBinary(t), args[1:]...)
	cmd.Env = append(os.Environ(), "SHALE_HOME="+c.home)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Fatal(err)
	}
	r := &ttyRun{t: t, cmd: cmd, tty: f, out: &syncBuffer{}, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		_, _ = io.Copy(r.out, f) // ends with EIO once the child has exited
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = f.Close()
	})
	return r
}

// waitFor polls until cond holds; a test fails only after a generous limit.
func (r *ttyRun) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("waiting for %s; the terminal shows:\n%s", what, r.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *ttyRun) waitText(s string) {
	r.t.Helper()
	r.waitFor("\""+s+"\"", func() bool { return strings.Contains(r.out.String(), s) })
}

// exit waits for the process and its output and returns the exit code.
func (r *ttyRun) exit() int {
	r.t.Helper()
	err := r.cmd.Wait()
	<-r.done
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		r.t.Fatal(err)
	}
	return 0
}

// TestCLITerminal: the password prompt does not echo, and `message poll
// --follow` prints messages as they arrive and stops cleanly on Ctrl-C.
func TestCLITerminal(t *testing.T) {
	s := Start(t, "")
	c := newCLI(t, s)
	c.steps([]cliStep{
		{line: g + "stream create tty-stream", want: `created`},
		{line: g + "topic create tty-stream t 1 none", want: `created`},
	})

	t.Run("password prompt", func(t *testing.T) {
		r := startTTY(t, c, "shale --tcp-server-address {tcp} -u {user} stream list")
		r.waitText("Password: ")
		// Type only once the terminal stops echoing, as a person would
		// after the prompt; then what we type must never show.
		r.waitFor("echo off", func() bool {
			tio, err := unix.IoctlGetTermios(int(r.tty.Fd()), unix.TCGETS)
			return err == nil && tio.Lflag&unix.ECHO == 0
		})
		if _, err := r.tty.Write([]byte(RootPassword + "\r")); err != nil {
			t.Fatal(err)
		}
		if code := r.exit(); code != 0 {
			t.Fatalf("exit %d:\n%s", code, r.out.String())
		}
		shown := r.out.String()
		if strings.Contains(shown, RootPassword) {
			t.Fatalf("the password was echoed:\n%s", shown)
		}
		if !strings.Contains(shown, "tty-stream") {
			t.Fatalf("no stream list after the prompt:\n%s", shown)
		}
	})

	t.Run("poll follow", func(t *testing.T) {
		r := startTTY(t, c, g+"message poll --follow --first -m 10 tty-stream t 0")
		c.steps([]cliStep{{line: g + "message send -p 0 tty-stream t first-message", want: `sent 1`}})
		r.waitText("\tfirst-message")
		c.steps([]cliStep{{line: g + "message send -p 0 tty-stream t second-message third-message", want: `sent 2`}})
		r.waitText("\tthird-message")
		if _, err := r.tty.Write([]byte{0x03}); err != nil { // Ctrl-C
			t.Fatal(err)
		}
		if code := r.exit(); code != 0 {
			t.Fatalf("Ctrl-C: exit %d, want 0:\n%s", code, r.out.String())
		}
		shown := r.out.String()
		// Each message once, in order, with its offset (the terminal ends
		// lines with \r\n).
		want := regexp.MustCompile(`^0\t\S+\tfirst-message\r\n1\t\S+\tsecond-message\r\n2\t\S+\tthird-message\r\n(\^C)?$`)
		if !want.MatchString(shown) {
			t.Errorf("the terminal shows %q", shown)
		}
		if strings.Contains(shown, "shale:") {
			t.Errorf("an error on Ctrl-C:\n%s", shown)
		}
	})
}
