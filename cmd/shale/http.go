package main

import (
	"crypto/tls"
	"encoding/base64"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shalemq/shale/admin"
	"github.com/shalemq/shale/broker"
	"github.com/shalemq/shale/broker/auth"
	"github.com/shalemq/shale/config"
	shalehttp "github.com/shalemq/shale/listeners/http"
)

// startHTTP builds and binds the REST listener from [http].
func startHTTP(cfg *config.Config, b *broker.Broker, users *auth.Store, reg *prometheus.Registry, logger *slog.Logger,
	ln net.Listener, tc *tls.Config, dash *admin.Options) (*shalehttp.Server, error) {
	h := cfg.HTTP
	secret, err := jwtSecret(h.JWT, users, cfg.Cluster.Raft.Enabled)
	if err != nil {
		return nil, err
	}
	opts := shalehttp.Options{
		Listener:       ln,
		TLS:            tc,
		MaxRequestSize: int(min(uint64(h.MaxRequestSize), 1<<31-1)),
		CORS: shalehttp.CORS{Enabled: h.CORS.Enabled, AllowedMethods: h.CORS.AllowedMethods,
			AllowedOrigins: h.CORS.AllowedOrigins, AllowedHeaders: h.CORS.AllowedHeaders,
			ExposedHeaders: h.CORS.ExposedHeaders, AllowCredentials: h.CORS.AllowCredentials,
			AllowPrivateNetwork: h.CORS.AllowPrivateNetwork},
		JWT: shalehttp.JWT{Algorithm: h.JWT.Algorithm, Issuer: h.JWT.Issuer, Audience: h.JWT.Audience,
			ValidIssuers: h.JWT.ValidIssuers, ValidAudiences: h.JWT.ValidAudiences,
			Expiry: h.JWT.AccessTokenExpiry.Std(), ClockSkew: h.JWT.ClockSkew.Std(), NotBefore: h.JWT.NotBefore.Std(),
			Secret: secret, SecretFunc: func() []byte { return users.StoredSecret(jwtSecretName) }},
		Logger:    logger,
		Dashboard: dash,

		ReadTimeout:  cfg.Limits.HTTP.ReadTimeout.Std(),
		IdleTimeout:  cfg.Limits.HTTP.IdleTimeout.Std(),
		WriteTimeout: cfg.Limits.HTTP.WriteTimeout.Std(),
	}
	if h.Metrics.Enabled {
		opts.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		opts.MetricsPath = h.Metrics.Endpoint
		opts.MetricsToken = cfg.Admin.Metrics.Token
	}
	srv, err := shalehttp.New(b, opts)
	if err != nil {
		return nil, err
	}
	return srv, srv.Listen()
}

// jwtSecretName names the generated JWT key among the store's secrets.
const jwtSecretName = "jwt"

// jwtSecret is the configured secret (either one, base64 when
// use_base64_secret), or a random key generated once and kept in the
// database, so tokens and their revocation outlive a restart. A raft node
// generates none itself: its cluster's first leader does, for every node
// (raft_seed.go), and the listener reads it from the store at each use, so
// it is nil here.
func jwtSecret(j config.JWT, users *auth.Store, replicated bool) ([]byte, error) {
	s := j.EncodingSecret
	if s == "" {
		s = j.DecodingSecret
	}
	if s == "" {
		if replicated {
			return nil, nil
		}
		return users.Secret(jwtSecretName, jwtSecretLen)
	}
	if j.UseBase64Secret {
		return base64.StdEncoding.DecodeString(s)
	}
	return []byte(s), nil
}
