"""State about who is connected, shared by the edge workers: viewer counts per show and the
clock offsets measured on hosts' connections."""

from edge.presence.base import HostClocks, ViewerCounts
from edge.presence.memory import MemoryHostClocks, MemoryViewerCounts
from edge.presence.redis import RedisHostClocks, RedisViewerCounts

__all__ = [
    "HostClocks",
    "MemoryHostClocks",
    "MemoryViewerCounts",
    "RedisHostClocks",
    "RedisViewerCounts",
    "ViewerCounts",
]
