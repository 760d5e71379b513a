package integration

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
)

// runServe runs `shale serve` to completion (a start expected to fail) and
// returns its exit code and output.
func runServe(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(Binary(t), append([]string{"serve"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	t.Fatalf("run serve: %v", err)
	return 0, ""
}

// TestFailedStartCreatesNothing: a start that cannot bind its ports leaves
// no data directory and no root user behind; the next start that succeeds
// creates the root user and prints its generated password.
func TestFailedStartCreatesNothing(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	data := filepath.Join(t.TempDir(), "data")
	code, out := runServe(t, []string{"SHALE_SYSTEM_PATH=" + data, "SHALE_TCP_ADDRESS=" + busy.Addr().String(),
		"SHALE_QUIC_ADDRESS=127.0.0.1:0", "SHALE_HTTP_ADDRESS=127.0.0.1:0", "IGGY_ROOT_PASSWORD=", "SHALE_ROOT_PASSWORD="})
	if code == 0 || !strings.Contains(out, "tcp.address "+busy.Addr().String()) || !strings.Contains(out, "address already in use") {
		t.Fatalf("start on a busy port: exit %d\n%s", code, out)
	}
	if strings.Contains(out, "password") || strings.Contains(out, "listening") {
		t.Errorf("the failed start reported a password or a listener:\n%s", out)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the failed start created %s (%v)", data, err)
	}

	s := Start(t, data, "IGGY_ROOT_PASSWORD=")
	m := regexp.MustCompile(`generated password \(shown only now\):\s+(\S+)`).FindStringSubmatch(s.Output())
	if m == nil {
		t.Fatalf("the successful start printed no password:\n%s", s.Output())
	}
	if _, err := dialTCP(t, s).Login(context.Background(), RootUser, m[1]); err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	if len(s.Lines("has started")) != 1 {
		t.Errorf("no start line containing \"has started\":\n%s", s.Output())
	}
}

// TestLockedDataDirectory: a second server on a data directory in use
// names the holder's pid and start time, and leaves the first one running.
func TestLockedDataDirectory(t *testing.T) {
	s := Start(t, "")
	code, out := runServe(t, []string{"SHALE_SYSTEM_PATH=" + s.Dir, "SHALE_TCP_ADDRESS=127.0.0.1:0",
		"SHALE_QUIC_ADDRESS=127.0.0.1:0", "SHALE_HTTP_ADDRESS=127.0.0.1:0"})
	want := "is in use by another shale (pid " + strconv.Itoa(s.cmd.Process.Pid) + ", started "
	if code == 0 || !strings.Contains(out, want) {
		t.Fatalf("second server: exit %d, want a message containing %q:\n%s", code, want, out)
	}
	login(t, dialTCP(t, s))
}

// TestCheckConfigFileMistakes runs --check-config on files with mistakes an
// operator makes; each is refused with a message that points at it.
func TestCheckConfigFileMistakes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, file string
		env        []string
		want       []string
	}{
		{"typos", "[tcp]\nadress = \"0.0.0.0:8090\"\n[system.durabilty]\nmode = \"interval\"\n", nil,
			[]string{"tcp.adress: unknown key", "did you mean tcp.address?", "did you mean system.durability.mode?"}},
		{"syntax", "[tcp]\naddress = \"127.0.0.1:8090\"\n[http\n", nil, []string{"shale.toml:3:"}},
		{"missing certificate", "[http.tls]\nenabled = true\ncert_file = \"" + filepath.Join(dir, "nope.pem") + "\"\n", nil,
			[]string{"http.tls", "nope.pem"}},
		{"data directory under a file", "", []string{"SHALE_SYSTEM_PATH=" + filepath.Join(Binary(t), "data")}, []string{"system.path", "not a directory"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shale.toml")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			env := append([]string{"SHALE_SYSTEM_PATH=" + filepath.Join(t.TempDir(), "data")}, tc.env...)
			code, out := runServe(t, env, "--config", path, "--check-config")
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	// The typo file starts with --unknown-keys=warn, with a warning.
	path := filepath.Join(dir, "typo.toml")
	if err := os.WriteFile(path, []byte("[tcp]\nadress = \"0.0.0.0:8090\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out := runServe(t, []string{"SHALE_SYSTEM_PATH=" + filepath.Join(dir, "data")}, "--config", path, "--check-config", "--unknown-keys=warn")
	if code != 0 || !strings.Contains(out, "warning: tcp.adress") {
		t.Errorf("--unknown-keys=warn: exit %d\n%s", code, out)
	}
}

// TestClusterMetadataConfigured sets Iggy's [cluster] variables and reads
// GetClusterMetadata over the binary protocol and HTTP: the configured
// names and IPs, this node's bound ports, and the peers' given ports or
// else this node's configured ones.
func TestClusterMetadataConfigured(t *testing.T) {
	s := Start(t, "", "IGGY_CLUSTER_ENABLED=true", "IGGY_CLUSTER_NAME=prod", "IGGY_CLUSTER_NODE_CURRENT_NAME=n1",
		"IGGY_CLUSTER_NODE_CURRENT_IP=10.0.0.1", "IGGY_CLUSTER_NODE_OTHERS_0_NAME=n2", "IGGY_CLUSTER_NODE_OTHERS_0_IP=10.0.0.2",
		"IGGY_CLUSTER_NODE_OTHERS_0_PORTS_TCP=8091", "IGGY_CLUSTER_NODE_OTHERS_0_PORTS_HTTP=3001", "IGGY_WEBSOCKET_ADDRESS=127.0.0.1:9092")
	port := func(addr string) uint16 {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return uint16(n)
	}
	want := wire.ClusterMetadata{Name: "prod", Nodes: []wire.ClusterNode{
		{Name: "n1", IP: "10.0.0.1", TCPPort: port(s.Ports.TCP), QUICPort: port(s.Ports.QUIC), HTTPPort: port(s.Ports.HTTP),
			WebSocketPort: 9092, Role: wire.NodeLeader, Status: wire.NodeHealthy},
		// Ports not given are this node's configured ones (0 here: the
		// harness binds port 0).
		{Name: "n2", IP: "10.0.0.2", TCPPort: 8091, QUICPort: 0, HTTPPort: 3001, WebSocketPort: 9092,
			Role: wire.NodeFollower, Status: wire.NodeHealthy},
	}}
	c := dialTCP(t, s)
	login(t, c)
	b, err := c.Do(context.Background(), &wire.GetClusterMetadata{})
	if err != nil {
		t.Fatal(err)
	}
	var got wire.ClusterMetadata
	if err := got.Decode(b); err != nil {
		t.Fatal(err)
	}
	if got.Name != want.Name || len(got.Nodes) != 2 || got.Nodes[0] != want.Nodes[0] || got.Nodes[1] != want.Nodes[1] {
		t.Fatalf("binary: %+v\nwant %+v", got, want)
	}

	token := httpLogin(t, s, RootUser, RootPassword)
	req, _ := http.NewRequest("GET", "http://"+s.Ports.HTTP+"/cluster/metadata", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var md struct {
		Name  string `json:"name"`
		Nodes []struct {
			Name      string            `json:"name"`
			IP        string            `json:"ip"`
			Endpoints map[string]uint16 `json:"endpoints"`
			Role      string            `json:"role"`
			Status    string            `json:"status"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(body, &md); err != nil || md.Name != "prod" || len(md.Nodes) != 2 {
		t.Fatalf("http: %v %s", err, body)
	}
	n2 := md.Nodes[1]
	if md.Nodes[0].Role != "leader" || n2.Name != "n2" || n2.IP != "10.0.0.2" || n2.Role != "follower" || n2.Status != "healthy" ||
		n2.Endpoints["tcp"] != 8091 || n2.Endpoints["http"] != 3001 || n2.Endpoints["websocket"] != 9092 ||
		md.Nodes[0].Endpoints["tcp"] != port(s.Ports.TCP) {
		t.Errorf("http: %s", body)
	}
}

// TestVersionCommand runs the built binary's version command and flag.
func TestVersionCommand(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(Binary(t), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "shale ") || !strings.HasPrefix(lines[1], "commit ") ||
			!strings.HasPrefix(lines[2], "go1.") || lines[3] != "iggy protocol 0.8.0" {
			t.Errorf("%v printed:\n%s", args, out)
		}
	}
}
