#!/usr/bin/env bash
# Run the test suite against real services (started by the fixtures). Prints phase timings.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
echo "[test] ruff"; .venv/bin/ruff check .
echo "[test] pre-training the Rasa model (cached by hash)"
.venv/bin/python -c "from ops.model import ensure_model; ensure_model()"
t1=$(date +%s)
echo "[test] model phase: $((t1 - t0)) s"
mkdir -p test-artifacts
# the mini-program client's test packages (miniprogram-simulate, jsdom, ws, socket.io-client), when the lock changed
mp=clients/miniprogram
if ! cmp -s "$mp/package-lock.json" "$mp/node_modules/.bangban-lock" 2>/dev/null; then
  echo "[test] npm ci in $mp"
  (cd "$mp" && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.bangban-lock)
fi
set +e
.venv/bin/python -m pytest -p no:cacheprovider -q -ra "$@"
rc=$?
set -e
echo "[test] pytest phase: $(( $(date +%s) - t1 )) s"
exit $rc
