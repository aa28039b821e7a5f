#!/usr/bin/env bash
# HTTP load: the same small JSON POST handler, bare vs behind IdempotencyFilter (in-memory
# store), new key per request and replay of one key, measured interleaved in one run
# against embedded Jetty servers on 127.0.0.1.
#
# Needs wrk on the machine (a tool, not a build dependency: apt-get install -y wrk).
# Usage (from the repository root):
#   ./mvnw -B -q -pl semel-benchmarks -am package -DskipTests
#   semel-benchmarks/scripts/http-load.sh [rounds=3] [seconds=10] [threads=2] [connections=32]
# WARMUP (seconds per scenario, default 20) lets the JIT settle first: on 2 cores C2 was still
# taking 17-24 % of the server's CPU after 5 s warm-ups (perf), which skewed the first rounds.
#
# To compare builds (say, before and after a change) in ONE run, name their jars:
#   COMPARE="before=/tmp/old/benchmarks.jar after=semel-benchmarks/target/benchmarks.jar" \
#     semel-benchmarks/scripts/http-load.sh 5 10
# Each build gets its own server (ports 18080, 18081, ...; an idle server costs nothing); every
# round runs every build's scenarios, the builds in turn first, so drift hits them alike.
set -euo pipefail
ROUNDS=${1:-3}
SECONDS_PER=${2:-10}
THREADS=${3:-2}
CONNECTIONS=${4:-32}
PORT=${PORT:-18080}
WARMUP=${WARMUP:-20}
HERE="$(cd "$(dirname "$0")" && pwd)"
COMPARE=${COMPARE:-"this=$HERE/../target/benchmarks.jar"}
OUT=$(mktemp -d)
command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 1; }

LABELS=(); SERVERS=(); URLS=()
trap 'for p in "${SERVERS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$OUT"' EXIT
i=0
for entry in $COMPARE; do
  label=${entry%%=*}; jar=${entry#*=}
  [ -f "$jar" ] || { echo "no $jar: build first (./mvnw -B -q -pl semel-benchmarks -am package -DskipTests)" >&2; exit 1; }
  port=$((PORT + i))
  java ${JAVA_OPTS:--Xms512m -Xmx2g} -cp "$jar" dev.semel.benchmarks.http.HttpLoadServer "$port" >"$OUT/$label.log" 2>&1 &
  SERVERS+=($!); LABELS+=("$label"); URLS+=("http://127.0.0.1:$port")
  i=$((i + 1))
done
REPLAY_KEY="replay-$(date +%s)"
for url in "${URLS[@]}"; do
  for _ in $(seq 100); do
    curl -s -o /dev/null -X POST "$url/bare/warm" && break
    sleep 0.2
  done
  curl -s -o /dev/null -X POST -H "Content-Type: application/json" -H "Idempotency-Key: $REPLAY_KEY" \
    -d '{"amount":1250,"currency":"EUR","customer":"cus_42","description":"benchmark"}' "$url/filtered/payments"
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # a server's user+system CPU, in clock ticks
TICK=$(getconf CLK_TCK)

run() { # label, server pid, scenario, then wrk arguments
  local label=$1 pid=$2 name=$3; shift 3
  local t0 t1 n cpu rps p99 non2xx
  t0=$(ticks "$pid")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER}s" --latency "$@" >"$OUT/last.txt"
  t1=$(ticks "$pid")
  rps=$(awk '/^Requests\/sec/ {print $2}' "$OUT/last.txt")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' "$OUT/last.txt")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$OUT/last.txt"); non2xx=${non2xx:-0}
  n=$(awk '/requests in/ {print $1}' "$OUT/last.txt")
  cpu=$(awk -v a="$t0" -v b="$t1" -v n="$n" -v hz="$TICK" 'BEGIN {printf "%.1f", (b - a) * 1000000 / hz / n}')
  echo "$label $name $rps $p99 $non2xx $cpu" >>"$OUT/results.txt"
  printf '  %-8s %-10s %10s req/s  p99 %8s ms  server CPU %6s us/req  non-2xx %s\n' "$label" "$name" "$rps" "$p99" "$cpu" "$non2xx"
}

scenarios() { # label, server pid, url, round
  run "$1" "$2" bare -s "$HERE/post.lua" "$3/bare/payments"
  run "$1" "$2" new-key -s "$HERE/new-key.lua" "$3/filtered/payments" -- "$1-r$4-$(date +%s%N)"
  KEY=$REPLAY_KEY run "$1" "$2" replay -s "$HERE/post.lua" "$3/filtered/payments"
}

echo "warm-up (not recorded)"
for url in "${URLS[@]}"; do
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$url/bare/payments" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/new-key.lua" "$url/filtered/payments" -- "warm-$(date +%s%N)" >/dev/null
  KEY=$REPLAY_KEY wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$HERE/post.lua" "$url/filtered/payments" >/dev/null
done

n=${#LABELS[@]}
for r in $(seq "$ROUNDS"); do
  echo "round $r"
  for k in $(seq 0 $((n - 1))); do
    j=$(( (k + r - 1) % n )) # each round starts with the next build
    scenarios "${LABELS[$j]}" "${SERVERS[$j]}" "${URLS[$j]}" "$r"
  done
done

echo
echo "medians over $ROUNDS rounds (wrk -t$THREADS -c$CONNECTIONS -d${SECONDS_PER}s, server: $(java -version 2>&1 | head -1))"
python3 - "$OUT/results.txt" "${LABELS[@]}" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, name, rps, p99, non2xx, cpu = line.split()
    rows.setdefault((label, name), []).append((float(rps), float(p99), int(non2xx), float(cpu)))
med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v), sum(r[2] for r in v),
           statistics.median(r[3] for r in v)) for k, v in rows.items()}
print("| build | scenario | req/s (median) | ratio to bare | p99 ms (median) | p99 minus bare | server CPU us/req | CPU minus bare | non-2xx |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for label in sys.argv[2:]:
    b_rps, b_p99, _, b_cpu = med[(label, "bare")]
    for k in ("bare", "new-key", "replay"):
        rps, p99, n, cpu = med[(label, k)]
        print(f"| {label} | {k} | {rps:,.0f} | {rps / b_rps:.2f}x | {p99:.2f} | {p99 - b_p99:+.2f} | {cpu:.1f} | {cpu - b_cpu:+.1f} | {n} |")
if len(sys.argv) > 3:
    first = sys.argv[2]
    print()
    print(f"CPU per request beyond bare, per round, relative to {first} (same round):")
    for label in sys.argv[3:]:
        for k in ("new-key", "replay"):
            a = rows[(first, k)]; ab = rows[(first, "bare")]; b = rows[(label, k)]; bb = rows[(label, "bare")]
            deltas = [f"{(b[i][3] - bb[i][3]) - (a[i][3] - ab[i][3]):+.1f}" for i in range(min(len(a), len(b)))]
            print(f"  {label} {k}: {', '.join(deltas)} us")
PY
