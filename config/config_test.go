package config

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shale.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustLoad(t *testing.T, path string, environ ...string) *Config {
	t.Helper()
	cfg, err := Load(path, environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return cfg
}

// problemKeys returns the keys of the problems in err, failing the test if
// err is not Problems.
func problemKeys(t *testing.T, err error) []string {
	t.Helper()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not Problems", err, err)
	}
	keys := make([]string, len(ps))
	for i, p := range ps {
		keys[i] = p.Key
	}
	return keys
}

func TestDefaults(t *testing.T) {
	cfg := mustLoad(t, "")
	// Iggy 0.8.0's defaults (config/defaults.toml §5) and shale's own.
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"system.path", cfg.System.Path, "local_data"},
		{"system.runtime.path", cfg.System.Runtime.Path, "runtime"},
		{"system.durability.mode", cfg.System.Durability.Mode, DurabilitySync},
		{"system.durability.interval", cfg.System.Durability.Interval.Std(), 200 * time.Millisecond},
		{"system.storage.cache_size", cfg.System.Storage.CacheSize, ByteSize(256 << 20)},
		{"system.storage.value_separation_min_size", cfg.System.Storage.ValueSeparationMinSize, ByteSize(1 << 10)},
		{"system.limits.max_frame_size", cfg.System.Limits.MaxFrameSize, ByteSize(10 << 20)},
		{"system.limits.max_message_size", cfg.System.Limits.MaxMessageSize, ByteSize(64_000_000)},
		{"system.limits.max_partitions_per_topic", cfg.System.Limits.MaxPartitionsPerTopic, 1000},
		{"system.limits.max_name_length", cfg.System.Limits.MaxNameLength, 255},
		{"limits.poll_answer_bytes", cfg.Limits.PollAnswerBytes, ByteSize(64 << 20)},
		{"system.logging.level", cfg.System.Logging.Level, "info"},
		{"system.topic.max_size", cfg.System.Topic.MaxSize, Unlimited},
		{"system.topic.message_expiry", cfg.System.Topic.MessageExpiry.Std(), time.Duration(0)},
		{"system.segment.size", cfg.System.Segment.Size, ByteSize(1 << 30)},
		{"system.message_deduplication.enabled", cfg.System.MessageDeduplication.Enabled, false},
		{"system.message_deduplication.max_entries", cfg.System.MessageDeduplication.MaxEntries, 10000},
		{"system.message_deduplication.expiry", cfg.System.MessageDeduplication.Expiry.Std(), time.Minute},
		{"tcp.enabled", cfg.TCP.Enabled, true},
		{"tcp.address", cfg.TCP.Address, "127.0.0.1:8090"},
		{"tcp.tls.enabled", cfg.TCP.TLS.Enabled, false},
		{"tcp.tls.self_signed", cfg.TCP.TLS.SelfSigned, true},
		{"quic.address", cfg.QUIC.Address, "127.0.0.1:8080"},
		{"quic.max_concurrent_bidi_streams", cfg.QUIC.MaxConcurrentBidiStreams, 10000},
		{"quic.initial_mtu", cfg.QUIC.InitialMTU, ByteSize(8000)},
		{"quic.send_window", cfg.QUIC.SendWindow, ByteSize(100_000)},
		{"quic.keep_alive_interval", cfg.QUIC.KeepAliveInterval.Std(), 5 * time.Second},
		{"quic.max_idle_timeout", cfg.QUIC.MaxIdleTimeout.Std(), 10 * time.Second},
		{"quic.certificate.self_signed", cfg.QUIC.Certificate.SelfSigned, true},
		{"http.address", cfg.HTTP.Address, "127.0.0.1:3000"},
		{"http.max_request_size", cfg.HTTP.MaxRequestSize, ByteSize(2_000_000)},
		{"http.cors.allowed_methods", cfg.HTTP.CORS.AllowedMethods, []string{"GET", "POST", "PUT", "DELETE"}},
		{"http.cors.exposed_headers", cfg.HTTP.CORS.ExposedHeaders, []string{""}},
		{"http.jwt.access_token_expiry", cfg.HTTP.JWT.AccessTokenExpiry.Std(), time.Hour},
		{"http.jwt.encoding_secret", cfg.HTTP.JWT.EncodingSecret, ""},
		{"http.metrics.endpoint", cfg.HTTP.Metrics.Endpoint, "/metrics"},
		{"data_maintenance.messages.cleaner_enabled", cfg.DataMaintenance.Messages.CleanerEnabled, true},
		{"data_maintenance.messages.interval", cfg.DataMaintenance.Messages.Interval.Std(), time.Minute},
		{"data_maintenance.messages.respect_consumer_offsets", cfg.DataMaintenance.Messages.RespectConsumerOffsets, true},
		{"personal_access_token.max_tokens_per_user", cfg.PersonalAccessToken.MaxTokensPerUser, 100},
		{"consumer_group.rebalancing_timeout", cfg.ConsumerGroup.RebalancingTimeout.Std(), 30 * time.Second},
		{"heartbeat.interval", cfg.Heartbeat.Interval.Std(), 5 * time.Second},
		{"admin.dashboard.enabled", cfg.Admin.Dashboard.Enabled, true},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.key, tc.got, tc.want)
		}
	}
	if w := cfg.Warnings(); len(w) != 0 {
		t.Errorf("defaults alone gave warnings: %q", w)
	}
	if !reflect.DeepEqual(Default(), cfg) {
		t.Error("Default() differs from Load(\"\", nil)")
	}
}

// TestDefaultsAreSingleSource checks that defaults.toml and Config describe
// the same keys, so no default can live anywhere else.
func TestDefaultsAreSingleSource(t *testing.T) {
	idx, err := fieldTable()
	if err != nil {
		t.Fatal(err)
	}
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(defaultsTOML), toml.Parser()); err != nil {
		t.Fatal(err)
	}
	inFile := k.Keys()
	var inStruct []string
	for _, f := range idx.all {
		inStruct = append(inStruct, f.key)
	}
	for _, key := range inStruct {
		if !slices.Contains(inFile, key) {
			t.Errorf("Config field %s has no default in defaults.toml", key)
		}
	}
	for _, key := range inFile {
		if !slices.Contains(inStruct, key) {
			t.Errorf("defaults.toml key %s maps to no Config field", key)
		}
	}
}

// TestDefaultsAreCommented requires a comment above every key of
// defaults.toml (one comment may cover a run of keys), since the file is the
// documentation.
func TestDefaultsAreCommented(t *testing.T) {
	sc := bufio.NewScanner(bytes.NewReader(defaultsTOML))
	commented, line := false, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(text, "#"):
			commented = true
		case text == "" || strings.HasPrefix(text, "["):
			commented = false
		default:
			if !commented {
				t.Errorf("defaults.toml:%d: %q has no comment above it", line, text)
			}
		}
	}
}

func TestFieldTable(t *testing.T) {
	idx, err := fieldTable()
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, f := range idx.all {
		if f.secret {
			secrets = append(secrets, f.env)
		}
	}
	want := []string{"SYSTEM_ENCRYPTION_KEY", "HTTP_JWT_ENCODING_SECRET", "HTTP_JWT_DECODING_SECRET", "ADMIN_METRICS_TOKEN"}
	if !reflect.DeepEqual(secrets, want) {
		t.Errorf("secret settings = %v, want %v", secrets, want)
	}
	// Underscores inside key names survive: the table, not a split on "_",
	// decides the key.
	if f := idx.byEnv["QUIC_MAX_CONCURRENT_BIDI_STREAMS"]; f == nil || f.key != "quic.max_concurrent_bidi_streams" {
		t.Errorf("QUIC_MAX_CONCURRENT_BIDI_STREAMS maps to %+v", f)
	}
}

func TestFileOverridesDefaults(t *testing.T) {
	path := writeFile(t, `
[system]
path = "/var/lib/shale"

[tcp]
address = "0.0.0.0:9090"
max_connections = 5

[http.cors]
allowed_origins = ["https://a.example", "https://b.example"]

[system.storage]
cache_size = 1048576

[quic]
keep_alive_interval = "2 s"

# Iggy keys shale does not use must not stop the server.
[websocket]
enabled = true

[system.partition]
enforce_fsync = true
`)
	cfg := mustLoad(t, path)
	if cfg.System.Path != "/var/lib/shale" || cfg.TCP.Address != "0.0.0.0:9090" || cfg.TCP.MaxConnections != 5 {
		t.Errorf("file values not applied: %+v %+v", cfg.System.Path, cfg.TCP)
	}
	if want := []string{"https://a.example", "https://b.example"}; !reflect.DeepEqual(cfg.HTTP.CORS.AllowedOrigins, want) {
		t.Errorf("allowed_origins = %q, want %q (a file's list replaces the default)", cfg.HTTP.CORS.AllowedOrigins, want)
	}
	if cfg.System.Storage.CacheSize != 1<<20 || cfg.QUIC.KeepAliveInterval.Std() != 2*time.Second {
		t.Errorf("cache_size = %v, keep_alive_interval = %v", cfg.System.Storage.CacheSize, cfg.QUIC.KeepAliveInterval)
	}
	// Untouched keys keep their defaults.
	if cfg.TCP.Enabled != true || cfg.HTTP.Address != "127.0.0.1:3000" {
		t.Errorf("defaults lost: tcp.enabled=%v http.address=%q", cfg.TCP.Enabled, cfg.HTTP.Address)
	}
	warnings := strings.Join(cfg.Warnings(), "\n")
	for _, key := range []string{"websocket.enabled", "system.partition.enforce_fsync"} {
		if !strings.Contains(warnings, key) {
			t.Errorf("no warning for unused key %s; warnings:\n%s", key, warnings)
		}
	}
}

func TestFileErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml"), nil); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := Load(writeFile(t, "[tcp\naddress = "), nil); err == nil {
		t.Error("malformed TOML: no error")
	}
}

func TestEnvironment(t *testing.T) {
	file := writeFile(t, "[tcp]\naddress = \"10.0.0.1:1111\"\n")
	for _, tc := range []struct {
		name    string
		environ []string
		want    string // tcp.address
	}{
		{"file alone", nil, "10.0.0.1:1111"},
		{"IGGY_ overrides file", []string{"IGGY_TCP_ADDRESS=10.0.0.2:2222"}, "10.0.0.2:2222"},
		{"SHALE_ overrides file", []string{"SHALE_TCP_ADDRESS=10.0.0.3:3333"}, "10.0.0.3:3333"},
		{"SHALE_ wins over IGGY_", []string{"SHALE_TCP_ADDRESS=10.0.0.3:3333", "IGGY_TCP_ADDRESS=10.0.0.2:2222"}, "10.0.0.3:3333"},
		{"SHALE_ wins in either order", []string{"IGGY_TCP_ADDRESS=10.0.0.2:2222", "SHALE_TCP_ADDRESS=10.0.0.3:3333"}, "10.0.0.3:3333"},
		{"empty value ignored", []string{"SHALE_TCP_ADDRESS=", "IGGY_TCP_ADDRESS=10.0.0.2:2222"}, "10.0.0.2:2222"},
		{"other prefixes ignored", []string{"TCP_ADDRESS=1.1.1.1:1", "XSHALE_TCP_ADDRESS=1.1.1.1:1"}, "10.0.0.1:1111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := mustLoad(t, file, tc.environ...)
			if cfg.TCP.Address != tc.want {
				t.Errorf("tcp.address = %q, want %q", cfg.TCP.Address, tc.want)
			}
		})
	}
}

func TestEnvironmentTypes(t *testing.T) {
	cfg := mustLoad(t, "",
		"SHALE_SYSTEM_PATH=/data",
		"IGGY_TCP_TLS_ENABLED=TRUE",
		"IGGY_TCP_TLS_SELF_SIGNED=true",
		"SHALE_QUIC_MAX_CONCURRENT_BIDI_STREAMS=42",
		"SHALE_SYSTEM_STORAGE_MEMTABLE_SIZE=32 MiB",
		"SHALE_SYSTEM_DURABILITY_MODE=interval",
		"SHALE_SYSTEM_DURABILITY_INTERVAL=50ms",
		`IGGY_HTTP_CORS_ALLOWED_ORIGINS=[http://localhost:5173, "https://console.example.com"]`,
		"IGGY_HTTP_JWT_ENCODING_SECRET=12345", // digits stay a string
		"SHALE_SYSTEM_TOPIC_MESSAGE_EXPIRY=7 days",
	)
	if cfg.System.Path != "/data" || !cfg.TCP.TLS.Enabled || cfg.QUIC.MaxConcurrentBidiStreams != 42 ||
		cfg.System.Storage.MemtableSize != 32<<20 || cfg.System.Durability.Mode != "interval" ||
		cfg.System.Durability.Interval.Std() != 50*time.Millisecond ||
		cfg.HTTP.JWT.EncodingSecret != "12345" || cfg.System.Topic.MessageExpiry.Std() != 7*24*time.Hour {
		t.Errorf("environment not applied: %+v", cfg)
	}
	if want := []string{"http://localhost:5173", "https://console.example.com"}; !reflect.DeepEqual(cfg.HTTP.CORS.AllowedOrigins, want) {
		t.Errorf("allowed_origins = %q, want %q", cfg.HTTP.CORS.AllowedOrigins, want)
	}
	applied := strings.Join(cfg.AppliedEnv(), "\n")
	if strings.Contains(applied, "12345") || !strings.Contains(applied, "IGGY_HTTP_JWT_ENCODING_SECRET=******") {
		t.Errorf("secret not masked in applied variables:\n%s", applied)
	}
	if !strings.Contains(applied, "SHALE_SYSTEM_PATH=/data") {
		t.Errorf("applied variables miss SHALE_SYSTEM_PATH:\n%s", applied)
	}
}

func TestUnknownEnvironment(t *testing.T) {
	cfg, err := Load("", []string{
		"SHALE_TCP_ADRESS=0.0.0.0:1",   // typo: a problem, with a suggestion
		"IGGY_WEBSOCKET_ENABLED=false", // Iggy setting shale lacks: a warning
		"IGGY_ROOT_PASSWORD=secret",    // not settings: silent
		"SHALE_ROOT_USERNAME=admin",
		"SHALE_CONFIG_PATH=/etc/shale.toml",
		"IGGY_CI_BUILD=true",
		"IGGY_CONNECTORS_SINK_X_ENABLED=true",
	})
	if got := problemKeys(t, err); !reflect.DeepEqual(got, []string{"SHALE_TCP_ADRESS"}) {
		t.Fatalf("problems = %v (%v), want just SHALE_TCP_ADRESS", got, err)
	}
	if !strings.Contains(err.Error(), "did you mean SHALE_TCP_ADDRESS?") {
		t.Errorf("no suggestion in %q", err)
	}
	if cfg.TCP.Address != "127.0.0.1:8090" {
		t.Errorf("tcp.address = %q, want the default", cfg.TCP.Address)
	}
	if w := cfg.Warnings(); len(w) != 1 || !strings.Contains(w[0], "IGGY_WEBSOCKET_ENABLED") {
		t.Errorf("warnings = %q, want one about IGGY_WEBSOCKET_ENABLED", w)
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"IGGY_ROOT_PASSWORD=iggy", "SHALE_ROOT_PASSWORD=shale", "IGGY_ROOT_USERNAME=root", "SHALE_CONFIG_PATH="}
	for name, want := range map[string]string{"ROOT_PASSWORD": "shale", "ROOT_USERNAME": "root", "CONFIG_PATH": "", "ENV_PATH": ""} {
		if got := Getenv(env, name); got != want {
			t.Errorf("Getenv(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestEveryProblemReported breaks many settings at once, through the file
// and the environment, and expects every one of them in one error.
func TestEveryProblemReported(t *testing.T) {
	path := writeFile(t, `
[system]
path = ""
[system.runtime]
path = "../escape"
[system.durability]
mode = "eventually"
[system.storage]
cache_size = "unlimited"
memtable_size = "12 parsecs"
min_free_disk = -1
[system.limits]
max_name_length = 300
max_partitions_per_topic = 0
[system.logging]
level = "loud"
format = "xml"
[system.segment]
size = "1000 B"
[system.message_deduplication]
max_entries = -5
[tcp]
address = "127.0.0.1:70000"
max_connections = -1
[tcp.tls]
enabled = true
self_signed = false
cert_file = ""
[quic]
address = "no-port"
initial_mtu = "500 B"
keep_alive_interval = 5
[quic.certificate]
self_signed = false
key_file = ""
[http.tls]
enabled = true
key_file = ""
[http.jwt]
algorithm = "RS256"
[http.cors]
allowed_methods = ["GET", "FETCH"]
[http.metrics]
endpoint = "metrics"
[data_maintenance.messages]
interval = "0"
[personal_access_token]
max_tokens_per_user = 0
`)
	_, err := Load(path, []string{
		"SHALE_TCP_ENABLED=maybe",
		"SHALE_HEARTBEAT_ENABLED=true",
		"SHALE_HEARTBEAT_INTERVAL=none",
		"SHALE_NOT_A_SETTING=1",
		"IGGY_SYSTEM_ENCRYPTION_ENABLED=true",
	})
	got := problemKeys(t, err)
	want := []string{
		// found while loading
		"system.storage.memtable_size",
		"system.storage.min_free_disk",
		"quic.keep_alive_interval",
		"tcp.enabled",
		"SHALE_NOT_A_SETTING",
		// found by Validate
		"system.path",
		"system.runtime.path",
		"system.durability.mode",
		"system.storage.cache_size",
		"system.limits.max_partitions_per_topic",
		"system.limits.max_name_length",
		"system.logging.level",
		"system.logging.format",
		"system.segment.size",
		"system.message_deduplication.max_entries",
		"system.encryption.enabled",
		"tcp.address",
		"tcp.max_connections",
		"tcp.tls",
		"quic.address",
		"quic.initial_mtu",
		"quic.certificate",
		"http.tls",
		"http.cors.allowed_methods",
		"http.jwt.algorithm",
		"http.metrics.endpoint",
		"data_maintenance.messages.interval",
		"heartbeat.interval",
		"personal_access_token.max_tokens_per_user",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("problem keys:\n got %q\nwant %q\nerror:\n%v", got, want, err)
	}
	// Where a bad value came from is named.
	for _, s := range []string{"(from SHALE_TCP_ENABLED)", "(from " + path + ")"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not mention %q:\n%v", s, err)
		}
	}
}

func TestValidateCatchesEditsInCode(t *testing.T) {
	cfg := Default()
	cfg.QUIC.MaxIdleTimeout = Duration(-time.Second)
	cfg.System.Limits.MaxFrameSize = 10
	cfg.HTTP.Address = cfg.TCP.Address
	cfg.QUIC.Enabled = false
	cfg.QUIC.Address = "garbage" // not checked while QUIC is disabled
	got := problemKeys(t, cfg.Validate())
	if want := []string{"quic.max_idle_timeout", "system.limits.max_frame_size", "http.address"}; !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %q, want %q", got, want)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	cfg := mustLoad(t, "",
		"SHALE_TCP_ADDRESS=[::1]:0",
		"SHALE_HTTP_JWT_ENCODING_SECRET=top-secret-value",
		"SHALE_SYSTEM_ENCRYPTION_KEY=another-secret",
		`SHALE_HTTP_CORS_ALLOWED_HEADERS=[x-quote"d, back\slash]`,
		"SHALE_SYSTEM_PATH=tab\there",
		"SHALE_SYSTEM_TOPIC_MAX_SIZE=2 GiB",
		"SHALE_SYSTEM_STORAGE_MIN_FREE_DISK=0",
		"SHALE_QUIC_MAX_IDLE_TIMEOUT=1h 2m 3s",
	)
	out := cfg.TOML()
	for _, secret := range []string{"top-secret-value", "another-secret"} {
		if bytes.Contains(out, []byte(secret)) {
			t.Errorf("TOML() leaks the secret %q", secret)
		}
	}
	back := mustLoad(t, writeFile(t, string(out)))
	if !bytes.Equal(back.TOML(), out) {
		t.Errorf("TOML does not round-trip:\nfirst:\n%s\nsecond:\n%s", out, back.TOML())
	}
	want := cfg.Redacted()
	want.warnings, want.appliedEnv, back.warnings, back.appliedEnv = nil, nil, nil, nil
	if !reflect.DeepEqual(back, want) {
		t.Errorf("reloaded config differs:\n got %+v\nwant %+v", back, want)
	}
	if back.HTTP.JWT.EncodingSecret != "******" || back.HTTP.JWT.DecodingSecret != "" {
		t.Errorf("secrets after redaction: %q %q", back.HTTP.JWT.EncodingSecret, back.HTTP.JWT.DecodingSecret)
	}
}

func TestRedactedIsACopy(t *testing.T) {
	cfg := mustLoad(t, "", "SHALE_HTTP_JWT_DECODING_SECRET=s3cret")
	r := cfg.Redacted()
	r.HTTP.CORS.AllowedMethods[0] = "PATCH"
	if cfg.HTTP.CORS.AllowedMethods[0] != "GET" || cfg.HTTP.JWT.DecodingSecret != "s3cret" {
		t.Errorf("Redacted changed the original: %q %q", cfg.HTTP.CORS.AllowedMethods, cfg.HTTP.JWT.DecodingSecret)
	}
}

func TestParseLevel(t *testing.T) {
	for in, ok := range map[string]bool{
		"info": true, "DEBUG": true, "trace": true, "off": true, "warn,server=debug": true,
		"server=debug,error": true, "": false, "loud": false, "server=debug": false,
	} {
		if _, err := ParseLevel(in); (err == nil) != ok {
			t.Errorf("ParseLevel(%q) error = %v, want ok=%v", in, err, ok)
		}
	}
}

// TestIggyFileLoads feeds an Iggy-style server.toml, with tables and array
// forms shale has no use for, and expects it to load with warnings only.
func TestIggyFileLoads(t *testing.T) {
	path := writeFile(t, `
[quic]
max_concurrent_bidi_streams = 10_000

[[http.jwt.trusted_issuers]]
issuer = "someone"
jwks_url = "http://127.0.0.1:1/jwks.json"

[cluster]
enabled = false

[[cluster.node.others]]
name = "peer"
ports = { tcp = 8091, quic = 8081 }

[system.memory_pool]
size = "4 GiB"

[data_maintenance.messages]
cleaner_enabled = false
`)
	cfg := mustLoad(t, path, "IGGY_WEBSOCKET_ENABLED=true", "IGGY_ROOT_USERNAME=iggy")
	if cfg.QUIC.MaxConcurrentBidiStreams != 10000 || cfg.DataMaintenance.Messages.CleanerEnabled {
		t.Errorf("Iggy values not applied: streams=%d cleaner=%v", cfg.QUIC.MaxConcurrentBidiStreams, cfg.DataMaintenance.Messages.CleanerEnabled)
	}
	if len(cfg.Warnings()) != 2 {
		t.Errorf("want one warning for the file and one for IGGY_WEBSOCKET_ENABLED, got %q", cfg.Warnings())
	}
}
