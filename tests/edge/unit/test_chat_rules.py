from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edge.domain.chat import (
    ChatLimits,
    ChatRejected,
    Restriction,
    RestrictionKind,
    ShowRole,
    blocking_restriction,
    check_can_moderate,
    check_slow_mode,
    clean_text,
    rate_rules,
    refuse_restricted,
)

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hello", "hello"),
        ("  two   spaces \n and a newline\t", "two spaces and a newline"),
        ("<b>not bold</b>", "<b>not bold</b>"),  # text, not markup: rendered as is
        ("cafe\u0301", "caf\u00e9"),  # NFC
        ("emoji 🎉 ok", "emoji 🎉 ok"),
    ],
)
def test_messages_are_normalised_plain_text(raw: str, clean: str) -> None:
    assert clean_text(raw, 100) == clean


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty_message"),
        (" \n\t ", "empty_message"),
        ("x" * 11, "message_too_long"),
        ("bell\x07", "invalid_characters"),
        ("rtl\u202eoverride", "invalid_characters"),
        ("nul\x00", "invalid_characters"),
        ("del\x7f", "invalid_characters"),
    ],
)
def test_bad_messages_are_refused(raw: str, code: str) -> None:
    with pytest.raises(ChatRejected) as refused:
        clean_text(raw, 10)
    assert refused.value.code == code


def test_a_ban_blocks_before_a_mute_and_expired_ones_do_not() -> None:
    expired = Restriction(RestrictionKind.MUTE, NOW - timedelta(seconds=1))
    mute = Restriction(RestrictionKind.MUTE, NOW + timedelta(minutes=5))
    ban = Restriction(RestrictionKind.BAN, None)
    assert blocking_restriction([expired], NOW) is None
    assert blocking_restriction([mute, ban], NOW) == ban
    with pytest.raises(ChatRejected) as muted:
        refuse_restricted(mute, NOW)
    assert (muted.value.code, muted.value.retry_after) == ("muted", 300.0)
    with pytest.raises(ChatRejected, match="banned"):
        refuse_restricted(ban, NOW)
    refuse_restricted(None, NOW)


@pytest.mark.parametrize(
    ("actor", "target", "code"),
    [
        (ShowRole.HOST, ShowRole.VIEWER, None),
        (ShowRole.HOST, ShowRole.MODERATOR, None),
        (ShowRole.MODERATOR, ShowRole.VIEWER, None),
        (ShowRole.MODERATOR, ShowRole.MODERATOR, "target_is_moderator"),
        (ShowRole.MODERATOR, ShowRole.HOST, "target_is_host"),
        (ShowRole.HOST, ShowRole.HOST, "target_is_host"),
        (ShowRole.VIEWER, ShowRole.VIEWER, "not_a_moderator"),
    ],
)
def test_who_moderates_whom(actor: ShowRole, target: ShowRole, code: str | None) -> None:
    if code is None:
        check_can_moderate(actor, target)
        return
    with pytest.raises(ChatRejected) as refused:
        check_can_moderate(actor, target)
    assert refused.value.code == code


def test_rate_rules_by_role() -> None:
    limits = ChatLimits(burst=5, per_minute=20, slow_mode_seconds=10)
    assert rate_rules(ShowRole.HOST, limits) == []
    assert [name for name, _ in rate_rules(ShowRole.MODERATOR, limits)] == ["rate"]
    viewer = dict(rate_rules(ShowRole.VIEWER, limits))
    assert viewer["rate"].capacity == 5
    assert viewer["rate"].rate == pytest.approx(20 / 60)
    assert viewer["slow"].capacity == 1
    assert viewer["slow"].rate == pytest.approx(0.1)
    assert [n for n, _ in rate_rules(ShowRole.VIEWER, ChatLimits(5, 20))] == ["rate"]


def test_slow_mode_bounds() -> None:
    assert check_slow_mode(0) == 0
    with pytest.raises(ChatRejected):
        check_slow_mode(-1)
    with pytest.raises(ChatRejected):
        check_slow_mode(3601)
