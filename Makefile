# One command per habit. Each script installs what it needs first.
.PHONY: up test lint bench

up:     ## serve everything on http://127.0.0.1:8080 (embedded: SQLite, in-process backends)
	scripts/up.sh

test:   ## lint, types and every test against real PostgreSQL, Redis, nginx, ffmpeg, Chromium
	scripts/test.sh

lint:   ## ruff and mypy --strict
	scripts/lint.sh

bench:  ## benchmarks under tests/bench (print their figures)
	scripts/bench.sh
