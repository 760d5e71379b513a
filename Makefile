# shale — make targets. `make run` starts a server with embedded defaults;
# `make test` is what CI runs.

GO      ?= go
TAGS    ?= invariants
BIN     := bin/shale
DATA    ?= local_data
BENCHTIME ?= 1x
BENCHCOUNT ?= 1
FUZZTIME  ?= 10s
# make test fuzzes each codec and the HTTP app this long (fuzz-short).
FUZZSHORT ?= 2s
FUZZSHORT_TARGETS := wire:FuzzRequestDecode wire:FuzzFrameHeader wire:FuzzSendMessages wire:FuzzResponseDecode \
	listeners/binproto:FuzzServeFrame listeners/http:FuzzDecodeSend listeners/http:FuzzHTTPApp

# shale's own version and commit, stamped into the binary (`shale version`).
# Outside a git checkout they fall back to the Go build info, then "dev".
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
COMMIT  ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -X github.com/shalemq/shale/broker.shaleVersion=$(VERSION) -X github.com/shalemq/shale/broker.shaleCommit=$(COMMIT)

.PHONY: all build run test vet lint bench bench-peers bench-scaling fuzz generate clean sdk-suites soak cluster-soak

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/shale

# Serve with local_data (system.path's default) and Iggy's default ports: TCP 127.0.0.1:8090,
# QUIC 127.0.0.1:8080, HTTP 127.0.0.1:3000.
run: build
	$(BIN) serve --data $(DATA)

vet:
	$(GO) vet -tags $(TAGS) ./...

test: vet
	# integration/ alone takes about 9 minutes under -race on a busy 2-core
	# machine, near go test's default 10-minute limit per package.
	$(GO) test -race -tags $(TAGS) -timeout 20m ./...
	# The 1 GiB disk-reclaim test skips itself under -race (too slow there).
	$(GO) test -tags $(TAGS) -run TestSweepReclaimsDisk ./retention/
	# So does the disk-full test of the binary (it needs root for its tmpfs).
	$(GO) test -tags $(TAGS) -run TestDiskFullBinary ./integration/
	$(MAKE) fuzz-short

# A few seconds of each codec fuzz target and the HTTP one, in CI; a
# failure leaves its input under the package's testdata/fuzz.
.PHONY: fuzz-short
fuzz-short:
	@for t in $(FUZZSHORT_TARGETS); do \
	  pkg=$${t%%:*}; f=$${t#*:}; echo "== fuzz $$pkg $$f $(FUZZSHORT)"; \
	  $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZSHORT) ./$$pkg/ || exit 1; \
	done

lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) generate ./wire && git diff --exit-code -- wire/errors_gen.go

# Benchmarks are measurements, never assertions. BENCHTIME=3s for steadier numbers.
bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -count $(BENCHCOUNT) ./kv/ ./log/ ./retention/ ./listeners/tcp/ ./listeners/quic/ ./listeners/http/ ./client/ ./integration/

# shale bench against a fresh bin/shale beside raw Pebble, NATS JetStream and Redis
# Streams on the same workloads, interleaved, with a table of ratios
# (docs/performance.md). PEERS is the peer harness (its pebblelimit tool); RUNS, MB
# and ONLY are read from the environment.
PEERS ?=
bench-peers: build
	PEERS=$(PEERS) integration/bench-peers.sh

# The scaling rows of docs/performance.md that need a prepared server: 100 M stored
# messages polled cold, a retention sweep, a backup and 1,000 idle connections under
# load. FILL, MB, IDLE and ONLY are read from the environment.
bench-scaling: build
	integration/bench-scaling.sh

# Runs every fuzz target for FUZZTIME each (go test -fuzz takes one target at a time).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# The real Iggy SDKs' own suites against bin/shale; needs a checkout of
# apache/iggy at server-0.8.0: make sdk-suites IGGY_SRC=../iggy
sdk-suites:
	IGGY_SRC=$(IGGY_SRC) integration/sdk-suites.sh

# Mixed load on bin/shale with a SIGKILL every SOAK_KILL_EVERY (a range, drawn at
# random each time) for SOAK_DURATION, then a check of everything acknowledged;
# prints the totals (docs/reliability.md); SOAK_DEDUP=1 turns on the server's message
# deduplication and then counts a copy left by a repeated send as a duplicate too;
# SOAK_DURABILITY=interval runs the server in that durability mode.
# `make test` runs a 30 s form.
SOAK_DURATION   ?= 30m
SOAK_KILL_EVERY ?= 10s-18s
SOAK_TIMEOUT    ?= 3h
soak: build
	SOAK_DURATION=$(SOAK_DURATION) SOAK_KILL_EVERY=$(SOAK_KILL_EVERY) TEST_SHALE_BINARY=$(CURDIR)/$(BIN) \
	  $(GO) test -tags $(TAGS) -run '^TestSoak$$' -v -count=1 -timeout $(SOAK_TIMEOUT) ./integration/

# The cluster's leader-kill test (docs/cluster.md) with 50 SIGKILLs of the
# leader instead of make test's 5; TEST_SHALE_CLUSTER_KILLS sets another number.
cluster-soak:
	TEST_SHALE_CLUSTER_SOAK=1 $(GO) test -tags $(TAGS) -run '^TestClusterLeaderKill$$' -count=1 -timeout 90m -v ./integration/

generate:
	$(GO) generate ./...

clean:
	rm -rf bin
