package main

import (
	"encoding/binary"
	"errors"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/wire"
)

func TestExpandGlobalShorthands(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"-u iggy -p secret stream list", "--username iggy --password secret stream list"},
		{"-uiggy -psecret stream list", "--username=iggy --password=secret stream list"},
		{"-q -t tok ping", "--quiet --token tok ping"},
		{"-qu iggy ping", "--quiet --username iggy ping"},
		{"--tcp-server-address -p ping", "--tcp-server-address -p ping"}, // a value, not a flag
		{"--quiet -u a message send -p 0 s t m", "--quiet --username a message send -p 0 s t m"},
		{"stream create -p x", "stream create -p x"},
		{"-- -u", "-- -u"},
	} {
		got := strings.Join(expandGlobalShorthands(strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%q → %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseExpiry(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want uint64
		bad  bool
	}{
		{[]string{"15days", "2min", "2s"}, (15*86400 + 2*60 + 2) * 1e6, false},
		{[]string{"1h 30m"}, 5400e6, false},
		{[]string{"1h30m"}, 5400e6, false},
		{[]string{"unlimited"}, wire.Unlimited, false},
		{[]string{"none"}, wire.Unlimited, false},
		{[]string{"server_default"}, 7, false},
		{nil, 7, false},
		{[]string{"15"}, 0, true},
		{[]string{"3 parsecs"}, 0, true},
		{[]string{"99999999999999999999y"}, 0, true},
		{[]string{"600000000y"}, 0, true},
	} {
		got, err := parseExpiry(tc.in, 7)
		if tc.bad != (err != nil) || !tc.bad && got != tc.want {
			t.Errorf("%q → %d, %v; want %d (bad %v)", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{"15GB": 15e9, "1.5 GiB": 3 << 29, "unlimited": wire.Unlimited,
		"server_default": 0, "512": 512, "10kb": 10e3} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("%q → %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"ten", "5 furlongs", "-1GB", "1e30"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestParsePermissions(t *testing.T) {
	p, err := parsePermissions("m_srv,read_users", []string{"3:r_str,send_messages#4:p_msg,m_top#5", "9"})
	if err != nil {
		t.Fatal(err)
	}
	want := &wire.Permissions{Global: wire.GlobalPermissions{ManageServers: true, ReadUsers: true},
		Streams: map[uint32]*wire.StreamPermissions{
			3: {ReadStream: true, SendMessages: true, Topics: map[uint32]*wire.TopicPermissions{
				4: {PollMessages: true, ManageTopic: true}, 5: {}}},
			9: {}}}
	if !slices.Equal(p.AppendTo(nil), want.AppendTo(nil)) {
		t.Errorf("got %+v", p)
	}
	if p, err := parsePermissions("", nil); p != nil || err != nil {
		t.Errorf("no options: %v %v", p, err)
	}
	for _, bad := range [][2]string{{"fly", ""}, {"", "x:r_str"}, {"", "1:nope"}, {"", "1#2:manage_stream"}} {
		var streams []string
		if bad[1] != "" {
			streams = []string{bad[1]}
		}
		if _, err := parsePermissions(bad[0], streams); !isUsage(err) {
			t.Errorf("%q accepted or not a usage error: %v", bad, err)
		}
	}
}

func isUsage(err error) bool {
	var ee *exitError
	return errors.As(err, &ee) && ee.code == exitUsage
}

func TestParseHeaders(t *testing.T) {
	b, err := parseHeaders([]string{"a:string:x", "n:uint16:513", "i:int8:-2", "f:bool:true", "big:int128:-1", "u:uint128:1"})
	if err != nil {
		t.Fatal(err)
	}
	hs, err := wire.DecodeUserHeaders(b)
	if err != nil || len(hs) != 6 {
		t.Fatalf("%v %v", hs, err)
	}
	var got []string
	for _, h := range hs {
		got = append(got, headerText(h.Key)+"="+kindName(h.Value.Kind)+":"+headerText(h.Value))
	}
	want := []string{"a=string:x", "n=uint16:513", "i=int8:-2", "f=bool:true", "big=int128:-1", "u=uint128:1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v", got)
	}
	if v := binary.LittleEndian.Uint16(hs[1].Value.Bytes); v != 513 {
		t.Errorf("uint16 bytes %v", hs[1].Value.Bytes)
	}
	for _, bad := range []string{"nokind", "a:float99:1", "a:uint8:256", "a:string:", ":string:x", "a:bool:maybe"} {
		if _, err := parseHeaders([]string{bad}); !isUsage(err) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{wire.ErrStreamIDNotFound, 1, "server error: stream_id_not_found (1009)"},
		{usageError("bad"), 2, "bad"},
		{connectError("tcp x", errors.New("refused")), 3, "cannot connect to tcp x: refused"},
	} {
		code, msg := exitCode(tc.err)
		if code != tc.code || msg != tc.msg {
			t.Errorf("%v → %d %q, want %d %q", tc.err, code, msg, tc.code, tc.msg)
		}
	}
}

// TestDocsListEveryVerb keeps docs/cli.md in step with the command tree:
// every client verb has a row there.
func TestDocsListEveryVerb(t *testing.T) {
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	root := &cobra.Command{Use: "shale"}
	addClientCommands(root, newGlobals())
	var verbs []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.HasSubCommands() {
			verbs = append(verbs, strings.TrimPrefix(c.CommandPath(), "shale "))
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	for _, c := range root.Commands() {
		walk(c)
	}
	sort.Strings(verbs)
	for _, v := range verbs {
		if !regexp.MustCompile("(?m)^\\| `shale " + regexp.QuoteMeta(v) + "[ `]").Match(doc) {
			t.Errorf("docs/cli.md has no row for `shale %s`", v)
		}
	}
}

// TestResolvePrecedence: flag over environment over context over default,
// and credentials taken as a set.
func TestResolvePrecedence(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SHALE_HOME", home)
	on := true
	if err := saveContexts(contextsFile{Active: "prod", Contexts: map[string]contextConfig{
		"prod": {Transport: "quic", QUICServerAddress: "10.0.0.1:8080", TCPServerAddress: "10.0.0.1:8090",
			Username: "ctx-user", Password: "ctx-pass", TLSSkipVerify: &on},
	}}); err != nil {
		t.Fatal(err)
	}
	resolve := func(env map[string]string, args ...string) *globals {
		t.Helper()
		g := newGlobals()
		g.environ = func(k string) string { return env[k] }
		root := &cobra.Command{Use: "shale"}
		g.addGlobalFlags(root)
		leaf := &cobra.Command{Use: "leaf", Run: func(*cobra.Command, []string) {}}
		root.AddCommand(leaf)
		root.SetArgs(append(expandGlobalShorthands(args), "leaf"))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		if err := g.resolve(leaf); err != nil {
			t.Fatal(err)
		}
		return g
	}
	g := resolve(nil)
	if g.Transport != "quic" || g.QUICServerAddress != "10.0.0.1:8080" || g.Username != "ctx-user" || g.Password != "ctx-pass" || !g.TLSSkipVerify {
		t.Errorf("context: %+v", g)
	}
	g = resolve(map[string]string{"SHALE_TRANSPORT": "http", "IGGY_USERNAME": "env-user"})
	if g.Transport != "http" || g.Username != "env-user" || g.Password != "" {
		t.Errorf("environment over context (credentials as a set): %+v", g)
	}
	g = resolve(map[string]string{"SHALE_TRANSPORT": "http"}, "--transport", "tcp", "-t", "tok")
	if g.Transport != "tcp" || g.Token != "tok" || g.Username != "" || g.TCPServerAddress != "10.0.0.1:8090" {
		t.Errorf("flag over environment: %+v", g)
	}
	g = resolve(map[string]string{"SHALE_CONTEXT": "default"})
	if g.Transport != "tcp" || g.TCPServerAddress != defaultTCPAddress || g.Username != "" {
		t.Errorf("default context: %+v", g)
	}
	st, err := os.Stat(home + "/contexts.toml")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("contexts file mode: %v %v", st, err)
	}
}
