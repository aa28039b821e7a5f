#!/usr/bin/env bash
# Load scenario of the payments example (issue: POST /payments with a new key per request and
# replay of one key, side by side with Semel disabled, on H2 file, PostgreSQL and Redis).
#
#   examples/payments/bench/run.sh [h2|postgres|redis] [duration, default 20s]
#
# Starts two instances of examples/payments/target/payments.jar on the chosen store, one with
# Semel and one with semel.enabled=false, then runs wrk against each in turn in this one run.
# Needs: wrk (apt-get install wrk), the jar (./mvnw -q -DskipTests package -pl examples/payments -am);
# postgres: PostgreSQL on 127.0.0.1:5432 (db test, user postgres); redis: Redis on 127.0.0.1:6379.
set -euo pipefail
store="${1:-h2}"
duration="${2:-20s}"
here="$(cd "$(dirname "$0")" && pwd)"
jar="$here/../target/payments.jar"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

common=(--payments.provider.latency=0ms --logging.level.root=WARN --spring.main.banner-mode=off)
case "$store" in
  h2) store_args=() ;;
  postgres)
    schema="payments_bench_$$"
    psql -q -h 127.0.0.1 -U postgres -d test -c "CREATE SCHEMA $schema" >/dev/null
    trap 'cleanup; psql -q -h 127.0.0.1 -U postgres -d test -c "DROP SCHEMA '"$schema"' CASCADE" >/dev/null' EXIT
    store_args=("--spring.datasource.url=jdbc:postgresql://127.0.0.1:5432/test?currentSchema=$schema"
                --spring.datasource.username=postgres --spring.datasource.password=) ;;
  redis) store_args=(--semel.store.type=redis --spring.data.redis.url=redis://127.0.0.1:6379
                     "--semel.store.redis.key-prefix=payments-bench-$$:")
    # The records live 24 h: remove this run's from the shared Redis afterwards.
    trap 'cleanup; redis-cli -h 127.0.0.1 --scan --pattern "payments-bench-'"$$"':*" | xargs -r -n 500 redis-cli -h 127.0.0.1 del >/dev/null' EXIT ;;
  *) echo "usage: $0 [h2|postgres|redis] [duration]" >&2; exit 2 ;;
esac

start() { # name port extra-args...
  local name="$1" port="$2"; shift 2
  local db_args=()
  # Each H2 instance has its own file; PostgreSQL instances share the schema (as two services would).
  if [ "$store" != postgres ]; then db_args=("--spring.datasource.url=jdbc:h2:file:$work/$name/payments"); fi
  java -Xmx512m -jar "$jar" --server.port="$port" "${common[@]}" "${store_args[@]}" "${db_args[@]}" "$@" \
    > "$work/$name.log" 2>&1 &
  pids+=($!)
}
wait_up() {
  for _ in $(seq 1 180); do curl -sf "http://127.0.0.1:$1/payments?limit=1" >/dev/null && return 0; sleep 1; done
  echo "instance on port $1 did not start" >&2; exit 1
}

start semel 18181
start bare 18182 --semel.enabled=false
wait_up 18181; wait_up 18182

bench() { # label port script
  # warm-up, then the measured run
  wrk -t2 -c16 -d5s -s "$here/$3" "http://127.0.0.1:$2" >/dev/null
  echo "### $store: $1"
  wrk -t2 -c16 -d"$duration" --latency -s "$here/$3" "http://127.0.0.1:$2" | grep -E "Requests/sec|99%|Non-2xx|Socket errors|requests in"
}
echo "## $(date -u +%FT%TZ) store=$store duration=$duration cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
bench "new key per request, Semel"     18181 new-key.lua
bench "new key per request, no Semel"  18182 new-key.lua
bench "one key replayed, Semel"        18181 replay.lua
bench "one key, no Semel (executes every time)" 18182 replay.lua
