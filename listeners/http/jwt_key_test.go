package http

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/shalemq/shale/broker/brokertest"
)

// TestJWTKeyFromFunc: without a configured key the listener asks SecretFunc
// at each use (a cluster node, whose key arrives by replication): before
// there is one, a login and a token are refused with a clear message;
// once there is, tokens it signs verify; a new key rejects the old tokens.
func TestJWTKeyFromFunc(t *testing.T) {
	var key atomic.Pointer[[]byte]
	env := brokertest.New(t)
	srv, err := New(env.Broker, Options{
		JWT: JWT{Issuer: "iggy.apache.org", Audience: "iggy.apache.org", ValidIssuers: []string{"iggy.apache.org"},
			ValidAudiences: []string{"iggy.apache.org"}, Expiry: time.Hour,
			SecretFunc: func() []byte {
				if k := key.Load(); k != nil {
					return *k
				}
				return nil
			}},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, srv: srv}
	a.expect("POST", "/users/login", `{"username":"`+brokertest.RootUser+`","password":"`+brokertest.RootPassword+`"}`, 400, "no JWT signing key yet")
	a.token = "eyJhbGciOiJIUzI1NiJ9.e30.x"
	a.expect("GET", "/streams", "", 401, "no JWT signing key yet")

	first := []byte("0123456789abcdef0123456789abcdef")
	key.Store(&first)
	a.login(brokertest.RootUser, brokertest.RootPassword)
	a.expect("GET", "/streams", "", 200, "")
	second := []byte("fedcba9876543210fedcba9876543210")
	key.Store(&second)
	a.expect("GET", "/streams", "", 401, "signed with another secret")

	if _, err := New(env.Broker, Options{}); err == nil {
		t.Fatal("a listener with neither a key nor SecretFunc was built")
	}
}
