package wire

import "strconv"

// Command is a request code (docs/protocol/binary.md §3).
type Command uint32

// The 47 commands of Iggy 0.8.0.
const (
	CmdPing                         Command = 1
	CmdGetStats                     Command = 10
	CmdGetSnapshot                  Command = 11
	CmdGetClusterMetadata           Command = 12
	CmdGetMe                        Command = 20
	CmdGetClient                    Command = 21
	CmdGetClients                   Command = 22
	CmdGetUser                      Command = 31
	CmdGetUsers                     Command = 32
	CmdCreateUser                   Command = 33
	CmdDeleteUser                   Command = 34
	CmdUpdateUser                   Command = 35
	CmdUpdatePermissions            Command = 36
	CmdChangePassword               Command = 37
	CmdLoginUser                    Command = 38
	CmdLogoutUser                   Command = 39
	CmdGetPersonalAccessTokens      Command = 41
	CmdCreatePersonalAccessToken    Command = 42
	CmdDeletePersonalAccessToken    Command = 43
	CmdLoginWithPersonalAccessToken Command = 44
	CmdPollMessages                 Command = 100
	CmdSendMessages                 Command = 101
	CmdFlushUnsavedBuffer           Command = 102
	CmdGetConsumerOffset            Command = 120
	CmdStoreConsumerOffset          Command = 121
	CmdDeleteConsumerOffset         Command = 122
	CmdGetStream                    Command = 200
	CmdGetStreams                   Command = 201
	CmdCreateStream                 Command = 202
	CmdDeleteStream                 Command = 203
	CmdUpdateStream                 Command = 204
	CmdPurgeStream                  Command = 205
	CmdGetTopic                     Command = 300
	CmdGetTopics                    Command = 301
	CmdCreateTopic                  Command = 302
	CmdDeleteTopic                  Command = 303
	CmdUpdateTopic                  Command = 304
	CmdPurgeTopic                   Command = 305
	CmdCreatePartitions             Command = 402
	CmdDeletePartitions             Command = 403
	CmdDeleteSegments               Command = 503
	CmdGetConsumerGroup             Command = 600
	CmdGetConsumerGroups            Command = 601
	CmdCreateConsumerGroup          Command = 602
	CmdDeleteConsumerGroup          Command = 603
	CmdJoinConsumerGroup            Command = 604
	CmdLeaveConsumerGroup           Command = 605
)

type commandInfo struct {
	name string
	new  func() Request
}

// commands maps every known code to its name (Iggy's dotted command names,
// used in logs and metric labels) and a constructor of its request.
var commands = map[Command]commandInfo{
	CmdPing:                         {"ping", func() Request { return &Ping{} }},
	CmdGetStats:                     {"stats", func() Request { return &GetStats{} }},
	CmdGetSnapshot:                  {"snapshot", func() Request { return &GetSnapshot{} }},
	CmdGetClusterMetadata:           {"cluster.metadata", func() Request { return &GetClusterMetadata{} }},
	CmdGetMe:                        {"me", func() Request { return &GetMe{} }},
	CmdGetClient:                    {"client.get", func() Request { return &GetClient{} }},
	CmdGetClients:                   {"client.list", func() Request { return &GetClients{} }},
	CmdGetUser:                      {"user.get", func() Request { return &GetUser{} }},
	CmdGetUsers:                     {"user.list", func() Request { return &GetUsers{} }},
	CmdCreateUser:                   {"user.create", func() Request { return &CreateUser{} }},
	CmdDeleteUser:                   {"user.delete", func() Request { return &DeleteUser{} }},
	CmdUpdateUser:                   {"user.update", func() Request { return &UpdateUser{} }},
	CmdUpdatePermissions:            {"user.permissions", func() Request { return &UpdatePermissions{} }},
	CmdChangePassword:               {"user.password", func() Request { return &ChangePassword{} }},
	CmdLoginUser:                    {"user.login", func() Request { return &LoginUser{} }},
	CmdLogoutUser:                   {"user.logout", func() Request { return &LogoutUser{} }},
	CmdGetPersonalAccessTokens:      {"personal_access_token.list", func() Request { return &GetPersonalAccessTokens{} }},
	CmdCreatePersonalAccessToken:    {"personal_access_token.create", func() Request { return &CreatePersonalAccessToken{} }},
	CmdDeletePersonalAccessToken:    {"personal_access_token.delete", func() Request { return &DeletePersonalAccessToken{} }},
	CmdLoginWithPersonalAccessToken: {"personal_access_token.login", func() Request { return &LoginWithPersonalAccessToken{} }},
	CmdPollMessages:                 {"message.poll", func() Request { return &PollMessages{} }},
	CmdSendMessages:                 {"message.send", func() Request { return &SendMessages{} }},
	CmdFlushUnsavedBuffer:           {"message.flush_unsaved_buffer", func() Request { return &FlushUnsavedBuffer{} }},
	CmdGetConsumerOffset:            {"consumer_offset.get", func() Request { return &GetConsumerOffset{} }},
	CmdStoreConsumerOffset:          {"consumer_offset.store", func() Request { return &StoreConsumerOffset{} }},
	CmdDeleteConsumerOffset:         {"consumer_offset.delete", func() Request { return &DeleteConsumerOffset{} }},
	CmdGetStream:                    {"stream.get", func() Request { return &GetStream{} }},
	CmdGetStreams:                   {"stream.list", func() Request { return &GetStreams{} }},
	CmdCreateStream:                 {"stream.create", func() Request { return &CreateStream{} }},
	CmdDeleteStream:                 {"stream.delete", func() Request { return &DeleteStream{} }},
	CmdUpdateStream:                 {"stream.update", func() Request { return &UpdateStream{} }},
	CmdPurgeStream:                  {"stream.purge", func() Request { return &PurgeStream{} }},
	CmdGetTopic:                     {"topic.get", func() Request { return &GetTopic{} }},
	CmdGetTopics:                    {"topic.list", func() Request { return &GetTopics{} }},
	CmdCreateTopic:                  {"topic.create", func() Request { return &CreateTopic{} }},
	CmdDeleteTopic:                  {"topic.delete", func() Request { return &DeleteTopic{} }},
	CmdUpdateTopic:                  {"topic.update", func() Request { return &UpdateTopic{} }},
	CmdPurgeTopic:                   {"topic.purge", func() Request { return &PurgeTopic{} }},
	CmdCreatePartitions:             {"partition.create", func() Request { return &CreatePartitions{} }},
	CmdDeletePartitions:             {"partition.delete", func() Request { return &DeletePartitions{} }},
	CmdDeleteSegments:               {"segment.delete", func() Request { return &DeleteSegments{} }},
	CmdGetConsumerGroup:             {"consumer_group.get", func() Request { return &GetConsumerGroup{} }},
	CmdGetConsumerGroups:            {"consumer_group.list", func() Request { return &GetConsumerGroups{} }},
	CmdCreateConsumerGroup:          {"consumer_group.create", func() Request { return &CreateConsumerGroup{} }},
	CmdDeleteConsumerGroup:          {"consumer_group.delete", func() Request { return &DeleteConsumerGroup{} }},
	CmdJoinConsumerGroup:            {"consumer_group.join", func() Request { return &JoinConsumerGroup{} }},
	CmdLeaveConsumerGroup:           {"consumer_group.leave", func() Request { return &LeaveConsumerGroup{} }},
}

// String returns Iggy's name of the command, or "unknown.N".
func (c Command) String() string {
	if info, ok := commands[c]; ok {
		return info.name
	}
	return "unknown." + strconv.FormatUint(uint64(c), 10)
}

// Known reports whether c is a command of Iggy 0.8.0.
func (c Command) Known() bool {
	_, ok := commands[c]
	return ok
}

// Commands returns every known command code in ascending order.
func Commands() []Command {
	out := make([]Command, 0, len(commands))
	for c := range commands {
		out = append(out, c)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Request is one command's payload: it knows its code and encodes and
// decodes itself. Decode reports malformed input as *Error with Iggy's code.
type Request interface {
	Code() Command
	// AppendTo appends the payload (without the frame header) to dst.
	AppendTo(dst []byte) []byte
	// Decode replaces the request's fields with those read from payload.
	// The request may keep views of payload (SendMessages does).
	Decode(payload []byte) error
}

// NewRequest returns a zero request for code c, or false for an unknown code.
func NewRequest(c Command) (Request, bool) {
	info, ok := commands[c]
	if !ok {
		return nil, false
	}
	return info.new(), true
}
