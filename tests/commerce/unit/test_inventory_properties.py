"""Any sequence of hold, release, expire, checkout, cancel and restock keeps the invariant."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.domain.errors import Conflict, InvalidValue
from commerce.domain.inventory import LiveHold, Outcome, ProductInventory

pytestmark = pytest.mark.unit

USERS = st.integers(min_value=1, max_value=5)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("hold"), USERS, st.integers(min_value=1, max_value=3),
                  st.floats(min_value=0, max_value=100)),
        st.tuples(st.just("release"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("expire"), st.floats(min_value=0, max_value=100)),
        st.tuples(st.just("checkout"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("cancel"), USERS, st.integers(min_value=1, max_value=3)),
        st.tuples(st.just("restock"), st.integers(min_value=0, max_value=40)),
        st.tuples(st.just("toggle"), st.booleans(), st.integers(min_value=1, max_value=4)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(stock=st.integers(min_value=0, max_value=20), limit=st.integers(min_value=1, max_value=4),
       operations=ops)
def test_invariant_under_any_sequence(stock: int, limit: int,
                                      operations: list[tuple[object, ...]]) -> None:
    inventory = ProductInventory(stock=stock, per_user_limit=limit, sale_open=True)
    created: list[str] = []
    last_version = inventory.version
    for op in operations:
        kind = op[0]
        if kind == "hold":
            _, user, quantity, expires = op
            hold_id = f"h{len(created)}"
            before_used = inventory.used_by(user)
            outcome = inventory.reserve(LiveHold(hold_id, user, quantity, expires))
            if outcome is Outcome.OK:
                created.append(hold_id)
                assert inventory.used_by(user) <= inventory.per_user_limit
            elif outcome is Outcome.LIMIT_EXCEEDED:
                assert before_used + quantity > inventory.per_user_limit
        elif kind == "release" and created:
            inventory.release(created[op[1] % len(created)])
        elif kind == "expire":
            for hold in inventory.expire_due(op[1]):
                assert hold.expires_at <= op[1]
        elif kind == "checkout" and created:
            inventory.confirm(created[op[1] % len(created)])
        elif kind == "cancel":
            with contextlib.suppress(Conflict):
                inventory.return_sold(op[1], op[2])
        elif kind == "restock":
            try:
                inventory.set_stock(op[1])
            except (Conflict, InvalidValue):
                assert op[1] < inventory.held + inventory.sold
        elif kind == "toggle":
            inventory.set_sale(sale_open=op[1], per_user_limit=op[2])
        assert inventory.invariant_holds(), op
        assert inventory.version >= last_version
        last_version = inventory.version


def test_a_hold_is_converted_or_returned_exactly_once() -> None:
    inventory = ProductInventory(stock=2, per_user_limit=2, sale_open=True)
    assert inventory.reserve(LiveHold("a", 1, 1, 10.0)) is Outcome.OK
    assert inventory.confirm("a") is not None
    assert inventory.confirm("a") is None
    assert inventory.release("a") is None
    assert inventory.expire_due(100.0) == []
    assert (inventory.available, inventory.held, inventory.sold) == (1, 0, 1)


def test_sold_out_and_limits_and_closed_sale() -> None:
    inventory = ProductInventory(stock=1, per_user_limit=1)
    assert inventory.reserve(LiveHold("a", 1, 1, 10.0)) is Outcome.SALE_NOT_OPEN
    inventory.set_sale(sale_open=True, per_user_limit=1)
    assert inventory.reserve(LiveHold("a", 1, 2, 10.0)) is Outcome.SOLD_OUT
    assert inventory.reserve(LiveHold("b", 1, 1, 10.0)) is Outcome.OK
    inventory.set_stock(3)
    assert inventory.reserve(LiveHold("c", 1, 1, 10.0)) is Outcome.LIMIT_EXCEEDED
    assert inventory.reserve(LiveHold("d", 2, 1, 10.0)) is Outcome.OK
    with pytest.raises(Conflict):
        inventory.set_stock(1)
