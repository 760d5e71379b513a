package rest

// Health is the body of GET /health, a shale addition
// (docs/operations.md, "Health endpoint").
type Health struct {
	// Status is "healthy" (answered 200), "degraded" or "stopping" (503).
	Status  string        `json:"status"`
	Storage HealthStorage `json:"storage"`
}

// HealthStorage is the write state of the storage.
type HealthStorage struct {
	// Writable is false while writes are refused.
	Writable bool `json:"writable"`
	// State is "ok", "disk_full" (writes resume when space is freed) or
	// "failed" (writes refused until a restart).
	State string `json:"state"`
	// Reason explains a state other than ok, for a person.
	Reason string `json:"reason,omitempty"`
	// FreeBytes and ReserveBytes: free space of the data directory's
	// filesystem and system.storage.min_free_disk; absent when the reserve
	// is off.
	FreeBytes    uint64 `json:"free_bytes,omitempty"`
	ReserveBytes uint64 `json:"reserve_bytes,omitempty"`
}
