package http

import (
	"strings"
	"testing"

	"github.com/shalemq/shale/wire"
)

// TestRouteLabelsFromCommandTable: a route that carries a command is
// labelled by wire's name of that command (the name the binary table gives
// it), and an HTTP-only route can never be mistaken for a command.
func TestRouteLabelsFromCommandTable(t *testing.T) {
	commandNames := map[string]bool{}
	for _, c := range wire.Commands() {
		commandNames[c.String()] = true
	}
	for route, c := range routeCommands {
		if !c.Known() {
			t.Errorf("%s carries %d, which is no command of Iggy 0.8.0", route, c)
		}
		if name, _ := routeName(route); name != c.String() {
			t.Errorf("%s is labelled %q, want %q", route, name, c.String())
		}
	}
	for route, name := range httpOnlyRoutes {
		if _, dup := routeCommands[route]; dup {
			t.Errorf("%s is in both tables", route)
		}
		if !strings.HasPrefix(name, "http.") || commandNames[name] {
			t.Errorf("HTTP-only route %s is labelled %q, which is not in the http. namespace", route, name)
		}
	}
	if name, _ := routeName("POST /streams"); name != "stream.create" {
		t.Errorf("POST /streams is labelled %q", name)
	}
}
