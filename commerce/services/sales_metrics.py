"""Prometheus metrics of the sale path."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class SalesMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.hold_attempts = Counter(
            "showfloor_hold_attempts_total", "Hold attempts by outcome.", ["outcome"],
            registry=registry)
        self.holds_ended = Counter(
            "showfloor_holds_ended_total", "Holds that ended, by how.", ["reason"],
            registry=registry)
        self.orders = Counter(
            "showfloor_orders_total", "Orders by event (created, paid, fulfilled, cancelled).",
            ["event"], registry=registry)
        self.sold_out = Counter(
            "showfloor_inventory_sold_out_total", "Times a product's last free unit went.",
            registry=registry)
        self.guard_refusals = Counter(
            "showfloor_inventory_guard_refusals_total",
            "Gate winners the database refused (the gate was behind; it is reloaded).",
            registry=registry)
        self.gate_ready = Gauge(
            "showfloor_inventory_gate_ready",
            "1 when the inventory gate holds every product on sale.",
            registry=registry, multiprocess_mode="min")
        self.gate_loads = Counter(
            "showfloor_inventory_gate_loads_total", "Products (re)loaded into the gate.",
            ["cause"], registry=registry)
        self.sweeper_last_run = Gauge(
            "showfloor_hold_sweeper_last_run_timestamp_seconds",
            "When this worker's hold sweeper last finished a pass.",
            registry=registry, multiprocess_mode="max")
        self.hold_latency = Histogram(
            "showfloor_hold_decision_seconds", "Time to decide a hold attempt.",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
            registry=registry)
