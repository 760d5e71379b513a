#!/usr/bin/env bash
# Runs the real Iggy SDKs' own end-to-end suites against bin/shale.
#
#   make sdk-suites IGGY_SRC=/path/to/iggy     (a checkout of apache/iggy at server-0.8.0)
#
# Nothing of Iggy's is kept in this repository: the suites are run from the
# checkout given, with their dependencies from the Go module proxy and npm.
# Not part of `make test`, because CI has no Iggy checkout.
#
# What runs, each against a fresh server with root iggy/iggy:
#   go    bdd/go/tests/tcp_test         the Go SDK's ginkgo suite (TCP)
#   go    bdd/go/tests (basic messaging) the cucumber scenario, through godog
#   go    bdd/go/tests (leader redirection) the cluster scenarios, through godog,
#                                        against a single server on 8090 and a
#                                        two-node cluster on 8091 (node-1, led)
#                                        and 8092 (docs/cluster.md)
#   node  foreign/node src/e2e/*.e2e.ts  the Node SDK's e2e suite (TCP), less
#                                        the cluster test, which expects Iggy's
#                                        mocked two-node metadata
#   go    a TLS connection               docs/operations.md's TLS steps, then the
#                                        Go SDK over TCP+TLS, verifying the certificate
#   node  src/e2e/tls.system.e2e.ts      over TLS, with a CA made here (the
#                                        certificates in core/certs have expired)
#   rust  integration/quinn-check        a quinn client with the Rust SDK's QUIC
#                                        settings (no ALPN, 100,000-byte windows),
#                                        built offline from Debian's crates: apt-get
#                                        install librust-quinn-dev librust-rustls-dev
#                                        librust-tokio-dev librust-xxhash-rust-dev
#   web   web/ (the Iggy Web UI)         a real HTTP client: built with npm,
#                                        driven in headless Chromium by
#                                        integration/webui-check.mjs (needs
#                                        /usr/bin/chromium: apt-get install chromium)
set -euo pipefail

IGGY_SRC=${IGGY_SRC:?set IGGY_SRC to a checkout of apache/iggy}
IGGY_SRC=$(cd "$IGGY_SRC" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/bin/shale
WORK=$(mktemp -d)
PID=
UI_PID=
CLUSTER_PIDS=()
trap 'stop; stop_cluster; [ -z "$UI_PID" ] || kill "$UI_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

stop() {
	if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=; fi
}

# start [env...]: a fresh server on Iggy's default TCP port (where the
# suites look), QUIC and HTTP on free ports. START_DIR sets its working
# directory and SERVE_ARGS adds arguments to serve.
start() {
	stop
	rm -rf "$WORK/data"
	(cd "${START_DIR:-.}" && exec env IGGY_ROOT_USERNAME=iggy IGGY_ROOT_PASSWORD=iggy \
		SHALE_QUIC_ADDRESS=127.0.0.1:0 SHALE_HTTP_ADDRESS=127.0.0.1:0 "$@" \
		"$BIN" serve --data "$WORK/data" ${SERVE_ARGS:-}) >"$WORK/server.log" 2>&1 &
	PID=$!
	for _ in $(seq 100); do
		[ -s "$WORK/data/runtime/ports.json" ] && return 0
		sleep 0.1
	done
	echo "shale did not start:"; cat "$WORK/server.log"; exit 1
}

stop_cluster() {
	local p
	for p in "${CLUSTER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	CLUSTER_PIDS=()
}

# cluster_conf i: node-i's configuration in a two-node cluster (client TCP
# 809i, QUIC 808i, HTTP 300i, raft 909i; the peer's the same with its own
# digit). node-2 waits three times longer before it calls an election, so
# node-1, which the feature expects to lead, leads.
cluster_conf() {
	local i=$1 j=$((3 - $1))
	cat <<EOF
[tcp]
address = "127.0.0.1:809$i"
[quic]
address = "127.0.0.1:808$i"
[http]
address = "127.0.0.1:300$i"
[cluster]
enabled = true
name = "shale-cluster"
[cluster.node.current]
name = "node-$i"
ip = "127.0.0.1"
[cluster.raft]
enabled = true
node_id = $i
address = "127.0.0.1:909$i"
tick = "100 ms"
election_ticks = $((i == 1 ? 10 : 30))
heartbeat_ticks = 1
[[cluster.node.others]]
name = "node-$j"
ip = "127.0.0.1"
ports = { tcp = 809$j, quic = 808$j, http = 300$j }
raft_id = $j
raft_address = "127.0.0.1:909$j"
EOF
}

start_cluster_node() {
	local i=$1
	rm -f "$WORK/node-$i/data/runtime/ports.json"
	env IGGY_ROOT_USERNAME=iggy IGGY_ROOT_PASSWORD=iggy "$BIN" serve --config "$WORK/node-$i/shale.toml" \
		--data "$WORK/node-$i/data" >>"$WORK/node-$i/server.log" 2>&1 &
	CLUSTER_PIDS[$i]=$!
	for _ in $(seq 100); do
		[ -s "$WORK/node-$i/data/runtime/ports.json" ] && return 0
		sleep 0.1
	done
	echo "node-$i did not start:"; cat "$WORK/node-$i/server.log"; return 1
}

# leader_of port: the name of the node the server on port reports as the
# healthy leader, or nothing.
leader_of() {
	"$BIN" --tcp-server-address "127.0.0.1:$1" -u iggy -p iggy --output json cluster metadata 2>/dev/null |
		python3 -c 'import json,sys; print(next((n["name"] for n in json.load(sys.stdin)["nodes"] if n["role"]=="leader" and n["status"]=="healthy"), ""))' 2>/dev/null || true
}

# start_cluster: both nodes, until both report node-1 as the leader. Should
# node-2 win an election all the same, a graceful stop hands its
# leadership on to node-1 and node-2 comes back as a follower.
start_cluster() {
	stop_cluster
	local i try
	for i in 1 2; do
		rm -rf "$WORK/node-$i" && mkdir -p "$WORK/node-$i/data"
		cluster_conf "$i" >"$WORK/node-$i/shale.toml"
		start_cluster_node "$i" || return 1
	done
	local l1 l2
	for try in $(seq 120); do
		l1=$(leader_of 8091) l2=$(leader_of 8092)
		if [ "$l1" = node-1 ] && [ "$l2" = node-1 ]; then return 0; fi
		if [ "$l1" = node-2 ] && [ "$l2" = node-2 ]; then
			kill "${CLUSTER_PIDS[2]}"; wait "${CLUSTER_PIDS[2]}" 2>/dev/null || true
			start_cluster_node 2 || return 1
		fi
		sleep 0.5
	done
	echo "no cluster led by node-1:"; tail -n 20 "$WORK"/node-*/server.log; return 1
}

failed=0
run() {
	local name=$1; shift
	echo "== $name"
	if "$@"; then echo "-- $name: ok"; else echo "-- $name: FAILED"; failed=1; fi
}

(cd "$ROOT" && make -s build)

start
run "go sdk: tcp_test (ginkgo)" bash -c "cd '$IGGY_SRC/bdd/go' && go test -count=1 ./tests/tcp_test/"

# godog's suite also runs the leader-redirection feature, which needs a
# cluster; run the basic-messaging feature alone from a copy of the suite.
start
mkdir -p "$WORK/godog"
cp -r "$IGGY_SRC/bdd/go/." "$WORK/godog/"
sed -i "s#=> ../../foreign/go#=> $IGGY_SRC/foreign/go#" "$WORK/godog/go.mod"
mkdir -p "$WORK/scenarios" && cp "$IGGY_SRC/bdd/scenarios/basic_messaging.feature" "$WORK/scenarios/"
cp "$IGGY_SRC/bdd/scenarios/leader_redirection.feature" "$WORK/scenarios/"
cat >"$WORK/godog/tests/suite_test.go" <<'EOF'
package tests

import (
	"testing"

	"github.com/cucumber/godog"
)

func runFeature(t *testing.T, init func(*godog.ScenarioContext), path string) {
	s := godog.TestSuite{
		ScenarioInitializer: init,
		Options:             &godog.Options{Format: "progress", Paths: []string{path}, TestingT: t},
	}
	if s.Run() != 0 {
		t.Fatal("failing feature tests")
	}
}

func TestBasicMessaging(t *testing.T) {
	runFeature(t, initBasicMessagingScenario, "../../scenarios/basic_messaging.feature")
}

func TestLeaderRedirection(t *testing.T) {
	runFeature(t, initLeaderRedirectionScenario, "../../scenarios/leader_redirection.feature")
}
EOF
run "go sdk: basic messaging (godog)" bash -c "cd '$WORK/godog' && go test -count=1 -run TestBasicMessaging ./tests/"

# The leader-redirection feature finds its servers through
# IGGY_TCP_ADDRESS{,_LEADER,_FOLLOWER}: a single server without clustering
# on 8090, the cluster's leader on 8091 and a follower on 8092.
mkdir -p "$WORK/probe" && cluster_conf 1 >"$WORK/probe/shale.toml"
if ! probe=$("$BIN" serve --check-config --config "$WORK/probe/shale.toml" --data "$WORK/probe/data" 2>&1); then
	echo "== go sdk: leader redirection (godog)"
	echo "-- skipped: this shale does not run a raft cluster:"; echo "$probe" | head -n 3
else
	# The SDK waits for ever for a server that is not there, hence timeout.
	start
	if start_cluster; then
		run "go sdk: leader redirection (godog)" env IGGY_TCP_ADDRESS=127.0.0.1:8090 IGGY_TCP_ADDRESS_LEADER=127.0.0.1:8091 \
			IGGY_TCP_ADDRESS_FOLLOWER=127.0.0.1:8092 bash -c "cd '$WORK/godog' && go test -count=1 -timeout 5m -run TestLeaderRedirection ./tests/"
	else
		failed=1
	fi
	stop_cluster
fi

NODE=$IGGY_SRC/foreign/node
if [ ! -d "$NODE/node_modules" ]; then (cd "$NODE" && npm ci --ignore-scripts --no-audit --no-fund); fi
start
run "node sdk: e2e (tcp)" bash -c "cd '$NODE' && node --import @swc-node/register/esm-register --test --test-force-exit \$(ls src/e2e/*.e2e.ts | grep -v -e cluster -e tls)"

mkdir -p "$WORK/ca" && (
	cd "$WORK/ca"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=sdk-suites-ca 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem -days 2 -extfile ext 2>/dev/null
)
start IGGY_TCP_TLS_ENABLED=true IGGY_TCP_TLS_CERT_FILE="$WORK/ca/srv.pem" IGGY_TCP_TLS_KEY_FILE="$WORK/ca/srv.key"
run "node sdk: e2e (tls)" bash -c "cd '$NODE' && E2E_ROOT_CA_CERT='$WORK/ca/ca.pem' IGGY_TCP_TLS_ENABLED=true node --import @swc-node/register/esm-register --test --test-force-exit src/e2e/tls.system.e2e.ts"

# docs/operations.md's TLS steps as written (certificate and config in a
# fresh directory), then the Go SDK over TCP with TLS, verifying the
# certificate. Without the right CA the SDK retries for ever, hence timeout.
mkdir -p "$WORK/tlsdoc" "$WORK/gosdk-tls"
(cd "$WORK/tlsdoc" && awk '/^### Enable TLS on all three transports/{f=1} f&&/^```sh/{g=1;next} g&&/^```/{exit} g' \
	"$ROOT/docs/operations.md" | bash -euo pipefail 2>/dev/null)
cat >"$WORK/gosdk-tls/main.go" <<'GO'
package main

import (
	"fmt"
	"os"

	iggycli "github.com/apache/iggy/foreign/go/client"
	"github.com/apache/iggy/foreign/go/client/tcp"
)

func main() {
	c, err := iggycli.NewIggyClient(iggycli.WithTcp(tcp.WithServerAddress(os.Args[1]),
		tcp.WithTLS(tcp.WithTLSCAFile(os.Args[2]), tcp.WithTLSDomain("localhost"))))
	if err == nil {
		_, err = c.LoginUser("iggy", "iggy")
	}
	if err == nil {
		_, err = c.GetStats()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("go sdk over tls: logged in, stats read")
}
GO
printf 'module gosdktls\n\ngo 1.24\n\nrequire github.com/apache/iggy/foreign/go v0.0.0\n\nreplace github.com/apache/iggy/foreign/go => %s/foreign/go\n' \
	"$IGGY_SRC" >"$WORK/gosdk-tls/go.mod"
START_DIR=$WORK/tlsdoc SERVE_ARGS="--config shale-tls.toml" start
run "go sdk: tcp+tls per docs/operations.md" bash -c "cd '$WORK/gosdk-tls' && go mod tidy && \
	timeout 60 go run . 127.0.0.1:8090 '$WORK/tlsdoc/certs/shale_cert.pem'"

# crates.io is out of reach, so the Rust SDK itself cannot be built; this is
# the QUIC stack it uses (quinn with rustls), as Debian packages it (0.9).
start
QUIC_ADDR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["quic"])' "$WORK/data/runtime/ports.json")
run "rust quinn: quic, sdk transport settings" bash -c "cd '$ROOT/integration/quinn-check' && CARGO_TARGET_DIR='$WORK/quinn-target' cargo build -q --release && \
	QC_IDLE_WAIT_SECS=12 '$WORK/quinn-target/release/quinn-check' '$QUIC_ADDR' '$ROOT/wire/wiretest/golden'"

# The Web UI calls shale's HTTP API from the browser (no server-side
# rendering); PUBLIC_IGGY_API_URL is read when it builds and when it runs.
WEB=$IGGY_SRC/web
start
HTTP_URL=http://$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http"])' "$WORK/data/runtime/ports.json")
UI_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ ! -d "$WEB/node_modules" ]; then (cd "$WEB" && npm ci --no-audit --no-fund); fi
(cd "$WEB" && PUBLIC_IGGY_API_URL=$HTTP_URL npx vite build >"$WORK/webui-build.log" 2>&1) || { cat "$WORK/webui-build.log"; exit 1; }
mkdir -p "$WORK/pw" && (cd "$WORK/pw" && npm init -y >/dev/null && npm install --no-audit --no-fund playwright-core >/dev/null)
(cd "$WEB" && PUBLIC_IGGY_API_URL=$HTTP_URL PORT=$UI_PORT HOST=127.0.0.1 ORIGIN=http://127.0.0.1:$UI_PORT exec node build) >"$WORK/webui.log" 2>&1 &
UI_PID=$!
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$UI_PORT/auth/sign-in" && break; sleep 0.1; done
run "web ui: sign in, streams, topics, messages, users (http)" env PLAYWRIGHT_CORE_DIR="$WORK/pw" SHALE_HTTP_URL="$HTTP_URL" \
	WEBUI_URL="http://127.0.0.1:$UI_PORT" SHOTS_DIR="$WORK/shots" node "$ROOT/integration/webui-check.mjs"
kill "$UI_PID" 2>/dev/null || true
UI_PID=

stop
exit $failed
