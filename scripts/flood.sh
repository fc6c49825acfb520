#!/usr/bin/env bash
# Valid traffic under a flood of distinct forged tokens (scripts/flood.lua): the release build of
# examples/request_cost.rs (one runtime thread) pinned to core 0, wrk pinned to core 1. For each
# algorithm: requests per second with only the cached valid token, with only forgeries, and with
# half of each, where the valid half is what the service still serves. Needs wrk and taskset.
# Usage: scripts/flood.sh [seconds] [connections] [algs...]   (default 5 32 RS256 ES256 EdDSA)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
connections=${2:-32}
shift 2 2>/dev/null || shift $#
algs=("$@")
[ ${#algs[@]} -gt 0 ] || algs=(RS256 ES256 EdDSA)
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }

for alg in "${algs[@]}"; do
  (
    . scripts/lib/request-cost-server.sh
    start_server 0
    export VALID_TOKEN
    VALID_TOKEN=$(head -1 "$work/valid")
    load() { # FORGED mode -> wrk output
      FORGED=$1 taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" -s scripts/flood.lua "http://$addr/auth"
    }
    valid_only=$(taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" -H "Authorization: Bearer $VALID_TOKEN" "http://$addr/auth" | awk '/Requests\/sec/ {print $2}')
    forged=$(load all)
    half=$(load half)
    for out in "$forged" "$half"; do
      awk '/^flood:/ && $9 == 0 {ok = 1} END {exit !ok}' <<<"$out" || { echo "unexpected statuses: $out" >&2; exit 1; }
    done
    forged_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$forged")
    valid_in_half=$(awk '/^flood:/ {print $4}' <<<"$half")
    forged_in_half=$(awk '/^flood:/ {print $7}' <<<"$half")
    printf '%-6s valid only %10s req/s | forgeries only %8s req/s | half forged: %8s valid/s + %8s forged/s (valid %.3f of valid only)\n' \
      "$alg" "$valid_only" "$forged_rps" "$valid_in_half" "$forged_in_half" "$(echo "$valid_in_half / $valid_only" | bc -l)"
  )
done
