package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/shalemq/shale/wire"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cliBinary is the shale binary the client-side tests run, many times
// each: under -race, a build without the race detector, because a race
// build takes about a second just to start on a loaded machine (the
// server under test is still Binary's race build; the client code's own
// tests in cmd/shale run with -race).
func cliBinary(t testing.TB) string {
	t.Helper()
	if !raceEnabled || os.Getenv("TEST_SHALE_BINARY") != "" {
		return Binary(t)
	}
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shale-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "shale")
		if out, err := exec.Command("go", "build", "-o", cliPath, "../cmd/shale").CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// cli runs bin/shale as a client with a private config directory.
type cli struct {
	t    *testing.T
	s    *Server
	home string
	env  []string
	tok  string // a personal access token of the root user, for {tok}
}

// newCLI logs in once with the root password to create a personal access
// token: most lines then log in with -t {tok}, because a password login
// costs a deliberate (argon2id) hash on the server.
func newCLI(t *testing.T, s *Server) *cli {
	c := &cli{t: t, s: s, home: t.TempDir()}
	out, errOut, code := c.run("", gp+"-q pat create cli-test")
	if code != 0 {
		t.Fatalf("pat create: exit %d\n%s%s", code, out, errOut)
	}
	c.tok = strings.TrimSpace(out)
	return c
}

// run executes one command line (words split on spaces, 'quoted' words
// kept whole; {tcp}, {quic}, {http}, {user}, {pass} and {home} replaced)
// with stdin, and returns stdout, stderr and the exit code.
func (c *cli) run(stdin, line string) (string, string, int) {
	c.t.Helper()
	args := splitWords(c.expand(line))
	if len(args) == 0 || args[0] != "shale" {
		c.t.Fatalf("command line %q does not start with shale", line)
	}
	cmd := exec.Command(cliBinary(c.t), args[1:]...)
	cmd.Env = append(append(os.Environ(), "SHALE_HOME="+c.home), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("%s: %v", line, err)
	}
	return out.String(), errb.String(), code
}

func (c *cli) expand(s string) string {
	r := strings.NewReplacer("{tcp}", c.s.Ports.TCP, "{quic}", c.s.Ports.QUIC, "{http}", "http://"+c.s.Ports.HTTP,
		"{user}", RootUser, "{pass}", RootPassword, "{home}", c.home, "{tok}", c.tok)
	return r.Replace(s)
}

func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
			in = true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// cliStep is one command line, its exit code and a pattern its output
// (stdout, then stderr) must match.
type cliStep struct {
	line  string
	stdin string
	code  int
	want  string
}

// ran records every command line run, for TestCLIEveryVerbRun.
var (
	ranMu sync.Mutex
	ran   []string
)

func (c *cli) steps(steps []cliStep) {
	c.t.Helper()
	for _, st := range steps {
		ranMu.Lock()
		ran = append(ran, st.line)
		ranMu.Unlock()
		out, errOut, code := c.run(st.stdin, st.line)
		if code != st.code {
			c.t.Errorf("%s\nexit %d, want %d\nstdout:\n%s\nstderr:\n%s", st.line, code, st.code, out, errOut)
			continue
		}
		if st.want != "" && !regexp.MustCompile(st.want).MatchString(out+errOut) {
			c.t.Errorf("%s\noutput does not match %q\nstdout:\n%s\nstderr:\n%s", st.line, st.want, out, errOut)
		}
	}
}

// iggyLines are Iggy CLI command lines (server-0.8.0 argument shapes) with
// `iggy` replaced by `shale`: global flags before the verb, positional
// arguments and short flags as the Iggy CLI takes them.
// g logs in with a token (-t), gp with a username and password (-u, -p).
const (
	g  = "shale --transport tcp --tcp-server-address {tcp} -t {tok} "
	gp = "shale --transport tcp --tcp-server-address {tcp} -u {user} -p {pass} "
)

var iggyLines = []cliStep{
	{line: "shale --tcp-server-address {tcp} ping -c 3", want: `3 pings .* min/avg/max`},
	{line: gp + "stream create orders", want: `stream orders created with id \d+`},
	{line: g + "stream create -s 7 audit", want: `stream audit created`},
	{line: gp + "stream list -l list", want: `name: +orders`},
	{line: g + "stream get orders", want: `name: +orders`},
	{line: g + "stream update audit audit2", want: `renamed to audit2`},
	{line: gp + "topic create orders events 3 none 15days 2min 2s", want: `topic events created .* 3 partitions`},
	{line: g + "topic create orders logs 1 gzip -m 1GiB -r 1 unlimited", want: `topic logs created`},
	{line: g + "topic create -t 5 orders metrics 2 none", want: `topic metrics created`},
	{line: g + "topic update orders logs logs2 none 1h", want: `updated`},
	{line: g + "topic get orders events", want: `(?s)name: +events.*PARTITION.*\n2 `},
	{line: g + "topic list orders", want: `events .* 3 .* none`},
	{line: g + "partition create orders events 2", want: `2 partitions created`},
	{line: g + "partition delete orders events 2", want: `2 partitions deleted`},
	{line: gp + "message send --partition-id 0 orders events hello 'hello world'", want: `sent 2 messages`},
	{line: g + "message send -p 1 orders events one two three", want: `sent 3 messages`},
	{line: g + "message send -m user-42 orders metrics keyed", want: `sent 1 messages`},
	{line: g + "message send -H trace:string:abc,n:uint32:7 -p 2 orders events with-headers", want: `sent 1 messages`},
	{line: g + "message send -p 2 orders events", stdin: "line one\nline two\n", want: `sent 2 messages`},
	{line: gp + "message poll --offset 0 --message-count 10 orders events 0", want: `(?s)^0\t\S+\thello\n1\t\S+\thello world\n$`},
	{line: g + "message poll -o 1 -m 1 orders events 1", want: `(?s)^1\t\S+\ttwo\n$`},
	{line: g + "message poll -f -m 10 -s orders events 2", want: `with-headers\t\[(n:uint32:7, trace:string:abc|trace:string:abc, n:uint32:7)\]\n1\t\S+\tline one\n2\t\S+\tline two`},
	{line: g + "message poll -l orders events 1", want: `^2\t\S+\tthree\n$`},
	{line: g + "message poll -n -a -c reader orders events 1", want: `^0\t\S+\tone\n$`},
	{line: g + "message poll -n -a -c reader orders events 1", want: `^1\t\S+\ttwo\n$`},
	{line: g + "message poll --offset 0 --output-file {home}/dump.bin orders events 0", want: ``},
	{line: g + "message send --input-file {home}/dump.bin -p 0 orders events", want: `sent 1 messages`},
	{line: g + "message flush orders events 0", want: `flushed`},
	{line: g + "message flush -f orders events 0", want: `flushed`},
	{line: g + "consumer-group create orders events workers", want: `consumer group workers created`},
	{line: g + "consumer-group create -g 9 orders events others", want: `consumer group others created`},
	{line: g + "consumer-group list orders events", want: `workers +3 +0`},
	{line: g + "consumer-group get orders events workers", want: `name: +workers`},
	{line: g + "consumer-group join orders events workers", want: `members: +1`},
	{line: g + "consumer-group leave orders events workers", want: `joined and left`},
	{line: g + "consumer-group delete orders events others", want: `deleted`},
	{line: g + "consumer-offset set reader orders events 0 1", want: `offset 1 stored`},
	{line: g + "consumer-offset get reader orders events 0", want: `stored offset: +1`},
	{line: g + "consumer-offset get -k consumer_group workers orders events 0", code: 1, want: `consumer_offset_not_found \(code 3021\)`},
	{line: g + "consumer-offset delete reader orders events 0", want: `deleted`},
	{line: g + "user create alice secret-pw -g r_str,p_msg -s 1:r_str#1:p_msg", want: `user alice created`},
	{line: g + "user create bob secret-pw -u inactive", want: `user bob created`},
	{line: g + "user get alice", want: `(?s)global permissions: +poll_messages, read_streams.*stream 1 topic 1: +poll_messages`},
	{line: g + "user list", want: `(?s)alice +active.*bob +inactive`},
	{line: g + "user name bob robert", want: `renamed to robert`},
	{line: g + "user status robert active", want: `now active`},
	{line: g + "user password robert secret-pw new-secret", want: `changed`},
	{line: g + "user permissions robert -g m_srv", want: `permissions of user "robert" set`},
	{line: g + "user permissions robert", want: `set`},
	{line: g + "user delete robert", want: `deleted`},
	{line: g + "pat create ci-token", want: `personal access token ci-token created: \S+`},
	{line: g + "pat create short-lived 1h 30m", want: `created`},
	{line: g + "pat list", want: `(?s)ci-token +never.*short-lived +\d{4}-`},
	{line: g + "pat delete short-lived", want: `deleted`},
	{line: g + "client list", want: `CLIENT ID .*\n\d+ +0 +tcp`},
	{line: g + "me", want: `transport: +tcp`},
	{line: g + "stats", want: `streams: +2`},
	{line: g + "stats -o json", want: `"streams_count": 2`},
	{line: g + "cluster metadata", want: `leader +healthy`},
	{line: g + "snapshot -o {home}/snap -c deflated -s server_config", want: `snapshot written to .*\.zip`},
	{line: g + "segment delete orders events 0 1", want: `1 segments deleted from partition 0`},
	{line: g + "client get 1", code: 1, want: `client_not_found \(code 100\)`},
	{line: g + "topic purge orders events", want: `purged`},
	{line: g + "stream purge orders", want: `purged`},
	{line: g + "topic delete orders metrics", want: `deleted`},
	{line: g + "stream delete audit2", want: `deleted`},

	// Exit codes: usage 2, server error 1, unreachable 3.
	{line: g + "topic create orders", code: 2, want: `takes at least 4 arguments`},
	{line: g + "stream frob", code: 2, want: `unknown command "frob"`},
	{line: g + "message poll orders events 0", code: 2, want: `exactly one of --offset`},
	{line: g + "stream list --no-such-flag", code: 2, want: `unknown flag`},
	{line: g + "topic create orders x 1 brotli", code: 2, want: `compression "brotli"`},
	{line: gp + "stream get missing-stream", code: 1, want: `stream_name_not_found \(code 1010\)`},
	{line: g + "stream delete 999", code: 1, want: `stream_id_not_found \(1009\)`},
	{line: "shale --tcp-server-address {tcp} -u {user} -p wrong stream list", code: 1, want: `invalid_credentials`},
	{line: "shale --tcp-server-address 127.0.0.1:1 -u {user} -p {pass} stream list", code: 3, want: `cannot connect to tcp 127.0.0.1:1`},
	{line: "shale --transport quic --quic-server-address 127.0.0.1:1 --timeout 2s ping", code: 3, want: `cannot connect to quic`},
	{line: "shale --transport http --http-api-url http://127.0.0.1:1 ping", code: 3, want: `cannot connect to http`},
}

// TestCLIIggyCommandLines runs Iggy CLI command lines with shale over TCP,
// checking output and exit codes, then a sample over QUIC and HTTP.
func TestCLIIggyCommandLines(t *testing.T) {
	s := Start(t, "")
	c := newCLI(t, s)
	c.steps(iggyLines)

	for _, tr := range []struct{ name, pre string }{
		{"quic", "shale --transport quic --quic-server-address {quic} -t {tok} "},
		{"http", "shale --transport http --http-api-url {http} -t {tok} "},
	} {
		pre, st := tr.pre, " s-"+tr.name+" "
		c.steps([]cliStep{
			{line: pre + "ping", want: `1 pings`},
			{line: pre + "stream create" + st, want: `created`},
			{line: pre + "topic create" + st + "t 2 none", want: `created`},
			{line: pre + "message send -p 0" + st + "t a b", want: `sent 2`},
			{line: pre + "message poll -o 0 -m 5" + st + "t 0", want: `(?s)0\t\S+\ta\n1\t\S+\tb\n`},
			{line: pre + "stream list --output json", want: `"name": "orders"`},
			{line: pre + "stats", want: `streams: +\d`},
			{line: pre + "stream get missing", code: 1, want: `stream_name_not_found`},
			{line: pre + "stream delete" + st, want: `deleted`},
		})
	}
	// client get of a connected client: a connection this test holds open.
	held := dialTCP(t, s)
	login(t, held)
	b, err := held.Do(context.Background(), &wire.GetMe{})
	var me wire.ClientDetails
	if err != nil || me.Decode(b) != nil {
		t.Fatalf("get me: %v", err)
	}
	c.steps([]cliStep{{line: g + fmt.Sprintf("client get %d", me.ClientID), want: fmt.Sprintf(`client id: +%d\n`, me.ClientID)}})
	h := "shale --transport http --http-api-url {http} -u {user} -p {pass} "
	c.steps([]cliStep{{line: "shale --transport quic --quic-server-address {quic} -u {user} -p {pass} stream list", want: `orders`}})
	// GetMe has no REST route: the Iggy SDKs fail it locally, and so does shale.
	c.steps([]cliStep{{line: h + "me", code: 1, want: `feature_unavailable`}})
}

// TestCLIJSONOutput checks the documented JSON field names.
func TestCLIJSONOutput(t *testing.T) {
	s := Start(t, "")
	c := newCLI(t, s)
	c.steps([]cliStep{
		{line: g + "stream create js", want: ``},
		{line: g + "topic create js t 2 none 1h", want: ``},
		{line: g + "message send -p 0 js t x", want: ``},
	})
	var topics []map[string]any
	out, _, code := c.run("", g+"--output json topic list js")
	if code != 0 || json.Unmarshal([]byte(out), &topics) != nil || len(topics) != 1 {
		t.Fatalf("topic list json: exit %d\n%s", code, out)
	}
	for _, k := range []string{"id", "name", "created_at", "partitions_count", "message_expiry_us", "compression_algorithm",
		"max_topic_size_bytes", "replication_factor", "size_bytes", "messages_count"} {
		if _, ok := topics[0][k]; !ok {
			t.Errorf("topic json lacks %q: %v", k, topics[0])
		}
	}
	if topics[0]["message_expiry_us"].(float64) != 3600e6 {
		t.Errorf("expiry %v, want 3600000000", topics[0]["message_expiry_us"])
	}
	out, _, _ = c.run("", g+"--output json message poll -o 0 -m 5 js t 0")
	var m map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &m); err != nil {
		t.Fatalf("poll json line: %v\n%s", err, out)
	}
	if m["payload"] != "eA==" || m["text"] != "x" || m["offset"].(float64) != 0 || m["partition_id"].(float64) != 0 {
		t.Errorf("poll json: %v", m)
	}
	out, _, _ = c.run("", g+"message poll -o 0 -m 5 --format raw js t 0")
	if out != "x" {
		t.Errorf("raw poll: %q", out)
	}
	out, _, _ = c.run("", g+"-q stream create quiet")
	if out != "" {
		t.Errorf("--quiet printed %q", out)
	}
}

// TestCLIContextAndLogin: a named context supplies the address; login
// stores a token (never the password) in a 0600 file and later verbs use
// it; logout deletes it on the server and locally.
func TestCLIContextAndLogin(t *testing.T) {
	s := Start(t, "")
	c := newCLI(t, s)
	c.steps([]cliStep{
		{line: "shale context create local --tcp-server-address {tcp} -u {user}", want: `context local created`},
		{line: "shale context use local", want: `active context: local`},
		{line: "shale context list", want: `\* +local +`},
		{line: "shale -p {pass} stream create via-context", want: `created`},
		{line: "shale stream list", stdin: RootPassword + "\n", want: `via-context`},
		{line: "shale -u {user} -p {pass} login", want: `logged in to tcp://127.0.0.1:\d+; token shale-cli-\S+ stored`},
	})
	st, err := os.Stat(filepath.Join(c.home, "sessions.toml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sessions file: %v %v", st, err)
	}
	b, _ := os.ReadFile(filepath.Join(c.home, "sessions.toml"))
	if bytes.Contains(b, []byte(RootPassword)) {
		t.Fatal("the sessions file holds the password")
	}
	c.steps([]cliStep{
		{line: "shale context create bare --tcp-server-address {tcp}", want: `created`},
		{line: "shale context use bare", want: ``},
		{line: "shale stream list", want: `via-context`}, // the stored token, no credentials given
		{line: "shale -u {user} -p {pass} pat list", want: `shale-cli-`},
		{line: "shale logout", want: `logged out`},
		{line: "shale stream list", code: 2, want: `no credentials`},
		{line: "shale -u {user} -p {pass} pat list", want: `^NAME +EXPIRES\ncli-test +never\n$`},
		{line: "shale context delete bare", want: `deleted`},
		{line: "shale context use nope", code: 2, want: `no context named "nope"`},
		{line: "shale context delete default", code: 2, want: `cannot be deleted`},
	})
	c.env = []string{"SHALE_TCP_SERVER_ADDRESS=" + s.Ports.TCP, "IGGY_USERNAME=" + RootUser, "IGGY_PASSWORD=" + RootPassword, "SHALE_CONTEXT=default"}
	c.steps([]cliStep{{line: "shale stream get via-context", want: `name: +via-context`}})
}

// TestCLICompletion: completion scripts for bash, zsh and fish, and stream
// names from the server.
func TestCLICompletion(t *testing.T) {
	s := Start(t, "")
	c := newCLI(t, s)
	c.steps([]cliStep{
		{line: "shale completion bash", want: `__start_shale`},
		{line: "shale completion zsh", want: `#compdef shale`},
		{line: "shale completion fish", want: `complete -c shale`},
		{line: "shale --generate fish", want: `complete -c shale`},
		{line: g + "stream create completes-me", want: ``},
		// --timeout lifts completion's 2 s limit: a loaded machine may be slower.
		{line: g + "--timeout 30s __complete topic list ''", want: `(?m)^completes-me$`},
	})
}

// TestCLIRetentionPreview: topics whose messages have expired show in the
// preview with the offsets that would go; nothing is deleted by it.
func TestCLIRetentionPreview(t *testing.T) {
	// The sweeper must not run during the test: it would delete what the
	// preview is asked about.
	s := Start(t, "", "SHALE_DATA_MAINTENANCE_MESSAGES_INTERVAL=1h")
	c := newCLI(t, s)
	pre := g + "--http-api-url {http} "
	c.steps([]cliStep{
		{line: pre + "retention preview", want: `would delete 0 messages`},
		{line: pre + "stream create ret", want: ``},
		{line: pre + "topic create ret short 1 none 1s", want: ``},
		{line: pre + "topic create ret long 1 none unlimited", want: ``},
		{line: pre + "message send -p 0 ret short a b c", want: `sent 3`},
		{line: pre + "message send -p 0 ret long d e", want: `sent 2`},
		{line: "shale --tcp-server-address {tcp} -u {user} -p {pass} retention preview", code: 3, want: `cannot connect to http`},
	})
	// Wait (polling, no fixed sleep) until the short topic's messages are
	// older than its expiry.
	var rp struct {
		Enabled  bool   `json:"enabled"`
		Messages uint64 `json:"messages"`
		Topics   []struct {
			Name       string `json:"name"`
			Partitions []struct {
				From uint64 `json:"from_offset"`
				To   uint64 `json:"to_offset"`
			} `json:"partitions"`
		} `json:"topics"`
	}
	for tries := 0; ; tries++ {
		out, errOut, code := c.run("", pre+"--output json retention preview")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
		if err := json.Unmarshal([]byte(out), &rp); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if rp.Messages > 0 || tries > 300 {
			break
		}
	}
	if !rp.Enabled || rp.Messages != 3 || len(rp.Topics) != 1 || rp.Topics[0].Name != "short" ||
		rp.Topics[0].Partitions[0].From != 0 || rp.Topics[0].Partitions[0].To != 3 {
		t.Fatalf("preview: %+v", rp)
	}
	c.steps([]cliStep{
		{line: pre + "retention preview", want: `(?s)short \(\d+\) +0 +\[0, 3\) +3 .*would delete 3 messages`},
		{line: pre + "message poll -f -m 10 ret short 0", want: `(?s)a\n.*b\n.*c\n`}, // still there
	})
}

// TestCLIEveryVerbRun checks that the CLI tests above ran every verb
// docs/cli.md lists (cmd/shale's TestDocsListEveryVerb ties that list to
// the command tree). It runs after them, being last in the file.
func TestCLIEveryVerbRun(t *testing.T) {
	ranMu.Lock()
	lines := strings.Join(ran, "\n")
	ranMu.Unlock()
	if !strings.Contains(lines, "stream create orders") {
		t.Skip("the CLI tests did not run (use -run TestCLI)")
	}
	doc, err := os.ReadFile("../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	verbs := regexp.MustCompile("(?m)^\\| `shale ([a-z-]+(?: [a-z]+)?)[ `]").FindAllStringSubmatch(string(doc), -1)
	if len(verbs) < 40 {
		t.Fatalf("only %d verbs found in docs/cli.md", len(verbs))
	}
	for _, v := range verbs {
		if !regexp.MustCompile(`(?m)(^| )` + regexp.QuoteMeta(v[1]) + `( |$)`).MatchString(lines) {
			t.Errorf("no CLI test runs `shale %s`", v[1])
		}
	}
}
