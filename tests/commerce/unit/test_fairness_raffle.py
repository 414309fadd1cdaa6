"""The raffle draw: exactly the documented algorithm, reproducible, and uniform."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import random
from collections import Counter

import pytest

from commerce.domain.errors import InvalidValue
from commerce.fairness.raffle import draw, draw_key, draw_order, parse_seed, seed_digest
from tests.support.stats import chi_square, chi_square_critical

pytestmark = pytest.mark.unit

SEED = bytes(range(32))


def reference_order(seed_hex: str, user_ids: list[int]) -> list[int]:
    """docs/raffle.md, written out independently."""
    seed = bytes.fromhex(seed_hex)
    keyed = [(hmac.new(seed, str(u).encode(), hashlib.sha256).hexdigest(), u) for u in user_ids]
    return [u for _, u in sorted(keyed)]


def test_known_vector() -> None:
    assert draw_key(SEED, 42) == hmac.new(SEED, b"42", hashlib.sha256).hexdigest()
    assert seed_digest(SEED) == hashlib.sha256(SEED).hexdigest()
    assert draw_order(SEED, [1, 2, 3, 4, 5]) == reference_order(SEED.hex(), [1, 2, 3, 4, 5])


def test_rerun_from_seed_and_entries_gives_the_same_winners() -> None:
    entries = random.Random(3).sample(range(1, 10**6), 500)
    first = draw(SEED, entries, 20)
    shuffled = entries[:]
    random.Random(4).shuffle(shuffled)
    again = draw(parse_seed(SEED.hex()), shuffled, 20)
    assert again == first
    assert first.winners == reference_order(SEED.hex(), entries)[:20]
    assert first.runners_up == first.order[20:]
    assert draw(bytes(32), entries, 20).winners != first.winners


def test_every_order_is_equally_likely_across_seeds() -> None:
    rng = random.Random(11)
    trials = 6000
    seen = Counter(tuple(draw_order(rng.randbytes(32), [1, 2, 3])) for _ in range(trials))
    perms = list(itertools.permutations([1, 2, 3]))
    assert chi_square([seen[p] for p in perms], [trials / 6] * 6) < chi_square_critical(5)


def test_more_units_than_entries_and_bad_input() -> None:
    result = draw(SEED, [5, 6], 10)
    assert sorted(result.winners) == [5, 6]
    assert result.runners_up == []
    assert draw(SEED, [5, 5, 6], 1).order == draw(SEED, [5, 6], 1).order
    with pytest.raises(InvalidValue):
        draw(SEED, [1], -1)
    with pytest.raises(InvalidValue):
        parse_seed("zz")
    with pytest.raises(InvalidValue):
        parse_seed("00" * 31)
