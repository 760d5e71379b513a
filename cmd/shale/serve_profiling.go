package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"
)

// Sampling of the block and mutex profiles while [admin.profiling] is on:
// a blocking event of about 10 µs or more is recorded, and one contended
// mutex in 100. Off, Go records neither.
const (
	profileBlockRate     = 10_000 // ns
	profileMutexFraction = 100
)

// listenProfiling binds [admin.profiling].address; nil when it is empty.
func listenProfiling(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin.profiling.address: %w", err)
	}
	return l, nil
}

// serveProfiling serves Go's pprof endpoints on l until ctx ends.
func serveProfiling(ctx context.Context, s *server, l net.Listener, logger *slog.Logger) {
	runtime.SetBlockProfileRate(profileBlockRate)
	runtime.SetMutexProfileFraction(profileMutexFraction)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Warn("profiling endpoints listening (no authentication)", "addr", l.Addr().String(), "path", "/debug/pprof/")
	s.bg.Add(2)
	go func() {
		defer s.bg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("profiling endpoints stopped", "err", err)
		}
	}()
	go func() {
		defer s.bg.Done()
		<-ctx.Done()
		_ = srv.Close()
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
	}()
}
