package main

// Named contexts and login sessions, kept in the user's config directory
// ($SHALE_HOME, else <os.UserConfigDir>/shale):
//
//	contexts.toml    one table per context, the Iggy CLI's key names
//	active_context   the name of the active context
//	sessions.toml    personal access tokens stored by `shale login`, by
//	                 server address; mode 0600, never a password
//
// Iggy keeps the same files under ~/.iggy; shale keeps its own so the two
// tools never rewrite each other's.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"
)

const defaultContextName = "default"

// contextConfig is one named context. Nil bools are unset.
type contextConfig struct {
	Transport         string `toml:"transport,omitempty" json:"transport,omitempty"`
	TCPServerAddress  string `toml:"tcp_server_address,omitempty" json:"tcp_server_address,omitempty"`
	QUICServerAddress string `toml:"quic_server_address,omitempty" json:"quic_server_address,omitempty"`
	HTTPAPIURL        string `toml:"http_api_url,omitempty" json:"http_api_url,omitempty"`
	TCPTLSEnabled     *bool  `toml:"tcp_tls_enabled,omitempty" json:"tcp_tls_enabled,omitempty"`
	TLSCAFile         string `toml:"tls_ca_file,omitempty" json:"tls_ca_file,omitempty"`
	TLSServerName     string `toml:"tls_server_name,omitempty" json:"tls_server_name,omitempty"`
	TLSSkipVerify     *bool  `toml:"tls_skip_verify,omitempty" json:"tls_skip_verify,omitempty"`
	Username          string `toml:"username,omitempty" json:"username,omitempty"`
	Password          string `toml:"password,omitempty" json:"-"`
	Token             string `toml:"token,omitempty" json:"-"`
}

type contextsFile struct {
	Active   string
	Contexts map[string]contextConfig
}

// configDir is where contexts and sessions live.
func configDir() (string, error) {
	if d := os.Getenv("SHALE_HOME"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory (set SHALE_HOME): %w", err)
	}
	return filepath.Join(d, "shale"), nil
}

func loadContexts() (contextsFile, error) {
	cf := contextsFile{Active: defaultContextName, Contexts: map[string]contextConfig{}}
	dir, err := configDir()
	if err != nil {
		return cf, nil // no config directory: defaults only
	}
	b, err := os.ReadFile(filepath.Join(dir, "contexts.toml"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return cf, err
	default:
		if err := toml.Unmarshal(b, &cf.Contexts); err != nil {
			return cf, fmt.Errorf("%s: %w", filepath.Join(dir, "contexts.toml"), err)
		}
	}
	if a, err := os.ReadFile(filepath.Join(dir, "active_context")); err == nil {
		if name := strings.TrimSpace(string(a)); name != "" {
			cf.Active = name
		}
	}
	if _, ok := cf.Contexts[defaultContextName]; !ok {
		cf.Contexts[defaultContextName] = contextConfig{}
	}
	return cf, nil
}

// writePrivate writes a file readable by its owner only (contexts may hold
// passwords, sessions hold tokens).
func writePrivate(name string, b []byte) error {
	dir, err := configDir()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // WriteFile keeps an existing file's mode
		return err
	}
	return os.Rename(tmp, path)
}

func saveContexts(cf contextsFile) error {
	b, err := toml.Marshal(cf.Contexts)
	if err != nil {
		return err
	}
	if err := writePrivate("contexts.toml", b); err != nil {
		return err
	}
	return writePrivate("active_context", []byte(cf.Active+"\n"))
}

// session is a stored login: a personal access token and its name.
type session struct {
	Token string `toml:"token"`
	Name  string `toml:"name"`
}

func loadSessions() (map[string]session, error) {
	out := map[string]session{}
	dir, err := configDir()
	if err != nil {
		return out, nil
	}
	b, err := os.ReadFile(filepath.Join(dir, "sessions.toml"))
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	return out, toml.Unmarshal(b, &out)
}

func loadSession(server string) (session, bool) {
	m, err := loadSessions()
	if err != nil {
		return session{}, false
	}
	s, ok := m[server]
	return s, ok && s.Token != ""
}

func saveSessions(m map[string]session) error {
	b, err := toml.Marshal(m)
	if err != nil {
		return err
	}
	return writePrivate("sessions.toml", b)
}

func contextCommand(g *globals) *cobra.Command {
	cmd := group("context", "Named connection settings (transport, address, credentials)", "ctx")
	cmd.AddCommand(&cobra.Command{
		Use: "list", Aliases: []string{"l"}, Short: "List contexts; the active one is marked *",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf, err := loadContexts()
			if err != nil {
				return err
			}
			names := make([]string, 0, len(cf.Contexts))
			for n := range cf.Contexts {
				names = append(names, n)
			}
			sort.Strings(names)
			out := newOutput(g, cmd)
			type row struct {
				Name   string        `json:"name"`
				Active bool          `json:"active"`
				Config contextConfig `json:"config"`
			}
			var rows []row
			var cells [][]string
			for _, n := range names {
				c := cf.Contexts[n]
				rows = append(rows, row{n, n == cf.Active, c})
				mark := ""
				if n == cf.Active {
					mark = "*"
				}
				addr := c.TCPServerAddress
				switch c.Transport {
				case "quic":
					addr = c.QUICServerAddress
				case "http":
					addr = c.HTTPAPIURL
				}
				cells = append(cells, []string{mark, n, c.Transport, addr, c.Username})
			}
			return out.table(rows, []string{"ACTIVE", "NAME", "TRANSPORT", "ADDRESS", "USERNAME"}, cells)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use: "use <name>", Aliases: []string{"u"}, Short: "Make a context the active one",
		Args:              exactArgs(1),
		ValidArgsFunction: completeContexts,
		RunE: func(cmd *cobra.Command, args []string) error {
			cf, err := loadContexts()
			if err != nil {
				return err
			}
			if _, ok := cf.Contexts[args[0]]; !ok {
				return usageError("no context named %q", args[0])
			}
			cf.Active = args[0]
			if err := saveContexts(cf); err != nil {
				return err
			}
			newOutput(g, cmd).info("active context: %s", args[0])
			return nil
		},
	})
	var cc contextConfig
	var tlsOn, skip bool
	create := &cobra.Command{
		Use: "create <name>", Aliases: []string{"c"}, Short: "Create a named context",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cf, err := loadContexts()
			if err != nil {
				return err
			}
			if _, ok := cf.Contexts[args[0]]; ok && args[0] != defaultContextName {
				return usageError("context %q exists; delete it first", args[0])
			}
			if cc.Transport != "" && cc.Transport != "tcp" && cc.Transport != "quic" && cc.Transport != "http" {
				return usageError("--transport %q: want tcp, quic or http", cc.Transport)
			}
			if cmd.Flags().Changed("tcp-tls-enabled") {
				cc.TCPTLSEnabled = &tlsOn
			}
			if cmd.Flags().Changed("tls-skip-verify") {
				cc.TLSSkipVerify = &skip
			}
			cf.Contexts[args[0]] = cc
			if err := saveContexts(cf); err != nil {
				return err
			}
			newOutput(g, cmd).info("context %s created; `shale context use %s` makes it active", args[0], args[0])
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&cc.Transport, "transport", "", "transport: tcp, quic or http")
	f.StringVar(&cc.TCPServerAddress, "tcp-server-address", "", "server address for TCP")
	f.StringVar(&cc.QUICServerAddress, "quic-server-address", "", "server address for QUIC")
	f.StringVar(&cc.HTTPAPIURL, "http-api-url", "", "API URL for HTTP")
	f.BoolVar(&tlsOn, "tcp-tls-enabled", false, "use TLS over TCP")
	f.StringVar(&cc.TLSCAFile, "tls-ca-file", "", "CA certificate file")
	f.StringVar(&cc.TLSServerName, "tls-server-name", "", "server name for the certificate")
	f.BoolVar(&skip, "tls-skip-verify", false, "do not verify the certificate")
	f.StringVarP(&cc.Username, "username", "u", "", "username")
	f.StringVarP(&cc.Password, "password", "p", "", "password (stored in the 0600 contexts file)")
	f.StringVarP(&cc.Token, "token", "t", "", "personal access token")
	cmd.AddCommand(create)
	cmd.AddCommand(&cobra.Command{
		Use: "delete <name>", Aliases: []string{"d"}, Short: "Delete a context (not 'default')",
		Args:              exactArgs(1),
		ValidArgsFunction: completeContexts,
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == defaultContextName {
				return usageError("the default context cannot be deleted")
			}
			cf, err := loadContexts()
			if err != nil {
				return err
			}
			if _, ok := cf.Contexts[args[0]]; !ok {
				return usageError("no context named %q", args[0])
			}
			delete(cf.Contexts, args[0])
			if cf.Active == args[0] {
				cf.Active = defaultContextName
			}
			if err := saveContexts(cf); err != nil {
				return err
			}
			newOutput(g, cmd).info("context %s deleted", args[0])
			return nil
		},
	})
	return cmd
}

func completeContexts(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cf, err := loadContexts()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []string
	for n := range cf.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, cobra.ShellCompDirectiveNoFileComp
}

// loginCommand logs in with the given credentials, creates a personal
// access token and stores it for this server; later verbs without
// credentials use it. The password is never stored.
func loginCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "login [expiry...]",
		Aliases: []string{"li"},
		Short:   "Log in and store a personal access token for this server (expiry like 1h 15m; default 15m; none: no expiry)",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.resolve(cmd); err != nil {
				return err
			}
			expiry := uint64(15 * 60 * 1_000_000)
			if len(args) > 0 {
				var err error
				if expiry, err = parseExpiry(args, 0); err != nil {
					return usageError("expiry: %v", err)
				}
			}
			ctx := cmd.Context()
			c, err := g.connect(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			host, _ := os.Hostname()
			name := fmt.Sprintf("shale-cli-%s-%d", host, os.Getpid())
			tok, err := createToken(ctx, c, name, expiry)
			if err != nil {
				return err
			}
			m, err := loadSessions()
			if err != nil {
				return err
			}
			server := g.serverAddress()
			if old, ok := m[server]; ok && old.Name != "" {
				_ = deleteToken(ctx, c, old.Name) // replaced: best effort
			}
			m[server] = session{Token: tok, Name: name}
			if err := saveSessions(m); err != nil {
				return err
			}
			newOutput(g, cmd).info("logged in to %s; token %s stored", server, name)
			return nil
		},
	}
}

func logoutCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "logout", Aliases: []string{"lo"}, Short: "Delete this server's stored token (on the server too)",
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.resolve(cmd); err != nil {
				return err
			}
			m, err := loadSessions()
			if err != nil {
				return err
			}
			server := g.serverAddress()
			s, ok := m[server]
			if !ok {
				newOutput(g, cmd).info("not logged in to %s", server)
				return nil
			}
			if c, err := g.dial(cmd.Context()); err == nil {
				if _, err := c.LoginWithToken(cmd.Context(), s.Token); err == nil {
					_ = deleteToken(cmd.Context(), c, s.Name)
				}
				_ = c.Close()
			}
			delete(m, server)
			if err := saveSessions(m); err != nil {
				return err
			}
			newOutput(g, cmd).info("logged out of %s", server)
			return nil
		},
	}
}
