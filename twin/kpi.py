"""KPIs of one run: pure functions of the line and its `RunStats` (ISO 22400 names and meanings).

Definitions (per machine, summed over a station's machines, over the observed window):
- planned time  = observed − off − maintenance (planned downtime is not a loss, ISO 22400 PBT)
- operating     = planned − down − setup       (availability losses)
- availability  = operating / planned
- performance   = parts completed × ideal cycle / operating   (idling, starving, blocking, slow cycles)
- quality rate  = good / produced (1 until scrap exists)
- OEE           = availability × performance × quality

The line's OEE is that of its *constraint*: the station with the longest ideal cycle per machine
(mean process time / machines). Line OEE = good parts × constraint's ideal cycle / its planned
time, and availability and performance are the constraint's, so A × P × Q = OEE holds exactly.
The *bottleneck* is measured instead: the station with the highest active share (busy + down +
maintenance + setup), the classic utilisation-based bottleneck of a line.
"""

from __future__ import annotations

import numpy as np

from twin.config import Line, dist_mean
from twin.engine.states import ACTIVE_STATES, BUSY, DOWN, MAINTENANCE, OFF, SETUP, STATES
from twin.engine.stats import RunStats, StationStats

LINE_KPIS: tuple[str, ...] = (
    "throughput_per_hour", "lead_time_min", "wip", "availability", "performance",
    "quality_rate", "oee", "bottleneck_share",
)
STATION_KPIS: tuple[str, ...] = (
    *(f"share_{state}" for state in STATES), "utilisation", "availability", "performance",
    "quality_rate", "oee", "buffer_mean", "throughput_per_hour", "failures_per_day",
)


def ideal_cycle(line: Line, index: int) -> float:
    """Ideal cycle time of one machine of station `index` (its mean process time), minutes."""
    return dist_mean(line.stations[index].process)


def constraint_index(line: Line) -> int:
    """The station with the longest ideal cycle per machine: the line's designed constraint."""
    loads = [ideal_cycle(line, i) / s.machines for i, s in enumerate(line.stations)]
    return int(np.argmax(loads))


def _safe_div(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else float("nan")


def station_kpis(line: Line, stats: StationStats, index: int, observed: float) -> dict[str, float]:
    minutes = stats.state_minutes.sum(axis=0)
    total = observed * stats.machines
    planned = total - minutes[OFF] - minutes[MAINTENANCE]
    operating = planned - minutes[DOWN] - minutes[SETUP]
    availability = _safe_div(operating, planned)
    performance = _safe_div(stats.completed * ideal_cycle(line, index), operating)
    quality = 1.0
    kpis = {f"share_{state}": minutes[i] / total for i, state in enumerate(STATES)}
    kpis.update(
        utilisation=minutes[BUSY] / total,
        availability=availability,
        performance=performance,
        quality_rate=quality,
        oee=availability * performance * quality,
        buffer_mean=stats.buffer_area / observed,
        throughput_per_hour=stats.completed / observed * 60,
        failures_per_day=stats.failures / observed * 24 * 60,
    )
    return kpis


def active_share(stats: StationStats, observed: float) -> float:
    minutes = stats.state_minutes.sum(axis=0)
    return float(sum(minutes[s] for s in ACTIVE_STATES) / (observed * stats.machines))


def bottleneck(stats: RunStats) -> tuple[int, float]:
    """(index, active share) of the station with the highest active share."""
    shares = [active_share(s, stats.observed_min) for s in stats.stations]
    index = int(np.argmax(shares))
    return index, shares[index]


def line_kpis(line: Line, stats: RunStats) -> dict[str, float]:
    observed = stats.observed_min
    constraint = constraint_index(line)
    station = station_kpis(line, stats.stations[constraint], constraint, observed)
    minutes = stats.stations[constraint].state_minutes.sum(axis=0)
    planned = observed * stats.stations[constraint].machines - minutes[OFF] - minutes[MAINTENANCE]
    cycle = ideal_cycle(line, constraint)
    good = stats.departed
    quality = 1.0
    oee = _safe_div(good * cycle, planned)
    availability = station["availability"]
    _, share = bottleneck(stats)
    return {
        "throughput_per_hour": good / observed * 60,
        "lead_time_min": _safe_div(stats.lead_time_sum, stats.departed),
        "wip": stats.wip_area / observed,
        "availability": availability,
        "performance": _safe_div(oee, availability * quality),
        "quality_rate": quality,
        "oee": oee,
        "bottleneck_share": share,
    }

