from __future__ import annotations

from datetime import UTC, datetime

import pytest

from commerce.domain.errors import Forbidden, InvalidTransition, InvalidValue
from commerce.domain.products import check_currency, check_image_url, check_sku
from commerce.domain.shows import (
    Show,
    ShowStatus,
    can_see_stream_key,
    check_transition,
    ensure_can_create_show,
    ensure_can_manage,
)
from commerce.domain.users import (
    Principal,
    Role,
    check_display_name,
    check_password_policy,
    normalise_email,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def show(owner: int = 1, status: ShowStatus = ShowStatus.SCHEDULED) -> Show:
    return Show(1, owner, "t", "", status, "sk_x", None, None, None, NOW, NOW)


@pytest.mark.parametrize(
    ("current", "target", "ok"),
    [
        (ShowStatus.SCHEDULED, ShowStatus.LIVE, True),
        (ShowStatus.SCHEDULED, ShowStatus.ENDED, True),
        (ShowStatus.LIVE, ShowStatus.IDLE, True),
        (ShowStatus.IDLE, ShowStatus.LIVE, True),
        (ShowStatus.LIVE, ShowStatus.ENDED, True),
        (ShowStatus.SCHEDULED, ShowStatus.IDLE, False),
        (ShowStatus.ENDED, ShowStatus.LIVE, False),
        (ShowStatus.LIVE, ShowStatus.SCHEDULED, False),
        (ShowStatus.ENDED, ShowStatus.ENDED, True),
    ],
)
def test_show_transitions(current: ShowStatus, target: ShowStatus, ok: bool) -> None:
    if ok:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_who_manages_a_show() -> None:
    owner, other, admin, viewer = (Principal(1, Role.HOST), Principal(2, Role.HOST),
                                   Principal(3, Role.ADMIN), Principal(4, Role.VIEWER))
    ensure_can_manage(owner, show())
    ensure_can_manage(admin, show())
    for principal in (other, viewer):
        with pytest.raises(Forbidden):
            ensure_can_manage(principal, show())
    with pytest.raises(Forbidden):
        ensure_can_create_show(viewer)
    ensure_can_create_show(other)
    assert can_see_stream_key(owner, show())
    assert can_see_stream_key(admin, show())
    assert not can_see_stream_key(other, show())
    assert not can_see_stream_key(None, show())


@pytest.mark.parametrize("raw", ["Host@Example.COM ", "host@example.com"])
def test_emails_are_normalised(raw: str) -> None:
    assert normalise_email(raw) == "host@example.com"


@pytest.mark.parametrize("raw", ["", "nope", "a@b", "a b@example.com", "@example.com",
                                 "x" * 65 + "@example.com"])
def test_bad_emails(raw: str) -> None:
    with pytest.raises(InvalidValue):
        normalise_email(raw)


def test_password_policy_and_names() -> None:
    check_password_policy("ten chars!")
    with pytest.raises(InvalidValue, match="at least"):
        check_password_policy("nine char")
    assert check_display_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(InvalidValue):
        check_display_name("bell\x07")


def test_product_fields() -> None:
    assert check_currency(" eur ") == "EUR"
    with pytest.raises(InvalidValue):
        check_currency("ABC")
    assert check_image_url("") is None
    assert check_image_url("https://cdn.example.com/a.png") == "https://cdn.example.com/a.png"
    for bad in ("ftp://x/y", "javascript:alert(1)", "https://"):
        with pytest.raises(InvalidValue):
            check_image_url(bad)
    assert check_sku(" A-1 ") == "A-1"
    with pytest.raises(InvalidValue):
        check_sku("A 1")
