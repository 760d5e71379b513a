package http

import "github.com/gofiber/fiber/v2"

// RetentionPreviewPath answers what the retention sweeper would delete now
// (broker.RetentionPreview as JSON). It is shale's own; Iggy has none.
const RetentionPreviewPath = "/admin/retention/preview"

func (s *Server) retentionPreview(c *fiber.Ctx) error {
	rp, err := s.b.RetentionPreview(session(c))
	if err != nil {
		return err
	}
	return c.JSON(rp)
}
