package broker_test

import (
	"strings"
	"testing"

	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
)

func TestAuthorizeBackup(t *testing.T) {
	e := brokertest.New(t)
	b := e.Broker
	if err := b.AuthorizeBackup(e.Root); err != nil {
		t.Fatalf("root: %v", err)
	}
	wantCode(t, b.AuthorizeBackup(e.Session(t)), wire.ErrUnauthenticated)
	// Each right alone is not enough: a backup holds every message and
	// every password hash.
	for name, g := range map[string]wire.GlobalPermissions{
		"manage_servers": {ManageServers: true, ReadServers: true},
		"read_streams":   {ReadStreams: true, ReadServers: true},
		"manage_users":   {ManageUsers: true},
		"all but users":  {ManageServers: true, ReadStreams: true, ManageStreams: true},
		"everything":     {ManageServers: true, ReadStreams: true, ManageUsers: true},
	} {
		perms := &wire.Permissions{Global: g}
		if _, err := b.CreateUser(e.Root, "u-"+strings.ReplaceAll(name, " ", "-"), "secret-pass", wire.UserActive, perms); err != nil {
			t.Fatal(err)
		}
		s := e.Session(t)
		if _, err := b.Login(s, "u-"+strings.ReplaceAll(name, " ", "-"), "secret-pass"); err != nil {
			t.Fatal(err)
		}
		err := b.AuthorizeBackup(s)
		if name == "everything" {
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			continue
		}
		wantCode(t, err, wire.ErrUnauthorized)
	}
}
