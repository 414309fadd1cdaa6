#!/usr/bin/env bash
# Starts the whole stack on the embedded default: one process, SQLite under ./var, one URL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/showfloor up "$@"
