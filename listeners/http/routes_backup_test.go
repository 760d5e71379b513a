package http

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker/brokertest"
)

func TestBackupRoute(t *testing.T) {
	dataDir := t.TempDir()
	env := brokertest.NewOnDisk(t, dataDir)
	srv, err := New(env.Broker, Options{JWT: testJWT()})
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, srv: srv}

	a.expect("GET", BackupPath, "", 401, "")
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("POST", "/streams", `{"name":"orders"}`, 200, "")
	a.expect("POST", "/users", `{"username":"ops","password":"ops-secret","status":"active",
		"permissions":{"global":{"manage_servers":true,"read_servers":true,"manage_users":false,"read_users":true,
		"manage_streams":true,"read_streams":true,"manage_topics":true,"read_topics":true,"poll_messages":true,"send_messages":true}}}`, 200, "")
	root := a.token
	a.login("ops", "ops-secret")
	a.expect("GET", BackupPath, "", 403, "")

	a.token = root
	a.expect("GET", BackupPath+"?max_rate=fast", "", 400, "max_rate")
	req := httptest.NewRequest("GET", BackupPath+"?max_rate=100000000", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := srv.App().Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	cd := resp.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="shale-backup-`) || !strings.HasSuffix(cd, admin.Extension+`"`) {
		t.Fatalf("Content-Disposition %q", cd)
	}
	m, err := admin.Read(bytes.NewReader(body), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Streams) != 1 || m.Streams[0].Name != "orders" || len(m.Users) != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	sum := resp.Header.Get(ManifestChecksumHeader)
	if !strings.HasPrefix(sum, admin.ChecksumPrefix) {
		t.Fatalf("%s: %q", ManifestChecksumHeader, sum)
	}
	if entries, _ := os.ReadDir(filepath.Join(dataDir, "checkpoints")); len(entries) != 0 {
		t.Fatalf("%d checkpoints left behind", len(entries))
	}
}
