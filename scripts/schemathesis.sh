#!/usr/bin/env bash
# Drives the JSON API by its own OpenAPI document with schemathesis, as three roles (city
# administrator, county approver, window clerk), every operation, every check, including
# `positive_data_acceptance`: a request the document calls valid must not be refused as
# invalid (400/422); only the registry's state may refuse it (404, 409). The hooks in
# scripts/schemathesis/hooks.py generate identity numbers (format gb11643) and real
# roster workbooks for the XLSX upload.
# Deterministic (fixed seed), bounded to a few examples per operation: about a minute.
#
# Usage: scripts/schemathesis.sh path/to/jiuzhu
set -euo pipefail
BIN="$(realpath "$1")"
HOOKS="$(cd "$(dirname "$0")/schemathesis" && pwd)"
VERSION=4.32.5
VENV="${JIUZHU_VENV:-$HOME/.cache/jiuzhu-venv}"
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi
WORK="$(mktemp -d)"
PORT="${JIUZHU_ST_PORT:-18093}"
cleanup() {
  [[ -n "${PID:-}" ]] && kill "$PID" 2>/dev/null || true
  if [[ "${KEEP_ST_TMP:-0}" = 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
DB="sqlite://$WORK/st.db"
"$BIN" demo --db "$DB" --households 300 >"$WORK/demo.log" 2>&1
"$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/api/openapi.json" && break
  sleep 0.2
done
status=0
for user in ${ST_USERS:-admin county clerk}; do
  token="$("$BIN" user token --db "$DB" --username "$user" 2>/dev/null | tail -1)"
  if ! PYTHONPATH="$HOOKS" SCHEMATHESIS_HOOKS=hooks "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/openapi.json" \
      --url "http://127.0.0.1:$PORT" \
      -H "Authorization: Bearer $token" \
      --checks all \
      --max-examples 10 --request-timeout 20 --seed 19 --generation-deterministic \
      --no-color >"$WORK/st-$user.log" 2>&1; then
    echo "schemathesis as $user failed:" >&2
    grep -vE '^\s*$' "$WORK/st-$user.log" | tail -60 >&2
    status=1
  else
    echo "schemathesis as $user: $(grep -E '^=+ .* in ' "$WORK/st-$user.log" | tr -d '=')"
  fi
done
if grep -q panicked "$WORK/serve.log"; then
  echo "the server panicked:" >&2
  grep -A5 panicked "$WORK/serve.log" >&2
  status=1
fi
exit $status
