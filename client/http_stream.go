package client

import (
	"context"
	"errors"
	"io"
	"net/http"
)

// GetStream sends an authenticated GET over a client from DialHTTP and
// returns the answer for the caller to read and close: for answers too large
// to buffer, such as a backup archive. Options.Timeout does not apply (ctx
// bounds it); a non-2xx answer is returned as an error, as Do would.
func (c *Client) GetStream(ctx context.Context, path string) (*http.Response, error) {
	t, ok := c.t.(*httpTransport)
	if !ok {
		return nil, errors.New("client: GetStream needs an HTTP client (DialHTTP)")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+path, nil)
	if err != nil {
		return nil, err
	}
	if tok := t.token(); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	hc := *t.hc
	hc.Timeout = 0
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		return nil, httpError(resp.StatusCode, b)
	}
	return resp, nil
}
