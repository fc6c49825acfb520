# Shared by scripts/load.sh and scripts/flood.sh: builds examples/request_cost.rs, prepares its
# keys and tokens in $work, and starts or stops its server pinned to one core.
# Needs: $alg (RS256, ES256, EdDSA, ...). Sets: $bin, $work, $addr, $server.

bin=target/release/examples/request_cost
addr=127.0.0.1:18210
cargo build -q --release --example request_cost
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT
"$bin" prepare "$work" "$alg" 10
server=

start_server() { # core
  taskset -c "$1" "$bin" serve "$work" "$addr" &
  server=$!
  for _ in $(seq 1 100); do
    curl -sf "http://$addr/open" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the server did not start" >&2
  exit 1
}

stop_server() {
  if [ -n "$server" ]; then
    kill -INT "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
  fi
}
