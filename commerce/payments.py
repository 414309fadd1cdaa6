"""Payment providers. ``manual``: the buyer pays the host directly (bank transfer, cash on
pick-up) and the host marks the order paid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PaymentStart:
    status: str  # the order's status after checkout: pending_payment or paid
    reference: str | None


class PaymentProvider(Protocol):
    name: str

    async def start(self, *, order_reference: str, total_minor: int, currency: str,
                    params: dict[str, str]) -> PaymentStart: ...


class ManualPayment:
    name = "manual"

    async def start(self, *, order_reference: str, total_minor: int, currency: str,
                    params: dict[str, str]) -> PaymentStart:
        return PaymentStart(status="pending_payment", reference=f"manual:{order_reference}")


def default_providers() -> dict[str, PaymentProvider]:
    return {"manual": ManualPayment()}
