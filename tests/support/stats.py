"""Small statistics for fairness tests and benchmarks (no SciPy on the test machines)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    result = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            result[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return result


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (Pearson's correlation of the ranks)."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("need two sequences of the same length, at least 2")
    rx, ry = ranks(x), ranks(y)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else 0.0


def chi_square(observed: Sequence[float], expected: Sequence[float]) -> float:
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True))


def chi_square_critical(dof: int, p: float = 0.001) -> float:
    """Upper critical value of the chi-square distribution (Wilson-Hilferty approximation,
    within a few percent for dof >= 3)."""
    z = {0.01: 2.326, 0.001: 3.090, 0.0001: 3.719}[p]
    k = float(dof)
    return k * (1 - 2 / (9 * k) + z * math.sqrt(2 / (9 * k))) ** 3


def contingency_chi_square(pairs: Sequence[tuple[int, int]], bins: int, n: int) -> float:
    """Independence of two positions in 0..n-1 (arrival and rank): a bins x bins table."""
    table = [[0] * bins for _ in range(bins)]
    for a, b in pairs:
        table[a * bins // n][b * bins // n] += 1
    total = len(pairs)
    rows = [sum(r) for r in table]
    cols = [sum(table[i][j] for i in range(bins)) for j in range(bins)]
    stat = 0.0
    for i in range(bins):
        for j in range(bins):
            expected = rows[i] * cols[j] / total
            if expected:
                stat += (table[i][j] - expected) ** 2 / expected
    return stat
