#!/usr/bin/env bash
# Creates or refreshes the virtualenv (and the frontend build when there is a frontend).
# Re-running is cheap: each step is skipped while its inputs are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "showfloor: needs Python 3.11 or newer as '$PYTHON' (set PYTHON=... to choose one)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian splits venv out of the interpreter package.
    rm -rf .venv
    version="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    scripts/ensure-debian-packages.sh "python${version}-venv"
    "$PYTHON" -m venv .venv
  fi
fi

stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "showfloor: installing Python packages into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [ -f frontend/package.json ] && [ "${SHOWFLOOR_SKIP_FRONTEND:-}" != "1" ]; then
  if ! command -v npm >/dev/null; then
    echo "showfloor: the frontend needs Node.js 20+ and npm" >&2
    exit 1
  fi
  lock_stamp="frontend/node_modules/.installed-$(sha256sum frontend/package-lock.json | cut -c1-16)"
  if [ ! -f "$lock_stamp" ]; then
    echo "showfloor: installing frontend packages (npm ci)" >&2
    (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
    touch "$lock_stamp"
  fi
  newest_source="$(find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts \
    -newer frontend/dist/index.html 2>/dev/null | head -1 || true)"
  if [ ! -f frontend/dist/index.html ] || [ -n "$newest_source" ]; then
    echo "showfloor: building the frontend" >&2
    (cd frontend && npm run -s build)
  fi
fi
