"""Products a host sells in a show: price, stock and the rules of its sale."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from commerce.domain.errors import InvalidValue

MIN_HOLD_TTL_SECONDS = 10
MAX_HOLD_TTL_SECONDS = 24 * 3600
MAX_STOCK = 1_000_000
MAX_PER_USER_LIMIT = 1000

# Active ISO 4217 currency codes (2024 list, funds codes and precious metals excluded).
ISO_4217 = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHF",
        "CLP",
        "CNY",
        "COP",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "UYU",
        "UZS",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
    ]
)


class SaleMode(enum.StrEnum):
    OPEN = "open"
    QUEUE = "queue"
    RAFFLE = "raffle"


@dataclass(frozen=True, slots=True)
class Product:
    id: int
    show_id: int
    sku: str
    title: str
    description: str
    image_url: str | None
    price_minor: int
    currency: str
    stock: int
    per_user_limit: int
    sale_mode: SaleMode
    hold_ttl_seconds: int
    sale_open: bool
    created_at: datetime
    updated_at: datetime


def check_currency(raw: str) -> str:
    code = raw.strip().upper()
    if code not in ISO_4217:
        raise InvalidValue(
            f"{raw!r} is not an ISO 4217 currency code (e.g. EUR, USD).", field="currency"
        )
    return code


def check_image_url(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidValue("image_url must be an http(s) URL.", field="image_url")
    return raw


def check_sku(raw: str) -> str:
    sku = raw.strip()
    if not sku or any(ch.isspace() for ch in sku):
        raise InvalidValue("The SKU cannot be blank or contain spaces.", field="sku")
    return sku
