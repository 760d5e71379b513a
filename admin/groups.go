package admin

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/shalemq/shale/broker"
)

// groupLag is one consumer group with its lag per partition.
type groupLag struct {
	StreamID, TopicID uint32
	Stream, Topic     string
	ID                uint32
	Name              string
	Members           []broker.MemberInfo
	Partitions        []lagRow
	TotalMessages     uint64
	MaxSeconds        float64
}

type lagRow struct {
	broker.PartitionLag
	Owner   uint32 // client id of the member that owns it; 0 = none
	Seconds float64
}

// topicGroups joins the groups' membership with their lag.
func (d *Dashboard) topicGroups(s *broker.Session, sid, tid broker.Ident) ([]groupLag, error) {
	groups, _, err := d.b.Groups(s, sid, tid)
	if err != nil {
		return nil, err
	}
	lags, err := d.b.GroupLag(s, sid, tid)
	if err != nil {
		return nil, err
	}
	now := uint64(time.Now().UnixMicro())
	var out []groupLag
	for _, g := range groups {
		gl := groupLag{ID: g.ID, Name: g.Name, Members: g.Members}
		owner := map[uint32]uint32{}
		for _, m := range g.Members {
			for _, p := range m.Partitions {
				owner[p] = m.ClientID
			}
		}
		for _, l := range lags {
			if l.GroupID != g.ID {
				continue
			}
			gl.StreamID, gl.TopicID, gl.Stream, gl.Topic = l.StreamID, l.TopicID, l.Stream, l.Topic
			r := lagRow{PartitionLag: l, Owner: owner[l.PartitionID], Seconds: l.LagSeconds(now)}
			gl.TotalMessages += l.Messages
			gl.MaxSeconds = max(gl.MaxSeconds, r.Seconds)
			gl.Partitions = append(gl.Partitions, r)
		}
		out = append(out, gl)
	}
	return out, nil
}

type groupsData struct {
	Groups    []groupLag
	Consumers []lagRow
}

func (d *Dashboard) groupsPage(c *fiber.Ctx) error {
	s := sess(c)
	streams, err := d.b.Streams(s)
	if err != nil {
		return d.brokerFail(c, err)
	}
	now := uint64(time.Now().UnixMicro())
	var all []groupLag
	var singles []lagRow
	for _, st := range streams {
		topics, _, err := d.b.Topics(s, broker.ByID(st.ID))
		if err != nil {
			continue
		}
		for _, t := range topics {
			gs, err := d.topicGroups(s, broker.ByID(st.ID), broker.ByID(t.ID))
			if err != nil {
				continue
			}
			for i := range gs {
				gs[i].StreamID, gs[i].TopicID, gs[i].Stream, gs[i].Topic = st.ID, t.ID, st.Name, t.Name
			}
			all = append(all, gs...)
			cl, _ := d.b.ConsumerLag(s, broker.ByID(st.ID), broker.ByID(t.ID))
			for _, l := range cl {
				singles = append(singles, lagRow{PartitionLag: l, Seconds: l.LagSeconds(now)})
			}
		}
	}
	return d.render(c, "groups", page{Title: "Consumer groups", Nav: "groups", Data: groupsData{Groups: all, Consumers: singles}})
}
