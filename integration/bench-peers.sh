#!/usr/bin/env bash
# bench-peers.sh — `make bench-peers`: shale, measured with `shale bench` against a
# fresh bin/shale, side by side with raw Pebble, NATS JetStream and Redis Streams on
# the same workloads, in one run. Every repetition runs every case once (so a slow
# drift of the shared disk hits every system alike); the table gives medians and the
# ratios the performance targets are written in (docs/performance.md).
#
# The engine limit comes from the peer harness's pebblelimit tool (PEERS, the
# harness's directory, required); NATS (nats-server, natscli) and Redis
# (redis-server, redis-benchmark) must be on PATH, or that section is skipped with a
# note. Nothing is installed here.
#
# Environment (all optional):
#   RUNS=3        repetitions
#   MB=400        payload per throughput case, MB (10^6 B); HTTP gets MB/4
#   LAT_SECONDS=30  length of each paced latency run (about 6,000 sends at 10 % of peak; cut
#                 short so a run's data fits one memtable: ~5,600 sends at most)
#   ONLY=pebble,shale,nats,redis,latency   sections
#   PEERS=<dir>   the peer harness (pebblelimit/ inside it)
#   OUT=bin/bench-peers   results (JSONL, the summary, shale reports and charts)
#   WORK=${TMPDIR:-/tmp}/shale-bench-peers   data directories (the disk measured)
#   TCP_PORT=18190 QUIC_PORT=18180 HTTP_PORT=13100 NATS_PORT=14322 REDIS_PORT=16479
# Workload: 1,000-byte messages in batches of 1,000; 4 producers on 4 partitions (4
# streams for NATS and Redis); durability: shale `sync` (ack after fsync), Pebble
# Sync commits, NATS its default (fsync every 2 minutes), Redis AOF everysec. The WA column
# is bytes written per payload byte: Pebble's after a full compaction (pebblelimit), shale's
# from its Pebble counters after a memtable flush (WAL, flushes, compactions so far). shale's
# peak RSS is the server's VmHWM at the end of the case (a fresh server per section).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS:?set PEERS to the peer benchmark harness (the directory holding pebblelimit/)}
RUNS=${RUNS:-3}
MB=${MB:-400}
LAT_SECONDS=${LAT_SECONDS:-30}
ONLY=${ONLY:-pebble,shale,nats,redis,latency}
OUT=${OUT:-$ROOT/bin/bench-peers}
WORK=${WORK:-${TMPDIR:-/tmp}/shale-bench-peers}
TCP_PORT=${TCP_PORT:-18190} QUIC_PORT=${QUIC_PORT:-18180} HTTP_PORT=${HTTP_PORT:-13100}
NATS_PORT=${NATS_PORT:-14322} REDIS_PORT=${REDIS_PORT:-16479}
MSG=1000 BATCH=1000 WRITERS=4
GO=${GO:-go}
SHALE=$ROOT/bin/shale
PASS=bench-peers-secret

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT" "$WORK"
RES=$OUT/results-$stamp.jsonl
SUM=$OUT/summary-$stamp.md
LOG=$OUT/log-$stamp.txt
: >"$RES"
rep=0

note() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
on() { [[ ",$ONLY," == *",$1,"* ]]; }
load() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?'; }

# result CASE key=value...: one JSON line; numbers stay numbers.
result() {
	local c=$1; shift
	local j
	j=$(jq -nc --arg case "$c" --argjson rep "$rep" --arg load "$(load)" '{case: $case, rep: $rep, load: ($load | tonumber? // null)}')
	local kv k v
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		[[ -z $v || $v == null ]] && continue
		j=$(jq -c --arg k "$k" --arg v "$v" '. + {($k): ($v | tonumber? // $v)}' <<<"$j")
	done
	echo "$j" >>"$RES"
}

# ------------------------------------------------------------- processes we start
started=()
stop() { # stop one process of ours by pid
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
finish() {
	local pid
	for pid in "${started[@]}"; do stop "$pid"; done
	rm -rf "$WORK"
}
trap finish EXIT
trap 'exit 130' INT TERM
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
await_port() {
	local i
	for i in $(seq 200); do listening "$1" && return 0; sleep 0.05; done
	note "nothing listens on $1"; return 1
}

# ------------------------------------------------------------- shale
SHALE_PID=
shale_start() {
	shale_stop
	rm -rf "$WORK/shale"; mkdir -p "$WORK/shale"
	SHALE_SYSTEM_PATH=$WORK/shale SHALE_TCP_ADDRESS=127.0.0.1:$TCP_PORT SHALE_QUIC_ADDRESS=127.0.0.1:$QUIC_PORT \
		SHALE_HTTP_ADDRESS=127.0.0.1:$HTTP_PORT IGGY_ROOT_USERNAME=iggy IGGY_ROOT_PASSWORD=$PASS \
		SHALE_SYSTEM_LOGGING_LEVEL=warn SHALE_HTTP_MAX_REQUEST_SIZE="4 MB" \
		"$SHALE" serve >>"$LOG" 2>&1 &
	SHALE_PID=$!; started+=("$SHALE_PID")
	local i
	for i in $(seq 200); do [[ -s $WORK/shale/runtime/ports.json ]] && return 0; sleep 0.05; done
	note "shale did not start"; return 1
}
shale_stop() { [[ -n $SHALE_PID ]] && stop "$SHALE_PID"; SHALE_PID=; }
# sb NAME ARGS...: run shale bench, keep its JSON report, print it
sb() {
	local name=$1; shift
	local f=$OUT/shale-$name-r$rep.json
	"$SHALE" bench --no-progress --username iggy --password "$PASS" --tcp-server-address "127.0.0.1:$TCP_PORT" \
		--quic-server-address "127.0.0.1:$QUIC_PORT" --http-api-url "http://127.0.0.1:$HTTP_PORT" -o "$f" "$@" >>"$LOG" 2>&1 ||
		{ note "shale bench $name failed (see $LOG)"; return 1; }
	cat "$f"
}
# shale_result CASE JSON [key=value...]: the run's throughput and latency
shale_result() {
	local c=$1 j=$2; shift 2
	result "$c" mb_s="$(jq .total.mb_s <<<"$j")" msgs_s="$(jq .total.msgs_s <<<"$j")" \
		p50_ms="$(jq .total.latency.p50_ms <<<"$j")" p99_ms="$(jq .total.latency.p99_ms <<<"$j")" \
		p999_ms="$(jq .total.latency.p999_ms <<<"$j")" rss_mib="$(shale_hwm)" "$@"
}
# shale_hwm: the server's peak RSS so far (VmHWM), MiB.
shale_hwm() { [[ -n $SHALE_PID ]] && awk '/^VmHWM:/{printf "%.0f", $2 / 1024}' "/proc/$SHALE_PID/status" 2>/dev/null || true; }
# shale_wa PAYLOAD_BYTES: flush the memtable (Iggy's FlushUnsavedBuffer with fsync, over
# HTTP), let the flush finish, and print (WAL bytes + flushed and compacted bytes) / payload
# from shale's own Pebble counters. pebblelimit's WA also includes a full manual compaction.
shale_wa() {
	command -v curl >/dev/null || return 0
	local base=http://127.0.0.1:$HTTP_PORT tok
	tok=$(curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"iggy\",\"password\":\"$PASS\"}" \
		"$base/users/login" | jq -r .access_token.token) || return 0
	curl -sf -o /dev/null -H "Authorization: Bearer $tok" "$base/streams/bench-stream-1/topics/bench-topic/messages/flush/0/true" || return 0
	sleep 3
	curl -sf "$base/metrics" | awk -v p="$1" '/^shale_kv_wal_bytes_written_total /{w=$2} /^shale_kv_compaction_bytes_written_total /{c=$2}
		END { if (w > 0 && p > 0) printf "%.2f", (w + c) / p }'
}
per_actor() { echo $((MB * 1000000 / MSG / BATCH / $1)); } # batches per actor for MB over N actors

sec_shale() {
	local j b
	b=$(per_actor $WRITERS)
	note "shale: TCP produce, $WRITERS producers × $WRITERS partitions, $MB MB"
	shale_start || return 0
	if j=$(sb tcp-produce pp tcp --producers $WRITERS --partitions $WRITERS -b "$b"); then
		shale_result "shale TCP produce" "$j" wa="$(shale_wa "$(jq .total.bytes <<<"$j")")"
	fi
	note "shale: TCP poll of what was just stored, $WRITERS consumers, then 1"
	j=$(sb tcp-poll4 pc tcp --consumers $WRITERS --partitions $WRITERS -b "$b") && shale_result "shale TCP poll, $WRITERS consumers" "$j"
	j=$(sb tcp-poll1 pc tcp --consumers 1 --partitions $WRITERS -b "$b") && shale_result "shale TCP poll, 1 consumer" "$j"
	# QUIC produces as much as TCP did: the target is a ratio of the two, and
	# a shorter run would weigh the connection's start-up more.
	note "shale: QUIC produce, $MB MB, then poll it back"
	shale_start || return 0
	j=$(sb quic-produce pp quic --producers $WRITERS --partitions $WRITERS -b "$b") && shale_result "shale QUIC produce" "$j"
	j=$(sb quic-poll pc quic --consumers $WRITERS --partitions $WRITERS -b "$b") && shale_result "shale QUIC poll, $WRITERS consumers" "$j"
	note "shale: HTTP produce, $((MB / 4)) MB, then poll it back"
	shale_start || return 0
	j=$(sb http-produce pp http --producers $WRITERS --partitions $WRITERS -b "$((b / 4))") && shale_result "shale HTTP produce" "$j"
	j=$(sb http-poll pc http --consumers $WRITERS --partitions $WRITERS -b "$((b / 4))") && shale_result "shale HTTP poll, $WRITERS consumers" "$j"
	shale_stop
}

# ------------------------------------------------------------- raw Pebble
PEBBLE=$OUT/pebblelimit
sec_pebble() {
	note "pebble: sync, key/batch, $WRITERS writers, $MB MB (then compaction for WA, and read-back)"
	local j
	j=$("$PEBBLE" -dir "$WORK/pebble" -mode sync -layout batch -writers $WRITERS -msg $MSG -batch $BATCH -total-mb "$MB" 2>>"$LOG") ||
		{ note "pebblelimit failed (see $LOG)"; return 0; }
	rm -rf "$WORK/pebble"
	result "pebble sync key/batch, $WRITERS writers" mb_s="$(jq .write_mb_s <<<"$j")" msgs_s="$(jq .write_msgs_s <<<"$j")" \
		p50_ms="$(jq .commit_p50_ms <<<"$j")" p99_ms="$(jq .commit_p99_ms <<<"$j")" wa="$(jq .wa_total_proc <<<"$j")"
	result "pebble read-back, $WRITERS iterators" mb_s="$(jq .read_mb_s <<<"$j")" msgs_s="$(jq .read_msgs_s <<<"$j")"
}

# ------------------------------------------------------------- NATS JetStream
NATS_PID=
sec_nats() {
	command -v nats-server >/dev/null && command -v nats >/dev/null || { note "nats: nats-server or nats not on PATH; skipped"; return 0; }
	note "nats: JetStream file store, default sync, $WRITERS streams × 1 async publisher, $MB MB"
	rm -rf "$WORK/nats"; mkdir -p "$WORK/nats"
	printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s", max_file_store: 64GB }\n' "$NATS_PORT" "$WORK/nats/store" >"$WORK/nats/js.conf"
	nats-server -c "$WORK/nats/js.conf" >>"$LOG" 2>&1 &
	NATS_PID=$!; started+=("$NATS_PID")
	await_port "$NATS_PORT" || return 0
	local per=$((MB * 1000000 / MSG / WRITERS)) s pids=() t0 t1 fail=0
	t0=$(date +%s.%N)
	for ((s = 0; s < WRITERS; s++)); do
		nats -s "nats://127.0.0.1:$NATS_PORT" bench js pub async "peers.s$s" --stream "s$s" --create --storage file \
			--maxbytes "$((MB * 2 / WRITERS + 100))MB" --batch $BATCH --size $MSG --msgs "$per" --clients 1 --no-progress \
			>"$WORK/nats/pub-$s.txt" 2>&1 &
		pids+=($!)
	done
	for s in "${pids[@]}"; do wait "$s" || fail=1; done
	t1=$(date +%s.%N)
	local got=0 n
	for ((s = 0; s < WRITERS; s++)); do
		n=$(nats -s "nats://127.0.0.1:$NATS_PORT" stream info "s$s" -j 2>>"$LOG" | jq .state.messages) || n=0
		got=$((got + ${n:-0}))
	done
	cat "$WORK"/nats/pub-*.txt >>"$LOG"
	stop "$NATS_PID"; NATS_PID=; rm -rf "$WORK/nats"
	if ((fail || got != per * WRITERS)); then note "nats: stored $got of $((per * WRITERS)) messages; not recorded"; return 0; fi
	local rate
	rate=$(echo "$per * $WRITERS / ($t1 - $t0)" | bc -l)
	result "nats JetStream default sync, $WRITERS streams" msgs_s="$rate" mb_s="$(echo "$rate * $MSG / 1000000" | bc -l)"
}

# ------------------------------------------------------------- Redis Streams
sec_redis() {
	command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null || { note "redis: redis-server or redis-benchmark not on PATH; skipped"; return 0; }
	note "redis: XADD, AOF everysec, $WRITERS streams, $WRITERS clients, pipeline $BATCH, $MB MB"
	rm -rf "$WORK/redis"; mkdir -p "$WORK/redis"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --appendonly yes --appendfsync everysec \
		--save '' --auto-aof-rewrite-percentage 0 --logfile "$WORK/redis/log" >/dev/null 2>&1 &
	local pid=$!; started+=("$pid")
	await_port "$REDIS_PORT" || return 0
	local n=$((MB * 1000000 / MSG)) val line rps
	val=$(head -c $MSG /dev/zero | tr '\0' v)
	line=$(redis-benchmark -p "$REDIS_PORT" -P $BATCH -c $WRITERS -n "$n" -r $WRITERS --csv XADD 's:__rand_int__' '*' f "$val" 2>/dev/null |
		tr '\r' '\n' | grep -a '^"XADD' | tail -1) || true
	rps=$(awk -F'","' '{print $2}' <<<"$line")
	stop "$pid"; rm -rf "$WORK/redis"
	[[ -n $rps ]] || { note "redis: no result"; return 0; }
	result "redis XADD AOF everysec, $WRITERS streams" msgs_s="$rps" mb_s="$(echo "$rps * $MSG / 1000000" | bc -l)"
}

# ------------------------------------------------------------- ack latency at 10 % of peak
# Peak: shale's unpaced TCP produce with batches of 10 (1 producer, 5 s). Then raw Pebble
# and shale, both paced to 10 % of that message rate for LAT_SECONDS each, each on a fresh
# empty database (a fresh shale, not the one the peak run filled: its memtable flush would
# land in the paced run, while pebblelimit starts empty), in alternating order (Pebble first
# in odd repetitions) so a drift of the disk or the load does not always favour one side.
# Both measure the same thing: from the moment a paced request actually starts (after the
# pacer's sleep; slip from the schedule is not counted, on either side) until one commit
# returns (Pebble) or one send is acknowledged (shale, over loopback TCP); and both keep
# their schedule when behind (--rate-catch-up, as pebblelimit -rate), so the offered load
# is the same.
sec_latency() {
	local j peak rate
	note "latency: shale peak with batches of 10"
	shale_start || return 0
	j=$(sb lat-peak pp tcp -p 10 --stream-prefix peak- -d 5s) || return 0
	shale_stop
	peak=$(jq .total.msgs_s <<<"$j")
	rate=$(printf '%.0f' "$(echo "$peak / 10" | bc -l)")
	result "shale TCP produce, batches of 10, unpaced (peak)" msgs_s="$peak" mb_s="$(jq .total.mb_s <<<"$j")" \
		p50_ms="$(jq .total.latency.p50_ms <<<"$j")" p99_ms="$(jq .total.latency.p99_ms <<<"$j")"
	# Neither run may fill its 64 MiB memtable (shale's default and pebblelimit's): a flush
	# inside one paced run and not the other triples that run's p99 (docs/performance.md).
	# A stored message takes ~1,070 bytes in shale's batch, so at most 60 MB of them a run.
	local secs=$LAT_SECONDS cap=$((60000000 / (rate * 1070)))
	if ((secs > cap)); then
		note "latency: $secs s at $rate msgs/s would fill a memtable; $cap s instead"
		secs=$cap
	fi
	if ((rep % 2)); then
		lat_pebble "$rate" "$secs" && lat_shale "$rate" "$secs"
	else
		lat_shale "$rate" "$secs" && lat_pebble "$rate" "$secs"
	fi
	return 0
}
lat_pebble() {
	local rate=$1 secs=$2 j
	note "latency: pebble paced at $rate msgs/s in batches of 10 for $secs s"
	j=$("$PEBBLE" -dir "$WORK/pebble-lat" -mode sync -layout batch -writers 1 -msg $MSG -batch 10 -rate "$rate" \
		-total-mb "$(((rate * secs * MSG + 999999) / 1000000))" -compact=false -read=false 2>>"$LOG") ||
		{ note "pebblelimit paced failed"; rm -rf "$WORK/pebble-lat"; return 0; }
	rm -rf "$WORK/pebble-lat"
	result "pebble sync commit, paced 10 % of peak, batches of 10" msgs_s="$(jq .write_msgs_s <<<"$j")" \
		p50_ms="$(jq .commit_p50_ms <<<"$j")" p99_ms="$(jq .commit_p99_ms <<<"$j")" p999_ms="$(jq .commit_p999_ms <<<"$j")" \
		late_p99_ms="$(jq .late_p99_ms <<<"$j")"
}
lat_shale() {
	local rate=$1 secs=$2 j
	note "latency: shale paced at $rate msgs/s in batches of 10 for $secs s, fresh server"
	shale_start || return 0
	j=$(sb lat-paced pp tcp -p 10 --stream-prefix paced- -d "${secs}s" --rate-limit "$((rate * MSG))" --rate-catch-up) || { shale_stop; return 0; }
	shale_result "shale TCP ack, paced 10 % of peak, batches of 10" "$j" late_p99_ms="$(jq .total.late_p99_ms <<<"$j")"
	shale_stop
}

# ------------------------------------------------------------- summary
summary() {
	{
		echo "# make bench-peers, $stamp"
		echo
		echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r)"
		echo "- disk of $WORK: $(findmnt -n -o SOURCE,FSTYPE -T "$WORK" 2>/dev/null | xargs)"
		echo "- shale $(git -C "$ROOT" describe --always --dirty 2>/dev/null), $($GO version | cut -d' ' -f3); $RUNS repetitions, $MB MB per case, medians (min–max)"
		echo "- load average (1 min) during the cases: $(jq -s '[.[].load | select(. != null)] | "\(min)–\(max)"' -r "$RES")"
		echo
		echo "| case | MB/s | msgs/s | p50 ms | p99 ms | WA | shale peak RSS MiB |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
		jq -rs '
		  def med: map(select(. != null)) | sort | if length == 0 then null elif length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
		  def r(d): if . == null then "" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
		  def span(f; d): [.[] | f | select(. != null)] as $v | if ($v | length) < 2 then "" else " (\($v | min | r(d))–\($v | max | r(d)))" end;
		  . as $all | reduce (.[] | .case) as $c ([]; if index([$c]) then . else . + [$c] end) | .[] as $c
		  | [$all[] | select(.case == $c)]
		  | "| \(.[0].case) | \(map(.mb_s) | med | r(1))\(span(.mb_s; 0)) | \(map(.msgs_s) | med | r(0)) | \(map(.p50_ms) | med | r(2)) | \(map(.p99_ms) | med | r(2))\(span(.p99_ms; 2)) | \(map(.wa) | med | r(2)) | \(map(.rss_mib) | med | r(0)) |"
		' "$RES"
		echo
		echo "Targets (issue 16), ratios of the medians above (and the range of the per-repetition ratios):"
		echo
		echo "| target | measured | met |"
		echo "|---|---|---|"
		jq -rs --argjson w "$WRITERS" '
		  def med: map(select(. != null)) | sort | if length == 0 then null elif length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
		  def r(d): if . == null then "n/a" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
		  . as $all
		  | def m(c; f): [$all[] | select(.case == c) | f] | med;
		    def per(a; fa; b; fb): [$all[] | select(.case == a)] as $x | [$x[] | .rep as $r | (fa) as $va
		        | ([$all[] | select(.case == b and .rep == $r) | fb][0]) as $vb | select($va != null and $vb != null and $vb != 0) | $va / $vb]
		        | if length == 0 then "" else " (\(min | r(2))–\(max | r(2)))" end;
		    def ratio(a; fa; b; fb): (m(a; fa)) as $x | (m(b; fb)) as $y | if $x == null or $y == null or $y == 0 then null else $x / $y end;
		    def met(v; ok): if v == null then "not measured" elif ok then "yes" else "no" end;
		  ("shale TCP produce") as $tp | ("pebble sync key/batch, \($w) writers") as $pe | ("nats JetStream default sync, \($w) streams") as $na
		  | ratio($tp; .mb_s; $pe; .mb_s) as $e
		  | ratio($tp; .mb_s; $na; .mb_s) as $n
		  | m("shale TCP poll, \($w) consumers"; .mb_s) as $p4
		  | m("shale TCP poll, 1 consumer"; .mb_s) as $p1
		  | ratio("shale QUIC produce"; .mb_s; $tp; .mb_s) as $q
		  | m("shale HTTP produce"; .mb_s) as $h
		  | m("shale TCP ack, paced 10 % of peak, batches of 10"; .p99_ms) as $l
		  | ratio("shale TCP ack, paced 10 % of peak, batches of 10"; .p99_ms; "pebble sync commit, paced 10 % of peak, batches of 10"; .p99_ms) as $lr
		  | "| TCP produce ≥ 0.70 × raw Pebble (stretch 0.85) | \($e | r(2)) ×\(per($tp; .mb_s; $pe; .mb_s)) | \(met($e; $e >= 0.70)) |",
		    "| TCP produce ≥ 2 × NATS JetStream default sync | \($n | r(2)) ×\(per($tp; .mb_s; $na; .mb_s)) | \(met($n; $n >= 2)) |",
		    "| TCP poll of stored messages ≥ 1 GB/s | \($p4 | r(0)) MB/s with \($w) consumers, \($p1 | r(0)) MB/s with 1 | \(met($p4; $p4 >= 1000)) |",
		    "| QUIC produce ≥ 0.5 × TCP | \($q | r(2)) ×\(per("shale QUIC produce"; .mb_s; $tp; .mb_s)) | \(met($q; $q >= 0.5)) |",
		    "| HTTP produce ≥ 100 MB/s | \($h | r(1)) MB/s | \(met($h; $h >= 100)) |",
		    "| ack p99 at 10 % of peak, batches of 10, ≤ 2 ms | \($l | r(2)) ms | \(met($l; $l <= 2)) |",
		    "| same, ≤ 1.5 × Pebble synced-commit p99 | \($lr | r(2)) ×\(per("shale TCP ack, paced 10 % of peak, batches of 10"; .p99_ms; "pebble sync commit, paced 10 % of peak, batches of 10"; .p99_ms)) | \(met($lr; $lr <= 1.5)) |"
		' "$RES"
		echo
		echo "Raw results: $RES; shale reports: $OUT/shale-*-r*.json"
	} >"$SUM"
	cat "$SUM"
}

# ------------------------------------------------------------- main
for tool in jq bc; do command -v $tool >/dev/null || { echo "bench-peers: $tool is required" >&2; exit 1; }; done
[[ -x $SHALE ]] || { echo "bench-peers: build bin/shale first (make build)" >&2; exit 1; }
if on pebble || on latency; then
	[[ -d $PEERS/pebblelimit ]] || { echo "bench-peers: no peer harness at $PEERS (set PEERS=)" >&2; exit 1; }
	note "building pebblelimit from $PEERS/pebblelimit"
	(cd "$PEERS/pebblelimit" && $GO build -o "$PEBBLE" .) >>"$LOG" 2>&1 || { echo "bench-peers: building pebblelimit failed (see $LOG)" >&2; exit 1; }
fi
note "results in $RES; data under $WORK; $RUNS repetitions of $MB MB; sections $ONLY"
for ((rep = 1; rep <= RUNS; rep++)); do
	note "=== repetition $rep of $RUNS (load $(load))"
	on pebble && sec_pebble
	on shale && sec_shale
	on nats && sec_nats
	on redis && sec_redis
	on latency && sec_latency
done
summary
