package binproto

import (
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
)

// TestPermissionMatrix runs every command of the table but the logins
// and logout, as a user holding one permission at a time (each global
// flag, each per-stream flag on stream a, each per-topic flag on a/t,
// none), against stream b and then a, and wants what Iggy 0.8 decides
// (brokertest.IggyAllows): 41 where it refuses, success where it allows.
// Each profile gets a fresh broker, so one user's deletions do not change
// another's answers.
func TestPermissionMatrix(t *testing.T) {
	steps := brokertest.MatrixSteps()
	covered := map[wire.Command]bool{wire.CmdLoginUser: true, wire.CmdLogoutUser: true, wire.CmdLoginWithPersonalAccessToken: true}
	for _, st := range steps {
		covered[st.Req.Code()] = true
	}
	for _, code := range wire.Commands() {
		if !covered[code] {
			t.Errorf("the matrix sends no %v", code)
		}
	}
	for _, p := range brokertest.PermProfiles() {
		env := brokertest.New(t)
		srv := NewServer(env.Broker, Options{})
		root := conn(t, srv, env.Root)
		for _, r := range brokertest.MatrixSetup(p) {
			if st, _ := exchange(t, root, wire.AppendRequest(nil, r)); st != 0 {
				t.Fatalf("%s: setup %v: %d", p.Name, r.Code(), st)
			}
		}
		sess := env.Session(t)
		if _, err := env.Broker.Login(sess, brokertest.MatrixUser, brokertest.MatrixPassword); err != nil {
			t.Fatal(err)
		}
		c := conn(t, srv, sess)
		for _, st := range steps {
			allowed, known := st.Allowed(p.Perms)
			if !known {
				t.Fatalf("the model does not know %v", st.Req.Code())
			}
			got, _ := exchange(t, c, wire.AppendRequest(nil, st.Req))
			if allowed && got != 0 || !allowed && got != wire.ErrUnauthorized.Code {
				t.Errorf("%s: %v on stream %d (own: %v): %d (%s); Iggy allows: %v", p.Name, st.Req.Code(), st.Stream, st.Own, got, wire.ErrorForCode(got).Name, allowed)
			}
		}
	}
}
