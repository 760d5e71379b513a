package brokertest

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/kv/kvtest"
	"github.com/shalemq/shale/wire"
)

// The users WriteLegacyAuth stores, besides root (RootUser, RootPassword,
// id 0, every permission).
const (
	LegacyReader, LegacyReaderPassword = "reader", "reader-pass" // id 1, reads streams and polls
	LegacyInactive                     = "carol"                 // id 3, inactive, no permissions
	LegacyTokenName                    = "ci"                    // the reader's token, never expires
	LegacyToken                        = "legacy-token-of-reader"
)

// LegacyKeys are the keys WriteLegacyAuth writes: users 0, 1 and 3, the
// token, the user-id allocator (next 4, id 2 freed).
func LegacyKeys() [][]byte {
	meta := func(kind byte) kv.Key { return kv.NewKey(nil, kv.TagMeta).U8(kind) }
	h := auth.HashToken(LegacyToken)
	return [][]byte{meta(kv.MetaUser).U32(0), meta(kv.MetaUser).U32(1), meta(kv.MetaUser).U32(3),
		meta(kv.MetaToken).Bytes(h[:]), meta(kv.MetaUserAlloc)}
}

// WriteLegacyAuth stores users, a personal access token and the user-id
// allocator in db as JSON objects, byte for byte as shale stored them before
// kv's record encoding, so tests can show that such a data directory still
// opens (broker/auth/records.go). It replaces whatever those keys held.
func WriteLegacyAuth(t testing.TB, db *kv.DB) {
	t.Helper()
	hash := func(pw string) string {
		h, err := auth.HashPassword(pw, auth.TestHashParams)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	perms := func(p *wire.Permissions) string { return base64.StdEncoding.EncodeToString(p.AppendTo(nil)) }
	reader := &wire.Permissions{Global: wire.GlobalPermissions{ReadStreams: true, PollMessages: true}}
	values := []string{
		fmt.Sprintf(`{"name":%q,"hash":%q,"active":true,"created_at":1700000000000000,"permissions":%q}`,
			RootUser, hash(RootPassword), perms(wire.AllPermissions())),
		fmt.Sprintf(`{"name":%q,"hash":%q,"active":true,"created_at":1700000000000001,"permissions":%q}`,
			LegacyReader, hash(LegacyReaderPassword), perms(reader)),
		fmt.Sprintf(`{"name":%q,"hash":%q,"active":false,"created_at":1700000000000003}`, LegacyInactive, hash("carol-pass")),
		fmt.Sprintf(`{"user_id":1,"name":%q,"expires_at":0}`, LegacyTokenName),
		`{"next":4,"freed":[2]}`,
	}
	var kvs [][]byte
	for i, key := range LegacyKeys() {
		kvs = append(kvs, key, []byte(values[i]))
	}
	kvtest.Set(t, db, kvs...)
}
