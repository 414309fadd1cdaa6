#!/usr/bin/env bash
# The whole test suite: lint and types, then unit, integration and end-to-end tests against
# real PostgreSQL, Redis, nginx, ffmpeg and Chromium. Installs whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
# Real parts the tests drive (Debian packages; installed only when missing).
scripts/ensure-debian-packages.sh ffmpeg nginx libnginx-mod-stream openssl prometheus python3-apt redis-server chromium
scripts/lint.sh

services_env="$(mktemp)"
cleanup() { .venv/bin/python scripts/test_services.py down || true; rm -f "$services_env"; }
trap cleanup EXIT
.venv/bin/python scripts/test_services.py up > "$services_env"
# shellcheck disable=SC1090
. "$services_env"

echo "== pytest" >&2
.venv/bin/pytest -p no:cacheprovider --timeout 600 "$@"
if [ -f frontend/package.json ] && [ "${SHOWFLOOR_SKIP_FRONTEND:-}" != "1" ]; then
  echo "== frontend tests" >&2
  (cd frontend && npm test --silent)
  echo "== browser end to end (Playwright driving Debian's Chromium against showfloor up)" >&2
  (cd frontend && npm run e2e --silent)
fi
