package config

// LoginThrottle is [admin.login_throttle], shale's own table: repeated
// failed logins from one client address or for one user name make later
// attempts wait (docs/reliability.md).
type LoginThrottle struct {
	Enabled bool `koanf:"enabled"`
	// FreeFailures are allowed before any delay.
	FreeFailures int      `koanf:"free_failures"`
	InitialDelay Duration `koanf:"initial_delay"`
	MaxDelay     Duration `koanf:"max_delay"`
	ForgetAfter  Duration `koanf:"forget_after"`
}

func (v *validator) loginThrottle(l *LoginThrottle) {
	if !l.Enabled {
		return
	}
	v.check(l.FreeFailures >= 1, "admin.login_throttle.free_failures", "must be at least 1, got %d", l.FreeFailures)
	v.positiveWhen(true, "admin.login_throttle.initial_delay", l.InitialDelay)
	v.check(l.MaxDelay >= l.InitialDelay, "admin.login_throttle.max_delay", "must be at least initial_delay (%s), got %s", l.InitialDelay, l.MaxDelay)
	v.positiveWhen(true, "admin.login_throttle.forget_after", l.ForgetAfter)
}
