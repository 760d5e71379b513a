package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/client/bench"
)

// benchCommand is `shale bench KIND [TRANSPORT]`, modelled on iggy-bench:
// the flags map onto bench.Config and the engine lives in client/bench.
func benchCommand() *cobra.Command {
	var (
		cfg       bench.Config
		rate      string
		output    string
		chart     string
		tcpAddr   string
		quicAddr  string
		httpURL   string
		user      string
		pass      string
		timeout   time.Duration
		noProgess bool
		cpuProf   string
	)
	cmd := &cobra.Command{
		Use:   "bench KIND [tcp|quic|http]",
		Short: "Benchmark an Iggy 0.8 server (shale or another) over TCP, QUIC or HTTP",
		Long: `Benchmark an Iggy 0.8 server through the Iggy protocols, as iggy-bench does.

KIND is one of pinned-producer (pp), pinned-consumer (pc),
pinned-producer-and-consumer (ppc), balanced-producer (bp),
balanced-consumer-group (bcg) or end-to-end (e2e). Pinned actor i uses stream
i % streams and partition (i / streams) % partitions; consumer kinds read what
a producing run with the same layout left. The transport can be given as the
second argument or with --transport.

The report gives throughput in total and per actor (MB = 10^6 payload bytes)
and request latency percentiles; --output writes it as JSON, and
'shale bench chart IN.json OUT.svg' draws it.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := bench.ParseKind(args[0])
			if err != nil {
				return err
			}
			cfg.Kind = kind
			if len(args) == 2 {
				if cmd.Flags().Changed("transport") && args[1] != cfg.Transport {
					return fmt.Errorf("transport given twice: %q and --transport %q", args[1], cfg.Transport)
				}
				cfg.Transport = args[1]
			}
			if rate != "" {
				if cfg.RateLimit, err = parseByteSize(rate); err != nil {
					return fmt.Errorf("--rate-limit %q: %w", rate, err)
				}
			}
			opts := client.Options{Timeout: timeout}
			cfg.Dial = func(ctx context.Context) (*client.Client, error) {
				var c *client.Client
				var err error
				switch cfg.Transport {
				case "quic":
					c, err = client.DialQUIC(ctx, quicAddr, opts)
				case "http":
					c, err = client.DialHTTP(ctx, httpURL, opts)
				default:
					c, err = client.Dial(ctx, tcpAddr, opts)
				}
				if err != nil {
					return nil, err
				}
				if _, err := c.Login(ctx, user, pass); err != nil {
					_ = c.Close()
					return nil, fmt.Errorf("login as %s: %w", user, err)
				}
				return c, nil
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			if cpuProf != "" {
				// The client's own CPU: on one machine it competes with the
				// server, so where it goes is part of any result.
				f, err := os.Create(cpuProf)
				if err != nil {
					return err
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			var progress *os.File
			if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 && !noProgess {
				progress = os.Stderr
			}
			var rep *bench.Report
			if progress != nil {
				rep, err = bench.Run(ctx, cfg, progress)
			} else {
				rep, err = bench.Run(ctx, cfg, nil)
			}
			if err != nil {
				return err
			}
			if err := rep.WriteText(cmd.OutOrStdout()); err != nil {
				return err
			}
			if output != "" {
				if err := writeFileWith(output, rep.WriteJSON); err != nil {
					return err
				}
			}
			if chart != "" {
				return writeFileWith(chart, rep.WriteChart)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Transport, "transport", "tcp", "tcp, quic or http")
	f.StringVar(&tcpAddr, "tcp-server-address", "127.0.0.1:8090", "TCP address of the server")
	f.StringVar(&quicAddr, "quic-server-address", "127.0.0.1:8080", "QUIC address of the server")
	f.StringVar(&httpURL, "http-api-url", "http://127.0.0.1:3000", "base URL of the server's HTTP API")
	f.StringVar(&user, "username", "iggy", "user to log in as")
	f.StringVar(&pass, "password", "iggy", "password of that user")
	f.DurationVar(&timeout, "timeout", 0, "bound on each request (0 = none)")
	f.IntVar(&cfg.Producers, "producers", 0, "producers (default 1 for producing kinds)")
	f.IntVar(&cfg.Consumers, "consumers", 0, "consumers (default 1 for consuming kinds)")
	f.IntVar(&cfg.Streams, "streams", 1, "streams, one topic each")
	f.IntVar(&cfg.Partitions, "partitions", 1, "partitions per topic")
	f.IntVarP(&cfg.MessageSize, "message-size", "m", 1000, "payload bytes per message")
	f.IntVarP(&cfg.BatchSize, "messages-per-batch", "p", 1000, "messages per send and per poll")
	f.IntVarP(&cfg.Batches, "message-batches", "b", 0, "batches per actor (default 1000 unless --duration)")
	f.DurationVarP(&cfg.Duration, "duration", "d", 0, "run for this long instead of a number of batches")
	f.DurationVarP(&cfg.Warmup, "warmup-time", "w", 0, "run this long before measuring")
	f.StringVarP(&rate, "rate-limit", "r", "", "pace producers to this many payload bytes a second in total, e.g. 50MB (default: unpaced)")
	f.BoolVar(&cfg.CatchUp, "rate-catch-up", false, "with --rate-limit: a producer that fell behind sends at once until it is back on schedule (default: it drops the missed sends)")
	f.DurationVar(&cfg.Sample, "sampling-time", 100*time.Millisecond, "width of one point of the time series")
	f.StringVar(&cfg.StreamPrefix, "stream-prefix", "bench-stream-", "streams are named PREFIX1 … PREFIXN")
	f.IntVar(&cfg.IdleConnections, "idle-connections", 0, "also open this many logged-in connections that stay idle for the run")
	f.StringVarP(&output, "output", "o", "", "write the report as JSON to this file")
	f.StringVar(&chart, "chart", "", "also draw the report as SVG to this file")
	f.BoolVar(&noProgess, "no-progress", false, "no progress line, even on a terminal")
	f.StringVar(&cpuProf, "cpu-profile", "", "write a CPU profile of this client (go tool pprof) to this file")
	cmd.AddCommand(benchChartCommand())
	return cmd
}

// benchChartCommand is `shale bench chart IN.json OUT.svg`.
func benchChartCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "chart IN.json OUT.svg",
		Short: "Draw a bench report (from --output) as an SVG chart of throughput and latency over time",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			rep, err := bench.ReadJSON(in)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if len(rep.Series) == 0 {
				return fmt.Errorf("%s: not a shale bench report (no time series)", args[0])
			}
			return writeFileWith(args[1], rep.WriteChart)
		},
	}
}

// writeFileWith creates path and fills it with write; a failed write leaves
// no partial file behind.
func writeFileWith(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// parseByteSize reads "50MB", "50 MB", "1.5GiB" or a plain number of bytes.
func parseByteSize(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		return client.ParseByteSize(s)
	}
	return client.ParseByteSize(s[:i] + " " + strings.TrimSpace(s[i:]))
}
