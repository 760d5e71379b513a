package http

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// TestPermissionMatrixHTTP is listeners/binproto's TestPermissionMatrix
// over the REST API: shale's HTTP client turns each command into its
// route and Iggy's error body back into a code, and every answer must be
// what Iggy 0.8 decides (brokertest.IggyAllows): 41 (403) where it
// refuses, success where it allows. Commands Iggy has no route for (get
// me, join and leave a group) are skipped; every route that maps to a
// command of the matrix must be reached.
func TestPermissionMatrixHTTP(t *testing.T) {
	ctx := context.Background()
	steps := brokertest.MatrixSteps()
	reached := map[wire.Command]bool{}
	for _, p := range brokertest.PermProfiles() {
		a := newAPI(t)
		a.srv.opts.Address = "127.0.0.1:0"
		if err := a.srv.Listen(); err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- a.srv.Serve() }()
		dial := func(user, pass string) *client.Client {
			c, err := client.DialHTTP(ctx, "http://"+a.srv.Addr(), client.Options{Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Login(ctx, user, pass); err != nil {
				t.Fatalf("%s: login %s: %v", p.Name, user, err)
			}
			return c
		}
		root := dial(brokertest.RootUser, brokertest.RootPassword)
		for _, r := range brokertest.MatrixSetup(p) {
			if _, err := root.Do(ctx, r); err != nil {
				t.Fatalf("%s: setup %v: %v", p.Name, r.Code(), err)
			}
		}
		c := dial(brokertest.MatrixUser, brokertest.MatrixPassword)
		for _, st := range steps {
			allowed, _ := st.Allowed(p.Perms)
			_, err := c.Do(ctx, st.Req)
			if errors.Is(err, wire.ErrFeatureUnavailable) {
				continue
			}
			reached[st.Req.Code()] = true
			if allowed && err != nil || !allowed && wire.CodeOf(err) != wire.ErrUnauthorized.Code {
				t.Errorf("%s: %v on stream %d (own: %v) over HTTP: %v; Iggy allows: %v", p.Name, st.Req.Code(), st.Stream, st.Own, err, allowed)
			}
		}
		// shale's own routes, by its documented rules (docs/reliability.md).
		tok, _, err := a.srv.issue(2) // the user under test
		if err != nil {
			t.Fatal(err)
		}
		a.token = tok
		g := wire.GlobalPermissions{}
		if p.Perms != nil {
			g = p.Perms.Global
		}
		for path, allowed := range map[string]bool{
			RetentionPreviewPath: g.ReadServers || g.ManageServers,
			BackupPath:           g.ManageServers && g.ReadStreams && g.ManageUsers,
		} {
			want := 403
			if allowed {
				want = 200
			}
			if st, body := a.call("GET", path, ""); st != want {
				t.Errorf("%s: GET %s: %d %.100s, want %d", p.Name, path, st, body, want)
			}
		}
		_ = root.Close()
		_ = c.Close()
		if err := a.srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-served; err != nil {
			t.Fatal(err)
		}
	}
	for route, cmd := range routeCommands {
		if !reached[cmd] &&
			cmd != wire.CmdLoginUser && cmd != wire.CmdLogoutUser && cmd != wire.CmdLoginWithPersonalAccessToken {
			t.Errorf("route %s (%v) was not reached by the matrix", route, cmd)
		}
	}
}
