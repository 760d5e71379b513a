package client

import (
	"encoding/json"

	"github.com/shalemq/shale/wire"
	"github.com/shalemq/shale/wire/rest"
)

// Conversions from Iggy's REST JSON (the shapes of wire/rest) to binary
// payloads.

// fromJSON decodes one JSON answer into T and appends its binary form.
func fromJSON[T any](wireOf func(T) []byte) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return wireOf(v), nil
	}
}

// listFromJSON decodes a JSON array and appends each element's binary form.
func listFromJSON[T any](wireOf func([]byte, T) []byte) func([]byte) ([]byte, error) {
	return func(b []byte) ([]byte, error) {
		var list []T
		err := json.Unmarshal(b, &list)
		var out []byte
		for _, v := range list {
			out = wireOf(out, v)
		}
		return out, err
	}
}

var (
	streamFromJSON = fromJSON(func(s rest.StreamDetails) []byte {
		si := s.Stream.Wire()
		return si.AppendTo(nil)
	})
	streamDetailsFromJSON = fromJSON(func(s rest.StreamDetails) []byte {
		d := s.Wire()
		return d.AppendTo(nil)
	})
	streamsFromJSON = listFromJSON(func(out []byte, s rest.Stream) []byte {
		si := s.Wire()
		return si.AppendTo(out)
	})
	topicsFromJSON = listFromJSON(func(out []byte, t rest.Topic) []byte {
		ti := t.Wire()
		return ti.AppendTo(out)
	})
	groupFromJSON = fromJSON(func(g rest.GroupDetails) []byte {
		d := g.Wire()
		return d.ConsumerGroupInfo.AppendTo(nil)
	})
	groupDetailsFromJSON = fromJSON(func(g rest.GroupDetails) []byte {
		d := g.Wire()
		return d.AppendTo(nil)
	})
	groupsFromJSON = listFromJSON(func(out []byte, g rest.GroupDetails) []byte {
		d := g.Wire()
		return d.ConsumerGroupInfo.AppendTo(out)
	})
	offsetFromJSON = fromJSON(func(o rest.ConsumerOffset) []byte {
		return (&wire.ConsumerOffset{PartitionID: o.PartitionID, CurrentOffset: o.CurrentOffset, StoredOffset: o.StoredOffset}).AppendTo(nil)
	})
	clientFromJSON = fromJSON(func(c rest.ClientDetails) []byte {
		d := c.Wire()
		return d.AppendTo(nil)
	})
	clientsFromJSON = listFromJSON(func(out []byte, c rest.ClientDetails) []byte {
		d := c.Wire()
		return d.ClientInfo.AppendTo(out)
	})
	clusterFromJSON = fromJSON(func(m rest.ClusterMetadata) []byte {
		md := m.Wire()
		return md.AppendTo(nil)
	})
	statsFromJSON = fromJSON(func(s rest.Stats) []byte {
		st := s.Wire()
		return st.AppendTo(nil)
	})
	userFromJSON = fromJSON(func(u rest.UserDetails) []byte {
		d := u.Wire()
		return d.AppendTo(nil)
	})
	usersFromJSON = listFromJSON(func(out []byte, u rest.User) []byte {
		ui := u.Wire()
		return ui.AppendTo(out)
	})
	tokensFromJSON = listFromJSON(func(out []byte, t rest.PersonalAccessToken) []byte {
		info := wire.PersonalAccessTokenInfo{Name: t.Name}
		if t.ExpiryAt != nil {
			info.ExpiresAt = *t.ExpiryAt
		}
		return info.AppendTo(out)
	})
	rawTokenFromJSON = fromJSON(func(t rest.RawToken) []byte {
		return (&wire.RawPersonalAccessToken{Token: t.Token}).AppendTo(nil)
	})
)

// topicDetailsFromJSON converts a topic; created reports 0 segments per
// partition, as the binary CreateTopic answer does.
func topicDetailsFromJSON(created bool) func([]byte) ([]byte, error) {
	return fromJSON(func(t rest.TopicDetails) []byte {
		d := t.Wire()
		if created {
			for i := range d.Partitions {
				d.Partitions[i].SegmentsCount = 0
			}
		}
		return d.AppendTo(nil)
	})
}
