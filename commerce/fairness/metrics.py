"""Prometheus metrics of fairness: waiting rooms, raffles and abuse limits."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class FairnessMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.queue_joins = Counter(
            "showfloor_queue_joins_total", "Waiting-room joins by outcome (new, again, refused).",
            ["outcome"], registry=registry)
        self.queue_waiting = Gauge(
            "showfloor_queue_waiting", "Tickets waiting in a product's room (not yet admitted).",
            ["product_id"], registry=registry, multiprocess_mode="max")
        self.queue_admissions = Counter(
            "showfloor_queue_admissions_total", "Tickets admitted to hold.", registry=registry)
        self.queue_admissions_expired = Counter(
            "showfloor_queue_admissions_expired_total",
            "Admissions that ended without a hold (their slot went to the next ticket).",
            registry=registry)
        self.raffle_entries = Counter(
            "showfloor_raffle_entries_total", "Raffle entry attempts by outcome.", ["outcome"],
            registry=registry)
        self.raffle_draws = Counter(
            "showfloor_raffle_draws_total", "Raffles drawn.", registry=registry)
        self.raffle_holds = Counter(
            "showfloor_raffle_holds_total",
            "Holds given by raffles (winner, runner_up), and turns skipped.", ["outcome"],
            registry=registry)
        self.rate_limited = Counter(
            "showfloor_fairness_rate_limited_total",
            "Attempts refused by the abuse limits, by action (hold, queue, raffle) and scope "
            "(user, ip).", ["action", "scope"], registry=registry)
        self.refusals = Counter(
            "showfloor_fairness_refusals_total",
            "Attempts refused by a drop's rules, by code (account_too_new, not_admitted, ...).",
            ["code"], registry=registry)
