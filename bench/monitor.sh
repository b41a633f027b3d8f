#!/usr/bin/env bash
# Benchmark: `jiuzhu monitor run --rules workload-m` next to the DuckDB peer of
# ../shared/bench on the same files in the same run, and whether alerts.csv is identical.
#
#   bench/monitor.sh SIZE [RUNS]      SIZE: S, M or L; RUNS default 3
#
# Python: $BENCH_PYTHON, else ../shared/bench/.venv (created from its requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:?usage: bench/monitor.sh SIZE [RUNS]}
RUNS=${2:-3}
PEERS=../shared/bench
if [[ -z "${BENCH_PYTHON:-}" ]]; then
  [[ -x $PEERS/.venv/bin/python ]] || { python3 -m venv $PEERS/.venv && $PEERS/.venv/bin/pip install -q -r $PEERS/requirements.txt; }
  BENCH_PYTHON=$PEERS/.venv/bin/python
fi
DATA=${TMPDIR:-/tmp}/bench-$SIZE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiuzhu-target}"
cargo build --release -p jiuzhu --locked
BIN=$CARGO_TARGET_DIR/release/jiuzhu
[[ -f $DATA/m/population.csv ]] || "$BENCH_PYTHON" $PEERS/gen.py --seed 1 --out "$DATA" --workload M --size "$SIZE" | cut -c1-160
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
peak() { local line; line=$(/usr/bin/time -o "$TIMES" -f "peak_kb=%M" "$@" 2>&1 | grep -E "^(peer=|jiuzhu-)" | tail -1); echo "$line $(cat "$TIMES")"; }
for ((i = 1; i <= RUNS; i++)); do
  echo "size=$SIZE $(peak "$BIN" monitor run --rules workload-m --month 2026-10 --input "$DATA/m" --out "$DATA/m/alerts_jiuzhu.csv")"
  echo "size=$SIZE $(peak "$BENCH_PYTHON" $PEERS/peer_duckdb_m.py "$DATA/m" --out "$DATA/m/alerts_duckdb.csv")"
done
if cmp -s "$DATA/m/alerts_jiuzhu.csv" "$DATA/m/alerts_duckdb.csv"; then
  echo "compare: jiuzhu and duckdb alerts.csv byte-identical"
else
  echo "compare: jiuzhu and duckdb alerts.csv DIFFER"
fi
