package log

import (
	"fmt"
	"sort"
	"sync"

	"github.com/shalemq/shale/wire"
)

// Group is a consumer group of one topic. Its definition (id, name) is
// stored; its membership lives in memory and belongs to client sessions: a
// member is a client id, added by JoinGroup and removed by LeaveGroup or when
// the client disconnects.
//
// Assignment (docs/protocol/binary.md §7.3): every membership or partition-count change is
// a full rebalance — members in slot order (join order, the most recently
// freed slot reused first), partitions ascending, partition i to member
// i mod members. Iggy hands partitions over cooperatively on join; the
// steady state is the same and clients cannot tell beyond timing.
//
// Lock order: Log.mu → Group.mu.
type Group struct {
	topic *topic
	id    uint32
	name  string

	mu struct {
		sync.Mutex
		slots   []*member // nil = free slot
		freed   []int     // free slot indexes, most recent last
		deleted bool
	}
}

type member struct {
	id         uint32 // per-group sequence number, not the client id
	client     uint32
	partitions []uint32
	cursor     int // next partition for polls without a partition id
}

func newGroup(t *topic, id uint32, name string) *Group {
	return &Group{topic: t, id: id, name: name}
}

// ID is the group id within its topic.
func (g *Group) ID() uint32 { return g.id }

// StreamID is the id of the group's stream.
func (g *Group) StreamID() uint32 { return g.topic.streamID }

// TopicID is the id of the group's topic.
func (g *Group) TopicID() uint32 { return g.topic.id }

// Deleted reports whether the group (or its topic or stream) was deleted.
func (g *Group) Deleted() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.mu.deleted
}

func (g *Group) markDeleted() {
	g.mu.Lock()
	g.mu.deleted = true
	g.mu.slots, g.mu.freed = nil, nil
	g.mu.Unlock()
}

// GroupInfo is a snapshot of a consumer group.
type GroupInfo struct {
	ID              uint32
	Name            string
	PartitionsCount uint32
	Members         []MemberInfo // in slot order
}

// MemberInfo is one member of a group.
type MemberInfo struct {
	ID         uint32
	ClientID   uint32
	Partitions []uint32
}

// infoLocked snapshots the group. REQUIRES: l.mu held.
func (g *Group) infoLocked() GroupInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	gi := GroupInfo{ID: g.id, Name: g.name, PartitionsCount: uint32(len(g.topic.partitions))}
	for _, m := range g.mu.slots {
		if m != nil {
			gi.Members = append(gi.Members, MemberInfo{ID: m.id, ClientID: m.client, Partitions: append([]uint32(nil), m.partitions...)})
		}
	}
	return gi
}

// rebalanceLocked assigns partitions 0..n-1 round-robin over the members.
// REQUIRES: g.mu held.
func (g *Group) rebalanceLocked(n int) {
	var members []*member
	for _, m := range g.mu.slots {
		if m != nil {
			m.partitions = m.partitions[:0]
			m.cursor = 0
			members = append(members, m)
		}
	}
	if len(members) == 0 {
		return
	}
	for i := range n {
		m := members[i%len(members)]
		m.partitions = append(m.partitions, uint32(i))
	}
}

// rebalanceGroups rebalances every group after a partition-count change.
// REQUIRES: l.mu held for writing.
func (t *topic) rebalanceGroups() {
	for _, g := range t.groups {
		g.mu.Lock()
		g.rebalanceLocked(len(t.partitions))
		g.mu.Unlock()
	}
}

func (g *Group) memberLocked(client uint32) *member {
	for _, m := range g.mu.slots {
		if m != nil && m.client == client {
			return m
		}
	}
	return nil
}

func (t *topic) groupByIdent(id Ident) (*Group, error) {
	var g *Group
	if id.ByName {
		g = t.groupNames[id.Name]
	} else {
		g = t.groups[id.ID]
	}
	if g == nil {
		return nil, fmt.Errorf("consumer group %s in topic %d: %w", id, t.id, wire.ErrConsumerGroupIDNotFound)
	}
	return g, nil
}

func (l *Log) groupLocked(s, t, g uint32) (*topic, *Group, error) {
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return nil, nil, err
	}
	grp := tp.groups[g]
	if grp == nil {
		return nil, nil, fmt.Errorf("consumer group %d in topic %d: %w", g, t, wire.ErrConsumerGroupIDNotFound)
	}
	return tp, grp, nil
}

// ResolveGroup turns an identifier into a group id (1009, 2010, 5000).
func (l *Log) ResolveGroup(s, t uint32, g Ident) (uint32, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return 0, err
	}
	grp, err := tp.groupByIdent(g)
	if err != nil {
		return 0, err
	}
	return grp.id, nil
}

// Group returns a group with its members.
func (l *Log) Group(s, t, g uint32) (GroupInfo, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return GroupInfo{}, false
	}
	return grp.infoLocked(), true
}

// Groups returns a topic's groups, ascending id; false when the topic does
// not exist.
func (l *Log) Groups(s, t uint32) ([]GroupInfo, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return nil, false
	}
	out := make([]GroupInfo, 0, len(tp.groups))
	for _, g := range tp.groups {
		out = append(out, g.infoLocked())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, true
}

// CreateGroup creates a group on a topic (1009, 2010, 5004 when the name is
// taken) and returns it.
func (l *Log) CreateGroup(s, t uint32, name string) (GroupInfo, error) {
	if err := checkName("consumer group", name); err != nil {
		return GroupInfo{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, err := l.topicByIDLocked(s, t)
	if err != nil {
		return GroupInfo{}, err
	}
	if tp.groupNames[name] != nil {
		return GroupInfo{}, fmt.Errorf("consumer group %q: %w", name, wire.ErrConsumerGroupNameAlreadyExists)
	}
	alloc := tp.galloc.clone()
	id := alloc.take()
	b := l.db.NewBatch()
	if err := firstErr(b.Set(groupMetaKey(s, t, id), encodeGroup(name)), b.Set(allocKey(allocGroups, s, t), alloc.encode())); err != nil {
		b.Close()
		return GroupInfo{}, err
	}
	// An id freed by DeleteGroup had its offsets deleted with it; a fresh
	// group never inherits offsets.
	if err := l.commitAndWait(b); err != nil {
		return GroupInfo{}, err
	}
	g := newGroup(tp, id, name)
	tp.galloc = alloc
	tp.groups[id] = g
	tp.groupNames[name] = g
	return g.infoLocked(), nil
}

// DeleteGroup removes a group, its memberships and its stored offsets (1009,
// 2010, 5000).
func (l *Log) DeleteGroup(s, t, g uint32) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	tp, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return err
	}
	alloc := tp.galloc.clone()
	alloc.free(g)
	b := l.db.NewBatch()
	errs := []error{b.Delete(groupMetaKey(s, t, g)), b.Set(allocKey(allocGroups, s, t), alloc.encode())}
	for _, p := range tp.partitions {
		errs = append(errs, b.Delete(offsetKey(s, t, p.id, consumerGroup, g)))
	}
	if err := firstErr(errs...); err != nil {
		b.Close()
		return err
	}
	if err := l.commitAndWait(b); err != nil {
		return err
	}
	grp.markDeleted()
	tp.galloc = alloc
	delete(tp.groups, g)
	delete(tp.groupNames, grp.name)
	return nil
}

// JoinGroup makes client a member (a no-op when it already is) and
// rebalances. The returned handle lets the caller leave on disconnect.
func (l *Log) JoinGroup(s, t, g, client uint32) (*Group, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	tp, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return nil, err
	}
	grp.mu.Lock()
	defer grp.mu.Unlock()
	if grp.memberLocked(client) != nil {
		return grp, nil
	}
	var next uint32
	for _, m := range grp.mu.slots {
		if m != nil && m.id+1 > next {
			next = m.id + 1
		}
	}
	m := &member{id: next, client: client}
	if n := len(grp.mu.freed); n > 0 {
		grp.mu.slots[grp.mu.freed[n-1]] = m
		grp.mu.freed = grp.mu.freed[:n-1]
	} else {
		grp.mu.slots = append(grp.mu.slots, m)
	}
	grp.rebalanceLocked(len(tp.partitions))
	return grp, nil
}

// LeaveGroup removes client from the group (5006 when it is not a member)
// and rebalances the rest.
func (l *Log) LeaveGroup(s, t, g, client uint32) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return err
	}
	if !grp.leave(client) {
		return fmt.Errorf("client %d in consumer group %d: %w", client, g, wire.ErrConsumerGroupMemberNotFound)
	}
	return nil
}

// Leave removes client from the group if it is a member, as a disconnect
// does; it reports whether it was.
func (l *Log) Leave(g *Group, client uint32) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return g.leave(client)
}

// leave removes a member and rebalances. REQUIRES: l.mu held.
func (g *Group) leave(client uint32) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, m := range g.mu.slots {
		if m != nil && m.client == client {
			g.mu.slots[i] = nil
			g.mu.freed = append(g.mu.freed, i)
			g.rebalanceLocked(len(g.topic.partitions))
			return true
		}
	}
	return false
}

// GroupPartition returns the partition a member polls next when it names
// none: the one under its round-robin cursor, advancing the cursor when
// advance is set (polls advance it; offset commands do not, docs/protocol/binary.md §7.3).
// ok is false when the member has no partitions. Errors: 1009, 2010, 5000,
// 5006 when client is not a member.
func (l *Log) GroupPartition(s, t, g, client uint32, advance bool) (pid uint32, ok bool, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return 0, false, err
	}
	grp.mu.Lock()
	defer grp.mu.Unlock()
	m := grp.memberLocked(client)
	if m == nil {
		return 0, false, fmt.Errorf("client %d in consumer group %d: %w", client, g, wire.ErrConsumerGroupMemberNotFound)
	}
	if len(m.partitions) == 0 {
		return 0, false, nil
	}
	pid = m.partitions[m.cursor%len(m.partitions)]
	if advance {
		m.cursor = (m.cursor + 1) % len(m.partitions)
	}
	return pid, true, nil
}

// GroupOwns reports whether partition pid is assigned to client (1009, 2010,
// 5000, 5006).
func (l *Log) GroupOwns(s, t, g, client, pid uint32) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	_, grp, err := l.groupLocked(s, t, g)
	if err != nil {
		return false, err
	}
	grp.mu.Lock()
	defer grp.mu.Unlock()
	m := grp.memberLocked(client)
	if m == nil {
		return false, fmt.Errorf("client %d in consumer group %d: %w", client, g, wire.ErrConsumerGroupMemberNotFound)
	}
	for _, p := range m.partitions {
		if p == pid {
			return true, nil
		}
	}
	return false, nil
}
