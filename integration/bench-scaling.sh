#!/usr/bin/env bash
# bench-scaling.sh — `make bench-scaling`: the rows of docs/performance.md's scaling
# table that need more than one `shale bench` run against a fresh server: produce and
# poll on a fresh database against one holding FILL small messages (polled back cold,
# after a restart with the database's files dropped from the page cache), produce
# while the retention sweeper deletes and while a backup is taken, and produce with
# 1,000 idle connections open. Each of the last three comes right after a control row (the
# same produce without the sweep, the backup or the connections), so the pair compares at
# one load. Every row records the server's peak RSS (VmHWM) and the load average.
#
# Environment (all optional):
#   FILL=100000000   messages stored before the "stored" rows (16-byte payloads)
#   MB=400           payload of each measured 1 KB produce (4 producers × 4 partitions)
#   IDLE=1000        idle connections of the idle row
#   ONLY=fresh,stored,retention,backup,idle   rows
#   OUT=bin/bench-scaling  WORK=${TMPDIR:-/tmp}/shale-bench-scaling
#   TCP_PORT=18290 QUIC_PORT=18280 HTTP_PORT=13200
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FILL=${FILL:-100000000}
MB=${MB:-400}
IDLE=${IDLE:-1000}
ONLY=${ONLY:-fresh,stored,retention,backup,idle}
OUT=${OUT:-$ROOT/bin/bench-scaling}
WORK=${WORK:-${TMPDIR:-/tmp}/shale-bench-scaling}
TCP_PORT=${TCP_PORT:-18290} QUIC_PORT=${QUIC_PORT:-18280} HTTP_PORT=${HTTP_PORT:-13200}
SHALE=$ROOT/bin/shale
PASS=bench-scaling-secret
W=4 # producers and partitions of every measured row

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT" "$WORK"
RES=$OUT/results-$stamp.jsonl
LOG=$OUT/log-$stamp.txt
: >"$RES"

note() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$LOG" >&2; }
on() { [[ ",$ONLY," == *",$1,"* ]]; }
load() { cut -d' ' -f1 /proc/loadavg; }

SHALE_PID=
finish() { shale_stop; rm -rf "$WORK"; }
trap finish EXIT
trap 'exit 130' INT TERM

# shale_start [ENV=VALUE...]: a server on $WORK/shale (kept when KEEP=1).
shale_start() {
	shale_stop
	if [[ ${KEEP:-0} != 1 ]]; then rm -rf "$WORK/shale"; fi
	mkdir -p "$WORK/shale"
	rm -f "$WORK/shale/runtime/ports.json"
	env SHALE_SYSTEM_PATH="$WORK/shale" SHALE_TCP_ADDRESS=127.0.0.1:$TCP_PORT SHALE_QUIC_ADDRESS=127.0.0.1:$QUIC_PORT \
		SHALE_HTTP_ADDRESS=127.0.0.1:$HTTP_PORT IGGY_ROOT_USERNAME=iggy IGGY_ROOT_PASSWORD=$PASS \
		SHALE_SYSTEM_LOGGING_LEVEL=warn "$@" "$SHALE" serve >>"$LOG" 2>&1 &
	SHALE_PID=$!
	local i
	for i in $(seq 600); do [[ -s $WORK/shale/runtime/ports.json ]] && return 0; sleep 0.05; done
	note "shale did not start"; return 1
}
shale_stop() {
	[[ -n $SHALE_PID ]] || return 0
	kill "$SHALE_PID" 2>/dev/null || true
	wait "$SHALE_PID" 2>/dev/null || true
	SHALE_PID=
}
hwm_mib() { awk '/^VmHWM:/{printf "%.0f", $2 / 1024}' "/proc/$SHALE_PID/status"; }
rss_mib() { awk '/^VmRSS:/{printf "%.0f", $2 / 1024}' "/proc/$SHALE_PID/status"; }
metric() { curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'; }

# sb NAME ARGS...: shale bench over TCP; keeps the JSON report and prints it.
sb() {
	local name=$1; shift
	local f=$OUT/$name.json
	"$SHALE" bench --no-progress --username iggy --password "$PASS" --tcp-server-address "127.0.0.1:$TCP_PORT" \
		-o "$f" "$@" >>"$LOG" 2>&1 || { note "shale bench $name failed (see $LOG)"; return 1; }
	cat "$f"
}
# row NAME JSON [key=value...]: one result line with the server's peak RSS.
row() {
	local name=$1 j=$2 extra='{}' kv; shift 2
	for kv in "$@"; do
		extra=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): ($v | tonumber? // $v)}' <<<"$extra")
	done
	jq -c --arg row "$name" --arg load "$(load)" --argjson hwm "$(hwm_mib)" --argjson extra "$extra" \
		'{row: $row, load: ($load | tonumber), mb_s: .total.mb_s, msgs_s: .total.msgs_s, p50_ms: .total.latency.p50_ms,
		  p99_ms: .total.latency.p99_ms, peak_rss_mib: $hwm} + $extra' <<<"$j" >>"$RES"
	note "$(tail -1 "$RES")"
}
b=$((MB / W)) # batches of 1,000 × 1 KB per producer for MB in total
produce() { sb "$1" pp tcp --producers $W --partitions $W -b "$b" --stream-prefix "${2:-bench-stream-}"; }
poll() { sb "$1" pc tcp --consumers $W --partitions $W -b "$b" --stream-prefix "${2:-bench-stream-}"; }

# drop_cache: the database's files leave the page cache (the server is stopped).
drop_cache() {
	find "$WORK/shale/db" -type f -exec sync {} + 2>/dev/null || sync
	find "$WORK/shale/db" -type f -exec dd iflag=nocache count=0 status=none if={} \;
	if command -v fincore >/dev/null; then
		note "page cache of the database after dropping: $(find "$WORK/shale/db" -type f -exec fincore -nb -o RES {} + | awk '{s += $1} END {printf "%.0f MiB", s / 1048576}')"
	fi
}

note "results in $RES; rows $ONLY; FILL=$FILL MB=$MB IDLE=$IDLE"

if on fresh; then
	note "fresh: produce $MB MB, poll it back"
	shale_start
	j=$(produce fresh-produce) && row "fresh database, produce" "$j"
	j=$(poll fresh-poll) && row "fresh database, poll (warm)" "$j"
fi

if on stored; then
	per=$((FILL / W / 10000))
	note "stored: fill $((per * W * 10000)) messages of 16 B in batches of 10,000"
	shale_start
	j=$(sb fill pp tcp --producers $W --partitions $W -m 16 -p 10000 -b "$per" --stream-prefix fill-) &&
		row "filling $((per * W * 10000)) messages of 16 B" "$j" db_gib="$(du -sk "$WORK/shale/db" | awk '{printf "%.1f", $1 / 1048576}')"
	j=$(produce stored-produce) && row "$((per * W * 10000)) stored, produce" "$j"
	note "stored: restart, drop the database from the page cache, poll cold"
	shale_stop
	drop_cache
	KEEP=1 shale_start
	j=$(poll stored-poll-cold) && row "$((per * W * 10000)) stored, poll 1 KB cold after restart" "$j"
	j=$(sb stored-poll-old pc tcp --consumers $W --partitions $W -p 10000 -b "$((per < 50 ? per : 50))" --stream-prefix fill-) &&
		row "$((per * W * 10000)) stored, poll the oldest 16 B messages cold" "$j"
	shale_stop
	rm -rf "$WORK/shale"
fi

if on retention; then
	note "retention: control (no cap), then topic max size 256 MiB (segments of 64 MiB), sweep every second, produce $((MB * 2)) MB"
	shale_start
	j=$(sb retention-control pp tcp --producers $W --partitions $W -b "$((b * 2))") && row "control: produce $((MB * 2)) MB, no retention" "$j"
	shale_start SHALE_SYSTEM_SEGMENT_SIZE="64 MiB" SHALE_SYSTEM_TOPIC_MAX_SIZE="256 MiB" SHALE_DATA_MAINTENANCE_MESSAGES_INTERVAL="1 s" \
		SHALE_DATA_MAINTENANCE_MESSAGES_RESPECT_CONSUMER_OFFSETS=false
	j=$(sb retention-produce pp tcp --producers $W --partitions $W -b "$((b * 2))") &&
		row "produce while retention sweeps (topic capped at 256 MiB)" "$j" \
			deleted_mb="$(metric shale_retention_bytes_deleted_total | awk '{printf "%.0f", $1 / 1e6}')"
fi

if on backup; then
	note "backup: $MB MB stored, then produce $MB MB while a backup runs"
	shale_start
	produce backup-pre backup-pre- >/dev/null || true
	j=$(produce backup-control backup-ctl-) && row "control: produce, $MB MB stored, no backup" "$j"
	KEEP=1 shale_start # the same data; the peak RSS starts again
	t0=$(date +%s.%N)
	"$SHALE" backup --out "$WORK/backup.tar" --http-api-url "http://127.0.0.1:$HTTP_PORT" --username iggy --password "$PASS" \
		--no-progress >>"$LOG" 2>&1 &
	bpid=$!
	j=$(produce backup-produce) || true
	wait "$bpid" && bt=$(echo "$(date +%s.%N) - $t0" | bc) || { note "backup failed (see $LOG)"; bt=; }
	[[ -n ${j:-} ]] && row "produce while a backup runs" "$j" backup_s="$bt" \
		backup_mb="$(du -sk "$WORK/backup.tar" 2>/dev/null | awk '{printf "%.0f", $1 * 1.024 / 1000}')"
	rm -f "$WORK/backup.tar"
fi

if on idle; then
	note "idle: produce $MB MB with $IDLE idle connections open"
	shale_start
	j=$(produce idle-control idle-ctl-) && row "control: produce, no idle connections" "$j"
	shale_start
	before=$(rss_mib)
	# RSS every 0.2 s while the run lasts: its peak (VmHWM) includes the burst of
	# logins that opens the idle connections (argon2id, 16 at a time).
	(while kill -0 "$SHALE_PID" 2>/dev/null; do rss_mib; echo; sleep 0.2; done) >"$WORK/rss.txt" &
	spid=$!
	j=$(sb idle-produce pp tcp --producers $W --partitions $W -b "$b" --idle-connections "$IDLE") || j=
	kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
	[[ -n $j ]] && row "produce with $IDLE idle connections" "$j" rss_before_mib="$before" \
		rss_median_during_mib="$(sort -n "$WORK/rss.txt" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
fi
shale_stop

{
	echo "# make bench-scaling, $stamp"
	echo
	echo "| row | MB/s | msgs/s | p50 ms | p99 ms | peak RSS MiB | load | notes |"
	echo "|---|---:|---:|---:|---:|---:|---:|---|"
	jq -r 'def r(d): if . == null then "" else (. * pow(10; d) | round) / pow(10; d) | tostring end;
		"| \(.row) | \(.mb_s | r(1)) | \(.msgs_s | r(0)) | \(.p50_ms | r(2)) | \(.p99_ms | r(2)) | \(.peak_rss_mib) | \(.load) | \(del(.row, .mb_s, .msgs_s, .p50_ms, .p99_ms, .peak_rss_mib, .load) | to_entries | map("\(.key)=\(.value)") | join(" ")) |"' "$RES"
} | tee "$OUT/summary-$stamp.md"
