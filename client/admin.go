package client

import (
	"context"
	"fmt"

	"github.com/shalemq/shale/wire"
)

// RetentionPreviewPath is shale's route for what retention would delete
// now; it has no binary command, so it needs the HTTP transport.
const RetentionPreviewPath = "/admin/retention/preview"

// RetentionPreview returns the server's JSON answer on RetentionPreviewPath
// (the fields are listed in docs/cli.md). Over TCP or QUIC it fails with
// wire.ErrFeatureUnavailable: dial HTTP for it.
func (c *Client) RetentionPreview(ctx context.Context) ([]byte, error) {
	t, ok := c.t.(*httpTransport)
	if !ok {
		return nil, fmt.Errorf("retention preview is served over HTTP only: %w", wire.ErrFeatureUnavailable)
	}
	return t.do(ctx, "GET", RetentionPreviewPath, nil, false)
}
