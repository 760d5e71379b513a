package binproto

import (
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/wire"
)

// dispatch decodes one request payload, runs it on the broker and appends
// the success payload to out (which already holds the 8-byte response
// header). Decoding comes first, so a malformed frame is answered 3 or 4
// even before login, as Iggy does (BINARY.md §1.2); the broker checks login
// and permissions.
func (s *Server) dispatch(sess *broker.Session, code wire.Command, payload []byte, out []byte) ([]byte, error) {
	// The two hot commands decode into stack values, without NewRequest.
	switch code {
	case wire.CmdSendMessages:
		var r wire.SendMessages
		if err := r.Decode(payload); err != nil {
			return out, err
		}
		return out, s.broker.Send(sess, ident(r.Stream), ident(r.Topic), partitioning(r.Partitioning), r.Messages, int(r.Count))
	case wire.CmdPollMessages:
		var r wire.PollMessages
		if err := r.Decode(payload); err != nil {
			return out, err
		}
		return s.poll(sess, &r, out)
	}
	req, ok := wire.NewRequest(code)
	if !ok {
		return out, wire.ErrInvalidCommand
	}
	if err := req.Decode(payload); err != nil {
		return out, err
	}
	return s.run(sess, req, out)
}

func (s *Server) poll(sess *broker.Session, r *wire.PollMessages, out []byte) ([]byte, error) {
	head := len(out)
	out = wire.AppendPolledHeader(out, 0, 0, 0)
	res, out, err := s.broker.PollMessages(sess, broker.Poll{
		Consumer:   consumer(r.Consumer),
		Stream:     ident(r.Stream),
		Topic:      ident(r.Topic),
		Partition:  optPartition(r.Partition),
		Strategy:   broker.Strategy(r.Strategy.Kind),
		Value:      r.Strategy.Value,
		Count:      r.Count,
		AutoCommit: r.AutoCommit,
	}, out)
	if err != nil {
		return out[:head], err
	}
	wire.AppendPolledHeader(out[head:head], res.PartitionID, res.CurrentOffset, res.Count)
	return out, nil
}

// run executes every command but send and poll.
func (s *Server) run(sess *broker.Session, req wire.Request, out []byte) ([]byte, error) {
	b := s.broker
	switch r := req.(type) {
	case *wire.Ping:
		return out, b.Ping(sess)
	case *wire.GetStats:
		st, err := b.Stats(sess)
		if err != nil {
			return out, err
		}
		return st.AppendTo(out), nil
	case *wire.GetSnapshot:
		zip, err := b.Snapshot(sess, r.Compression, r.Types)
		return append(out, zip...), err
	case *wire.GetClusterMetadata:
		n, err := b.ClusterMetadata(sess)
		if err != nil {
			return out, err
		}
		md := wire.ClusterMetadata{Name: n.ClusterName, Nodes: []wire.ClusterNode{{
			Name: n.Name, IP: n.IP, TCPPort: n.TCPPort, QUICPort: n.QUICPort, HTTPPort: n.HTTPPort,
			WebSocketPort: n.WSPort, Role: wire.NodeLeader, Status: wire.NodeHealthy,
		}}}
		return md.AppendTo(out), nil
	case *wire.GetMe:
		c, err := b.Me(sess)
		if err != nil {
			return out, err
		}
		return clientDetails(c).AppendTo(out), nil
	case *wire.GetClient:
		c, ok, err := b.Client(sess, r.ClientID)
		if err != nil || !ok {
			return out, err
		}
		return clientDetails(c).AppendTo(out), nil
	case *wire.GetClients:
		list, err := b.Clients(sess)
		for _, c := range list {
			d := clientDetails(c)
			d.ConsumerGroupsCount = uint32(len(d.Groups))
			out = d.ClientInfo.AppendTo(out)
		}
		return out, err

	case *wire.LoginUser:
		id, err := b.Login(sess, r.Username, r.Password)
		if err != nil {
			return out, err
		}
		return (&wire.IdentityInfo{UserID: id}).AppendTo(out), nil
	case *wire.LoginWithPersonalAccessToken:
		id, err := b.LoginWithToken(sess, r.Name)
		if err != nil {
			return out, err
		}
		return (&wire.IdentityInfo{UserID: id}).AppendTo(out), nil
	case *wire.LogoutUser:
		return out, b.Logout(sess)
	case *wire.GetUser:
		u, ok, err := b.User(sess, ident(r.User))
		if err != nil || !ok {
			return out, err
		}
		return userDetails(u).AppendTo(out), nil
	case *wire.GetUsers:
		list, err := b.ListUsers(sess)
		for _, u := range list {
			d := userDetails(u)
			out = d.UserInfo.AppendTo(out)
		}
		return out, err
	case *wire.CreateUser:
		if r.Status != wire.UserActive && r.Status != wire.UserInactive {
			if _, err := b.ListUsers(sess); err != nil {
				return out, err // 40/41 come before the status check
			}
			return out, wire.ErrInvalidCommand
		}
		u, err := b.CreateUser(sess, r.Username, r.Password, r.Status == wire.UserActive, r.Permissions)
		if err != nil {
			return out, err
		}
		return userDetails(u).AppendTo(out), nil
	case *wire.DeleteUser:
		return out, b.DeleteUser(sess, ident(r.User))
	case *wire.UpdateUser:
		var active *bool
		if r.Status != nil {
			if *r.Status != wire.UserActive && *r.Status != wire.UserInactive {
				return out, wire.ErrInvalidCommand
			}
			a := *r.Status == wire.UserActive
			active = &a
		}
		return out, b.UpdateUser(sess, ident(r.User), r.Username, active)
	case *wire.UpdatePermissions:
		return out, b.UpdatePermissions(sess, ident(r.User), r.Permissions)
	case *wire.ChangePassword:
		return out, b.ChangePassword(sess, ident(r.User), r.CurrentPassword, r.NewPassword)

	case *wire.GetPersonalAccessTokens:
		list, err := b.Tokens(sess)
		for _, t := range list {
			out = (&wire.PersonalAccessTokenInfo{Name: t.Name, ExpiresAt: t.ExpiresAt}).AppendTo(out)
		}
		return out, err
	case *wire.CreatePersonalAccessToken:
		tok, err := b.CreateToken(sess, r.Name, r.Expiry)
		if err != nil {
			return out, err
		}
		return (&wire.RawPersonalAccessToken{Token: tok}).AppendTo(out), nil
	case *wire.DeletePersonalAccessToken:
		return out, b.DeleteToken(sess, r.Name)

	case *wire.FlushUnsavedBuffer:
		return out, b.FlushUnsavedBuffer(sess, ident(r.Stream), ident(r.Topic), r.PartitionID, r.Fsync)
	case *wire.GetConsumerOffset:
		off, ok, err := b.ConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition))
		if err != nil || !ok {
			return out, err
		}
		return (&wire.ConsumerOffset{PartitionID: off.PartitionID, CurrentOffset: off.CurrentOffset,
			StoredOffset: off.StoredOffset}).AppendTo(out), nil
	case *wire.StoreConsumerOffset:
		return out, b.StoreConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition), r.Offset)
	case *wire.DeleteConsumerOffset:
		return out, b.DeleteConsumerOffset(sess, consumer(r.Consumer), ident(r.Stream), ident(r.Topic), optPartition(r.Partition))

	case *wire.GetStream:
		st, ok, err := b.Stream(sess, ident(r.Stream))
		if err != nil || !ok {
			return out, err
		}
		d := wire.StreamDetails{StreamInfo: streamInfo(st)}
		for _, t := range st.Topics {
			d.Topics = append(d.Topics, topicInfo(t))
		}
		return d.AppendTo(out), nil
	case *wire.GetStreams:
		list, err := b.Streams(sess)
		for _, st := range list {
			si := streamInfo(st)
			out = si.AppendTo(out)
		}
		return out, err
	case *wire.CreateStream:
		st, err := b.CreateStream(sess, r.Name)
		if err != nil {
			return out, err
		}
		si := streamInfo(st)
		return si.AppendTo(out), nil
	case *wire.UpdateStream:
		return out, b.UpdateStream(sess, ident(r.Stream), r.Name)
	case *wire.DeleteStream:
		return out, b.DeleteStream(sess, ident(r.Stream))
	case *wire.PurgeStream:
		return out, b.PurgeStream(sess, ident(r.Stream))

	case *wire.GetTopic:
		t, ok, err := b.Topic(sess, ident(r.Stream), ident(r.Topic))
		if err != nil || !ok {
			return out, err
		}
		return topicDetails(t, false).AppendTo(out), nil
	case *wire.GetTopics:
		list, ok, err := b.Topics(sess, ident(r.Stream))
		if err != nil || !ok {
			return out, err
		}
		for _, t := range list {
			ti := topicInfo(t)
			out = ti.AppendTo(out)
		}
		return out, nil
	case *wire.CreateTopic:
		t, err := b.CreateTopic(sess, ident(r.Stream), broker.TopicSpec{Name: r.Name, PartitionsCount: r.PartitionsCount,
			Compression: r.Compression, MessageExpiry: r.MessageExpiry, MaxTopicSize: r.MaxTopicSize,
			ReplicationFactor: r.ReplicationFactor})
		if err != nil {
			return out, err
		}
		return topicDetails(t, true).AppendTo(out), nil
	case *wire.UpdateTopic:
		return out, b.UpdateTopic(sess, ident(r.Stream), ident(r.Topic), broker.TopicSpec{Name: r.Name,
			Compression: r.Compression, MessageExpiry: r.MessageExpiry, MaxTopicSize: r.MaxTopicSize,
			ReplicationFactor: r.ReplicationFactor})
	case *wire.DeleteTopic:
		return out, b.DeleteTopic(sess, ident(r.Stream), ident(r.Topic))
	case *wire.PurgeTopic:
		return out, b.PurgeTopic(sess, ident(r.Stream), ident(r.Topic))
	case *wire.CreatePartitions:
		return out, b.CreatePartitions(sess, ident(r.Stream), ident(r.Topic), r.Count)
	case *wire.DeletePartitions:
		return out, b.DeletePartitions(sess, ident(r.Stream), ident(r.Topic), r.Count)
	case *wire.DeleteSegments:
		return out, b.DeleteSegments(sess, ident(r.Stream), ident(r.Topic), r.PartitionID, r.SegmentsCount)

	case *wire.GetConsumerGroup:
		g, ok, err := b.Group(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
		if err != nil || !ok {
			return out, err
		}
		return groupDetails(g).AppendTo(out), nil
	case *wire.GetConsumerGroups:
		list, ok, err := b.Groups(sess, ident(r.Stream), ident(r.Topic))
		if err != nil || !ok {
			return out, err
		}
		for _, g := range list {
			out = groupDetails(g).ConsumerGroupInfo.AppendTo(out)
		}
		return out, nil
	case *wire.CreateConsumerGroup:
		g, err := b.CreateGroup(sess, ident(r.Stream), ident(r.Topic), r.Name)
		if err != nil {
			return out, err
		}
		return groupDetails(g).ConsumerGroupInfo.AppendTo(out), nil
	case *wire.DeleteConsumerGroup:
		return out, b.DeleteGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	case *wire.JoinConsumerGroup:
		return out, b.JoinGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	case *wire.LeaveConsumerGroup:
		return out, b.LeaveGroup(sess, ident(r.Stream), ident(r.Topic), ident(r.Group))
	}
	return out, wire.ErrInvalidCommand
}
