package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/shalemq/shale/cluster"
	"github.com/shalemq/shale/config"
)

// The start-up order (serve.go's start) is: validate the configuration,
// preflight (certificates, data directory), bind every listener, and only
// then create anything in the data directory. A start that fails on a busy
// port or a bad certificate leaves the data directory as it was.

// tlsSet holds each enabled transport's TLS configuration, loaded before
// anything is bound.
type tlsSet struct {
	tcp, quic, http *tls.Config
	raft            *tls.Config // [cluster.raft.tls]
}

// preflight checks everything that needs neither a socket nor a write to
// the data directory: that certificate and key files load and match, and
// that the data directory exists as a writable directory or can be
// created. It reports every problem at once. --check-config runs it too.
func preflight(cfg *config.Config) (tlsSet, error) {
	var ts tlsSet
	var errs []error
	var err error
	if cfg.TCP.Enabled && cfg.TCP.TLS.Enabled {
		t := cfg.TCP.TLS
		if ts.tcp, err = tlsConfig(t.CertFile, t.KeyFile, t.SelfSigned, false); err != nil {
			errs = append(errs, fmt.Errorf("tcp.tls: %w", err))
		}
	}
	if cfg.QUIC.Enabled {
		c := cfg.QUIC.Certificate
		if ts.quic, err = tlsConfig(c.CertFile, c.KeyFile, c.SelfSigned, true); err != nil {
			errs = append(errs, fmt.Errorf("quic.certificate: %w", err))
		}
	}
	if cfg.HTTP.Enabled && cfg.HTTP.TLS.Enabled {
		// Iggy has no self-signed option for HTTP: the files must exist.
		t := cfg.HTTP.TLS
		if ts.http, err = tlsConfig(t.CertFile, t.KeyFile, false, false); err != nil {
			errs = append(errs, fmt.Errorf("http.tls: %w", err))
		}
	}
	if r := cfg.Cluster.Raft; r.Enabled && r.TLS.Enabled {
		if ts.raft, err = cluster.TLSConfig(r.TLS.CertFile, r.TLS.KeyFile, r.TLS.CAFile); err != nil {
			errs = append(errs, fmt.Errorf("cluster.raft.tls: %w", err))
		}
	}
	if err := creatableDir(cfg.System.Path); err != nil {
		errs = append(errs, fmt.Errorf("system.path: %w", err))
	}
	if len(errs) > 0 {
		return tlsSet{}, &exitError{code: 2, err: errors.Join(errs...)}
	}
	return ts, nil
}

// creatableDir reports whether dir is a writable directory, or could be
// created: its nearest existing ancestor is a writable directory. It
// creates nothing.
func creatableDir(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := abs; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return fmt.Errorf("%s: %s is not a directory", dir, p)
			}
			if err := syscall.Access(p, 2 /* W_OK */); err != nil {
				if p == abs {
					return fmt.Errorf("%s is not writable: %w", dir, err)
				}
				return fmt.Errorf("%s cannot be created: %s is not writable: %w", dir, p, err)
			}
			return nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", dir, err)
		}
		if filepath.Dir(p) == p {
			return fmt.Errorf("%s: no existing parent directory", dir)
		}
	}
}

// sockets are the bound listening sockets, before any server uses them.
type sockets struct {
	tcp  net.Listener
	quic net.PacketConn
	http net.Listener
}

// bind binds every enabled transport's address, or none: on a failure the
// ones already bound are closed and the error names the setting.
func bind(cfg *config.Config) (_ *sockets, err error) {
	s := &sockets{}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if cfg.TCP.Enabled {
		if s.tcp, err = net.Listen("tcp", cfg.TCP.Address); err != nil {
			return nil, fmt.Errorf("tcp.address %s: %w", cfg.TCP.Address, err)
		}
	}
	if cfg.QUIC.Enabled {
		if s.quic, err = net.ListenPacket("udp", cfg.QUIC.Address); err != nil {
			return nil, fmt.Errorf("quic.address %s: %w", cfg.QUIC.Address, err)
		}
	}
	if cfg.HTTP.Enabled {
		if s.http, err = net.Listen("tcp", cfg.HTTP.Address); err != nil {
			return nil, fmt.Errorf("http.address %s: %w", cfg.HTTP.Address, err)
		}
	}
	return s, nil
}

// close closes the sockets not yet handed to a server (those are nil).
func (s *sockets) close() {
	if s.tcp != nil {
		_ = s.tcp.Close()
	}
	if s.quic != nil {
		_ = s.quic.Close()
	}
	if s.http != nil {
		_ = s.http.Close()
	}
}
