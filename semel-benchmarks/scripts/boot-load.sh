#!/usr/bin/env bash
# The side-by-side HTTP benchmark of issue "Cheaper than a hand-written filter": one Spring Boot
# app (semel-benchmarks/payments-app: POST /payments, small JSON, 201, Tomcat, keep-alive
# unlimited), started once per variant and round, one variant at a time:
#   bare            no idempotency
#   naive-redis     BASELINE filter: SET NX PX GET before, SET after (2 round trips; replay 1)
#   naive-postgres  BASELINE filter: INSERT ON CONFLICT DO NOTHING (+ SELECT), UPDATE; autocommit
#   semel-memory | semel-redis | semel-postgres   the starter (PostgreSQL: transactional mode)
#   semel-redis-nearcache   semel-redis with semel.near-cache.enabled=true (replays from memory, 1 s stale)
#   semel-postgres-readfirst-off   semel-postgres with semel.store.jdbc.read-first=false: a replay
#                   claims in a transaction instead of one plain SELECT (compare with semel-postgres)
#   semel-postgres-pool32   semel-postgres with a 32-connection pool (HikariCP's default is 10):
#                   transactional mode holds a connection around the handler (compare with semel-postgres)
# Per variant: warm-up, then new key per request and replay of one key (bare: no key), wrk
# -t$THREADS -c$CONNECTIONS; CPU per request of the JVM and of the store server read from /proc.
# Every request carries "Authorization: Bearer bench-token" (Semel scopes keys by caller).
#
# Needs wrk (apt-get install -y wrk), and Redis 7 and PostgreSQL on 127.0.0.1 (REDIS_URL,
# POSTGRES_URL). Run it alone: load average below 0.5 before it starts, nothing else running.
# Usage (from the repository root):
#   ./mvnw -B -q -pl semel-benchmarks/payments-app -am package -DskipTests
#   semel-benchmarks/scripts/boot-load.sh [rounds=2] [seconds=10] [threads=2] [connections=32]
# VARIANTS (env) picks and orders the variants; WARMUP (seconds per path, default 20).
# APP=webflux runs the WebFlux twin (semel-benchmarks/webflux-app, Netty) instead, with the
# variants webflux-bare, webflux-semel-memory and webflux-semel-redis (build it the same way,
# -pl semel-benchmarks/webflux-app). APP=gateway measures semel-gateway in front of the payments
# app's bare variant (the upstream, on PORT+1; build -pl semel-gateway,semel-benchmarks/payments-app):
#   direct          wrk calls the upstream itself
#   gateway-plain   through the gateway, on a route without the Idempotency filter
#   gateway-semel   through the gateway, /payments protected (Redis store), new key and replay
# JVM CPU is then the gateway's and the upstream's together. The last table sets every variant
# against the first variant of the list (bare, webflux-bare, direct).
set -euo pipefail
ROUNDS=${1:-2}
SECONDS_PER=${2:-10}
THREADS=${3:-2}
CONNECTIONS=${4:-32}
PORT=${PORT:-18090}
WARMUP=${WARMUP:-20}
VARIANTS_SET=${VARIANTS:-}
VARIANTS=${VARIANTS:-"bare semel-memory naive-redis semel-redis naive-postgres semel-postgres semel-postgres-readfirst-off"}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
POSTGRES_URL=${POSTGRES_URL:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
export AUTH="Bearer bench-token"
HERE="$(cd "$(dirname "$0")" && pwd)"
APP_NAME=${APP:-payments}
JAR="$HERE/../$APP_NAME-app/target/$APP_NAME-app.jar"
case $APP_NAME in
  webflux) VARIANTS=${VARIANTS_SET:-"webflux-bare webflux-semel-memory webflux-semel-redis"} ;;
  gateway)
    VARIANTS=${VARIANTS_SET:-"direct gateway-plain gateway-semel"}
    JAR="$HERE/../../semel-gateway/target/semel-gateway.jar"
    UPSTREAM_JAR="$HERE/../payments-app/target/payments-app.jar"
    [ -f "$UPSTREAM_JAR" ] || { echo "build the upstream: -pl semel-benchmarks/payments-app" >&2; exit 1; } ;;
esac
URL="http://127.0.0.1:$PORT"
OUT=$(mktemp -d)
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "build first: ./mvnw -B -q -pl <the app's module> -am package -DskipTests ($JAR)" >&2; exit 1; }
APP=""
# Semel's Redis keys go under a prefix of this run's own, deleted at the end with the baseline's
# "naive:" keys (a run leaves about a million records with a 24 h TTL otherwise, which slows
# every SCAN on that Redis, tests' included). Needs redis-cli; without it, delete them yourself.
RUN_PREFIX="semel-bench-$(date +%s):"
cleanup() {
  [ -n "$APP" ] && kill $APP 2>/dev/null
  rm -rf "$OUT"
  if command -v redis-cli >/dev/null; then
    for pattern in "$RUN_PREFIX*" "naive:*"; do
      redis-cli -u "$REDIS_URL" --scan --pattern "$pattern" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
    done
  fi
}
trap cleanup EXIT
TICK=$(getconf CLK_TCK)
echo "load before: $(cat /proc/loadavg)"

ticks_of() { # summed user+system ticks of the given pids (those still alive)
  local sum=0 t
  for p in "$@"; do
    t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); sum=$((sum + t))
  done
  echo "$sum"
}
store_pids() { # the store server's processes for a variant
  case $1 in
    *redis* | gateway-semel) pgrep -x redis-server || true ;;
    *postgres*) pgrep -x postgres || true ;;
    *) ;;
  esac
}

measure() { # variant, round, path, then wrk arguments
  local variant=$1 round=$2 path=$3; shift 3
  local pids j0 j1 s0 s1 n rps p99 non2xx
  pids=$(store_pids "$variant")
  j0=$(ticks_of $APP); s0=$(ticks_of $pids)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER}s" --latency "$@" >"$OUT/last.txt"
  j1=$(ticks_of $APP); s1=$(ticks_of $pids)
  rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/last.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$OUT/last.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$OUT/last.txt"); non2xx=${non2xx:-0}
  n=$(awk '/requests in/ {print $1}' "$OUT/last.txt")
  local jvm store
  jvm=$(awk -v a="$j0" -v b="$j1" -v n="$n" -v hz="$TICK" 'BEGIN {printf "%.1f", (b - a) * 1000000 / hz / n}')
  store=$(awk -v a="$s0" -v b="$s1" -v n="$n" -v hz="$TICK" 'BEGIN {printf "%.1f", (b - a) * 1000000 / hz / n}')
  echo "$variant $round $path $rps $p99 $non2xx $jvm $store" >>"$OUT/results.txt"
  printf '  %-15s %-8s %10s req/s  p99 %8s ms  JVM %7s us/req  store %7s us/req  non-2xx %s\n' \
    "$variant" "$path" "$rps" "$p99" "$jvm" "$store" "$non2xx"
}

run_variant() { # variant, round
  local variant=$1 round=$2
  if [ "$APP_NAME" = gateway ]; then
    start_gateway_variant "$variant"
  else
    start_jvm "$JAR" "$PORT" --spring.profiles.active="$variant"
  fi
  if [[ "$variant" == *bare || "$variant" == direct || "$variant" == gateway-plain ]]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$URL/payments" >/dev/null
    measure "$variant" "$round" bare -s "$HERE/post.lua" "$URL/payments"
  else
    local replay="replay-$variant-$round-$(date +%s%N)"
    curl -s -o /dev/null -X POST -H "Content-Type: application/json" -H "Authorization: $AUTH" \
      -H "Idempotency-Key: $replay" -d '{"amount":1250,"currency":"EUR","customer":"cus_42","description":"benchmark"}' \
      "$URL/payments"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/new-key.lua" "$URL/payments" -- "warm-$variant-$(date +%s%N)" >/dev/null
    KEY=$replay wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$URL/payments" >/dev/null
    measure "$variant" "$round" new-key -s "$HERE/new-key.lua" "$URL/payments" -- "$variant-r$round-$(date +%s%N)"
    KEY=$replay measure "$variant" "$round" replay -s "$HERE/post.lua" "$URL/payments"
  fi
  kill $APP; wait $APP 2>/dev/null || true; APP=""
}

start_jvm() { # jar, port, arguments: starts it, adds its pid to APP, waits until it answers
  local jar=$1 port=$2; shift 2
  java ${JAVA_OPTS:--Xms512m -Xmx1g} -jar "$jar" --server.port="$port" "$@" \
    --spring.data.redis.url="$REDIS_URL" --spring.datasource.url="$POSTGRES_URL" \
    --semel.store.redis.key-prefix="$RUN_PREFIX" >>"$OUT/app.log" 2>&1 &
  APP="$APP $!"
  for _ in $(seq 150); do
    curl -s -o /dev/null "http://127.0.0.1:$port/payments/count" && break
    sleep 0.2
  done
}

start_gateway_variant() { # the upstream (payments app, bare) on PORT+1, then the gateway on PORT
  local variant=$1 upstream=$((PORT + 1))
  if [ "$variant" = direct ]; then
    start_jvm "$UPSTREAM_JAR" "$PORT" --spring.profiles.active=bare
    return
  fi
  start_jvm "$UPSTREAM_JAR" "$upstream" --spring.profiles.active=bare
  local paths=/payments
  [ "$variant" = gateway-plain ] && paths=/no-protected-route
  start_jvm "$JAR" "$PORT" --semel.gateway.upstream="http://127.0.0.1:$upstream" --semel.store.type=redis \
    --semel.gateway.protected-paths="$paths" --logging.level.root=WARN
}

read -r -a LIST <<<"$VARIANTS"
for r in $(seq "$ROUNDS"); do
  echo "round $r"
  n=${#LIST[@]}
  for k in $(seq 0 $((n - 1))); do
    # odd rounds in order, even rounds reversed: drift hits every variant alike
    if [ $((r % 2)) -eq 1 ]; then j=$k; else j=$((n - 1 - k)); fi
    run_variant "${LIST[$j]}" "$r"
  done
done
echo "load after: $(cat /proc/loadavg)"

echo
echo "per round (wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER}s after ${WARMUP}s warm-ups; $(java -version 2>&1 | head -1))"
python3 - "$OUT/results.txt" "${LIST[0]}" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    variant, rnd, path, rps, p99, non2xx, jvm, store = line.split()
    rows.setdefault((variant, path), []).append((int(rnd), float(rps), float(p99), int(non2xx), float(jvm), float(store)))
def cell(v, p, i):
    r = rows.get((v, p))
    return None if r is None else [x[i] for x in sorted(r)]
print("| variant | path | req/s per round | p99 ms per round | JVM CPU us/req (median) | store CPU us/req (median) | non-2xx |")
print("|---|---|---|---|---:|---:|---:|")
for (v, p), r in rows.items():
    r = sorted(r)
    print(f"| {v} | {p} | {' / '.join(f'{x[1]:,.0f}' for x in r)} | {' / '.join(f'{x[2]:.2f}' for x in r)} | "
          f"{statistics.median(x[4] for x in r):.1f} | {statistics.median(x[5] for x in r):.1f} | {sum(x[3] for x in r)} |")
if any(v.startswith("naive-") for v, _ in rows):
    print()
    print("| variant | path | Semel ÷ naive req/s per round | CPU us/req JVM+store, naive → Semel |")
    print("|---|---|---|---|")
for store, semel in (("redis", "semel-redis"), ("redis", "semel-redis-nearcache"), ("postgres", "semel-postgres"),
                     ("postgres", "semel-postgres-readfirst-off"), ("postgres", "semel-postgres-pool32")):
    for p in ("new-key", "replay"):
        n, s = rows.get((f"naive-{store}", p)), rows.get((semel, p))
        if not n or not s:
            continue
        n, s = sorted(n), sorted(s)
        ratios = ", ".join(f"{b[1] / a[1]:.2f}" for a, b in zip(n, s))
        cn = statistics.median(x[4] + x[5] for x in n); cs = statistics.median(x[4] + x[5] for x in s)
        print(f"| {semel} | {p} | {ratios} | {cn:.0f} → {cs:.0f} |")
print()
first = sys.argv[2]
base = rows.get((first, "bare"))
print(f"| variant | path | ÷ {first} req/s per round | JVM CPU us/req beyond {first} (median) |")
print("|---|---|---|---|")
for (v, p), r in rows.items():
    if not base or v == first or v.startswith("naive-"):
        continue
    b, r = sorted(base), sorted(r)
    ratios = ", ".join(f"{y[1] / x[1]:.2f}" for x, y in zip(b, r))
    print(f"| {v} | {p} | {ratios} | {statistics.median(y[4] - x[4] for x, y in zip(b, r)):+.1f} |")
PY
