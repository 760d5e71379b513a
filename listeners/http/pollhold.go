package http

import (
	"bytes"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

// sendHeld answers body, keeping hold (the poll answer's room under the
// server's memory budget, broker/answer.go) until the body has been
// written: fasthttp closes a body stream once it has sent it, or drops it
// with the response. The answer keeps its Content-Length. A hold of
// nothing is sent as an ordinary body.
func sendHeld(c *fiber.Ctx, body []byte, hold *broker.AnswerHold) error {
	if hold.Held() == 0 {
		return c.Send(body)
	}
	c.Context().Response.SetBodyStream(&heldBody{Reader: bytes.NewReader(body), hold: hold}, len(body))
	return nil
}

// heldBody releases its hold when fasthttp closes it.
type heldBody struct {
	*bytes.Reader
	hold *broker.AnswerHold
}

func (b *heldBody) Close() error {
	b.hold.Release()
	return nil
}
