from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commerce.domain.errors import InvalidValue
from commerce.fairness.rules import AccountTooNew, DropRules, check_account_age, show_limit_left
from commerce.fairness.service import estimated_wait_seconds

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def test_account_age() -> None:
    check_account_age(NOW - timedelta(days=8), NOW, 7 * 86400)
    check_account_age(NOW, NOW, 0)
    with pytest.raises(AccountTooNew) as refused:
        check_account_age(NOW - timedelta(hours=1), NOW, 86400)
    assert refused.value.code == "account_too_new"
    assert "1 day old" in refused.value.detail
    assert "in 24 hours" in refused.value.detail


def test_drop_rules_bounds() -> None:
    assert DropRules(1).admission_seconds == 60
    with pytest.raises(InvalidValue):
        DropRules(1, admission_seconds=1)
    with pytest.raises(InvalidValue):
        DropRules(1, min_account_age_seconds=-1)


def test_show_limit_and_wait_estimate() -> None:
    assert show_limit_left(None, 100, 1)
    assert show_limit_left(3, 2, 1)
    assert not show_limit_left(3, 3, 1)
    assert estimated_wait_seconds(1, 20, 60) == 60
    assert estimated_wait_seconds(41, 20, 60) == 180
    assert estimated_wait_seconds(0, 20, 60) == 0
    assert estimated_wait_seconds(None, 20, 60) is None
