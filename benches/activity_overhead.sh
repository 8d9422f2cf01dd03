#!/usr/bin/env bash
# What the activity log adds to a tool call: two daemons from this tree's release build, the
# same upstream behind each (server-everything over stdio, as peerbench runs it; the built-in
# demo server when peerbench's cache has none), one with `[activity] record = true`, one with
# `record = false`. peerbench's loadgen drives `tools/call echo` at /mcp/server/up on each in
# turn, ROUNDS times per concurrency, the order swapped every round, so the machine's noise
# falls on both sides alike. Prints, per concurrency, the medians over the rounds of p50, p99
# and calls/s on each side and the difference (the issue's bound: p50 on - off <= 20 us at
# C=1), then how many calls each daemon's activity log holds (the "off" one must hold none).
#
# Knobs (env): ROUNDS (5), SECONDS_PER_RUN (5), CONCURRENCY ("1 16"), WARMUP (50 calls per
# worker), NO_BUILD=1 (use target/release/mcpproxy as it is), LOADGEN (path), PEERBENCH_CACHE.
# Raw loadgen lines go to target/bench-results/activity-overhead.jsonl. Loopback only; the
# daemons are stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
CONCURRENCY=${CONCURRENCY:-1 16}
WARMUP=${WARMUP:-50}
CACHE=${PEERBENCH_CACHE:-/tmp/peerbench-cache}
PEERBENCH=../shared/tools/peerbench
LOADGEN=${LOADGEN:-/tmp/peerbench-target/release/loadgen}
SE=$CACHE/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js
BIN=$PWD/target/release/mcpproxy
ARGS='{"message":"hi"}'

if [ ! -x "$LOADGEN" ]; then
  CARGO_TARGET_DIR=/tmp/peerbench-target cargo build --release \
    --manifest-path "$PEERBENCH/loadgen/Cargo.toml" >&2
fi
[ "${NO_BUILD:-}" = 1 ] || cargo build --release --bin mcpproxy >&2

WORK=$(mktemp -d /tmp/activity-bench-XXXXXX)
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 30); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap stop_all EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

upstream_config() {
  if [ -f "$SE" ]; then
    printf '[servers.up]\ncommand = "node"\nargs = ["%s", "stdio"]\n' "$SE"
  else
    printf '[servers.up]\nbuiltin = "demo"\nargs = ["--test-tools"]\n'
  fi
}

# start_daemon NAME RECORD: sets URL to its MCP endpoint (not a $(...) call: the pid must
# reach PIDS in this shell, for stop_all)
start_daemon() {
  local dir=$WORK/$1 port
  mkdir -p "$dir"
  port=$(free_port)
  { printf 'listen = "127.0.0.1:%s"\n\n[activity]\nrecord = %s\n\n' "$port" "$2"; upstream_config; } \
    > "$dir/config.toml"
  "$BIN" serve --data-dir "$dir" > "$dir/stderr.log" 2>&1 &
  PIDS+=($!)
  local url=http://127.0.0.1:$port/mcp/server/up
  for _ in $(seq 600); do
    if "$LOADGEN" --url "$url" --tool echo --args "$ARGS" --probe > /dev/null 2>&1; then
      URL=$url
      return 0
    fi
    sleep 0.1
  done
  echo "activity_overhead: the $1 daemon did not serve echo within 60 s; see $dir/stderr.log" >&2
  cat "$dir/stderr.log" >&2
  exit 1
}

echo "upstream: $( [ -f "$SE" ] && echo "server-everything over stdio" || echo "built-in demo server")" >&2
start_daemon on true
ON=$URL
start_daemon off false
OFF=$URL
mkdir -p target/bench-results
RAW=target/bench-results/activity-overhead.jsonl
: > "$RAW"
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
  for c in $CONCURRENCY; do
    for side in $order; do
      if [ "$side" = on ]; then url=$ON; else url=$OFF; fi
      echo "== round $round of $ROUNDS, C=$c, activity log $side" >&2
      line=$(timeout $((SECONDS_PER_RUN + 60)) "$LOADGEN" --url "$url" --tool echo --args "$ARGS" \
        --concurrency "$c" --seconds "$SECONDS_PER_RUN" --warmup-calls "$WARMUP")
      printf '%s\n' "$line" | python3 -c '
import json, sys
record = json.loads(sys.stdin.read())
record.update(side=sys.argv[1], c=int(sys.argv[2]), round=int(sys.argv[3]))
print(json.dumps(record))' "$side" "$c" "$round" >> "$RAW"
    done
  done
done

python3 - "$RAW" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
def median(c, side, key):
    return statistics.median(r[key] for r in rows if r["c"] == c and r["side"] == side)
print("| C | p50 on | p50 off | p50 added | p99 on | p99 off | calls/s on | calls/s off | errors |")
print("|---|---|---|---|---|---|---|---|---|")
for c in sorted({r["c"] for r in rows}):
    p50_on, p50_off = median(c, "on", "p50_us"), median(c, "off", "p50_us")
    errors = sum(r.get("errors", 0) for r in rows if r["c"] == c)
    print(f"| {c} | {p50_on:.0f} us | {p50_off:.0f} us | {p50_on - p50_off:+.0f} us "
          f"| {median(c, 'on', 'p99_us'):.0f} us | {median(c, 'off', 'p99_us'):.0f} us "
          f"| {median(c, 'on', 'calls_per_s'):.0f} | {median(c, 'off', 'calls_per_s'):.0f} | {errors} |")
EOF
for side in on off; do
  calls=$("$BIN" --data-dir "$WORK/$side" --json activity summary --by server | python3 -c '
import json, sys
print(sum(g["calls"] for g in json.load(sys.stdin)["groups"]))')
  echo "activity log $side: $calls calls recorded"
done
