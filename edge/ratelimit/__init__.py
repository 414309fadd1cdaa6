"""Token-bucket rate limits shared by all workers (Redis) or kept in process (memory)."""

from edge.ratelimit.base import RateLimiter
from edge.ratelimit.memory import MemoryRateLimiter
from edge.ratelimit.redis import RedisRateLimiter

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]
