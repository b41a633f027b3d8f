#!/usr/bin/env bash
# Benchmark: `jiuzhu policy run --pack rp1` on workload P next to the DuckDB and OpenFisca
# peers of ../shared/bench, on the same files in the same run, and whether the three
# results.csv are byte-identical.
#
#   bench/policy.sh SIZE [RUNS] [--no-openfisca]      SIZE: S, M or L; RUNS default 3
#
# Python: $BENCH_PYTHON, else ../shared/bench/.venv (created from its requirements.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:?usage: bench/policy.sh SIZE [RUNS] [--no-openfisca]}
RUNS=${2:-3}
OPENFISCA=1
[[ "${3:-}" == "--no-openfisca" ]] && OPENFISCA=0
PEERS=../shared/bench
if [[ -z "${BENCH_PYTHON:-}" ]]; then
  [[ -x $PEERS/.venv/bin/python ]] || { python3 -m venv $PEERS/.venv && $PEERS/.venv/bin/pip install -q -r $PEERS/requirements.txt; }
  BENCH_PYTHON=$PEERS/.venv/bin/python
fi
DATA=${TMPDIR:-/tmp}/bench-$SIZE
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/jiuzhu-target}"
cargo build --release -p jiuzhu --locked
BIN=$CARGO_TARGET_DIR/release/jiuzhu
[[ -f $DATA/p/persons.csv ]] || "$BENCH_PYTHON" $PEERS/gen.py --seed 1 --out "$DATA" --workload P --size "$SIZE" | cut -c1-160
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
# Runs a command; prints its summary line (jiuzhu's on stderr, the peers' on stdout) and peak memory.
peak() { local line; line=$(/usr/bin/time -o "$TIMES" -f "peak_kb=%M" "$@" 2>&1 | grep -E "^(peer=|jiuzhu-)" | tail -1); echo "$line $(cat "$TIMES")"; }
for ((i = 1; i <= RUNS; i++)); do
  echo "size=$SIZE $(peak "$BIN" policy run --pack rp1 --date 2026-11-01 --input "$DATA/p" --out "$DATA/p/results_jiuzhu.csv")"
  echo "size=$SIZE $(peak "$BENCH_PYTHON" $PEERS/peer_duckdb_p.py "$DATA/p" --out "$DATA/p/results_duckdb.csv")"
  if [[ $OPENFISCA == 1 ]]; then
    echo "size=$SIZE $(peak "$BENCH_PYTHON" $PEERS/peer_openfisca_p/run.py "$DATA/p" --out "$DATA/p/results_openfisca.csv")"
  fi
done
for other in duckdb openfisca; do
  [[ -f $DATA/p/results_$other.csv ]] || continue
  if cmp -s "$DATA/p/results_jiuzhu.csv" "$DATA/p/results_$other.csv"; then
    echo "compare: jiuzhu and $other results.csv byte-identical"
  else
    echo "compare: jiuzhu and $other results.csv DIFFER"
  fi
done
