package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// userJSON is the JSON form of a user (user get/list).
type userJSON struct {
	ID          uint32           `json:"id"`
	Username    string           `json:"username"`
	Status      string           `json:"status"`
	CreatedAt   uint64           `json:"created_at"`
	Permissions *permissionsJSON `json:"permissions,omitempty"`
}

// permissionsJSON is a user's permissions by Iggy's snake_case names.
type permissionsJSON struct {
	Global  map[string]bool                 `json:"global"`
	Streams map[string]streamPermissionJSON `json:"streams,omitempty"`
}

type streamPermissionJSON struct {
	Permissions map[string]bool            `json:"permissions"`
	Topics      map[string]map[string]bool `json:"topics,omitempty"`
}

func toPermissionsJSON(p *wire.Permissions) *permissionsJSON {
	if p == nil {
		return nil
	}
	gl := p.Global
	j := &permissionsJSON{Global: map[string]bool{"manage_servers": gl.ManageServers, "read_servers": gl.ReadServers,
		"manage_users": gl.ManageUsers, "read_users": gl.ReadUsers, "manage_streams": gl.ManageStreams,
		"read_streams": gl.ReadStreams, "manage_topics": gl.ManageTopics, "read_topics": gl.ReadTopics,
		"poll_messages": gl.PollMessages, "send_messages": gl.SendMessages}}
	for sid, s := range p.Streams {
		if j.Streams == nil {
			j.Streams = map[string]streamPermissionJSON{}
		}
		sj := streamPermissionJSON{Permissions: map[string]bool{"manage_stream": s.ManageStream, "read_stream": s.ReadStream,
			"manage_topics": s.ManageTopics, "read_topics": s.ReadTopics, "poll_messages": s.PollMessages, "send_messages": s.SendMessages}}
		for tid, t := range s.Topics {
			if sj.Topics == nil {
				sj.Topics = map[string]map[string]bool{}
			}
			sj.Topics[itoa(tid)] = map[string]bool{"manage_topic": t.ManageTopic, "read_topic": t.ReadTopic,
				"poll_messages": t.PollMessages, "send_messages": t.SendMessages}
		}
		j.Streams[itoa(sid)] = sj
	}
	return j
}

var userHeader = []string{"ID", "USERNAME", "STATUS", "CREATED"}

func (u userJSON) row() []string {
	return []string{itoa(u.ID), u.Username, u.Status, fmtTime(u.CreatedAt)}
}

// Permission names, long and short, as the Iggy CLI spells them.
var globalPermNames = map[string]func(*wire.GlobalPermissions) *bool{
	"manage_servers": func(p *wire.GlobalPermissions) *bool { return &p.ManageServers }, "m_srv": func(p *wire.GlobalPermissions) *bool { return &p.ManageServers },
	"read_servers": func(p *wire.GlobalPermissions) *bool { return &p.ReadServers }, "r_srv": func(p *wire.GlobalPermissions) *bool { return &p.ReadServers },
	"manage_users": func(p *wire.GlobalPermissions) *bool { return &p.ManageUsers }, "m_usr": func(p *wire.GlobalPermissions) *bool { return &p.ManageUsers },
	"read_users": func(p *wire.GlobalPermissions) *bool { return &p.ReadUsers }, "r_usr": func(p *wire.GlobalPermissions) *bool { return &p.ReadUsers },
	"manage_streams": func(p *wire.GlobalPermissions) *bool { return &p.ManageStreams }, "m_str": func(p *wire.GlobalPermissions) *bool { return &p.ManageStreams },
	"read_streams": func(p *wire.GlobalPermissions) *bool { return &p.ReadStreams }, "r_str": func(p *wire.GlobalPermissions) *bool { return &p.ReadStreams },
	"manage_topics": func(p *wire.GlobalPermissions) *bool { return &p.ManageTopics }, "m_top": func(p *wire.GlobalPermissions) *bool { return &p.ManageTopics },
	"read_topics": func(p *wire.GlobalPermissions) *bool { return &p.ReadTopics }, "r_top": func(p *wire.GlobalPermissions) *bool { return &p.ReadTopics },
	"poll_messages": func(p *wire.GlobalPermissions) *bool { return &p.PollMessages }, "p_msg": func(p *wire.GlobalPermissions) *bool { return &p.PollMessages },
	"send_messages": func(p *wire.GlobalPermissions) *bool { return &p.SendMessages }, "s_msg": func(p *wire.GlobalPermissions) *bool { return &p.SendMessages },
}

var streamPermNames = map[string]func(*wire.StreamPermissions) *bool{
	"manage_stream": func(p *wire.StreamPermissions) *bool { return &p.ManageStream }, "m_str": func(p *wire.StreamPermissions) *bool { return &p.ManageStream },
	"read_stream": func(p *wire.StreamPermissions) *bool { return &p.ReadStream }, "r_str": func(p *wire.StreamPermissions) *bool { return &p.ReadStream },
	"manage_topics": func(p *wire.StreamPermissions) *bool { return &p.ManageTopics }, "m_top": func(p *wire.StreamPermissions) *bool { return &p.ManageTopics },
	"read_topics": func(p *wire.StreamPermissions) *bool { return &p.ReadTopics }, "r_top": func(p *wire.StreamPermissions) *bool { return &p.ReadTopics },
	"poll_messages": func(p *wire.StreamPermissions) *bool { return &p.PollMessages }, "p_msg": func(p *wire.StreamPermissions) *bool { return &p.PollMessages },
	"send_messages": func(p *wire.StreamPermissions) *bool { return &p.SendMessages }, "s_msg": func(p *wire.StreamPermissions) *bool { return &p.SendMessages },
}

var topicPermNames = map[string]func(*wire.TopicPermissions) *bool{
	"manage_topic": func(p *wire.TopicPermissions) *bool { return &p.ManageTopic }, "m_top": func(p *wire.TopicPermissions) *bool { return &p.ManageTopic },
	"read_topic": func(p *wire.TopicPermissions) *bool { return &p.ReadTopic }, "r_top": func(p *wire.TopicPermissions) *bool { return &p.ReadTopic },
	"poll_messages": func(p *wire.TopicPermissions) *bool { return &p.PollMessages }, "p_msg": func(p *wire.TopicPermissions) *bool { return &p.PollMessages },
	"send_messages": func(p *wire.TopicPermissions) *bool { return &p.SendMessages }, "s_msg": func(p *wire.TopicPermissions) *bool { return &p.SendMessages },
}

func setPerms[T any](names map[string]func(*T) *bool, p *T, list, where string) error {
	if list == "" {
		return nil
	}
	var unknown []string
	for _, n := range strings.Split(list, ",") {
		f, ok := names[strings.TrimSpace(n)]
		if !ok {
			unknown = append(unknown, strconv.Quote(n))
			continue
		}
		*f(p) = true
	}
	if len(unknown) > 0 {
		return usageError("unknown permission %s %s", strings.Join(unknown, ", "), where)
	}
	return nil
}

// parsePermissions reads -g global and -s STREAM[:perms][#TOPIC[:perms]]
// options; nil when neither is given.
func parsePermissions(global string, streams []string) (*wire.Permissions, error) {
	if global == "" && len(streams) == 0 {
		return nil, nil
	}
	p := &wire.Permissions{}
	if err := setPerms(globalPermNames, &p.Global, global, "in global permissions"); err != nil {
		return nil, err
	}
	for _, s := range streams {
		parts := strings.Split(s, "#")
		idStr, list, _ := strings.Cut(parts[0], ":")
		sid, err := parseU32("stream permissions: stream id", idStr)
		if err != nil {
			return nil, err
		}
		sp := &wire.StreamPermissions{}
		if err := setPerms(streamPermNames, sp, list, "for stream "+idStr); err != nil {
			return nil, err
		}
		for _, t := range parts[1:] {
			tidStr, tlist, _ := strings.Cut(t, ":")
			tid, err := parseU32("stream permissions: topic id", tidStr)
			if err != nil {
				return nil, err
			}
			tp := &wire.TopicPermissions{}
			if err := setPerms(topicPermNames, tp, tlist, "for topic "+tidStr); err != nil {
				return nil, err
			}
			if sp.Topics == nil {
				sp.Topics = map[uint32]*wire.TopicPermissions{}
			}
			sp.Topics[tid] = tp
		}
		if p.Streams == nil {
			p.Streams = map[uint32]*wire.StreamPermissions{}
		}
		p.Streams[sid] = sp
	}
	return p, nil
}

// permissionsText lists the permissions set, for people.
func permissionsText(p *wire.Permissions) (keys, vals []string) {
	if p == nil {
		return []string{"permissions"}, []string{"none"}
	}
	names := func(m map[string]bool) string {
		var out []string
		for n, on := range m {
			if on {
				out = append(out, n)
			}
		}
		sort.Strings(out)
		if len(out) == 0 {
			return "-"
		}
		return strings.Join(out, ", ")
	}
	gl := p.Global
	keys = append(keys, "global permissions")
	vals = append(vals, names(map[string]bool{"manage_servers": gl.ManageServers, "read_servers": gl.ReadServers,
		"manage_users": gl.ManageUsers, "read_users": gl.ReadUsers, "manage_streams": gl.ManageStreams,
		"read_streams": gl.ReadStreams, "manage_topics": gl.ManageTopics, "read_topics": gl.ReadTopics,
		"poll_messages": gl.PollMessages, "send_messages": gl.SendMessages}))
	sids := make([]uint32, 0, len(p.Streams))
	for id := range p.Streams {
		sids = append(sids, id)
	}
	sort.Slice(sids, func(i, j int) bool { return sids[i] < sids[j] })
	for _, sid := range sids {
		s := p.Streams[sid]
		keys = append(keys, "stream "+itoa(sid))
		vals = append(vals, names(map[string]bool{"manage_stream": s.ManageStream, "read_stream": s.ReadStream,
			"manage_topics": s.ManageTopics, "read_topics": s.ReadTopics, "poll_messages": s.PollMessages, "send_messages": s.SendMessages}))
		tids := make([]uint32, 0, len(s.Topics))
		for id := range s.Topics {
			tids = append(tids, id)
		}
		sort.Slice(tids, func(i, j int) bool { return tids[i] < tids[j] })
		for _, tid := range tids {
			t := s.Topics[tid]
			keys = append(keys, fmt.Sprintf("stream %d topic %d", sid, tid))
			vals = append(vals, names(map[string]bool{"manage_topic": t.ManageTopic, "read_topic": t.ReadTopic,
				"poll_messages": t.PollMessages, "send_messages": t.SendMessages}))
		}
	}
	return keys, vals
}

func parseUserStatus(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "active":
		return wire.UserActive, nil
	case "inactive":
		return wire.UserInactive, nil
	}
	return 0, usageError("user status %q: want active or inactive", s)
}

func userCommand(g *globals) *cobra.Command {
	cmd := group("user", "User operations", "u")
	var status, global string
	var streams []string
	permFlags := func(c *cobra.Command) {
		c.Flags().StringVarP(&global, "global-permissions", "g", "", "global permissions, comma separated (manage_servers/m_srv, read_servers/r_srv, manage_users/m_usr, read_users/r_usr, manage_streams/m_str, read_streams/r_str, manage_topics/m_top, read_topics/r_top, poll_messages/p_msg, send_messages/s_msg)")
		c.Flags().StringArrayVarP(&streams, "stream-permissions", "s", nil, "STREAM_ID[:perms][#TOPIC_ID[:perms]]..., repeatable")
	}
	create := &cobra.Command{
		Use: "create <username> <password>", Aliases: []string{"c"}, Short: "Create a user",
		Args: exactArgs(2),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			st, err := parseUserStatus(status)
			if err != nil {
				return err
			}
			perms, err := parsePermissions(global, streams)
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.CreateUser{Username: args[0], Password: args[1], Status: st, Permissions: perms})
			if err != nil {
				return err
			}
			var u wire.UserDetails
			if err := u.Decode(b); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(toUserJSON(u))
			}
			out.info("user %s created with id %d", u.Username, u.ID)
			return nil
		}),
	}
	create.Flags().StringVarP(&status, "user-status", "u", "active", "active or inactive")
	permFlags(create)
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete <user>", Aliases: []string{"d"}, Short: "Delete a user",
		Args: exactArgs(1),
		RunE: simpleVerb(g, []string{"user"}, func(ids []wire.Identifier, _ []string) (wire.Request, string) {
			return &wire.DeleteUser{UserRef: wire.UserRef{User: ids[0]}}, fmt.Sprintf("user %s deleted", ids[0])
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "get <user>", Aliases: []string{"g"}, Short: "A user and their permissions",
		Args: exactArgs(1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			id, err := ident("user", args[0])
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.GetUser{UserRef: wire.UserRef{User: id}})
			if err != nil {
				return err
			}
			if len(b) == 0 {
				return fmt.Errorf("user %s: %w", id, wire.ErrResourceNotFound)
			}
			var u wire.UserDetails
			if err := u.Decode(b); err != nil {
				return err
			}
			j := toUserJSON(u)
			pk, pv := permissionsText(u.Permissions)
			return out.object(j, append(userHeader, pk...), append(j.row(), pv...))
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list", Aliases: []string{"l"}, Short: "All users",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetUsers{})
			if err != nil {
				return err
			}
			list, err := wire.DecodeUsers(b)
			if err != nil {
				return err
			}
			js := []userJSON{}
			var rows [][]string
			for _, u := range list {
				j := toUserJSON(wire.UserDetails{UserInfo: u})
				js = append(js, j)
				rows = append(rows, j.row())
			}
			return out.table(js, userHeader, rows)
		}),
	}))
	cmd.AddCommand(&cobra.Command{
		Use: "name <user> <new-username>", Aliases: []string{"n"}, Short: "Rename a user",
		Args: exactArgs(2),
		RunE: simpleVerb(g, []string{"user"}, func(ids []wire.Identifier, args []string) (wire.Request, string) {
			name := args[1]
			return &wire.UpdateUser{User: ids[0], Username: &name}, fmt.Sprintf("user %s renamed to %s", ids[0], name)
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "status <user> <active|inactive>", Aliases: []string{"s"}, Short: "Activate or deactivate a user",
		Args:      exactArgs(2),
		ValidArgs: []string{"active", "inactive"},
		RunE: simpleVerb(g, []string{"user"}, func(ids []wire.Identifier, args []string) (wire.Request, string) {
			st, err := parseUserStatus(args[1])
			if err != nil {
				return nil, err.Error()
			}
			return &wire.UpdateUser{User: ids[0], Status: &st}, fmt.Sprintf("user %s is now %s", ids[0], strings.ToLower(args[1]))
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "password <user> [current-password] [new-password]", Aliases: []string{"pwd"},
		Short: "Change a user's password (prompted for when not given)",
		Args:  rangeArgs(1, 3),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			id, err := ident("user", args[0])
			if err != nil {
				return err
			}
			cur, next := "", ""
			if len(args) > 1 {
				cur = args[1]
			} else if cur, err = g.promptPassword("Current password: "); err != nil {
				return err
			}
			if len(args) > 2 {
				next = args[2]
			} else if next, err = g.promptPassword("New password: "); err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.ChangePassword{User: id, CurrentPassword: cur, NewPassword: next}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("password of user %s changed", id)
			return nil
		}),
	})
	perms := &cobra.Command{
		Use: "permissions <user>", Aliases: []string{"p"},
		Short: "Set a user's permissions (none given: remove them all)",
		Args:  exactArgs(1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			id, err := ident("user", args[0])
			if err != nil {
				return err
			}
			p, err := parsePermissions(global, streams)
			if err != nil {
				return err
			}
			if _, err := c.Do(ctx, &wire.UpdatePermissions{User: id, Permissions: p}); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("permissions of user %s set", id)
			return nil
		}),
	}
	permFlags(perms)
	cmd.AddCommand(perms)
	return cmd
}

func toUserJSON(u wire.UserDetails) userJSON {
	return userJSON{ID: u.ID, Username: u.Username, Status: userStatusName(u.Status), CreatedAt: u.CreatedAt, Permissions: toPermissionsJSON(u.Permissions)}
}

func createToken(ctx context.Context, c *client.Client, name string, expiry uint64) (string, error) {
	if expiry == wire.Unlimited {
		expiry = 0 // the protocol's "never expires"
	}
	b, err := c.Do(ctx, &wire.CreatePersonalAccessToken{Name: name, Expiry: expiry})
	if err != nil {
		return "", err
	}
	var t wire.RawPersonalAccessToken
	return t.Token, t.Decode(b)
}

func deleteToken(ctx context.Context, c *client.Client, name string) error {
	_, err := c.Do(ctx, &wire.DeletePersonalAccessToken{NameRef: wire.NameRef{Name: name}})
	return err
}

func patCommand(g *globals) *cobra.Command {
	cmd := group("pat", "Personal access token operations")
	cmd.AddCommand(&cobra.Command{
		Use: "create <name> [expiry...]", Aliases: []string{"c"},
		Short: "Create a personal access token (expiry like 15days 2min; none or omitted: never expires); prints the token",
		Args:  rangeArgs(1, -1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			exp, err := parseExpiry(args[1:], 0)
			if err != nil {
				return usageError("expiry: %v", err)
			}
			tok, err := createToken(ctx, c, args[0], exp)
			if err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"name": args[0], "token": tok})
			}
			if g.Quiet {
				fmt.Fprintln(out.w, tok)
				return nil
			}
			fmt.Fprintf(out.w, "personal access token %s created: %s\n", args[0], tok)
			return nil
		}),
	})
	cmd.AddCommand(&cobra.Command{
		Use: "delete <name>", Aliases: []string{"d"}, Short: "Delete a personal access token",
		Args: exactArgs(1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			if err := deleteToken(ctx, c, args[0]); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"ok": true})
			}
			out.info("personal access token %s deleted", args[0])
			return nil
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list", Aliases: []string{"l"}, Short: "Your personal access tokens",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetPersonalAccessTokens{})
			if err != nil {
				return err
			}
			list, err := wire.DecodePersonalAccessTokens(b)
			if err != nil {
				return err
			}
			type patJSON struct {
				Name      string  `json:"name"`
				ExpiresAt *uint64 `json:"expires_at"`
			}
			js := []patJSON{}
			var rows [][]string
			for _, t := range list {
				j := patJSON{Name: t.Name}
				exp := "never"
				if t.ExpiresAt != 0 {
					e := t.ExpiresAt
					j.ExpiresAt = &e
					exp = fmtTime(e)
				}
				js = append(js, j)
				rows = append(rows, []string{t.Name, exp})
			}
			return out.table(js, []string{"NAME", "EXPIRES"}, rows)
		}),
	}))
	return cmd
}
