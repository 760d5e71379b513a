package integration

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/shalemq/shale"

// allowed lists, for every package of ours, the packages of ours it may import
// directly (STYLE.md §8). A package missing from this table fails the test, so
// a new package has to be placed in the graph on purpose.
var allowed = map[string][]string{
	"cmd/shale":            {"*"},
	"config":               {},
	"kv":                   {},
	"kv/kvtest":            {"kv"},
	"log":                  {"kv", "wire"},
	"wire":                 {},
	"wire/internal/errgen": {},
	"wire/wiretest":        {"wire"},
	"wire/rest":            {"wire"},
	"broker":               {"broker/auth", "log", "wire"},
	"broker/auth":          {"kv", "wire"},
	// The replication engine sits beside the broker, on kv: it replicates
	// the batches the broker's layers commit (docs/cluster.md).
	"cluster":            {"kv", "wire"},
	"broker/brokertest":  {"broker", "broker/auth", "log", "kv", "kv/kvtest", "wire"},
	"listeners/binproto": {"broker", "listeners/deadline", "wire"},
	// The progress-measured write timeout every listener applies.
	"listeners/deadline": {},
	// Test helpers only: a client's conversation with a binary listener.
	"listeners/binproto/binprototest": {"broker/brokertest", "client", "wire", "wire/wiretest"},
	"listeners/tcp":                   {"listeners/binproto", "broker", "wire"},
	"listeners/quic":                  {"listeners/binproto", "broker", "wire"},
	"listeners/http":                  {"broker", "listeners/deadline", "wire", "wire/rest", "admin"},
	"admin":                           {"broker", "wire"},
	"admin/admintest":                 {},
	"retention":                       {"log", "wire"},
	"client":                          {"wire", "wire/rest"},
	"client/bench":                    {"client", "wire"},
	"integration":                     {"admin/admintest", "client", "wire"},
}

// restricted third-party imports: only the listed packages of ours may import
// a path with this prefix directly.
var restricted = map[string][]string{
	"github.com/cockroachdb/pebble": {"kv", "kv/kvtest"},
	"github.com/knadh/koanf":        {"config"},
	"go.etcd.io/raft":               {"cluster"},
	// integration: the QUIC stream-flood attack opens raw streams.
	"github.com/quic-go/quic-go":  {"listeners/quic", "client", "integration"},
	"github.com/gofiber/fiber":    {"listeners/http", "admin"},
	"github.com/valyala/fasthttp": {"listeners/http", "admin"},
}

// forbidden imports anywhere, with what to use instead.
var forbidden = map[string]string{
	"log":                   "log/slog (our package named log must never be ambiguous)",
	"github.com/pkg/errors": "errors and fmt.Errorf with %w",
}

type listedPackage struct {
	ImportPath   string
	Dir          string
	Name         string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", module+"/...")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	var pkgs []listedPackage
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	return pkgs
}

func rel(path string) (string, bool) {
	if path == module {
		return ".", true
	}
	if strings.HasPrefix(path, module+"/") {
		return strings.TrimPrefix(path, module+"/"), true
	}
	return "", false
}

// TestLayering checks every direct import of every package against the graph
// of STYLE.md §8, and forbids a few imports everywhere.
func TestLayering(t *testing.T) {
	for _, p := range listPackages(t) {
		self, _ := rel(p.ImportPath)
		allow, known := allowed[self]
		if !known {
			t.Errorf("package %s is not in the layering table of integration/layering_test.go", self)
			continue
		}
		for _, imp := range p.Imports {
			if why, bad := forbidden[imp]; bad {
				t.Errorf("%s imports %s; use %s", self, imp, why)
			}
			if dep, ours := rel(imp); ours {
				if !slices.Contains(allow, "*") && !slices.Contains(allow, dep) {
					t.Errorf("%s imports %s; allowed: %v", self, dep, allow)
				}
				continue
			}
			for prefix, who := range restricted {
				if strings.HasPrefix(imp, prefix) && !slices.Contains(who, self) {
					t.Errorf("%s imports %s; only %v may", self, imp, who)
				}
			}
		}
		for _, imp := range append(append([]string(nil), p.TestImports...), p.XTestImports...) {
			if why, bad := forbidden[imp]; bad {
				t.Errorf("tests of %s import %s; use %s", self, imp, why)
			}
		}
	}
}

// TestPackageDocs requires a doc.go with a package comment in every package,
// saying what the package is and who may import it.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		if p.Name == "main" {
			continue
		}
		self, _ := rel(p.ImportPath)
		docCmd := exec.Command("go", "list", "-f", "{{.Doc}}", p.ImportPath)
		out, err := docCmd.Output()
		if err != nil {
			t.Errorf("%s: go list: %v", self, err)
			continue
		}
		if strings.TrimSpace(string(out)) == "" {
			t.Errorf("package %s has no package doc comment (put it in doc.go)", self)
		}
	}
}
