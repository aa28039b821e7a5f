#!/usr/bin/env bash
# What Semel's completion script costs Redis, beside the naive filter's plain SET: Redis CPU per
# command, read from /proc, for N commands sent pipelined (redis-cli --pipe) on N in-progress
# records, the script taken from Scripts.java, then its parts one step at a time. Pipelining
# leaves out the per-request network cost (the same for one command of either kind), so the
# figures are what the commands themselves cost the server.
#
# Needs python3, redis-cli and a Redis 7 on the same machine (its process is found with pgrep).
# Run it alone (load average below 0.5). Deletes its keys when it ends.
# Usage (from the repository root): semel-benchmarks/scripts/redis-script-cost/run.sh [N=100000] [rounds=2]
set -euo pipefail
N=${1:-100000}
ROUNDS=${2:-2}
HERE="$(cd "$(dirname "$0")" && pwd)"
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PREFIX="semel-script-cost-$(date +%s):"
PID=$(pgrep -x redis-server | head -1)
[ -n "$PID" ] || { echo "no local redis-server process to read the CPU of" >&2; exit 1; }
cli() { redis-cli -u "$REDIS_URL" "$@"; }
cleanup() { cli --scan --pattern "$PREFIX*" | xargs -r -n 1000 redis-cli -u "$REDIS_URL" unlink >/dev/null; }
trap cleanup EXIT
ticks() { local s; s=$(cat "/proc/$PID/stat"); s=${s##*) }; set -- $s; echo $(( ${12} + ${13} )); }
HZ=$(getconf CLK_TCK)
echo "load before: $(cat /proc/loadavg); redis $(cli INFO server | awk -F: '/redis_version/ {print $2}' | tr -d '\r')"
python3 "$HERE/commands.py" load 0 "$PREFIX" | cli --pipe >/dev/null
STEPS="set complete empty read-header checks checks+setrange checks+append complete-one-setrange"
for r in $(seq "$ROUNDS"); do
  for step in $STEPS; do
    python3 "$HERE/commands.py" prep "$N" "$PREFIX" | cli --pipe >/dev/null
    python3 "$HERE/commands.py" "$step" "$N" "$PREFIX" >"/tmp/semel-script-cost.$$"
    a=$(ticks)
    cli --pipe <"/tmp/semel-script-cost.$$" >/dev/null
    b=$(ticks)
    awk -v s="$step" -v r="$r" -v t=$((b - a)) -v n="$N" -v hz="$HZ" \
      'BEGIN {printf "round %d  %-22s %6.2f us of Redis CPU per command\n", r, s, t * 1000000 / hz / n}'
  done
done
rm -f "/tmp/semel-script-cost.$$"
echo "load after: $(cat /proc/loadavg)"
