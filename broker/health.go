package broker

import "github.com/shalemq/shale/log"

// Health is what a health probe is told (GET /health): whether the server
// accepts writes and, if not, why.
type Health struct {
	// Status is "healthy", "degraded" (reads are served, writes refused:
	// see Storage) or "stopping" (shutdown has begun).
	Status string
	// Storage is the write state of the storage.
	Storage log.StorageHealth
}

// Health reports the server's state. It needs no session: a load balancer
// or supervisor asks it without logging in, and it tells nothing about
// streams, users or messages.
func (b *Broker) Health() Health {
	h := Health{Status: "healthy", Storage: b.log.StorageHealth()}
	switch {
	case b.stopping.Load():
		h.Status = "stopping"
	case h.Storage.Degraded != "":
		h.Status = "degraded"
	}
	return h
}
