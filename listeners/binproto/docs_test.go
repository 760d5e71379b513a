package binproto

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/shalemq/shale/wire"
)

// TestDocsListEveryCommand: the command list of docs/protocol/binary.md §3
// is the command table, row for row (code, name, whether it runs before
// login), so the docs cannot drift from the code.
func TestDocsListEveryCommand(t *testing.T) {
	doc, err := os.ReadFile("../../docs/protocol/binary.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (\\d+) \\| `([a-z_.]+)` \\| (yes|no \\(40\\)) \\|$")
	var got []string
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		got = append(got, m[1]+" "+m[2]+" "+m[3])
	}
	var want []string
	for _, code := range wire.Commands() {
		c := table[code]
		login := "no (40)"
		if c.public {
			login = "yes"
		}
		want = append(want, fmt.Sprintf("%d %s %s", c.code, c.name, login))
	}
	if !slices.Equal(got, want) {
		t.Errorf("docs/protocol/binary.md §3 lists\n%q\nthe table has\n%q", got, want)
	}
}
