package broker

import "time"

// SetLoginSleep replaces the login throttle's sleep, so tests see each
// delay without waiting it out.
func SetLoginSleep(b *Broker, sleep func(time.Duration)) { b.guard.sleep = sleep }
