package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/wire"
)

// jwtSecretLen is the size of a generated JWT key.
const jwtSecretLen = 32

// The seeder's pause after a failed attempt: seedRetryMin, doubled after
// each further failure up to seedRetryMax.
const (
	seedRetryMin = 100 * time.Millisecond
	seedRetryMax = 5 * time.Second
)

// clusterSeeder writes, through replication, what a single node creates
// for itself at its first start: the root user and the generated JWT key
// (docs/cluster.md "Shared state"). A raft node creates neither on its
// own. Each time it starts accepting writes as leader it seeds, and while
// it stays leader it tries again, with a growing pause, until the records
// are there; it stops when it loses the leadership (the next leader
// seeds) or the server stops. Seeding does nothing once any leader has
// (auth.Store.Seeded), so every node holds the same root user and key,
// and an HTTP token issued by one node is accepted by the next leader.
type clusterSeeder struct {
	users          *auth.Store
	name, password string // IGGY_ROOT_USERNAME / IGGY_ROOT_PASSWORD of this node
	logger         *slog.Logger
	stdout         io.Writer
	bg             *sync.WaitGroup
	done           <-chan struct{} // the server stops
	// The pause after a failed attempt (seedRetryMin, seedRetryMax).
	retryMin, retryMax time.Duration

	mu sync.Mutex
	// lead is open while this node leads and accepts writes, closed when
	// it stops; nil before the first leadership.
	lead    chan struct{}
	running bool // a goroutine is seeding
}

// newClusterSeeder refuses, as a single node's first start does, a root
// name or password the seed would refuse, while the cluster has no root
// user yet. ctx ends the retries when the server stops.
func newClusterSeeder(ctx context.Context, users *auth.Store, environ []string, logger *slog.Logger, stdout io.Writer, bg *sync.WaitGroup) (*clusterSeeder, error) {
	name := config.Getenv(environ, "ROOT_USERNAME")
	if name == "" {
		name = defaultRootUsername
	}
	password := config.Getenv(environ, "ROOT_PASSWORD")
	if _, hasRoot := users.User(auth.RootID); !hasRoot && !users.Seeded() {
		if err := auth.CheckUsername(name); err != nil {
			return nil, fmt.Errorf("root user: %w", err)
		}
		if password != "" {
			if err := auth.CheckPassword(password); err != nil {
				return nil, fmt.Errorf("root user: %w", err)
			}
		}
	}
	return &clusterSeeder{users: users, name: name, password: password, logger: logger, stdout: stdout, bg: bg,
		done: ctx.Done(), retryMin: seedRetryMin, retryMax: seedRetryMax}, nil
}

// leading is called on the raft node's goroutine when this node starts
// accepting writes as leader, following when it stops; neither blocks.
// The seed commits through the node, so it runs on a goroutine of its
// own, one at a time, which follows the latest leadership.
func (c *clusterSeeder) leading() {
	if c.users.Seeded() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lead != nil {
		close(c.lead) // a leadership whose end was not reported
	}
	c.lead = make(chan struct{})
	if c.running {
		return // the goroutine picks the new leadership up
	}
	c.running = true
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		c.run()
	}()
}

func (c *clusterSeeder) following() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lead != nil {
		close(c.lead)
		c.lead = nil
	}
}

// current is the open leadership, or nil (and then the goroutine ends:
// running is cleared under the same lock, so a later leading starts a new
// one).
func (c *clusterSeeder) current() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lead == nil || c.users.Seeded() {
		c.running = false
		return nil
	}
	return c.lead
}

// run seeds for each leadership in turn until the records are there or
// no leadership is open.
func (c *clusterSeeder) run() {
	for {
		lead := c.current()
		if lead == nil {
			return
		}
		if !c.seedWhileLeading(lead) {
			c.mu.Lock()
			c.running = false
			c.mu.Unlock()
			return // the server stops
		}
	}
}

// seedWhileLeading tries until the seed is written (or found written) or
// lead closes; false when the server stops.
func (c *clusterSeeder) seedWhileLeading(lead chan struct{}) bool {
	pause := c.retryMin
	for attempt := 1; ; attempt++ {
		err := c.seed()
		if err == nil {
			return true
		}
		select {
		case <-lead:
			// The commit fails with the leadership (8, disconnected); it may
			// or may not have been kept, and whichever node leads next
			// finds out once it has applied its predecessor's entries.
			c.logger.Info("cluster root user and JWT key not written; leadership lost, the next leader writes them",
				"attempt", attempt, "err", err)
			return true
		default:
		}
		// Refused with 8 (not leading now): most likely the leadership is
		// ending, which following reports in a moment; info, not a warning.
		level := slog.LevelWarn
		if errors.Is(err, wire.ErrDisconnected) {
			level = slog.LevelInfo
		}
		c.logger.Log(context.Background(), level, "cluster root user and JWT key not written; trying again while leading",
			"attempt", attempt, "retry_in", pause, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-lead:
			t.Stop()
			c.logger.Info("cluster root user and JWT key still not written; leadership lost, the next leader writes them",
				"attempts", attempt)
			return true
		case <-c.done:
			t.Stop()
			return false
		}
		pause = min(2*pause, c.retryMax)
	}
}

// seed writes the records unless they are there: auth.Store.SeedCluster
// checks, under its lock, the marker that the first seed wrote, and this
// node, leading, has applied every entry before its term. A failed
// attempt either proposed nothing or ended with this leadership.
func (c *clusterSeeder) seed() error {
	generated, created, wrote, err := c.users.SeedCluster(c.name, c.password, map[string]int{jwtSecretName: jwtSecretLen})
	if err != nil {
		return err
	}
	if !wrote {
		return nil
	}
	c.logger.Info("cluster root user and JWT key written for every node", "root_created", created, "username", c.name)
	if generated != "" {
		fmt.Fprintf(c.stdout, "\nroot user %q created for the cluster with a generated password (shown only now, on this node):\n\n    %s\n\n", c.name, generated)
	}
	return nil
}
