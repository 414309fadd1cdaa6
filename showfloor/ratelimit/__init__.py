"""Rate limits shared by every app: in-process for the embedded mode, Redis across workers."""

from showfloor.ratelimit.base import Decision, Limit, RateLimiter
from showfloor.ratelimit.memory import MemoryRateLimiter
from showfloor.ratelimit.redis import RedisRateLimiter

__all__ = ["Decision", "Limit", "MemoryRateLimiter", "RateLimiter", "RedisRateLimiter"]
