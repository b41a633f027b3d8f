#!/usr/bin/env bash
# Real-browser end-to-end test: builds a throw-away demo database with the given jiuzhu
# binary, serves it on a free local port and drives Debian's chromium through
# tests/browser/e2e.mjs (playwright-core; no browser download).
#
# Usage: scripts/browser-test.sh PATH_TO_JIUZHU_BINARY
#   e.g. scripts/browser-test.sh target/debug/jiuzhu
# Set KEEP_E2E_TMP=1 to keep the temp dir (database, server log) afterwards; SKIP_CRAWL=1
# runs only the end-to-end flow, ONLY_CRAWL=1 only the crawl (JIUZHU_SHOTS=dir keeps its
# five phone-width screenshots).
set -euo pipefail

say() { printf '==> %s\n' "$*"; }
die() { printf 'browser-test: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 PATH_TO_JIUZHU_BINARY"
BIN=$1
[ -f "$BIN" ] && [ -x "$BIN" ] || die "not an executable file: $BIN"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TESTS="$ROOT/tests/browser"
CHROMIUM=/usr/bin/chromium

for tool in node npm curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is required but not installed"
done

# 1. Browser: Debian's chromium (playwright's own browser downloads are not used).
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    say "installing chromium from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
  else
    die "$CHROMIUM is missing; install it with: sudo apt-get install -y chromium"
  fi
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM still missing after apt-get install"
say "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"

# 2. Node dependencies (playwright-core only), from the lockfile.
if [ ! -d "$TESTS/node_modules/playwright-core" ] || [ "$TESTS/package-lock.json" -nt "$TESTS/node_modules" ]; then
  say "npm ci in tests/browser"
  (cd "$TESTS" && npm ci --no-audit --no-fund)
  touch "$TESTS/node_modules"
fi

# 3. A fresh demo database.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jiuzhu-e2e.XXXXXX")
DB="sqlite://$TMP/e2e.db"
SERVER_PID=
cleanup() {
  local status=$?
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP_E2E_TMP:-0}" = 1 ]; then
    say "kept $TMP"
  else
    rm -rf "$TMP"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "migrate $DB"
"$BIN" migrate --db "$DB"

say "demo data: 300 households, seed 7"
"$BIN" demo --db "$DB" --households 300 --seed 7 >"$TMP/demo-users.txt"

USER_NAME=e2e-clerk
PASS="E2e-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')-Pw"
say "create user $USER_NAME (window_clerk, scope 3303)"
printf '%s' "$PASS" | "$BIN" user add --db "$DB" --username "$USER_NAME" \
  --display-name 'E2E 测试' --role window_clerk --scope 3303 --password-stdin

OFFICER=e2e-county
OFFICER_PASS="E2e-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')-Pw"
say "create user $OFFICER (county_approver, scope 3303) to work alerts"
printf '%s' "$OFFICER_PASS" | "$BIN" user add --db "$DB" --username "$OFFICER" \
  --display-name 'E2E 预警处置' --role county_approver --scope 3303 --password-stdin

say "pick a member name to search for"
NAMES=$("$BIN" households --db "$DB" --limit 1 --format names)
SEARCH_NAME=$(printf '%s\n' "$NAMES" | sed -n '1p' | tr -d '\r')
[ -n "$SEARCH_NAME" ] || die "'households --limit 1 --format names' printed no name"
say "search name: $SEARCH_NAME"
APPLICANT_ID=$("$BIN" households --db "$DB" --limit 2 --format ids | sed -n '2p' | tr -d '\r')
[ -n "$APPLICANT_ID" ] || die "'households --format ids' printed no ID number"

# 4. Serve on a free port.
PORT=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
say "serve on $URL (log: $TMP/server.log)"
"$BIN" serve --db "$DB" --addr "127.0.0.1:$PORT" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

say "wait for $URL/healthz"
ready=0
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null --max-time 2 "$URL/healthz" 2>/dev/null; then
    ready=1
    break
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    cat "$TMP/server.log" >&2 || true
    die "the server exited before becoming healthy"
  fi
  sleep 0.5
done
if [ "$ready" != 1 ]; then
  tail -n 50 "$TMP/server.log" >&2 || true
  die "the server was not healthy within 60 s"
fi

# 5. The browser test.
status=0
if [ "${ONLY_CRAWL:-0}" != 1 ]; then
  say "run tests/browser/e2e.mjs"
  set +e
  JIUZHU_URL="$URL" JIUZHU_USER="$USER_NAME" JIUZHU_PASSWORD="$PASS" \
    JIUZHU_OFFICER="$OFFICER" JIUZHU_OFFICER_PASSWORD="$OFFICER_PASS" JIUZHU_APPLICANT_ID="$APPLICANT_ID" \
    JIUZHU_SEARCH_NAME="$SEARCH_NAME" JIUZHU_CHROMIUM="$CHROMIUM" \
    node "$TESTS/e2e.mjs"
  status=$?
  set -e
fi

# 6. The crawl: every page as every demo role and as a citizen, in both languages, at
# 1366 and 390 px (tests/browser/crawl.mjs says what fails it).
if [ "$status" -eq 0 ] && [ "${SKIP_CRAWL:-0}" != 1 ]; then
  say "run tests/browser/crawl.mjs"
  set +e
  JIUZHU_URL="$URL" JIUZHU_USERS="$TMP/demo-users.txt" JIUZHU_CHROMIUM="$CHROMIUM" \
    node "$TESTS/crawl.mjs"
  status=$?
  set -e
fi

if [ "$status" -eq 0 ]; then
  say "browser test passed"
else
  say "browser test FAILED (exit $status); last server log lines:"
  tail -n 30 "$TMP/server.log" >&2 || true
fi
exit "$status"
