"""Medians over peerbench result files: mcpproxy against the Python peer (mcp-proxy).

Usage: proxy_vs_peers_summary.py RUN.json [RUN.json ...]
"""
import json
import statistics
import sys


def rows(path):
    data = json.load(open(path))
    results = data["results"] if isinstance(data, dict) else data
    return {(r["config"], r["concurrency"]): r for r in results}


runs = [rows(p) for p in sys.argv[1:]]
if not runs:
    sys.exit(__doc__)
for key in ("mcpproxy", "peer-mcp-proxy"):
    if (key, 1) not in runs[0]:
        sys.exit(f"no '{key}' rows: was MCPPROXY_BIN set and did every config run?")


def median(config, concurrency, field):
    return statistics.median(run[(config, concurrency)][field] for run in runs)


added_ours = median("mcpproxy", 1, "p50_minus_stdio_floor_us")
added_peer = median("peer-mcp-proxy", 1, "p50_minus_stdio_floor_us")
rate_ours = median("mcpproxy", 16, "calls_per_s")
rate_peer = median("peer-mcp-proxy", 16, "calls_per_s")
rss_ours = median("mcpproxy", 16, "rss_self_peak_kb") / 1024
rss_peer = median("peer-mcp-proxy", 16, "rss_self_peak_kb") / 1024

print(f"runs: {len(runs)} (medians)")
print(f"added p50 at C=1:  mcpproxy {added_ours:.0f} us, python peer {added_peer:.0f} us"
      f" -> {100 * added_ours / added_peer:.0f}% (bound 35%)")
print(f"calls/s at C=16:   mcpproxy {rate_ours:.0f}, python peer {rate_peer:.0f}"
      f" -> {rate_ours / rate_peer:.1f}x (bound 4x)")
print(f"self RSS peak C=16: mcpproxy {rss_ours:.1f} MiB, python peer {rss_peer:.1f} MiB (bound 30 MiB)")
for i, run in enumerate(runs, 1):
    ratio = run[("mcpproxy", 1)]["p50_minus_stdio_floor_us"] / run[("peer-mcp-proxy", 1)]["p50_minus_stdio_floor_us"]
    rate = run[("mcpproxy", 16)]["calls_per_s"] / run[("peer-mcp-proxy", 16)]["calls_per_s"]
    print(f"  run {i}: added p50 {100 * ratio:.0f}% of the peer's, {rate:.1f}x its calls/s")
