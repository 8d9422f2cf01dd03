#!/usr/bin/env bash
# The MCP conformance suite's client command: `run.sh client tests/conformance/client.sh`.
# The suite appends the test server's URL and names the scenario in MCP_CONFORMANCE_SCENARIO;
# credentials for some auth scenarios come in MCP_CONFORMANCE_CONTEXT (JSON).
# Every scenario is `mcpproxy upstream probe`, the daemon's own upstream client.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${MCPPROXY_BIN:-$here/../../target/debug/mcpproxy}"
url="${!#}"
scenario="${MCP_CONFORMANCE_SCENARIO:-}"

probe=("$bin" upstream probe --timeout 20s)
case "$scenario" in
  initialize) ;;
  tools_call) probe+=(--call add_numbers --args '{"a": 5, "b": 3}') ;;
  sse-retry) probe+=(--call test_reconnection) ;;
  elicitation-sep1034-client-defaults) probe+=(--call test_client_elicitation_defaults) ;;
  auth/client-credentials-*)
    probe+=(--grant client_credentials --oauth-context "${MCP_CONFORMANCE_CONTEXT:-{\}}" --call-first) ;;
  auth/cross-app-access-*)
    probe+=(--grant enterprise --oauth-context "${MCP_CONFORMANCE_CONTEXT:-{\}}" --call-first) ;;
  auth/*)
    probe+=(--headless-auth --client-metadata-url https://conformance-test.local/client-metadata.json --call-first)
    if [[ -n "${MCP_CONFORMANCE_CONTEXT:-}" ]]; then
      probe+=(--oauth-context "$MCP_CONFORMANCE_CONTEXT")
    fi ;;
  *) echo "unknown scenario: ${scenario:-<none>}" >&2; exit 2 ;;
esac

exec "${probe[@]}" --log-level "${MCPPROXY_CONFORMANCE_LOG:-info}" "$url"
