package wiretest

import (
	"embed"
	"encoding/hex"
	"fmt"
	"path"
	"strings"
)

//go:embed golden
var golden embed.FS

// Frame is one golden file: its name without extension and its bytes.
type Frame struct {
	Name  string
	Bytes []byte
}

// Requests returns the captured request frames (golden/requests), then the
// constructed ones (golden/constructed/requests) named "constructed/<name>".
func Requests() ([]Frame, error) {
	a, err := load("golden/requests", "")
	if err != nil {
		return nil, err
	}
	b, err := load("golden/constructed/requests", "constructed/")
	return append(a, b...), err
}

// Responses returns the response payloads (golden/responses).
func Responses() ([]Frame, error) { return load("golden/responses", "") }

// Request returns one request frame by name (as Requests names it).
func Request(name string) ([]byte, error) {
	dir := "golden/requests"
	if rest, ok := strings.CutPrefix(name, "constructed/"); ok {
		dir, name = "golden/constructed/requests", rest
	}
	return read(path.Join(dir, name+".hex"))
}

// Response returns one response payload by name.
func Response(name string) ([]byte, error) { return read(path.Join("golden/responses", name+".hex")) }

func load(dir, prefix string) ([]Frame, error) {
	entries, err := golden.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Frame
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".hex")
		if !ok {
			continue
		}
		b, err := read(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, Frame{Name: prefix + name, Bytes: b})
	}
	return out, nil
}

func read(p string) ([]byte, error) {
	raw, err := golden.ReadFile(p)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return b, nil
}
