package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/kv"
	"github.com/shalemq/shale/listeners/binproto"
	shalehttp "github.com/shalemq/shale/listeners/http"
	"github.com/shalemq/shale/listeners/quic"
	"github.com/shalemq/shale/listeners/tcp"
	"github.com/shalemq/shale/log"
	"github.com/shalemq/shale/retention"
)

// defaultRootUsername is Iggy's root user name, used when
// IGGY_ROOT_USERNAME is not set.
const defaultRootUsername = "iggy"

// gcPercent is the server's GOGC unless the environment sets one.
const gcPercent = 400

type serveFlags struct {
	configPath  string
	dataDir     string
	checkConfig bool
	unknownKeys string
	follower    bool
}

func serveCommand() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the server: TCP, QUIC and HTTP listeners over one Pebble database",
		Long: `Run the server.

Configuration: built-in defaults, then the TOML file given by --config (or
SHALE_CONFIG_PATH / IGGY_CONFIG_PATH), then SHALE_* / IGGY_* environment
variables. On first start the root user comes from IGGY_ROOT_USERNAME and
IGGY_ROOT_PASSWORD; with no password set, one is generated and printed once.
In a raft cluster the first leader does this once, for every node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve(ctx, f, os.Environ(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&f.configPath, "config", "", "TOML configuration file")
	cmd.Flags().StringVar(&f.dataDir, "data", "", "data directory (overrides system.path)")
	cmd.Flags().BoolVar(&f.checkConfig, "check-config", false, "validate the configuration, print it and exit")
	cmd.Flags().BoolVar(&f.follower, "follower", false, "with [cluster] enabled, report this node as a follower and the others as leaders in cluster metadata (Iggy's flag, for testing client redirection)")
	cmd.Flags().StringVar(&f.unknownKeys, "unknown-keys", "", `what a config-file key neither shale nor Iggy knows does: "error" or "warn" (overrides config.unknown_keys)`)
	return cmd
}

// serve runs the server until ctx ends, then shuts down in order: stop
// accepting, finish in-flight requests, stop background work, sync and
// close the database.
func serve(ctx context.Context, f serveFlags, environ []string, stdout, stderr io.Writer) error {
	if f.configPath == "" {
		f.configPath = config.Getenv(environ, "CONFIG_PATH")
	}
	if f.dataDir != "" {
		environ = append(environ, "SHALE_SYSTEM_PATH="+f.dataDir)
	}
	if f.unknownKeys != "" {
		environ = append(environ, "SHALE_CONFIG_UNKNOWN_KEYS="+f.unknownKeys)
	}
	cfg, err := config.Load(f.configPath, environ)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if f.checkConfig {
		// Everything that can be checked without binding a port or writing
		// to the data directory: the configuration, then certificates and
		// the data directory (preflight).
		for _, w := range cfg.Warnings() {
			fmt.Fprintln(stderr, "warning:", w)
		}
		if _, err := preflight(cfg); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "# configuration is valid")
		_, err := stdout.Write(cfg.TOML())
		return err
	}
	logger, err := newLogger(cfg.System.Logging, stderr)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	slog.SetDefault(logger)
	if os.Getenv("GOGC") == "" {
		// Every append allocates a batch of its size (about 1 MB for the
		// usual 1,000-message batch), while the live heap stays small; at
		// the default GOGC=100 the collector then runs several times per
		// second and costs about a fifth of produce throughput
		// (docs/storage.md). GOGC still overrides.
		debug.SetGCPercent(gcPercent)
	}
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}
	for _, e := range cfg.AppliedEnv() {
		logger.Debug("setting from environment", "var", e)
	}

	s, err := start(cfg, f.follower, environ, logger, stdout)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
		return s.shutdown(30 * time.Second)
	case err := <-s.serveErr:
		// A listener died on its own: stop cleanly rather than limp on.
		logger.Error("listener failed", "err", err)
		return errors.Join(err, s.shutdown(30*time.Second))
	}
}

// server is everything serve started, in the order it must stop.
type server struct {
	logger   *slog.Logger
	db       *kv.DB
	broker   *broker.Broker
	tcp      *tcp.Listener
	quic     *quic.Listener
	http     *shalehttp.Server
	cancel   context.CancelFunc
	bg       sync.WaitGroup
	serveErr chan error
	lock     *dataLock
	raft     *cluster.Node  // nil unless [cluster.raft] (raft.go)
	writers  writerGate     // leader_only.go
	seeder   *clusterSeeder // with raft: the root user and JWT key (raft_seed.go)
}

func start(cfg *config.Config, follower bool, environ []string, logger *slog.Logger, stdout io.Writer) (_ *server, err error) {
	// Nothing below may touch the data directory until every check has
	// passed and every port is bound (startup.go).
	certs, err := preflight(cfg)
	if err != nil {
		return nil, err
	}
	socks, err := bind(cfg)
	if err != nil {
		return nil, err
	}
	prof, err := listenProfiling(cfg.Admin.Profiling.Address) // serve_profiling.go
	if err != nil {
		socks.close()
		return nil, err
	}
	s := &server{logger: logger, serveErr: make(chan error, 4)}
	defer func() {
		if err != nil {
			socks.close()
			if prof != nil {
				_ = prof.Close()
			}
			s.closeAll()
			err = explainDiskFull(err, cfg) // diskfull.go
		}
	}()

	dataDir := cfg.System.Path
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	if s.lock, err = lockDataDir(dataDir); err != nil {
		return nil, err
	}
	runtimeDir := filepath.Join(dataDir, cfg.System.Runtime.Path)
	if err := os.MkdirAll(runtimeDir, 0o755); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	s.db, err = kv.Open(filepath.Join(dataDir, "db"), kvOptions(cfg, logger, reg))
	if err != nil {
		return nil, err
	}
	// On a disk already full this logs "disk full" now rather than at the
	// first write; the server starts and serves reads (diskfull.go).
	_ = s.db.Health()
	l, err := log.Open(s.db, logOptions(cfg, logger))
	if err != nil {
		return nil, err
	}
	users, err := auth.Open(s.db, auth.Options{MaxTokensPerUser: cfg.PersonalAccessToken.MaxTokensPerUser, Logger: logger})
	if err != nil {
		return nil, err
	}
	redacted := cfg.TOML()
	s.broker = broker.New(l, users, broker.Options{
		Logger:     logger,
		Registerer: reg,
		DataDir:    dataDir,
		Config:     func() []byte { return redacted },

		MaxTopicSeries: cfg.Admin.Metrics.MaxTopicSeries,
		LoginThrottle: broker.LoginThrottle{Disabled: !cfg.Admin.LoginThrottle.Enabled, Free: cfg.Admin.LoginThrottle.FreeFailures,
			InitialDelay: cfg.Admin.LoginThrottle.InitialDelay.Std(), MaxDelay: cfg.Admin.LoginThrottle.MaxDelay.Std(), Forget: cfg.Admin.LoginThrottle.ForgetAfter.Std()},
		Limits: brokerLimits(cfg), // limits.go
	})

	if n, err := s.broker.RemoveStaleCheckpoints(); err != nil || n > 0 {
		logger.Warn("removed checkpoints a stopped backup left behind", "count", n, "err", err)
	}

	binOpts := binproto.Options{
		Logger:            logger,
		MaxControlPayload: uint32(min(uint64(cfg.System.Limits.MaxFrameSize), 1<<32-1)),
		// A send frame holds at least one message of the largest size plus
		// metadata and its index entry; 2 MiB of room covers them.
		MaxSendPayload: uint32(min(uint64(cfg.System.Limits.MaxMessageSize)+2<<20, 1<<32-1)),
		FrameTimeout:   cfg.Limits.Binary.FrameTimeout.Std(),
		WriteTimeout:   cfg.Limits.Binary.WriteTimeout.Std(),
		IdleTimeout:    cfg.Limits.Binary.IdleTimeout.Std(),
	}
	// One request loop per transport, so the request metrics tell them
	// apart (they share the registry's collectors).
	binOpts.Transport = "tcp"
	bin := binproto.NewServer(s.broker, binOpts)
	binOpts.Transport = "quic"
	binQUIC := binproto.NewServer(s.broker, binOpts)
	ports := map[string]string{}
	var bound boundPorts
	if socks.tcp != nil {
		opts := tcp.Options{Listener: socks.tcp, Logger: logger, NoDelay: true, TLS: certs.tcp,
			HandshakeTimeout: cfg.Limits.Binary.FrameTimeout.Std()}
		if cfg.TCP.Socket.OverrideDefaults {
			opts.NoDelay = cfg.TCP.Socket.Nodelay
		}
		if s.tcp, err = tcp.Listen(bin, opts); err != nil {
			return nil, err
		}
		socks.tcp = nil
		addr := s.tcp.Addr().String()
		ports["tcp"] = addr
		_, bound.tcp = splitHostPort(addr)
		logger.Info("tcp listening", "addr", addr, "tls", cfg.TCP.TLS.Enabled)
	}
	if socks.quic != nil {
		q := cfg.QUIC
		if s.quic, err = quic.Listen(binQUIC, quic.Options{Conn: socks.quic, TLS: certs.quic,
			MaxStreams: int64(q.MaxConcurrentBidiStreams), KeepAlive: q.KeepAliveInterval.Std(),
			IdleTimeout: q.MaxIdleTimeout.Std(), ReceiveWindow: uint64(q.ReceiveWindow), Logger: logger,
			FrameTimeout: binOpts.FrameTimeout, WriteTimeout: binOpts.WriteTimeout}); err != nil {
			return nil, err
		}
		socks.quic = nil
		ports["quic"] = s.quic.Addr()
		_, bound.quic = splitHostPort(s.quic.Addr())
		logger.Info("quic listening", "addr", s.quic.Addr())
	}
	if socks.http != nil {
		if s.http, err = startHTTP(cfg, s.broker, users, reg, logger, socks.http, certs.http,
			dashboardOptions(cfg, reg, redacted)); err != nil {
			return nil, err
		}
		socks.http = nil
		ports["http"] = s.http.Addr()
		_, bound.http = splitHostPort(s.http.Addr())
		logger.Info("http listening", "addr", s.http.Addr(), "tls", cfg.HTTP.TLS.Enabled)
	}
	s.broker.SetCluster(clusterMetadata(cfg, bound, follower))

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.writers.clustered = cfg.Cluster.Raft.Enabled
	if prof != nil {
		serveProfiling(ctx, s, prof, logger)
		prof = nil // closed when ctx ends
	}
	if m := cfg.DataMaintenance.Messages; m.CleanerEnabled {
		respect := m.RespectConsumerOffsets
		sw, err := retention.New(l, retention.Options{Interval: m.Interval.Std(), RespectConsumerOffsets: &respect,
			Logger: logger, Registerer: reg})
		if err != nil {
			return nil, err
		}
		s.broker.SetRetentionPreviewer(previewer(sw))
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			runRetention(ctx, s, sw, m.Interval.Std(), logger) // leader_only.go
		}()
	}
	if pc := cfg.PersonalAccessToken.Cleaner; pc.Enabled {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			runTokenCleaner(ctx, s, users, pc.Interval.Std(), logger) // leader_only.go
		}()
	}

	if err := startBackups(ctx, s, cfg, reg, logger); err != nil {
		return nil, err
	}

	if hb := cfg.Heartbeat; hb.Enabled {
		// Iggy drops a client whose last ping is older than 1.2 × interval.
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			t := time.NewTicker(hb.Interval.Std())
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					s.broker.EvictStale(hb.Interval.Std() * 6 / 5)
				}
			}
		}()
	}

	if err := writeFileAtomic(filepath.Join(runtimeDir, "current_config.toml"), redacted); err != nil {
		return nil, err
	}
	// Last, once nothing else can fail: the root user, so that only a
	// start that succeeds creates it and prints its password. A raft node
	// leaves it to its cluster's leader, which writes it for every node.
	if cfg.Cluster.Raft.Enabled {
		if s.seeder, err = newClusterSeeder(ctx, users, environ, logger, stdout, &s.bg); err != nil {
			return nil, err
		}
	} else if err := bootstrapRoot(users, environ, logger, stdout); err != nil {
		return nil, err
	}
	// From here on every commit is replicated.
	if s.raft, err = startRaft(ctx, s, cfg, bound, certs.raft, reg, logger); err != nil {
		return nil, err
	}
	if s.tcp != nil {
		go func() { s.serveErr <- s.tcp.Serve() }()
	}
	if s.quic != nil {
		go func() { s.serveErr <- s.quic.Serve() }()
	}
	if s.http != nil {
		go func() { s.serveErr <- s.http.Serve() }()
	}
	pj, _ := json.Marshal(ports)
	if err := writeFileAtomic(filepath.Join(runtimeDir, "ports.json"), pj); err != nil {
		return nil, err
	}
	// "has started" is the phrase scripts written for Iggy wait for.
	logger.Info("shale has started", "data", dataDir, "durability", cfg.System.Durability.Mode,
		"version", broker.ShaleVersion(), "commit", broker.ShaleCommit(), "iggy_protocol", broker.ProtocolVersion)
	return s, nil
}

// shutdown stops accepting, lets in-flight requests finish (up to
// timeout), stops background work and closes the database, which syncs it.
func (s *server) shutdown(timeout time.Duration) error {
	s.broker.Stopping()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	if s.tcp != nil {
		if err := s.tcp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("tcp shutdown: %w", err))
		}
	}
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
	}
	if s.quic != nil {
		if err := s.quic.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("quic shutdown: %w", err))
		}
	}
	if s.raft != nil {
		s.raft.Stop() // hands the leadership over first
		if err := s.raft.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	s.cancel()
	s.bg.Wait()
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close database: %w", err))
	}
	s.lock.release()
	if len(errs) == 0 {
		s.logger.Info("shale stopped")
	}
	return errors.Join(errs...)
}

// closeAll releases what start opened when start fails half-way.
func (s *server) closeAll() {
	if s.raft != nil {
		s.raft.Kill()
	}
	if s.cancel != nil {
		s.cancel()
		s.bg.Wait()
	}
	if s.tcp != nil {
		_ = s.tcp.Shutdown(context.Background())
	}
	if s.quic != nil {
		_ = s.quic.Shutdown(context.Background())
	}
	if s.http != nil {
		_ = s.http.Shutdown(context.Background())
	}
	if s.db != nil {
		_ = s.db.Close()
	}
	s.lock.release()
}

// bootstrapRoot creates the root user on first start. IGGY_ROOT_USERNAME
// and IGGY_ROOT_PASSWORD (or SHALE_ROOT_*) name it; without a password a
// random one is generated and printed once, never a well-known default.
func bootstrapRoot(users *auth.Store, environ []string, logger *slog.Logger, stdout io.Writer) error {
	name := config.Getenv(environ, "ROOT_USERNAME")
	if name == "" {
		name = defaultRootUsername
	}
	generated, created, err := users.EnsureRoot(name, config.Getenv(environ, "ROOT_PASSWORD"))
	if err != nil {
		return fmt.Errorf("root user: %w", err)
	}
	if !created {
		return nil
	}
	logger.Info("root user created", "username", name)
	if generated != "" {
		fmt.Fprintf(stdout, "\nroot user %q created with a generated password (shown only now):\n\n    %s\n\n", name, generated)
	}
	return nil
}

func kvOptions(cfg *config.Config, logger *slog.Logger, reg prometheus.Registerer) kv.Options {
	o := kv.Options{
		CacheSize:    int64(cfg.System.Storage.CacheSize),
		MemTableSize: uint64(cfg.System.Storage.MemtableSize),
		MinFreeDisk:  uint64(cfg.System.Storage.MinFreeDisk),
		Logger:       logger,
		Registerer:   reg,
		// kv reads 0 as its default and a negative size as off.
		SeparateValues: -1,
	}
	if n := cfg.System.Storage.ValueSeparationMinSize; n > 0 {
		o.SeparateValues = int(n)
	}
	if cfg.System.Durability.Mode == config.DurabilityInterval {
		o.Durability = kv.DurabilityInterval
		o.SyncInterval = cfg.System.Durability.Interval.Std()
	}
	return o
}

func logOptions(cfg *config.Config, logger *slog.Logger) log.Options {
	o := log.Options{
		DefaultMessageExpiry: log.Unlimited,
		DefaultMaxTopicSize:  log.Unlimited,
		SegmentSize:          uint64(cfg.System.Segment.Size),
		Logger:               logger,
	}
	if d := cfg.System.Topic.MessageExpiry.Std(); d > 0 {
		o.DefaultMessageExpiry = uint64(d / time.Microsecond)
	}
	if s := cfg.System.Topic.MaxSize; s != 0 && !s.IsUnlimited() {
		o.DefaultMaxTopicSize = uint64(s)
	}
	if dd := cfg.System.MessageDeduplication; dd.Enabled {
		o.Dedup = log.DedupOptions{Enabled: true, MaxEntries: dd.MaxEntries, Expiry: dd.Expiry.Std()}
	}
	return o
}

func newLogger(c config.Logging, w io.Writer) (*slog.Logger, error) {
	level, err := config.ParseLevel(c.Level)
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

func splitHostPort(addr string) (string, uint16) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0
	}
	p, _ := strconv.ParseUint(port, 10, 16)
	return host, uint16(p)
}

// writeFileAtomic writes through a temporary file and a rename, so a
// reader (the test harness, an operator's script) never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
