package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
)

// TestStatsJSONKeys: `stats -o json` prints exactly the keys docs/cli.md
// lists, in that order, with the answer's values.
func TestStatsJSONKeys(t *testing.T) {
	s := wire.Stats{ProcessID: 7, MemoryUsage: 1 << 20, OSName: "Linux", OSVersion: "12", ServerVersion: "0.8.0"}
	b, err := json.Marshal(statsJSON(statsFields(&s)))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(b)))
	if _, err := dec.Token(); err != nil { // {
		t.Fatal(err)
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	doc, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| stats \\| (.*) \\|$").FindSubmatch(doc)
	if row == nil {
		t.Fatal("docs/cli.md has no stats row")
	}
	var want []string
	for _, k := range strings.Split(string(row[1]), ", ") {
		want = append(want, strings.Trim(k, "`"))
	}
	if !slices.Equal(keys, want) {
		t.Errorf("stats JSON keys\n%v\ndocs/cli.md\n%v", keys, want)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["process_id"] != 7.0 || m["memory_usage_bytes"] != float64(1<<20) || m["os_version"] != "12" || m["server_version"] != "0.8.0" {
		t.Errorf("values: %s", b)
	}
}
