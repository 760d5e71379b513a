package config

import (
	"errors"
	"strings"
	"testing"
)

// Each case is a config file with one mistake an operator makes; Load must
// refuse it and say where and what.
func TestBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		key        string // the problem's key
		want       string // in its message
	}{
		{"typo in a key", "[tcp]\nadress = \"0.0.0.0:8090\"\n", "tcp.adress", "did you mean tcp.address?"},
		{"typo in a table", "[system.durabilty]\nmode = \"interval\"\n", "system.durabilty.mode", "did you mean system.durability.mode?"},
		{"key nobody has", "[tcp]\nfrobnicate_everything = true\n", "tcp.frobnicate_everything", "unknown key in"},
		{"wrong type", "[tcp]\nmax_connections = \"many\"\n", "tcp.max_connections", "not an integer"},
		{"bad duration", "[system.durability]\nmode = \"interval\"\ninterval = \"fast\"\n", "system.durability.interval", ""},
		{"size out of range", "[system.limits]\nmax_name_length = 1000\n", "system.limits.max_name_length", "between 1 and 255"},
		{"poll answer cap too small", "[limits]\npoll_answer_bytes = \"1 KiB\"\n", "limits.poll_answer_bytes", "between 64 KiB and 1 GiB"},
		{"bad address", "[http]\naddress = \"localhost\"\n", "http.address", "not host:port"},
		{"bad policy", "[config]\nunknown_keys = \"ignore\"\n", "config.unknown_keys", "unknown policy"},
		{"cluster without name", "[cluster]\nenabled = true\nname = \"\"\n", "cluster.name", "must not be empty"},
		{"cluster duplicate node", "[cluster]\nenabled = true\n[cluster.node.current]\nname = \"a\"\n[[cluster.node.others]]\nname = \"a\"\nip = \"10.0.0.2\"\n",
			"cluster.node.others[0].name", "already the name"},
		{"cluster port 0", "[cluster]\nenabled = true\n[[cluster.node.others]]\nname = \"b\"\nip = \"10.0.0.2\"\nports = { tcp = 0 }\n",
			"cluster.node.others[0].ports.tcp", "must not be 0"},
		{"cluster port clash", "[cluster]\nenabled = true\n[[cluster.node.others]]\nname = \"b\"\nip = \"10.0.0.2\"\nports = { tcp = 9000 }\n[[cluster.node.others]]\nname = \"c\"\nip = \"10.0.0.2\"\nports = { tcp = 9000 }\n",
			"cluster.node.others[1].ports.tcp", "already another node's"},
		{"cluster peer key typo", "[[cluster.node.others]]\nname = \"b\"\nipp = \"10.0.0.2\"\n", "cluster.node.others", "unknown key \"ipp\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tc.file), nil)
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("err = %v, want Problems", err)
			}
			for _, p := range ps {
				if p.Key == tc.key {
					if !strings.Contains(p.Message, tc.want) {
						t.Errorf("%s: %q does not say %q", p.Key, p.Message, tc.want)
					}
					return
				}
			}
			t.Errorf("no problem for %s in %v", tc.key, err)
		})
	}
}

func TestSyntaxErrorHasLineAndColumn(t *testing.T) {
	path := writeFile(t, "[tcp]\naddress = \"127.0.0.1:1\"\n[system\npath = \"x\"\n")
	_, err := Load(path, nil)
	if err == nil {
		t.Fatal("no error")
	}
	if !strings.Contains(err.Error(), path+":3:") {
		t.Errorf("error does not name line 3 of %s: %v", path, err)
	}
	if !strings.Contains(err.Error(), "[system") {
		t.Errorf("error does not show the line: %v", err)
	}
}

func TestUnknownKeysWarnPolicy(t *testing.T) {
	typo := "[tcp]\nadress = \"0.0.0.0:8090\"\n"
	for name, tc := range map[string]struct {
		file    string
		environ []string
	}{
		"in the file":    {"[config]\nunknown_keys = \"warn\"\n" + typo, nil},
		"in environment": {typo, []string{"SHALE_CONFIG_UNKNOWN_KEYS=warn"}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := mustLoad(t, writeFile(t, tc.file), tc.environ...)
			w := strings.Join(cfg.Warnings(), "\n")
			if !strings.Contains(w, "tcp.adress") || !strings.Contains(w, "did you mean tcp.address?") {
				t.Errorf("warnings = %q", w)
			}
		})
	}
}

func TestIggyKeysWarnNotFail(t *testing.T) {
	cfg := mustLoad(t, writeFile(t, "[system.partition]\nenforce_fsync = true\n[telemetry]\nenabled = false\n"))
	w := strings.Join(cfg.Warnings(), "\n")
	if !strings.Contains(w, "system.partition.enforce_fsync") || !strings.Contains(w, "telemetry.enabled") {
		t.Errorf("warnings = %q", w)
	}
}

func TestClusterFromFileAndEnvironment(t *testing.T) {
	file := writeFile(t, `
[cluster]
enabled = true
name = "prod"
[cluster.node.current]
name = "n1"
ip = "10.0.0.1"
[[cluster.node.others]]
name = "n2"
ip = "10.0.0.2"
ports = { tcp = 8091, http = 3001 }
[[cluster.node.others]]
name = "n3"
ip = "10.0.0.3"
`)
	cfg := mustLoad(t, file)
	c := cfg.Cluster
	if !c.Enabled || c.Name != "prod" || c.Node.Current.Name != "n1" || c.Node.Current.IP != "10.0.0.1" || len(c.Node.Others) != 2 {
		t.Fatalf("cluster = %+v", c)
	}
	p := c.Node.Others[0]
	if p.Name != "n2" || p.IP != "10.0.0.2" || p.Ports.TCP == nil || *p.Ports.TCP != 8091 || p.Ports.HTTP == nil || *p.Ports.HTTP != 3001 ||
		p.Ports.QUIC != nil || p.Ports.WebSocket != nil {
		t.Errorf("others[0] = %+v", p)
	}
	// The rendered config reads back to the same peers.
	again := mustLoad(t, writeFile(t, string(cfg.TOML())))
	if got, want := tomlPeers(again.Cluster.Node.Others), tomlPeers(c.Node.Others); got != want {
		t.Errorf("round trip: %s, want %s", got, want)
	}

	// Indexed variables replace the file's list, as in Iggy.
	cfg = mustLoad(t, file, "IGGY_CLUSTER_NODE_OTHERS_0_NAME=e1", "IGGY_CLUSTER_NODE_OTHERS_0_IP=10.1.0.1",
		"IGGY_CLUSTER_NODE_OTHERS_0_PORTS_QUIC=9081", "SHALE_CLUSTER_NODE_OTHERS_1_NAME=e2", "IGGY_CLUSTER_NODE_OTHERS_1_IP=10.1.0.2")
	o := cfg.Cluster.Node.Others
	if len(o) != 2 || o[0].Name != "e1" || o[0].IP != "10.1.0.1" || o[0].Ports.QUIC == nil || *o[0].Ports.QUIC != 9081 || o[1].Name != "e2" {
		t.Errorf("from environment: %+v", o)
	}
}

func TestMessageExpiryNoneRendersAsNone(t *testing.T) {
	if !strings.Contains(string(Default().TOML()), "message_expiry = \"none\"") {
		t.Error("default message_expiry is not rendered as \"none\"")
	}
}
