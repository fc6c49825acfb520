#!/usr/bin/env bash
# Throughput over real loopback HTTP: the release build of examples/request_cost.rs (one
# runtime thread) pinned to core 0, wrk pinned to core 1. Alternated pairs of the open route and
# the protected route with a cached token, the same Authorization header on both, so that only
# the authentication work differs; prints each pair and the median ratio. Needs wrk and taskset.
# Usage: scripts/load.sh [seconds] [connections] [pairs] [alg]   (default 5 32 5 RS256)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
connections=${2:-32}
pairs=${3:-5}
alg=${4:-RS256}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
. scripts/lib/request-cost-server.sh
start_server 0
token=$(head -1 "$work/valid")

rps() { # path -> requests per second; fails on any non-2xx response
  local out
  out=$(taskset -c 1 wrk -t1 -c"$connections" -d"${seconds}s" -H "Authorization: Bearer $token" "http://$addr$1")
  if grep -q "Non-2xx" <<<"$out"; then
    echo "$1 answered with errors: $out" >&2
    exit 1
  fi
  awk '/Requests\/sec/ {print $2}' <<<"$out"
}

echo "$alg, wrk -t1 -c$connections -d${seconds}s, server on core 0, wrk on core 1"
printf '%-6s %14s %14s %8s\n' pair "open req/s" "auth req/s" ratio
ratios=()
for i in $(seq 1 "$pairs"); do
  if [ $((i % 2)) -eq 1 ]; then
    open=$(rps /open)
    auth=$(rps /auth)
  else
    auth=$(rps /auth)
    open=$(rps /open)
  fi
  ratio=$(echo "scale=3; $auth / $open" | bc)
  ratios+=("$ratio")
  printf '%-6s %14s %14s %8s\n' "$i" "$open" "$auth" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "median protected / open throughput: $median (range $(printf '%s\n' "${ratios[@]}" | sort -n | head -1) to $(printf '%s\n' "${ratios[@]}" | sort -n | tail -1))"
