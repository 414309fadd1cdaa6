"""Prometheus metrics of the edge app (prefix ``showfloor_edge_``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class EdgeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.connections = Gauge(
            "showfloor_edge_connections",
            "Open channel connections, by transport.",
            ["transport"],
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.connections_total = Counter(
            "showfloor_edge_connections_opened_total",
            "Channel connections accepted, by transport and how they resumed.",
            ["transport", "resume"],
            registry=registry,
        )
        self.closed = Counter(
            "showfloor_edge_connections_closed_total",
            "Channel connections ended by the server, by reason (slow_consumer, "
            "events_lost, ids_restarted, shutting_down, unauthorized, not_found, ...).",
            ["transport", "reason"],
            registry=registry,
        )
        self.slow_consumers = Counter(
            "showfloor_edge_slow_consumers_total",
            "Subscribers cut because their queue overflowed.",
            registry=registry,
        )
        self.chat_messages = Counter(
            "showfloor_edge_chat_messages_total",
            "Chat messages, by outcome (accepted, or the refusal code).",
            ["outcome"],
            registry=registry,
        )
        self.highlights = Counter(
            "showfloor_edge_highlights_total",
            "Highlight requests, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.viewer_pushes = Counter(
            "showfloor_edge_viewer_count_pushes_total",
            "Viewer-count events published by this worker.",
            registry=registry,
        )
