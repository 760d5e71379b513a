package admin_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/kv"
)

// TestBackupOfLegacyUserRecords backs up a database whose users and token
// are still the JSON records an earlier shale wrote (as an archive taken by
// that shale holds them), then restores it: the backup describes the users
// from its read-only checkpoint, and the restored server logs them in and
// keeps them in the record encoding from then on.
func TestBackupOfLegacyUserRecords(t *testing.T) {
	dataDir := t.TempDir()
	e := brokertest.NewOnDisk(t, dataDir)
	if _, err := e.Broker.CreateStream(e.Root, "orders"); err != nil {
		t.Fatal(err)
	}
	brokertest.WriteLegacyAuth(t, e.DB)
	archive, m := takeBackup(t, e)
	if len(m.Users) != 3 || m.Users[1].Username != brokertest.LegacyReader || m.Users[1].Tokens != 1 ||
		m.Users[2].Username != brokertest.LegacyInactive || m.Users[2].Active {
		t.Fatalf("manifest users: %+v", m.Users)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "b"+admin.Extension)
	if err := os.WriteFile(path, archive, 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	if _, err := admin.Restore(path, target, admin.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	r := openRestored(t, target)
	if _, err := r.Broker.Login(r.Session(t), brokertest.LegacyReader, brokertest.LegacyReaderPassword); err != nil {
		t.Fatalf("password login after restore: %v", err)
	}
	if _, err := r.Broker.LoginWithToken(r.Session(t), brokertest.LegacyToken); err != nil {
		t.Fatalf("PAT login after restore: %v", err)
	}
	if _, ok, err := r.Broker.Stream(r.Root, broker.ByName("orders")); !ok || err != nil {
		t.Fatalf("stream after restore: %v, %v", ok, err)
	}
	for _, k := range brokertest.LegacyKeys() {
		if v, ok, err := r.DB.Get(nil, k); err != nil || !ok || v[0] != kv.RecordVersion {
			t.Errorf("restored record %x: ok %v, err %v, not in the record encoding", k, ok, err)
		}
	}
}
