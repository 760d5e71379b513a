package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/shalemq/shale/wire"
)

// Permissions is the permissions object of a user (docs/protocol/http.md,
// "Permissions"). Decoding must see every flag, so the flags are pointers;
// Wire reports any that are missing.
type Permissions struct {
	Global  GlobalPermissions             `json:"global"`
	Streams map[string]*StreamPermissions `json:"streams"`
}

// GlobalPermissions are the server-wide flags.
type GlobalPermissions struct {
	ManageServers *bool `json:"manage_servers"`
	ReadServers   *bool `json:"read_servers"`
	ManageUsers   *bool `json:"manage_users"`
	ReadUsers     *bool `json:"read_users"`
	ManageStreams *bool `json:"manage_streams"`
	ReadStreams   *bool `json:"read_streams"`
	ManageTopics  *bool `json:"manage_topics"`
	ReadTopics    *bool `json:"read_topics"`
	PollMessages  *bool `json:"poll_messages"`
	SendMessages  *bool `json:"send_messages"`
}

// StreamPermissions are one stream's flags, keyed by the stream id.
type StreamPermissions struct {
	ManageStream *bool                        `json:"manage_stream"`
	ReadStream   *bool                        `json:"read_stream"`
	ManageTopics *bool                        `json:"manage_topics"`
	ReadTopics   *bool                        `json:"read_topics"`
	PollMessages *bool                        `json:"poll_messages"`
	SendMessages *bool                        `json:"send_messages"`
	Topics       map[string]*TopicPermissions `json:"topics"`
}

// TopicPermissions are one topic's flags, keyed by the topic id.
type TopicPermissions struct {
	ManageTopic  *bool `json:"manage_topic"`
	ReadTopic    *bool `json:"read_topic"`
	PollMessages *bool `json:"poll_messages"`
	SendMessages *bool `json:"send_messages"`
}

func ptr(v bool) *bool { return &v }

// PermissionsOf converts the binary form; nil stays nil.
func PermissionsOf(p *wire.Permissions) *Permissions {
	if p == nil {
		return nil
	}
	g := p.Global
	out := &Permissions{Global: GlobalPermissions{ptr(g.ManageServers), ptr(g.ReadServers), ptr(g.ManageUsers),
		ptr(g.ReadUsers), ptr(g.ManageStreams), ptr(g.ReadStreams), ptr(g.ManageTopics), ptr(g.ReadTopics),
		ptr(g.PollMessages), ptr(g.SendMessages)}}
	if len(p.Streams) > 0 {
		out.Streams = map[string]*StreamPermissions{}
		for id, s := range p.Streams {
			sj := &StreamPermissions{ptr(s.ManageStream), ptr(s.ReadStream), ptr(s.ManageTopics), ptr(s.ReadTopics),
				ptr(s.PollMessages), ptr(s.SendMessages), nil}
			if len(s.Topics) > 0 {
				sj.Topics = map[string]*TopicPermissions{}
				for tid, t := range s.Topics {
					sj.Topics[strconv.FormatUint(uint64(tid), 10)] = &TopicPermissions{ptr(t.ManageTopic), ptr(t.ReadTopic),
						ptr(t.PollMessages), ptr(t.SendMessages)}
				}
			}
			out.Streams[strconv.FormatUint(uint64(id), 10)] = sj
		}
	}
	return out
}

// ErrMissingFlag is returned by Wire when a flag was absent.
var ErrMissingFlag = errors.New("permissions: every flag is required")

// Wire converts to the binary form. A stream or topic key that is not a
// u32 fails; a missing flag reads as false and Wire returns the result
// with ErrMissingFlag, so a strict reader refuses it and a lenient one
// keeps it.
func (p *Permissions) Wire() (*wire.Permissions, error) {
	if p == nil {
		return nil, nil
	}
	var missing bool
	flag := func(v *bool) bool {
		if v == nil {
			missing = true
			return false
		}
		return *v
	}
	g := p.Global
	out := &wire.Permissions{Global: wire.GlobalPermissions{
		ManageServers: flag(g.ManageServers), ReadServers: flag(g.ReadServers), ManageUsers: flag(g.ManageUsers),
		ReadUsers: flag(g.ReadUsers), ManageStreams: flag(g.ManageStreams), ReadStreams: flag(g.ReadStreams),
		ManageTopics: flag(g.ManageTopics), ReadTopics: flag(g.ReadTopics), PollMessages: flag(g.PollMessages),
		SendMessages: flag(g.SendMessages)}}
	for key, s := range p.Streams {
		id, err := strconv.ParseUint(key, 10, 32)
		if err != nil || s == nil {
			return nil, errors.New("permissions: stream key " + strconv.Quote(key))
		}
		sp := &wire.StreamPermissions{ManageStream: flag(s.ManageStream), ReadStream: flag(s.ReadStream),
			ManageTopics: flag(s.ManageTopics), ReadTopics: flag(s.ReadTopics), PollMessages: flag(s.PollMessages),
			SendMessages: flag(s.SendMessages)}
		for tkey, t := range s.Topics {
			tid, err := strconv.ParseUint(tkey, 10, 32)
			if err != nil || t == nil {
				return nil, errors.New("permissions: topic key " + strconv.Quote(tkey))
			}
			if sp.Topics == nil {
				sp.Topics = map[uint32]*wire.TopicPermissions{}
			}
			sp.Topics[uint32(tid)] = &wire.TopicPermissions{ManageTopic: flag(t.ManageTopic), ReadTopic: flag(t.ReadTopic),
				PollMessages: flag(t.PollMessages), SendMessages: flag(t.SendMessages)}
		}
		if out.Streams == nil {
			out.Streams = map[uint32]*wire.StreamPermissions{}
		}
		out.Streams[uint32(id)] = sp
	}
	if missing {
		return out, ErrMissingFlag
	}
	return out, nil
}

// MarshalJSON writes streams and topics in ascending numeric id
// (encoding/json would sort the keys as text: "10" before "2").
func (p *Permissions) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	g, err := json.Marshal(p.Global)
	if err != nil {
		return nil, err
	}
	buf.WriteString(`{"global":`)
	buf.Write(g)
	buf.WriteString(`,"streams":`)
	if p.Streams == nil {
		buf.WriteString("null}")
		return buf.Bytes(), nil
	}
	buf.WriteByte('{')
	for i, id := range numericKeys(p.Streams) {
		if i > 0 {
			buf.WriteByte(',')
		}
		s := p.Streams[id]
		head, _ := json.Marshal(struct {
			ManageStream *bool `json:"manage_stream"`
			ReadStream   *bool `json:"read_stream"`
			ManageTopics *bool `json:"manage_topics"`
			ReadTopics   *bool `json:"read_topics"`
			PollMessages *bool `json:"poll_messages"`
			SendMessages *bool `json:"send_messages"`
		}{s.ManageStream, s.ReadStream, s.ManageTopics, s.ReadTopics, s.PollMessages, s.SendMessages})
		fmt.Fprintf(&buf, "%q:", id)
		buf.Write(head[:len(head)-1])
		buf.WriteString(`,"topics":`)
		if s.Topics == nil {
			buf.WriteString("null")
		} else {
			buf.WriteByte('{')
			for j, tid := range numericKeys(s.Topics) {
				if j > 0 {
					buf.WriteByte(',')
				}
				t, _ := json.Marshal(s.Topics[tid])
				fmt.Fprintf(&buf, "%q:", tid)
				buf.Write(t)
			}
			buf.WriteByte('}')
		}
		buf.WriteByte('}')
	}
	buf.WriteString("}}")
	return buf.Bytes(), nil
}

func numericKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.ParseUint(a, 10, 64)
		y, _ := strconv.ParseUint(b, 10, 64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return keys
}
