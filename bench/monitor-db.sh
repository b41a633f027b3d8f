#!/usr/bin/env bash
# Benchmark: a monthly run over a registry in SQLite, from the database to stored alerts.
#
#   bench/monitor-db.sh [HOUSEHOLDS]     default 320000 households (about 1M persons)
#
# Builds a demo registry (households, categories for about a quarter of them, a month of
# department feeds), clears the alerts the demo raised, then times
# `jiuzhu monitor run --rules standard --month 2026-10 --db`: loading the monitored
# population and every feed snapshot from SQLite, the twelve rules, and storing the alerts.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-320000}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiuzhu-target}"
cargo build --release -p jiuzhu --locked
BIN=$CARGO_TARGET_DIR/release/jiuzhu
DB=${TMPDIR:-/tmp}/bench-monitor-db-$N.db
if [[ ! -f $DB ]]; then
  /usr/bin/time -f "demo wall=%e s peak_kb=%M" "$BIN" demo --db "sqlite://$DB" --households "$N" 2>&1 | grep -vE "^ |password" | tail -4
fi
python3 - "$DB" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print("persons", c.execute("select count(*) from members where valid_to is null").fetchone()[0],
      "feed rows", c.execute("select count(*) from feed_rows").fetchone()[0])
c.execute("delete from grants"); c.execute("delete from alerts"); c.execute("delete from monitor_runs")
c.commit()
PY
for i in 1 2 3; do
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [c.execute(f'delete from {t}') for t in ('grants','alerts','monitor_runs')]; c.commit()" "$DB"
  /usr/bin/time -f "peak_kb=%M" "$BIN" monitor run --rules standard --month 2026-10 --db "sqlite://$DB" 2>&1 | grep -E "^run|peak_kb" | tr '\n' ' '
  echo
done
