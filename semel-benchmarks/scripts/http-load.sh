#!/usr/bin/env bash
# HTTP load: the same small JSON POST handler, bare vs behind IdempotencyFilter (in-memory
# store), new key per request and replay of one key, measured interleaved in one run
# against one embedded Jetty on 127.0.0.1.
#
# Needs wrk on the machine (a tool, not a build dependency: apt-get install -y wrk).
# Usage (from the repository root):
#   ./mvnw -B -q -pl semel-benchmarks -am package -DskipTests
#   semel-benchmarks/scripts/http-load.sh [rounds=3] [seconds=10] [threads=2] [connections=32]
# WARMUP (seconds per scenario, default 20) lets the JIT settle first: on 2 cores C2 was still
# taking 17-24 % of the server's CPU after 5 s warm-ups (perf), which skewed the first rounds.
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER=${2:-10}
THREADS=${3:-2}
CONNECTIONS=${4:-32}
PORT=${PORT:-18080}
WARMUP=${WARMUP:-20}
HERE="$(cd "$(dirname "$0")" && pwd)"
JAR="$HERE/../target/benchmarks.jar"
URL="http://127.0.0.1:$PORT"
OUT=$(mktemp -d)
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }
[ -f "$JAR" ] || { echo "build first: ./mvnw -B -q -pl semel-benchmarks -am package -DskipTests" >&2; exit 1; }

java ${JAVA_OPTS:--Xms512m -Xmx2g} -cp "$JAR" dev.semel.benchmarks.http.HttpLoadServer "$PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null -X POST "$URL/bare/warm" && break
  sleep 0.2
done

REPLAY_KEY="replay-$(date +%s)"
curl -s -o /dev/null -X POST -H "Content-Type: application/json" -H "Idempotency-Key: $REPLAY_KEY" \
  -d '{"amount":1250,"currency":"EUR","customer":"cus_42","description":"benchmark"}' "$URL/filtered/payments"

ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; } # server user+system CPU, in clock ticks
TICK=$(getconf CLK_TCK)

run() { # name, then wrk arguments
  local name=$1; shift
  local t0 t1 n cpu
  t0=$(ticks)
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER}s" --latency "$@" >"$OUT/last.txt"
  t1=$(ticks)
  local rps p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/last.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$OUT/last.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$OUT/last.txt"); non2xx=${non2xx:-0}
  n=$(awk '/requests in/ {print $1}' "$OUT/last.txt")
  cpu=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$TICK" 'BEGIN {printf "%.1f", (b - a) * 1000000 / hz / n}')
  echo "$name $rps $p99 $non2xx $cpu" >>"$OUT/results.txt"
  printf '  %-10s %10s req/s  p99 %8s ms  server CPU %6s us/req  non-2xx %s\n' "$name" "$rps" "$p99" "$cpu" "$non2xx"
}

echo "warm-up (not recorded)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$URL/bare/payments" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/new-key.lua" "$URL/filtered/payments" -- "warm-$(date +%s)" >/dev/null
KEY=$REPLAY_KEY wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$URL/filtered/payments" >/dev/null

for r in $(seq "$ROUNDS"); do
  echo "round $r"
  run bare -s "$HERE/post.lua" "$URL/bare/payments"
  run new-key -s "$HERE/new-key.lua" "$URL/filtered/payments" -- "r$r-$(date +%s%N)"
  KEY=$REPLAY_KEY run replay -s "$HERE/post.lua" "$URL/filtered/payments"
done

echo
echo "medians over $ROUNDS rounds (wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER}s, server: $(java -version 2>&1 | head -1))"
python3 - "$OUT/results.txt" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p99, non2xx, cpu = line.split()
    rows.setdefault(name, []).append((float(rps), float(p99), int(non2xx), float(cpu)))
med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v), sum(r[2] for r in v),
           statistics.median(r[3] for r in v)) for k, v in rows.items()}
b_rps, b_p99, _, b_cpu = med["bare"]
print("| scenario | req/s (median) | ratio to bare | p99 ms (median) | p99 minus bare | server CPU us/req | CPU minus bare | non-2xx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for k in ("bare", "new-key", "replay"):
    rps, p99, n, cpu = med[k]
    print(f"| {k} | {rps:,.0f} | {rps / b_rps:.2f}x | {p99:.2f} | {p99 - b_p99:+.2f} | {cpu:.1f} | {cpu - b_cpu:+.1f} | {n} |")
PY
