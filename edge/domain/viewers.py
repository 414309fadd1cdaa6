"""When a show's viewer count is pushed: at most once per interval, and only when it changed."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PushState:
    pushed_at: float | None  # seconds, on the clock of whoever keeps the state
    pushed_total: int | None


@dataclass(frozen=True, slots=True)
class ViewerReport:
    total: int  # viewers of the show across all live workers
    push: bool  # the reporting worker publishes ``total`` now
    pending: bool  # the total differs from what viewers saw; keep reporting until pushed


def decide_push(state: PushState, total: int, now: float, interval: float) -> ViewerReport:
    changed = state.pushed_total != total
    due = state.pushed_at is None or now - state.pushed_at >= interval
    push = changed and due
    return ViewerReport(total=total, push=push, pending=changed and not push)
