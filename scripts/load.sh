#!/usr/bin/env bash
# Load over real loopback HTTP against the release build of the demo: requests per second and
# p99 latency of the users service's open /health against its protected /me, same service,
# same connections. Needs wrk (Debian package `wrk`).
# Usage: scripts/load.sh [seconds] [connections] [threads]   (results on stderr and stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
threads=${3:-1}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install -y wrk" >&2; exit 1; }
cargo build -q --release --example microservices
export AUTH_ADDR=127.0.0.1:18100 USERS_ADDR=127.0.0.1:18101 REPORTS_ADDR=127.0.0.1:18102 RUST_LOG=warn
target/release/examples/microservices &
demo=$!
trap 'kill $demo 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://$USERS_ADDR/health" >/dev/null 2>&1 && break
  sleep 0.1
done
token=$(curl -sf -XPOST "http://$AUTH_ADDR/login" -H 'content-type: application/json' \
  -d '{"username":"bob","password":"bob-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf "http://$USERS_ADDR/me" -H "Authorization: Bearer $token" >/dev/null

run() { # label, path, [header]
  local out
  if [ $# -eq 3 ]; then
    out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -H "$3" "http://$USERS_ADDR$2")
  else
    out=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency "http://$USERS_ADDR$2")
  fi
  local rps p99 errors
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  printf '%-28s %12s req/s   p99 %8s   non-2xx %s\n' "$1" "$rps" "$p99" "${errors:-0}" >&2
  echo "$rps"
}

echo "wrk -t$threads -c$connections -d${seconds}s against the release demo (users service, axum)"
open=$(run "GET /health (open)" /health)
protected=$(run "GET /me (#[protected])" /me "Authorization: Bearer $token")
echo "protected / open throughput: $(echo "scale=3; $protected / $open" | bc)"
