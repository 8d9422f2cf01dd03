#!/usr/bin/env bash
# Proxy latency, throughput and memory beside the peer proxies, in the same runs.
#
# Runs ../shared/tools/peerbench (server-everything over stdio, fronted by the Python
# mcp-proxy, supergateway and mcpproxy at /mcp/server/everything) RUNS times (default 3)
# with this tree's release build, then prints the medians the proxy issue asks for:
#   added p50 at C=1 (p50 minus the stdio floor) as a share of the Python peer's (bound 35%),
#   calls/s at C=16 as a multiple of the Python peer's (bound 4x),
#   the proxy process's own peak RSS under that load (bound 30 MiB).
# Results go to target/bench-results/peerbench-runN.json. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
HARNESS=${PEERBENCH:-../shared/tools/peerbench/run.sh}
[ -x "$HARNESS" ] || { echo "proxy_vs_peers: $HARNESS not found" >&2; exit 1; }
cargo build --release --bin mcpproxy
mkdir -p target/bench-results
files=()
for i in $(seq 1 "$RUNS"); do
  out=target/bench-results/peerbench-run$i.json
  echo "== run $i of $RUNS" >&2
  MCPPROXY_BIN=$PWD/target/release/mcpproxy "$HARNESS" "$out" >&2
  files+=("$out")
done
python3 benches/proxy_vs_peers_summary.py "${files[@]}"
