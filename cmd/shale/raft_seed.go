package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/config"
	"github.com/shalemq/shale/wire"
)

// jwtSecretLen is the size of a generated JWT key.
const jwtSecretLen = 32

// clusterSeeder writes, through replication, what a single node creates
// for itself at its first start: the root user and the generated JWT key
// (docs/cluster.md "Shared state"). A raft node creates neither on its
// own; each time it starts accepting writes as leader it seeds, which does
// nothing once any leader has. So every node holds the same root user and
// key, and an HTTP token issued by one node is accepted by the next leader.
type clusterSeeder struct {
	users          *auth.Store
	name, password string // IGGY_ROOT_USERNAME / IGGY_ROOT_PASSWORD of this node
	logger         *slog.Logger
	stdout         io.Writer
	bg             *sync.WaitGroup
	running, again atomic.Bool
}

// newClusterSeeder refuses, as a single node's first start does, a root
// name or password the seed would refuse, while the cluster has no root
// user yet.
func newClusterSeeder(users *auth.Store, environ []string, logger *slog.Logger, stdout io.Writer, bg *sync.WaitGroup) (*clusterSeeder, error) {
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
	return &clusterSeeder{users: users, name: name, password: password, logger: logger, stdout: stdout, bg: bg}, nil
}

// leading is called on the raft node's goroutine when this node starts
// accepting writes as leader. The seed commits through the node, so it runs
// on a goroutine of its own, one at a time; a call while one runs makes it
// try again when it ends unseeded (its leadership was lost and won back
// meanwhile, or its proposal was dropped).
func (c *clusterSeeder) leading() {
	if c.users.Seeded() {
		return
	}
	c.again.Store(true)
	if !c.running.CompareAndSwap(false, true) {
		return
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		for {
			for c.again.Swap(false) && !c.users.Seeded() {
				if err := c.seed(); err != nil {
					// Not leading any more (the next leader seeds) or a
					// failed write; the next leadership of this node tries
					// again.
					level := slog.LevelError
					if errors.Is(err, wire.ErrDisconnected) {
						level = slog.LevelInfo
					}
					c.logger.Log(context.Background(), level, "cluster root user and JWT key not written", "err", err)
				}
			}
			c.running.Store(false)
			// A call between the last Swap and the Store above found the
			// seeder running and left its request in again.
			if !c.again.Load() || !c.running.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

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
