#!/usr/bin/env bash
# Benchmark: `jiuzhu import registry` of workload P (../shared/bench/SPEC.md) into a fresh
# SQLite file, release build. Usage: bench/import.sh [SIZE]   (S, M or L; default M)
# Needs the peers' Python environment for the generator:
#   python3 -m venv ../shared/bench/.venv && ../shared/bench/.venv/bin/pip install -r ../shared/bench/requirements.txt
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-M}
PY=${BENCH_PYTHON:-../shared/bench/.venv/bin/python}
DATA=${TMPDIR:-/tmp}/jiuzhu-bench-$SIZE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiuzhu-target}"
cargo build --release -p jiuzhu --locked
BIN="$CARGO_TARGET_DIR/release/jiuzhu"
[ -f "$DATA/p/persons.csv" ] || "$PY" ../shared/bench/gen.py --seed 1 --out "$DATA" --workload P --size "$SIZE"
rm -f "$DATA/base.db"* "$DATA/run.db"*
"$BIN" migrate --db "sqlite://$DATA/base.db"
for run in 1 2 3; do
  rm -f "$DATA/run.db"*
  cp "$DATA/base.db" "$DATA/run.db"
  # The previous run's 500 MB of writes are flushed first, so they do not slow this one.
  sync
  /usr/bin/time -f "run $run: %e s wall, %M KB peak" "$BIN" import registry "$DATA/p" --db "sqlite://$DATA/run.db" --as-of 2026-11-01 | tail -1
done
echo "re-run on the filled database (read + validate + idempotent skip):"
/usr/bin/time -f "%e s wall" "$BIN" import registry "$DATA/p" --db "sqlite://$DATA/run.db" --as-of 2026-11-01 | tail -1
