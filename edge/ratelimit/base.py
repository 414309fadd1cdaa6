from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from edge.domain.ratelimit import BucketRule, RateDecision


class RateLimiter(ABC):
    @abstractmethod
    async def acquire(self, scope: str, buckets: Sequence[tuple[str, BucketRule]]) -> RateDecision:
        """Take one token from each named bucket of ``scope`` (all or nothing).

        Buckets of one scope are checked atomically; in Redis they share a hash tag.
        """
