package broker_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/brokertest"
	"github.com/shalemq/shale/wire"
)

// throttleEnv is a broker whose login throttle records its delays
// instead of sleeping, on a clock the test moves.
type throttleEnv struct {
	*brokertest.Env
	reg    *prometheus.Registry
	logs   *bytes.Buffer
	mu     sync.Mutex
	now    time.Time
	delays []time.Duration
}

func newThrottleEnv(t *testing.T, opts broker.LoginThrottle) *throttleEnv {
	e := &throttleEnv{reg: prometheus.NewRegistry(), logs: &bytes.Buffer{}, now: time.Unix(1_700_000_000, 0)}
	e.Env = brokertest.NewWithOptions(t, broker.Options{Registerer: e.reg, LoginThrottle: opts,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		Clock:  func() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }})
	broker.SetLoginSleep(e.Broker, func(d time.Duration) { e.delays = append(e.delays, d) })
	return e
}

// login tries a password from addr and returns the delay it was given
// (0 for none) and its error.
func (e *throttleEnv) login(t *testing.T, addr, user, password string) (time.Duration, error) {
	t.Helper()
	s := e.Broker.OpenSession(broker.TransportTCP, addr)
	defer e.Broker.CloseSession(s)
	e.delays = nil
	_, err := e.Broker.Login(s, user, password)
	if len(e.delays) > 1 {
		t.Fatalf("one login slept %d times", len(e.delays))
	}
	if len(e.delays) == 0 {
		return 0, err
	}
	return e.delays[0], err
}

func (e *throttleEnv) loginToken(t *testing.T, addr, token string) time.Duration {
	t.Helper()
	s := e.Broker.OpenSession(broker.TransportTCP, addr)
	defer e.Broker.CloseSession(s)
	e.delays = nil
	if _, err := e.Broker.LoginWithToken(s, token); err == nil {
		t.Fatal("a made-up token logged in")
	}
	if len(e.delays) == 0 {
		return 0
	}
	return e.delays[0]
}

const ms = time.Millisecond

// TestLoginThrottle: past the free failures, attempts from the same
// client address (any port) or for the same user wait, doubling up to the
// cap; other addresses and users are untouched; a success clears the
// user's count; counts are forgotten after Forget; each delay is counted
// in shale_login_throttled_total and logged.
func TestLoginThrottle(t *testing.T) {
	e := newThrottleEnv(t, broker.LoginThrottle{Free: 2, InitialDelay: 100 * ms, MaxDelay: 400 * ms, Forget: time.Hour})
	step := func(addr, user, password string, want time.Duration, wantErr *wire.Error) {
		t.Helper()
		d, err := e.login(t, addr, user, password)
		if d != want {
			t.Errorf("login %s as %s: delayed %v, want %v", addr, user, d, want)
		}
		wantCode(t, err, wantErr)
	}
	bad := wire.ErrInvalidCredentials
	// Two free failures for root from 10.0.0.1.
	step("10.0.0.1:1000", brokertest.RootUser, "guess-1", 0, bad)
	step("10.0.0.1:1001", brokertest.RootUser, "guess-2", 0, bad)
	// The address is now throttled, whatever the port and the user.
	step("10.0.0.1:2000", "nobody", "guess-3", 100*ms, bad)
	step("10.0.0.1:2001", "nobody-else", "guess-4", 200*ms, bad)
	step("10.0.0.1:2002", "nobody-else", "guess-5", 400*ms, bad)
	step("10.0.0.1:2003", "nobody-else", "guess-6", 400*ms, bad) // capped
	// Another address and a fresh user: no delay.
	step("10.0.0.2:1", "fresh", "guess", 0, bad)
	// Root has two failures: from a new address root is throttled by user.
	step("10.0.0.3:1", brokertest.RootUser, "guess-7", 100*ms, bad)
	// Even the right password waits, then gets in and clears root's count.
	step("10.0.0.4:1", brokertest.RootUser, brokertest.RootPassword, 200*ms, nil)
	step("10.0.0.4:2", brokertest.RootUser, brokertest.RootPassword, 0, nil)
	// Token logins count per address.
	for i, want := range []time.Duration{0, 0, 100 * ms, 200 * ms} {
		if d := e.loginToken(t, "10.0.0.5:9", "made-up-token"); d != want {
			t.Errorf("token login %d: delayed %v, want %v", i, d, want)
		}
	}
	// An hour after its last failure 10.0.0.1 is forgotten.
	e.mu.Lock()
	e.now = e.now.Add(time.Hour)
	e.mu.Unlock()
	step("10.0.0.1:3000", "nobody", "guess-8", 0, bad)

	byAddr, byUser := throttledCount(t, e.reg, "addr"), throttledCount(t, e.reg, "user")
	if byAddr != 6 || byUser != 2 {
		t.Errorf("shale_login_throttled_total: addr %v, user %v; want 6 and 2", byAddr, byUser)
	}
	if n := strings.Count(e.logs.String(), "login throttled"); n != 8 {
		t.Errorf("%d throttle log lines, want 8:\n%s", n, e.logs.String())
	}
}

// TestLoginThrottleDisabled: with the throttle off nothing waits.
func TestLoginThrottleDisabled(t *testing.T) {
	e := newThrottleEnv(t, broker.LoginThrottle{Disabled: true, Free: 1})
	for i := range 10 {
		if d, _ := e.login(t, "10.0.0.1:1", brokertest.RootUser, "guess"); d != 0 {
			t.Fatalf("attempt %d delayed %v with the throttle off", i, d)
		}
	}
}

func throttledCount(t *testing.T, reg *prometheus.Registry, by string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "shale_login_throttled_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if l := m.GetLabel(); len(l) == 1 && l[0].GetValue() == by {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
