package main

// The connection layer every client verb shares: global flags named as the
// Iggy CLI's (server-0.8.0) names them, the environment, named contexts in
// the user's config directory, the stored login session, and the exit codes.
//
// Precedence, highest first: flag, environment, the selected context, the
// stored session (token only), defaults. Environment names are IGGY_ where
// the Iggy CLI reads one (IGGY_USERNAME, IGGY_PASSWORD) and SHALE_ otherwise;
// config/env.go knows these names, so `shale serve` does not take them for
// settings (and none of them is one: --tcp-tls-enabled has no variable
// because SHALE_TCP_TLS_ENABLED is the server's).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/shalemq/shale/client"
	"github.com/shalemq/shale/wire"
)

// Exit codes of the client verbs (docs/cli.md).
const (
	exitOK          = 0
	exitServerError = 1
	exitUsage       = 2
	exitConnect     = 3
)

// Default addresses, as the Iggy SDK defaults them.
const (
	defaultTCPAddress  = "127.0.0.1:8090"
	defaultQUICAddress = "127.0.0.1:8080"
	defaultHTTPURL     = "http://localhost:3000"
)

// usageError marks a bad command line: exit 2.
func usageError(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// connectError marks a server that could not be reached: exit 3.
func connectError(what string, err error) error {
	return &exitError{code: exitConnect, err: fmt.Errorf("cannot connect to %s: %w", what, err)}
}

// cliEnv names every environment variable the client verbs read, with the
// flag each one stands for (docs/cli.md lists them).
var cliEnv = map[string]string{
	"transport":           "SHALE_TRANSPORT",
	"tcp-server-address":  "SHALE_TCP_SERVER_ADDRESS",
	"quic-server-address": "SHALE_QUIC_SERVER_ADDRESS",
	"http-api-url":        "SHALE_HTTP_API_URL",
	"username":            "IGGY_USERNAME",
	"password":            "IGGY_PASSWORD",
	"token":               "SHALE_TOKEN",
	"tls-ca-file":         "SHALE_TLS_CA_FILE",
	"tls-server-name":     "SHALE_TLS_SERVER_NAME",
	"tls-skip-verify":     "SHALE_TLS_SKIP_VERIFY",
	"context":             "SHALE_CONTEXT",
	"output":              "SHALE_OUTPUT",
}

// globals are the connection and output options of every client verb.
type globals struct {
	Transport         string
	TCPServerAddress  string
	QUICServerAddress string
	HTTPAPIURL        string
	Username          string
	Password          string
	Token             string
	TLSCAFile         string
	TLSServerName     string
	TLSSkipVerify     bool
	TCPTLSEnabled     bool
	Context           string
	Output            string
	Quiet             bool
	Timeout           time.Duration

	// forceHTTP makes the verb use the HTTP API whatever --transport says
	// (for shale's own routes, which have no binary command).
	forceHTTP bool

	cmd *cobra.Command // the running command, for Changed
	// stdin, stdout and stderr are the process's, replaced in tests.
	stdin          io.Reader
	stdout, stderr io.Writer
	environ        func(string) string
	isTerminal     func() bool
	readPassword   func() ([]byte, error)
}

func newGlobals() *globals {
	return &globals{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, environ: os.Getenv,
		isTerminal:   func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		readPassword: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
	}
}

// addGlobalFlags registers the connection flags as persistent flags of
// root, by their long names only: the short forms the Iggy CLI gives some
// of them (-u, -p, -t, -q, -n) are valid only before the verb, as in clap,
// and expandGlobalShorthands rewrites them there, so verbs keep their own
// -p, -t and -n.
func (g *globals) addGlobalFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&g.Transport, "transport", "tcp", "transport: tcp, quic or http")
	f.StringVar(&g.TCPServerAddress, "tcp-server-address", defaultTCPAddress, "server address for the TCP transport")
	f.StringVar(&g.QUICServerAddress, "quic-server-address", defaultQUICAddress, "server address for the QUIC transport")
	f.StringVar(&g.HTTPAPIURL, "http-api-url", defaultHTTPURL, "API URL for the HTTP transport")
	f.StringVar(&g.Username, "username", "", "username (-u before the verb); the password is prompted for when missing")
	f.StringVar(&g.Password, "password", "", "password (-p before the verb)")
	f.StringVar(&g.Token, "token", "", "personal access token (-t before the verb)")
	f.StringVar(&g.TLSCAFile, "tls-ca-file", "", "PEM file of the CA that signed the server's certificate")
	f.StringVar(&g.TLSServerName, "tls-server-name", "", "server name to verify the certificate against (default: the host)")
	f.BoolVar(&g.TLSSkipVerify, "tls-skip-verify", false, "do not verify the server's certificate")
	f.BoolVar(&g.TCPTLSEnabled, "tcp-tls-enabled", false, "use TLS over TCP")
	f.StringVar(&g.Context, "context", "", "named context to use (see shale context list)")
	f.StringVar(&g.Output, "output", "table", "output: table, list or json")
	f.BoolVar(&g.Quiet, "quiet", false, "print only the requested data (-q before the verb)")
	f.DurationVar(&g.Timeout, "timeout", 30*time.Second, "time limit for each request (0: none)")
	// Iggy names for the TLS server name, accepted as aliases.
	f.StringVar(&g.TLSServerName, "tcp-tls-domain", "", "alias of --tls-server-name (Iggy)")
	f.StringVar(&g.TLSServerName, "quic-server-name", "", "alias of --tls-server-name (Iggy)")
	_ = f.MarkHidden("tcp-tls-domain")
	_ = f.MarkHidden("quic-server-name")
	_ = root.RegisterFlagCompletionFunc("transport", cobra.FixedCompletions([]string{"tcp", "quic", "http"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "list", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

// globalShorthands are the Iggy CLI's short global options; the bool ones
// take no value.
var globalShorthands = map[byte]struct {
	long  string
	value bool
}{
	'u': {"username", true}, 'p': {"password", true}, 't': {"token", true},
	'q': {"quiet", false}, 'n': {"token-name", true},
}

// globalValueFlags are the long global flags that take a value, for
// walking the arguments before the verb.
var globalValueFlags = map[string]bool{
	"transport": true, "tcp-server-address": true, "quic-server-address": true, "http-api-url": true,
	"username": true, "password": true, "token": true, "tls-ca-file": true, "tls-server-name": true,
	"tcp-tls-domain": true, "quic-server-name": true, "context": true, "output": true, "timeout": true,
	"token-name": true,
}

// expandGlobalShorthands rewrites -u X, -pX, -q and the like into their long
// forms in the arguments before the verb (the first argument that is not
// an option or an option's value), where the Iggy CLI accepts them.
func expandGlobalShorthands(args []string) []string {
	args = append([]string(nil), args...)
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case strings.HasPrefix(a, "--"):
			out = append(out, a)
			name := strings.TrimPrefix(a, "--")
			if !strings.Contains(name, "=") && globalValueFlags[name] && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
		case len(a) >= 2 && a[0] == '-':
			s, ok := globalShorthands[a[1]]
			if !ok {
				out = append(out, a) // not a global shorthand: let cobra judge it
				continue
			}
			switch {
			case !s.value:
				out = append(out, "--"+s.long)
				if len(a) > 2 { // -qu X: the rest are further shorthands
					args[i] = "-" + a[2:]
					i--
				}
			case len(a) > 2:
				out = append(out, "--"+s.long+"="+a[2:])
			case i+1 < len(args):
				out = append(out, "--"+s.long, args[i+1])
				i++
			default:
				out = append(out, "--"+s.long)
			}
		default:
			return append(out, args[i:]...) // the verb
		}
	}
	return out
}

// resolve fills what flags left unset from the environment and the
// context, then checks the values. It runs before every client verb.
func (g *globals) resolve(cmd *cobra.Command) error {
	g.cmd = cmd
	ctxName := g.pick("context", g.Context, "")
	contexts, err := loadContexts()
	if err != nil {
		return err
	}
	if ctxName == "" {
		ctxName = contexts.Active
	}
	var cc contextConfig
	if ctxName != "" && ctxName != defaultContextName {
		c, ok := contexts.Contexts[ctxName]
		if !ok {
			return usageError("no context named %q (see `shale context list`)", ctxName)
		}
		cc = c
	} else {
		cc = contexts.Contexts[defaultContextName]
	}
	g.Context = ctxName
	g.Transport = g.pick("transport", g.Transport, cc.Transport)
	g.TCPServerAddress = g.pick("tcp-server-address", g.TCPServerAddress, cc.TCPServerAddress)
	g.QUICServerAddress = g.pick("quic-server-address", g.QUICServerAddress, cc.QUICServerAddress)
	g.HTTPAPIURL = g.pick("http-api-url", g.HTTPAPIURL, cc.HTTPAPIURL)
	g.TLSCAFile = g.pick("tls-ca-file", g.TLSCAFile, cc.TLSCAFile)
	g.TLSServerName = g.pick("tls-server-name", g.TLSServerName, cc.TLSServerName)
	g.Output = g.pick("output", g.Output, "")
	for _, b := range []struct {
		name string
		v    *bool
		ctx  *bool
	}{{"tls-skip-verify", &g.TLSSkipVerify, cc.TLSSkipVerify}, {"tcp-tls-enabled", &g.TCPTLSEnabled, cc.TCPTLSEnabled}} {
		var env string
		if name, ok := cliEnv[b.name]; ok {
			env = g.environ(name)
		}
		switch f := g.cmd.Flags().Lookup(b.name); {
		case f != nil && f.Changed:
		case env != "":
			v, err := strconv.ParseBool(env)
			if err != nil {
				return usageError("%s: %q is not true or false", cliEnv[b.name], env)
			}
			*b.v = v
		case b.ctx != nil:
			*b.v = *b.ctx
		}
	}
	// Credentials travel as a set: a flag or environment credential
	// replaces the context's.
	g.Username = g.pick("username", g.Username, "")
	g.Password = g.pick("password", g.Password, "")
	g.Token = g.pick("token", g.Token, "")
	if g.Username == "" && g.Token == "" {
		g.Username, g.Token = cc.Username, cc.Token
		if g.Password == "" {
			g.Password = cc.Password
		}
	}
	switch g.Transport {
	case "tcp", "quic", "http":
	default:
		return usageError("--transport %q: want tcp, quic or http", g.Transport)
	}
	if g.forceHTTP {
		g.Transport = "http"
	}
	switch g.Output {
	case "table", "list", "json":
	default:
		return usageError("--output %q: want table, list or json", g.Output)
	}
	return nil
}

// pick returns the flag's value when it was given, else the environment's
// when set, else the context's when set, else the flag's default.
func (g *globals) pick(flag, value, fromContext string) string {
	if f := g.cmd.Flags().Lookup(flag); f != nil && f.Changed {
		return value
	}
	if env, ok := cliEnv[flag]; ok {
		if v := g.environ(env); v != "" {
			return v
		}
	}
	if fromContext != "" {
		return fromContext
	}
	return value
}

// serverAddress names the server the options point at: the key of a
// stored login session.
func (g *globals) serverAddress() string {
	switch g.Transport {
	case "quic":
		return "quic://" + g.QUICServerAddress
	case "http":
		return g.HTTPAPIURL
	}
	return "tcp://" + g.TCPServerAddress
}

// tlsConfig builds the client TLS settings, or nil for plain TCP and HTTP.
// QUIC always has TLS; without a CA file or a server name it does not
// verify the certificate, as the Iggy SDKs default.
func (g *globals) tlsConfig(host string) (*tls.Config, error) {
	useTLS := g.TCPTLSEnabled || g.TLSCAFile != "" || g.TLSSkipVerify || g.TLSServerName != ""
	switch g.Transport {
	case "quic":
		if !useTLS {
			return nil, nil // client.DialQUIC's Iggy default
		}
	case "http":
		if !strings.HasPrefix(g.HTTPAPIURL, "https://") {
			return nil, nil
		}
	default:
		if !useTLS {
			return nil, nil
		}
	}
	tc := &tls.Config{ServerName: g.TLSServerName, InsecureSkipVerify: g.TLSSkipVerify} //nolint:gosec // the user asked
	if tc.ServerName == "" {
		tc.ServerName = host
		if g.Transport == "quic" && net.ParseIP(host) != nil {
			tc.ServerName = "localhost"
		}
	}
	if g.TLSCAFile != "" {
		pem, err := os.ReadFile(g.TLSCAFile)
		if err != nil {
			return nil, usageError("--tls-ca-file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError("--tls-ca-file %s: no PEM certificate in it", g.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// dial connects without logging in.
func (g *globals) dial(ctx context.Context) (*client.Client, error) {
	var addr string
	switch g.Transport {
	case "quic":
		addr = g.QUICServerAddress
	case "http":
		addr = g.HTTPAPIURL
	default:
		addr = g.TCPServerAddress
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if g.Transport == "http" {
		host = strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "http://")
		if h, _, err := net.SplitHostPort(strings.SplitN(host, "/", 2)[0]); err == nil {
			host = h
		}
	}
	tc, err := g.tlsConfig(host)
	if err != nil {
		return nil, err
	}
	opts := client.Options{TLS: tc, Timeout: g.Timeout}
	dctx := ctx
	if g.Timeout > 0 {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, g.Timeout)
		defer cancel()
	}
	var c *client.Client
	switch g.Transport {
	case "quic":
		c, err = client.DialQUIC(dctx, addr, opts)
	case "http":
		c, err = client.DialHTTP(dctx, addr, opts)
	default:
		c, err = client.Dial(dctx, addr, opts)
	}
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) {
			return nil, err
		}
		return nil, connectError(g.Transport+" "+addr, err)
	}
	return c, nil
}

// connect dials and logs in with the resolved credentials.
func (g *globals) connect(ctx context.Context) (*client.Client, error) {
	login, err := g.credentials()
	if err != nil {
		return nil, err
	}
	c, err := g.dial(ctx)
	if err != nil {
		return nil, err
	}
	if err := login(ctx, c); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// credentials picks how to log in: a token, a username and password
// (prompting for a missing password), or the token of a stored login
// session for this server. It asks before connecting, so a prompt is never
// raced by a server's idle timeout.
func (g *globals) credentials() (func(context.Context, *client.Client) error, error) {
	byToken := func(tok, what string) func(context.Context, *client.Client) error {
		return func(ctx context.Context, c *client.Client) error {
			if _, err := c.LoginWithToken(ctx, tok); err != nil {
				return fmt.Errorf("login with %s: %w", what, err)
			}
			return nil
		}
	}
	if g.Token != "" {
		return byToken(g.Token, "the personal access token"), nil
	}
	user := g.Username
	if user == "" {
		if s, ok := loadSession(g.serverAddress()); ok {
			return byToken(s.Token, "the stored session (run `shale login` again)"), nil
		}
		if !g.isTerminal() {
			return nil, usageError("no credentials: pass --username and --password, or --token, set IGGY_USERNAME and IGGY_PASSWORD, or run `shale login`")
		}
		fmt.Fprint(g.stderr, "Username: ")
		line, err := readLine(g.stdin)
		if err != nil {
			return nil, usageError("reading the username: %v", err)
		}
		user = line
	}
	pass := g.Password
	if pass == "" {
		var err error
		if pass, err = g.promptPassword("Password: "); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context, c *client.Client) error {
		if _, err := c.Login(ctx, user, pass); err != nil {
			return fmt.Errorf("login as %s: %w", user, err)
		}
		return nil
	}, nil
}

// promptPassword reads a password without echo on a terminal, or one line
// of standard input otherwise (as the Iggy CLI does).
func (g *globals) promptPassword(prompt string) (string, error) {
	if g.isTerminal() {
		fmt.Fprint(g.stderr, prompt)
		b, err := g.readPassword()
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", usageError("reading the password: %v", err)
		}
		return string(b), nil
	}
	line, err := readLine(g.stdin)
	if err != nil {
		return "", usageError("no password: pass --password, set IGGY_PASSWORD, or give it on standard input")
	}
	return line, nil
}

// readLine reads one line byte by byte, so nothing after it is consumed
// from a stream a verb reads next.
func readLine(r io.Reader) (string, error) {
	var b []byte
	var one [1]byte
	for {
		n, err := r.Read(one[:])
		if n == 1 {
			if one[0] == '\n' {
				return strings.TrimSuffix(string(b), "\r"), nil
			}
			b = append(b, one[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(b) > 0 {
				return string(b), nil
			}
			return "", err
		}
	}
}

// exitCode maps an error from a verb to its exit status and the line
// printed for it: a server's error with its Iggy name and code.
func exitCode(err error) (int, string) {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, err.Error()
	}
	var we *wire.Error
	if errors.As(err, &we) {
		msg := err.Error()
		if msg == we.Name {
			return exitServerError, fmt.Sprintf("server error: %s (%d)", we.Name, we.Code)
		}
		return exitServerError, fmt.Sprintf("%s (code %d)", msg, we.Code)
	}
	if errors.Is(err, client.ErrDisconnected) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return exitConnect, err.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return exitConnect, err.Error()
	}
	return exitServerError, err.Error()
}
