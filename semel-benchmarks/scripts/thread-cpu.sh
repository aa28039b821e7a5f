#!/usr/bin/env bash
# Where a variant of the payments app spends its JVM CPU, per request: request threads, GC
# threads, JIT compiler threads and the rest, read per thread from /proc/<pid>/task after a
# warm-up (boot-load.sh gives process totals only). New keys per request; the variant bare
# gets no key. Extra arguments go to the app (e.g. --semel.store.memory.max-records=1000).
#
# Needs wrk and the app's jar (see boot-load.sh). Run it alone: load average below 0.5.
# Usage (from the repository root):
#   semel-benchmarks/scripts/thread-cpu.sh VARIANT [seconds=20] [app arguments...]
# WARMUP (env): seconds of load before measuring, default 80 (the JIT is busy for about 60 s).
set -euo pipefail
VARIANT=$1; SECONDS_PER=${2:-20}; shift; [ $# -gt 0 ] && shift
WARMUP=${WARMUP:-80}
PORT=${PORT:-18096}
HERE="$(cd "$(dirname "$0")" && pwd)"
JAR="$HERE/../payments-app/target/payments-app.jar"
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
POSTGRES_URL=${POSTGRES_URL:-jdbc:postgresql://127.0.0.1:5432/test?user=postgres}
PREFIX="semel-thread-cpu-$(date +%s):"
OUT=$(mktemp -d)
export AUTH="Bearer bench-token"
[ -f "$JAR" ] || { echo "build first: ./mvnw -B -q -pl semel-benchmarks/payments-app -am package -DskipTests" >&2; exit 1; }
echo "load before: $(cat /proc/loadavg)"
java ${JAVA_OPTS:--Xms512m -Xmx1g} -jar "$JAR" --server.port="$PORT" --spring.profiles.active="$VARIANT" \
  --spring.data.redis.url="$REDIS_URL" --spring.datasource.url="$POSTGRES_URL" \
  --semel.store.redis.key-prefix="$PREFIX" "$@" >"$OUT/app.log" 2>&1 &
APP=$!
cleanup() {
  kill $APP 2>/dev/null || true
  if command -v redis-cli >/dev/null; then
    for pattern in "$PREFIX*" "naive:*"; do
      redis-cli -u "$REDIS_URL" --scan --pattern "$pattern" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null
    done
  fi
  rm -rf "$OUT"
}
trap cleanup EXIT
for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$PORT/payments/count" && break; sleep 0.2; done
SCRIPT=new-key.lua; [ "$VARIANT" = bare ] && SCRIPT=post.lua
URL="http://127.0.0.1:$PORT/payments"
snapshot() { # thread name|user+system ticks, one line per thread (fields counted after the ')')
  local t s
  for t in /proc/$APP/task/*; do
    s=$(cat "$t/stat" 2>/dev/null) || continue
    s=${s##*) }; set -- $s
    echo "$(cat "$t/comm")|$(( ${12} + ${13} ))"
  done
}
wrk -t2 -c32 -d"${WARMUP}s" -s "$HERE/$SCRIPT" "$URL" -- "warm-$(date +%s%N)" >/dev/null
snapshot >"$OUT/before"
wrk -t2 -c32 -d"${SECONDS_PER}s" --latency -s "$HERE/$SCRIPT" "$URL" -- "m-$(date +%s%N)" >"$OUT/wrk.txt"
snapshot >"$OUT/after"
python3 - "$VARIANT" "$OUT" "$(getconf CLK_TCK)" "$*" <<'PY'
import collections, re, sys
variant, out, hz, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
wrk = open(f"{out}/wrk.txt").read()
n = int(re.search(r"(\d+) requests in", wrk).group(1))
rps = re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1)
p99 = re.search(r"99%\s+(\S+)", wrk).group(1)
def group(name):
    if name.startswith("http-nio"): return "request threads"
    if name.startswith(("GC Thread", "G1 ")): return "GC"
    if name.startswith(("C1 Compiler", "C2 Compiler")): return "JIT"
    return "other"
def load(path):
    c = collections.Counter()
    for line in open(path):
        name, ticks = line.rstrip("\n").rsplit("|", 1)
        c[group(name)] += int(ticks)
    return c
a, b = load(f"{out}/before"), load(f"{out}/after")
us = {g: (b[g] - a.get(g, 0)) * 1e6 / hz / n for g in ("request threads", "GC", "JIT", "other")}
print(f"| {variant} {extra} | {float(rps):,.0f} | {p99} | {sum(us.values()):.1f} | "
      + " | ".join(f"{us[g]:.1f}" for g in ("request threads", "GC", "JIT", "other")) + " |")
PY
echo "load after: $(cat /proc/loadavg)"
