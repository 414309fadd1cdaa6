#!/usr/bin/env bash
# Benchmarks: each prints a table of its figures. Not part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
services_env="$(mktemp)"
cleanup() { .venv/bin/python scripts/test_services.py down || true; rm -f "$services_env"; }
trap cleanup EXIT
.venv/bin/python scripts/test_services.py up > "$services_env"
# shellcheck disable=SC1090
. "$services_env"
for bench in tests/bench/*.py; do
  case "$(basename "$bench")" in _*) continue ;; esac  # helpers, not benchmarks
  echo "== $bench" >&2
  .venv/bin/python "$bench"
done
