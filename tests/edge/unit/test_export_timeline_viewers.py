from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from edge.domain.export import CSV_COLUMNS, ExportedMessage, render_chat_csv
from edge.domain.timeline import HighlightRecord, build_timeline, correct_click
from edge.domain.viewers import PushState, decide_push

pytestmark = pytest.mark.unit

T = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)


def test_csv_is_rfc4180_and_defuses_formulas() -> None:
    messages = [
        ExportedMessage(1, T, 7, "Ann", 'says "hi", twice', None, None),
        ExportedMessage(2, T.replace(tzinfo=None), 8, "=cmd", "+1 for that", T, 3),
        ExportedMessage(3, T, 9, "Bo", "@everyone -look", None, None),
    ]
    text = "".join(render_chat_csv(messages))
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["text"] == 'says "hi", twice'
    assert rows[0]["sent_at"] == "2030-05-01T12:00:00Z"
    assert rows[1]["display_name"] == "'=cmd"
    assert rows[1]["text"] == "'+1 for that"
    assert rows[1]["sent_at"] == "2030-05-01T12:00:00Z"  # naive means UTC
    assert (rows[1]["deleted_at"], rows[1]["deleted_by"]) == ("2030-05-01T12:00:00Z", "3")
    assert rows[2]["text"] == "'@everyone -look"
    assert "".join(render_chat_csv(messages[:1], header=False)).startswith("1,")


def test_a_highlight_lasts_until_the_next_one() -> None:
    a = HighlightRecord("a", 1, T + timedelta(seconds=30), T)
    b = HighlightRecord("b", 2, T, T + timedelta(seconds=1))  # clicked later, earlier in stream
    c = HighlightRecord("c", 3, T + timedelta(seconds=90), T)
    entries = build_timeline([a, b, c])
    assert [e.highlight_id for e in entries] == ["b", "a", "c"]
    assert [e.end for e in entries] == [a.program_date_time, c.program_date_time, None]
    assert build_timeline([]) == []


def test_click_correction() -> None:
    assert correct_click(103.7, 100.2, 3.7, 0.01) == pytest.approx(100.0)
    assert correct_click(None, 100.2, 3.7, 0.05) == pytest.approx(100.15)
    assert correct_click(100.0, 100.2, None, 0.0) == pytest.approx(100.0)


def test_viewer_counts_are_pushed_at_most_once_per_interval_and_only_on_change() -> None:
    fresh = PushState(None, None)
    assert decide_push(fresh, 0, 0.0, 2.0).push
    pushed = PushState(10.0, 5)
    assert not decide_push(pushed, 5, 30.0, 2.0).push
    early = decide_push(pushed, 6, 11.0, 2.0)
    assert (early.push, early.pending) == (False, True)
    due = decide_push(pushed, 6, 12.0, 2.0)
    assert (due.push, due.pending) == (True, False)
