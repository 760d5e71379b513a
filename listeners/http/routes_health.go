package http

import (
	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// health answers GET /health without a token: 200 while the server accepts
// writes, 503 while it is degraded (disk full, storage failed) or stopping,
// with the reason in the body (docs/operations.md, "Health endpoint").
func (s *Server) health(c *fiber.Ctx) error {
	h := s.b.Health()
	out := rest.Health{Status: h.Status, Storage: rest.HealthStorage{
		Writable: h.Storage.Degraded == "", State: h.Storage.Degraded, Reason: h.Storage.Reason,
		FreeBytes: h.Storage.FreeBytes, ReserveBytes: h.Storage.ReserveBytes,
	}}
	if out.Storage.State == "" {
		out.Storage.State = "ok"
	}
	status := fiber.StatusOK
	if h.Status != "healthy" {
		status = fiber.StatusServiceUnavailable
	}
	return c.Status(status).JSON(out)
}

// storageReasons are the fixed reasons of the writes the storage refused,
// answered 507 Insufficient Storage where Iggy would answer 400
// (docs/compatibility.md, "Disk full and disk faults"). The cause, with
// its paths and byte counts, goes to the server's log and GET /health.
var storageReasons = map[uint32]string{
	wire.ErrCannotWriteToFile.Code: "the server's disk is full: writes are refused until space is freed",
	wire.ErrCannotSyncFile.Code:    "the server could not write to its disk: writes are refused until it restarts",
}
