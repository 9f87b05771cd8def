#!/usr/bin/env bash
# The whole suite: style, the layer contract, types, then unit, integration (SQLite and PostgreSQL)
# and browser tests. Run through `make test`, which installs everything first.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== import contracts"
$BIN/lint-imports
echo "== types (mypy; the checked packages are listed in pyproject.toml)"
$BIN/mypy
echo "== pytest"
set +e
$BIN/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
if [ "$status" -eq 5 ]; then
  echo "error: pytest collected no tests" >&2
  exit 1
fi
exit "$status"
