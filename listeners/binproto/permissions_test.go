package binproto

import (
	"strings"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/wiretest"
)

// permissionlessAnswers is what a logged-in user without any permission
// gets for each golden frame that is not refused 41 (unauthorized). Any
// frame not listed must be answered 41, so a new command is refused
// until someone decides otherwise here.
var permissionlessAnswers = map[string]uint32{
	"ping":                                         0,
	"constructed/get_me":                           0, // a user may read itself
	"get_cluster_metadata":                         0, // Iggy checks no permission
	"constructed/get_snapshot":                     0, // Iggy checks no permission (docs/reliability.md)
	"get_stream_missing":                           0, // a missing entity is an empty OK before the check (Iggy)
	"delete_stream_error":                          wire.ErrStreamIDNotFound.Code,
	"delete_consumer_group":                        wire.ErrConsumerGroupIDNotFound.Code, // the golden group does not exist
	"join_consumer_group":                          wire.ErrConsumerGroupIDNotFound.Code,
	"leave_consumer_group":                         wire.ErrConsumerGroupIDNotFound.Code,
	"create_personal_access_token":                 0, // tokens are the user's own
	"get_personal_access_tokens":                   0,
	"delete_personal_access_token":                 wire.ErrResourceNotFound.Code, // not this user's token
	"constructed/create_personal_access_token_u64": wire.ErrPersonalAccessTokenAlreadyExists.Code,
}

// TestPermissionlessUserMatrix is the no-permission row of the
// permission matrix: after root has created the golden frames' streams,
// topics and users, a user with no permissions sends every golden frame
// (but the logins and logout) and gets 41 for all but the listed ones.
func TestPermissionlessUserMatrix(t *testing.T) {
	env := brokertest.New(t)
	srv := NewServer(env.Broker, Options{})
	root := conn(t, srv, env.Root)
	frames, err := wiretest.Requests()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if strings.HasPrefix(f.Name, "create_") && f.Name != "create_personal_access_token" {
			exchange(t, root, f.Bytes)
		}
	}
	if _, err := env.Broker.CreateUser(env.Root, "nobody", "nobody-pw", wire.UserActive, nil); err != nil {
		t.Fatal(err)
	}
	sess := env.Session(t)
	if _, err := env.Broker.Login(sess, "nobody", "nobody-pw"); err != nil {
		t.Fatal(err)
	}
	c := conn(t, srv, sess)
	walked := 0
	for _, f := range frames {
		code := frameCode(t, f.Bytes)
		if code == wire.CmdLogoutUser || code == wire.CmdLoginUser || code == wire.CmdLoginWithPersonalAccessToken {
			continue
		}
		walked++
		want, listed := permissionlessAnswers[f.Name]
		if !listed {
			want = wire.ErrUnauthorized.Code
		}
		if st, _ := exchange(t, c, f.Bytes); st != want {
			t.Errorf("%s as a user without permissions: %d (%s), want %d (%s)", f.Name, st, wire.ErrorForCode(st).Name, want, wire.ErrorForCode(want).Name)
		}
	}
	if walked < len(wire.Commands())-3 {
		t.Errorf("walked %d frames, fewer than the commands", walked)
	}
}
