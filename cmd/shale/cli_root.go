package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// addClientCommands registers the global connection flags and every
// client verb on root (docs/cli.md lists them with their Iggy CLI
// equivalents).
func addClientCommands(root *cobra.Command, g *globals) {
	g.addGlobalFlags(root)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	var generate string
	root.Flags().StringVar(&generate, "generate", "", "print shell completion code for bash, zsh or fish (as shale completion does)")
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		if generate == "" {
			return cmd.Help()
		}
		return genCompletion(root, generate, g)
	}
	root.AddCommand(
		pingCommand(g), meCommand(g), statsCommand(g), snapshotCommand(g),
		streamCommand(g), topicCommand(g), partitionCommand(g), segmentCommand(g),
		groupCommand(g), offsetCommand(g), messageCommand(g),
		userCommand(g), patCommand(g), clientCommand(g), clusterCommand(g),
		contextCommand(g), loginCommand(g), logoutCommand(g), retentionCommand(g),
	)
	for _, c := range root.Commands() {
		c.SilenceUsage = true
	}
}

func genCompletion(root *cobra.Command, shell string, g *globals) error {
	switch shell {
	case "bash":
		return root.GenBashCompletionV2(g.stdout, true)
	case "zsh":
		return root.GenZshCompletion(g.stdout)
	case "fish":
		return root.GenFishCompletion(g.stdout, true)
	}
	return usageError("--generate %q: want bash, zsh or fish", shell)
}

// verb wraps a client verb: resolve the options, connect and log in
// (unless anonymous), run, close. The context ends on Ctrl-C.
func (g *globals) verb(anonymous bool, fn func(ctx context.Context, c *client.Client, out *output, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := g.resolve(cmd); err != nil {
			return err
		}
		ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		var c *client.Client
		var err error
		if anonymous {
			c, err = g.dial(ctx)
		} else {
			c, err = g.connect(ctx)
		}
		if err != nil {
			return err
		}
		defer c.Close()
		return fn(ctx, c, newOutput(g, cmd), args)
	}
}

// listMode adds the Iggy CLI's -l/--list-mode table|list to a list verb.
func listMode(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().StringP("list-mode", "l", "table", "list mode: table or list")
	_ = cmd.RegisterFlagCompletionFunc("list-mode", cobra.FixedCompletions([]string{"table", "list"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func pingCommand(g *globals) *cobra.Command {
	var count uint32
	cmd := &cobra.Command{
		Use: "ping", Short: "Check the server answers, with round-trip times",
		Args: exactArgs(0),
		RunE: g.verb(true, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			if count == 0 {
				return usageError("--count must be at least 1")
			}
			type pingJSON struct {
				Seq  uint32  `json:"seq"`
				RTTs float64 `json:"rtt_ms"`
			}
			var rtts []time.Duration
			var rows []pingJSON
			for i := range count {
				start := time.Now()
				if err := c.Ping(ctx); err != nil {
					return err
				}
				d := time.Since(start)
				rtts = append(rtts, d)
				rows = append(rows, pingJSON{i + 1, ms(d)})
				if out.mode != "json" && !g.Quiet {
					fmt.Fprintf(out.w, "ping %d: time=%.3f ms\n", i+1, ms(d))
				}
			}
			lo, hi := slices.Min(rtts), slices.Max(rtts)
			var sum time.Duration
			for _, d := range rtts {
				sum += d
			}
			avg := sum / time.Duration(len(rtts))
			if out.mode == "json" {
				return out.json(map[string]any{"server": g.serverAddress(), "pings": rows,
					"min_ms": ms(lo), "avg_ms": ms(avg), "max_ms": ms(hi)})
			}
			out.info("%d pings to %s: min/avg/max = %.3f/%.3f/%.3f ms", count, g.serverAddress(), ms(lo), ms(avg), ms(hi))
			return nil
		}),
	}
	cmd.Flags().Uint32VarP(&count, "count", "c", 1, "number of pings")
	return cmd
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// clientJSON is the JSON form of a connected client (me, client get/list).
type clientJSON struct {
	ClientID            uint32        `json:"client_id"`
	UserID              *uint32       `json:"user_id"`
	Transport           string        `json:"transport"`
	Address             string        `json:"address"`
	ConsumerGroupsCount uint32        `json:"consumer_groups_count"`
	ConsumerGroups      []clientGroup `json:"consumer_groups,omitempty"`
}

type clientGroup struct {
	StreamID uint32 `json:"stream_id"`
	TopicID  uint32 `json:"topic_id"`
	GroupID  uint32 `json:"group_id"`
}

func toClientJSON(ci wire.ClientInfo, groups []wire.ClientGroup) clientJSON {
	j := clientJSON{ClientID: ci.ClientID, Transport: transportName(ci.Transport), Address: ci.Address,
		ConsumerGroupsCount: ci.ConsumerGroupsCount}
	if ci.UserID != wire.NoUserID {
		u := ci.UserID
		j.UserID = &u
	}
	for _, gr := range groups {
		j.ConsumerGroups = append(j.ConsumerGroups, clientGroup(gr))
	}
	return j
}

func (j clientJSON) row() []string {
	user := "-"
	if j.UserID != nil {
		user = itoa(*j.UserID)
	}
	return []string{itoa(j.ClientID), user, j.Transport, j.Address, itoa(j.ConsumerGroupsCount)}
}

var clientHeader = []string{"CLIENT ID", "USER ID", "TRANSPORT", "ADDRESS", "CONSUMER GROUPS"}

func printClient(out *output, d wire.ClientDetails) error {
	j := toClientJSON(d.ClientInfo, d.Groups)
	vals := j.row()
	keys := slices.Clone(clientHeader)
	for _, gr := range d.Groups {
		keys = append(keys, "group")
		vals = append(vals, fmt.Sprintf("stream %d, topic %d, group %d", gr.StreamID, gr.TopicID, gr.GroupID))
	}
	return out.object(j, keys, vals)
}

func meCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "me", Short: "This connection as the server sees it: client id, user, transport, address",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetMe{})
			if err != nil {
				return err
			}
			var d wire.ClientDetails
			if err := d.Decode(b); err != nil {
				return err
			}
			return printClient(out, d)
		}),
	}
}

func clientCommand(g *globals) *cobra.Command {
	cmd := group("client", "Connected clients", "c")
	cmd.AddCommand(&cobra.Command{
		Use: "get <client-id>", Aliases: []string{"g"}, Short: "One connected client",
		Args: exactArgs(1),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, args []string) error {
			id, err := parseU32("client id", args[0])
			if err != nil {
				return err
			}
			b, err := c.Do(ctx, &wire.GetClient{ClientID: id})
			if err != nil {
				return err
			}
			if len(b) == 0 {
				return fmt.Errorf("client %d: %w", id, wire.ErrClientNotFound)
			}
			var d wire.ClientDetails
			if err := d.Decode(b); err != nil {
				return err
			}
			return printClient(out, d)
		}),
	})
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "list", Aliases: []string{"l"}, Short: "All connected clients",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetClients{})
			if err != nil {
				return err
			}
			list, err := wire.DecodeClients(b)
			if err != nil {
				return err
			}
			js := []clientJSON{}
			var rows [][]string
			for _, ci := range list {
				j := toClientJSON(ci, nil)
				js = append(js, j)
				rows = append(rows, j.row())
			}
			return out.table(js, clientHeader, rows)
		}),
	}))
	return cmd
}

func clusterCommand(g *globals) *cobra.Command {
	cmd := group("cluster", "Cluster operations")
	cmd.AddCommand(listMode(&cobra.Command{
		Use: "metadata", Aliases: []string{"m"}, Short: "The cluster's name and nodes",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetClusterMetadata{})
			if err != nil {
				return err
			}
			var m wire.ClusterMetadata
			if err := m.Decode(b); err != nil {
				return err
			}
			type node struct {
				Name     string `json:"name"`
				IP       string `json:"ip"`
				TCPPort  uint16 `json:"tcp_port"`
				QUICPort uint16 `json:"quic_port"`
				HTTPPort uint16 `json:"http_port"`
				WSPort   uint16 `json:"websocket_port"`
				Role     string `json:"role"`
				Status   string `json:"status"`
			}
			nodes := []node{}
			var rows [][]string
			for _, n := range m.Nodes {
				role, status := "leader", "healthy"
				if n.Role != wire.NodeLeader {
					role = "follower"
				}
				if n.Status != wire.NodeHealthy {
					status = "unhealthy(" + itoa(n.Status) + ")"
				}
				nodes = append(nodes, node{Name: n.Name, IP: n.IP, TCPPort: n.TCPPort, QUICPort: n.QUICPort,
					HTTPPort: n.HTTPPort, WSPort: n.WebSocketPort, Role: role, Status: status})
				rows = append(rows, []string{m.Name, n.Name, n.IP, itoa(n.TCPPort), itoa(n.QUICPort), itoa(n.HTTPPort), role, status})
			}
			if out.mode == "json" {
				return out.json(map[string]any{"name": m.Name, "nodes": nodes})
			}
			return out.table(nil, []string{"CLUSTER", "NODE", "IP", "TCP", "QUIC", "HTTP", "ROLE", "STATUS"}, rows)
		}),
	}))
	return cmd
}

// statField is one line of `stats`: its key in the JSON form (docs/cli.md),
// its label in the table and list forms, its JSON value and its text.
type statField struct {
	key, label string
	value      any
	text       string
}

// statsFields lists a GetStats answer in the order `stats` prints it.
func statsFields(s *wire.Stats) []statField {
	pct := func(v float32) string { return fmt.Sprintf("%.2f%%", v) }
	return []statField{
		{"server_version", "Server version", s.ServerVersion, s.ServerVersion},
		{"process_id", "Process ID", s.ProcessID, itoa(s.ProcessID)},
		{"run_time_us", "Run time", s.RunTime, (time.Duration(s.RunTime) * time.Microsecond).Truncate(time.Second).String()},
		{"start_time_us", "Start time", s.StartTime, fmtTime(s.StartTime)},
		{"cpu_usage", "CPU usage", s.CPUUsage, pct(s.CPUUsage)},
		{"total_cpu_usage", "Total CPU usage", s.TotalCPUUsage, pct(s.TotalCPUUsage)},
		{"memory_usage_bytes", "Memory usage", s.MemoryUsage, fmtSize(s.MemoryUsage)},
		{"total_memory_bytes", "Total memory", s.TotalMemory, fmtSize(s.TotalMemory)},
		{"available_memory_bytes", "Available memory", s.AvailableMemory, fmtSize(s.AvailableMemory)},
		{"read_bytes", "Read", s.ReadBytes, fmtSize(s.ReadBytes)},
		{"written_bytes", "Written", s.WrittenBytes, fmtSize(s.WrittenBytes)},
		{"messages_size_bytes", "Messages size", s.MessagesSizeBytes, fmtSize(s.MessagesSizeBytes)},
		{"streams_count", "Streams", s.StreamsCount, itoa(s.StreamsCount)},
		{"topics_count", "Topics", s.TopicsCount, itoa(s.TopicsCount)},
		{"partitions_count", "Partitions", s.PartitionsCount, itoa(s.PartitionsCount)},
		{"segments_count", "Segments", s.SegmentsCount, itoa(s.SegmentsCount)},
		{"messages_count", "Messages", s.MessagesCount, itoa(s.MessagesCount)},
		{"clients_count", "Clients", s.ClientsCount, itoa(s.ClientsCount)},
		{"consumer_groups_count", "Consumer groups", s.ConsumerGroupsCount, itoa(s.ConsumerGroupsCount)},
		{"hostname", "Hostname", s.Hostname, s.Hostname},
		{"os_name", "OS", s.OSName, strings.TrimSpace(s.OSName + " " + s.OSVersion)},
		{"os_version", "", s.OSVersion, ""}, // in the OS line
		{"kernel_version", "Kernel", s.KernelVersion, s.KernelVersion},
		{"threads_count", "Threads", s.ThreadsCount, itoa(s.ThreadsCount)},
		{"free_disk_space_bytes", "Free disk space", s.FreeDiskSpace, fmtSize(s.FreeDiskSpace)},
		{"total_disk_space_bytes", "Total disk space", s.TotalDiskSpace, fmtSize(s.TotalDiskSpace)},
	}
}

// statsJSON is the JSON form of `stats`: the fields' keys and values, in
// their order.
type statsJSON []statField

func (fs statsJSON) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	for i, f := range fs {
		if i > 0 {
			out = append(out, ',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}

func statsCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use: "stats", Short: "Server statistics: streams, topics, messages, process and host",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			b, err := c.Do(ctx, &wire.GetStats{})
			if err != nil {
				return err
			}
			var s wire.Stats
			if err := s.Decode(b); err != nil {
				return err
			}
			fields := statsFields(&s)
			var keys, vals []string
			for _, f := range fields {
				if f.label != "" {
					keys, vals = append(keys, f.label), append(vals, f.text)
				}
			}
			return out.object(statsJSON(fields), keys, vals)
		}),
	}
	// The Iggy CLI's stats -o table|list|json; the global --output under
	// another name.
	cmd.Flags().StringVarP(&g.Output, "output", "o", "table", "output: table, list or json")
	return cmd
}

var snapshotTypes = map[string]uint8{"filesystem_overview": 1, "process_list": 2, "resource_usage": 3, "test": 4,
	"server_logs": 5, "server_config": 6, "all": wire.SnapshotAll}

var snapshotCompressions = map[string]uint8{"stored": 1, "none": 1, "deflated": 2, "bzip2": 3, "zstd": 4, "lzma": 5, "xz": 6}

func snapshotCommand(g *globals) *cobra.Command {
	var compression, outDir string
	var types []string
	cmd := &cobra.Command{
		Use: "snapshot", Short: "Download a diagnostics bundle (zip) from the server",
		Args: exactArgs(0),
		RunE: g.verb(false, func(ctx context.Context, c *client.Client, out *output, _ []string) error {
			comp, ok := snapshotCompressions[strings.ToLower(compression)]
			if !ok {
				return usageError("--compression %q: want stored, deflated, bzip2, zstd, lzma or xz", compression)
			}
			req := &wire.GetSnapshot{Compression: comp}
			for _, t := range types {
				for _, one := range strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' }) {
					v, ok := snapshotTypes[strings.ToLower(one)]
					if !ok {
						return usageError("--snapshot-types %q: unknown type", one)
					}
					req.Types = append(req.Types, v)
				}
			}
			if len(req.Types) == 0 {
				req.Types = []uint8{wire.SnapshotAll}
			}
			if len(req.Types) > 1 && slices.Contains(req.Types, uint8(wire.SnapshotAll)) {
				return usageError("--snapshot-types: all cannot be combined with other types")
			}
			b, err := c.Do(ctx, req)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			path := filepath.Join(outDir, "snapshot_"+time.Now().UTC().Format("20060102_150405")+".zip")
			if err := os.WriteFile(path, b, 0o600); err != nil {
				return err
			}
			if out.mode == "json" {
				return out.json(map[string]any{"file": path, "size_bytes": len(b)})
			}
			if g.Quiet {
				fmt.Fprintln(out.w, path)
				return nil
			}
			fmt.Fprintf(out.w, "snapshot written to %s (%s)\n", path, fmtSize(uint64(len(b))))
			return nil
		}),
	}
	cmd.Flags().StringVarP(&compression, "compression", "c", "deflated", "compression: stored, deflated, bzip2, zstd, lzma or xz")
	cmd.Flags().StringSliceVarP(&types, "snapshot-types", "s", nil, "types: filesystem_overview, process_list, resource_usage, test, server_logs, server_config or all (default all)")
	cmd.Flags().StringVarP(&outDir, "out-dir", "o", ".", "directory to write the snapshot into")
	return cmd
}
