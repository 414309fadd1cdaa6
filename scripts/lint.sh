#!/usr/bin/env bash
# ruff (explicit rule list in pyproject.toml) and mypy --strict on the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
echo "== ruff" >&2
.venv/bin/ruff check .
echo "== mypy (strict)" >&2
.venv/bin/mypy
