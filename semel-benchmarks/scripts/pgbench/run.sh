#!/usr/bin/env bash
# The database alone, without the JVM: Semel's transactional new key (BEGIN, the claim's
# INSERT ... ON CONFLICT CTE, the completion's UPDATE, COMMIT, as the store sends them) against the
# naive filter's two autocommit statements, with pgbench on the local PostgreSQL. Prints
# transactions/s and PostgreSQL's CPU per transaction (from /proc: the backends and, for backends
# that have exited, the postmaster's children times). Random keys for every variant.
# Run alone (load average below 0.5), as root or postgres, from this directory:
#   ./run.sh [rounds=3]          (pgbench -c 10 -j 2 -T 8 per script; C and T env override)
set -euo pipefail
ROUNDS=${1:-3}
PG="-h 127.0.0.1 -U postgres"
DATA=$(psql $PG -d test -Atc "show data_directory")
pm=$(head -1 "$DATA/postmaster.pid")
psql -q $PG -d test -f setup.sql
trap 'psql -q $PG -d test -c "DROP TABLE IF EXISTS pgb_semel, pgb_lean, pgb_naive, pgb_v1, pgb_v2, pgb_v3"; rm -f semel-*.sql' EXIT
for t in semel lean v1 v2 v3; do sed "s/TBL/pgb_$t/g" semel.sql.in > "semel-$t.sql"; done
pgticks() {
  local s=0 t
  for p in $(pgrep -u postgres); do
    if [ "$p" = "$pm" ]; then t=$(awk '{print $14+$15+$16+$17}' "/proc/$p/stat" 2>/dev/null || echo 0)
    else t=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0); fi
    s=$((s + ${t:-0}))
  done
  echo $s
}
echo "load before: $(cat /proc/loadavg)"
for r in $(seq 1 "$ROUNDS"); do
  for s in naive naivetx semel-semel semel-lean semel-v1 semel-v2 semel-v3; do
    a=$(pgticks)
    out=$(pgbench -n $PG -c "${C:-10}" -j 2 -T "${T:-8}" -M prepared -f "$s.sql" test 2>&1)
    sleep 0.5; b=$(pgticks)
    tps=$(echo "$out" | awk '/^tps/ {print $3}'); lat=$(echo "$out" | awk '/latency average/ {print $4}')
    awk -v s="$s" -v r="$r" -v t="$tps" -v l="$lat" -v a="$a" -v b="$b" -v T="${T:-8}" -v hz="$(getconf CLK_TCK)" \
      'BEGIN {printf "round %s  %-11s tps %6.0f  latency %5.2f ms  PostgreSQL CPU %5.0f us/txn\n", r, s, t, l, (b - a) * 1000000 / hz / (t * T)}'
  done
done
