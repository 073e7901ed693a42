"""Exact answers for buffer allocation: every allocation of a buffer total over a saturated serial
exponential line with blocking after service, each solved as a Markov chain (conftest's
`serial_line_throughput`), so an optimiser's answer can be held to the true optimum."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

from conftest import serial_line_throughput


def allocations(total: int, slots: int, *, exact: bool = True) -> Iterator[tuple[int, ...]]:
    """Every tuple of `slots` buffer sizes ≥ 0 summing to `total` (at most `total` if not exact)."""
    if slots == 0:
        if total == 0 or not exact:
            yield ()
        return
    for first in range(total + 1):
        for rest in allocations(total - first, slots - 1, exact=exact):
            yield (first, *rest)


@cache
def throughput_per_hour(means: tuple[float, ...], buffers: tuple[int, ...]) -> float:
    """Exact good parts per hour of the line with processing means (minutes) and the buffers in
    front of stations 2 … m."""
    return 60 * serial_line_throughput([1 / m for m in means], [0, *buffers])


def exact_table(means: tuple[float, ...], total: int, exact: bool = True) -> dict[tuple[int, ...], float]:
    """Exact throughput (per hour) of every allocation of `total` over the inner buffers."""
    return {a: throughput_per_hour(means, a) for a in allocations(total, len(means) - 1, exact=exact)}


def best_allocation(means: tuple[float, ...], total: int) -> tuple[tuple[int, ...], float]:
    """The allocation of `total` with the highest exact throughput, and that throughput."""
    table = exact_table(means, total)
    best = max(table, key=lambda a: table[a])
    return best, table[best]
