package client

import (
	"context"

	"github.com/shalemq/shale/wire"
)

// Typed calls over Do. A read of something that does not exist comes back
// as ok == false (Iggy's empty OK), never as an error.

// Ping checks the connection.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.Do(ctx, &wire.Ping{})
	return err
}

// Login logs the connection in and returns the user id.
func (c *Client) Login(ctx context.Context, username, password string) (uint32, error) {
	b, err := c.Do(ctx, &wire.LoginUser{Username: username, Password: password, Version: "shale"})
	if err != nil {
		return 0, err
	}
	var id wire.IdentityInfo
	return id.UserID, id.Decode(b)
}

// LoginWithToken logs in with a personal access token.
func (c *Client) LoginWithToken(ctx context.Context, token string) (uint32, error) {
	b, err := c.Do(ctx, &wire.LoginWithPersonalAccessToken{NameRef: wire.NameRef{Name: token}})
	if err != nil {
		return 0, err
	}
	var id wire.IdentityInfo
	return id.UserID, id.Decode(b)
}

// CreateStream creates a stream.
func (c *Client) CreateStream(ctx context.Context, name string) (wire.StreamInfo, error) {
	var s wire.StreamInfo
	b, err := c.Do(ctx, &wire.CreateStream{NameRef: wire.NameRef{Name: name}})
	if err != nil {
		return s, err
	}
	return s, s.Decode(b)
}

// Stream returns a stream with its topics.
func (c *Client) Stream(ctx context.Context, id wire.Identifier) (wire.StreamDetails, bool, error) {
	var s wire.StreamDetails
	b, err := c.Do(ctx, &wire.GetStream{StreamRef: wire.StreamRef{Stream: id}})
	if err != nil || len(b) == 0 {
		return s, false, err
	}
	return s, true, s.Decode(b)
}

// CreateTopic creates a topic.
func (c *Client) CreateTopic(ctx context.Context, req wire.CreateTopic) (wire.TopicDetails, error) {
	var t wire.TopicDetails
	if req.Compression == 0 {
		req.Compression = wire.CompressionNone
	}
	b, err := c.Do(ctx, &req)
	if err != nil {
		return t, err
	}
	return t, t.Decode(b)
}

// Topic returns a topic with its partitions.
func (c *Client) Topic(ctx context.Context, stream, topic wire.Identifier) (wire.TopicDetails, bool, error) {
	var t wire.TopicDetails
	b, err := c.Do(ctx, &wire.GetTopic{TopicRef: wire.TopicRef{Stream: stream, Topic: topic}})
	if err != nil || len(b) == 0 {
		return t, false, err
	}
	return t, true, t.Decode(b)
}

// Send sends messages laid out back to back (wire.AppendSendMessage).
func (c *Client) Send(ctx context.Context, stream, topic wire.Identifier, p wire.Partitioning, count int, msgs []byte) error {
	_, err := c.Do(ctx, &wire.SendMessages{Stream: stream, Topic: topic, Partitioning: p, Count: uint32(count), Messages: msgs})
	return err
}

// Poll polls messages.
func (c *Client) Poll(ctx context.Context, req wire.PollMessages) (wire.PolledMessages, error) {
	p, _, err := c.PollInto(ctx, req, nil)
	return p, err
}

// PollInto polls messages into buf's storage when it is large enough, and
// returns the buffer now holding the response: pass it to the next call, so
// a consumer loop stops allocating once the buffer has grown to its polls.
// The result's messages alias that buffer until it is reused.
func (c *Client) PollInto(ctx context.Context, req wire.PollMessages, buf []byte) (wire.PolledMessages, []byte, error) {
	var p wire.PolledMessages
	b, err := c.DoInto(ctx, &req, buf)
	if err != nil {
		return p, buf, err
	}
	if b != nil { // nil: an empty payload, buf is untouched
		buf = b[:0]
	}
	return p, buf, p.Decode(b)
}

// StoreOffset stores a consumer offset.
func (c *Client) StoreOffset(ctx context.Context, ref wire.OffsetRef, offset uint64) error {
	_, err := c.Do(ctx, &wire.StoreConsumerOffset{OffsetRef: ref, Offset: offset})
	return err
}

// Offset returns a stored consumer offset.
func (c *Client) Offset(ctx context.Context, ref wire.OffsetRef) (wire.ConsumerOffset, bool, error) {
	var o wire.ConsumerOffset
	b, err := c.Do(ctx, &wire.GetConsumerOffset{OffsetRef: ref})
	if err != nil || len(b) == 0 {
		return o, false, err
	}
	return o, true, o.Decode(b)
}
