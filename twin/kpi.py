"""KPIs of one run: pure functions of the line and its `RunStats` (ISO 22400 names and meanings).

Definitions (per machine, summed over a station's machines, over the observed window):
- planned time  = observed − off − maintenance (planned downtime is not a loss, ISO 22400 PBT)
- operating     = planned − down − setup − tool change   (availability losses)
- availability  = operating / planned
- performance   = Σ parts completed × the ideal cycle of their product / operating (idling,
                  starving, blocking, slow cycles)
- quality rate  = good / produced
- OEE           = availability × performance × quality

The ideal cycle of a part is the mean process time of its own product at the station. The line's
OEE is that of its *constraint*: the station with the longest ideal cycle per machine (mean
process time over the product mix / machines). Line OEE = Σ good parts × the constraint's ideal
cycle of their product / its planned time; availability is the constraint's, quality = good /
(shipped + scrapped + reworked), and performance is what makes A × P × Q = OEE hold exactly. The
*bottleneck* is measured instead: the station with the highest active share (`ACTIVE_STATES`:
busy + down + maintenance + setup + tool change). Every state group comes from
`twin.engine.states`.

Precision KPIs come from every part as produced, before inspection sorts them. `cp`/`cpk` use the
overall standard deviation of the run (what AIAG calls Pp/Ppk); with several characteristics the
line reports the one with the lowest Cpk.
"""

from __future__ import annotations

import math

import numpy as np

from twin import kpi_registry as registry
from twin.config import Line, dist_mean
from twin.config.costs import PERIOD_MINUTES
from twin.costs import cost_kpis
from twin.energy import energy_kpis, station_energy_kpis
from twin.engine.quality import CharacteristicStats
from twin.engine.states import (
    ACTIVE_STATES,
    AVAILABILITY_LOSSES,
    BUSY,
    CHANGEOVER_STATES,
    PLANNED_DOWNTIME,
    STATES,
    UNPLANNED_STOPS,
    group_minutes,
)
from twin.engine.stats import RunStats, StationStats

PRECISION_KPIS: tuple[str, ...] = (
    "cp", "cpk", "characteristic_mean", "characteristic_sigma", "defect_ppm",
)
LINE_KPIS: tuple[str, ...] = tuple(registry.LINE)
"""Every line KPI `line_kpis` computes, in the registry's order (labels and units live there)."""
STATION_KPIS: tuple[str, ...] = tuple(registry.STATION)
NAN = float("nan")


def ideal_cycles(line: Line, index: int) -> list[float]:
    """Ideal cycle time of one machine of station `index` for each product (its mean process time
    for that product: `process_by_product`, else `process`), minutes; one entry without a mix."""
    spec = line.stations[index]
    if not line.products:
        return [dist_mean(spec.process)]
    return [dist_mean(spec.process_by_product.get(p.name, spec.process)) for p in line.products]


def product_mix(line: Line) -> list[float]:
    """Expected fraction of released parts of each product: lots of the release sequence, or lots
    drawn by share, each of its lot size (one entry, 1.0, without a mix)."""
    products = line.products
    if not products:
        return [1.0]
    if line.release_sequence:
        names = [p.name for p in products]
        parts = [0.0] * len(products)
        for name in line.release_sequence:
            parts[names.index(name)] += products[names.index(name)].lot_size
    else:
        parts = [p.share * p.lot_size for p in products]
    total = sum(parts)
    return [n / total for n in parts]


def ideal_cycle(line: Line, index: int) -> float:
    """Ideal cycle time of one machine of station `index` over the product mix, minutes."""
    return float(np.dot(product_mix(line), ideal_cycles(line, index)))


def ideal_minutes(line: Line, index: int, stats: StationStats) -> float:
    """Ideal time of the parts station `index` completed, part by part: each at the ideal cycle of
    its own product, so performance cannot pass 100% just because a product is quicker."""
    if not stats.completed_by_product:  # every product has the station's one process time
        return stats.completed * ideal_cycles(line, index)[0]
    return float(np.dot(stats.completed_by_product, ideal_cycles(line, index)))


def constraint_index(line: Line) -> int:
    """The station with the longest ideal cycle per machine (over the product mix): the line's
    designed constraint."""
    loads = [ideal_cycle(line, i) / s.machines for i, s in enumerate(line.stations)]
    return int(np.argmax(loads))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else NAN


def planned_and_operating(stats: StationStats, observed: float) -> tuple[float, float]:
    """(planned, operating) machine minutes of a station: ISO 22400's PBT and APT."""
    minutes = stats.state_minutes.sum(axis=0)
    planned = observed * stats.machines - group_minutes(minutes, PLANNED_DOWNTIME)
    return planned, planned - group_minutes(minutes, AVAILABILITY_LOSSES)


def precision(line: Line, index: int, stats: CharacteristicStats | None) -> dict[str, float]:
    """Capability of one station's characteristic from its produced moments."""
    spec = line.stations[index].quality
    if spec is None or stats is None or stats.produced < 2:
        return dict.fromkeys(PRECISION_KPIS, NAN)
    n = stats.produced
    mean = stats.total / n
    variance = max(0.0, (stats.total_sq - n * mean * mean) / (n - 1))
    sigma = math.sqrt(variance)
    c = spec.characteristic
    value = c.nominal + mean
    return {
        "cp": _ratio(c.usl - c.lsl, 6 * sigma),
        "cpk": _ratio(min(c.usl - value, value - c.lsl), 3 * sigma),
        "characteristic_mean": value,
        "characteristic_sigma": sigma,
        "defect_ppm": stats.defects / n * 1e6,
    }


def station_kpis(line: Line, stats: StationStats, index: int, observed: float) -> dict[str, float]:
    minutes = stats.state_minutes.sum(axis=0)
    total = observed * stats.machines
    planned, operating = planned_and_operating(stats, observed)
    availability = _ratio(operating, planned)
    performance = _ratio(ideal_minutes(line, index, stats), operating)
    capability = precision(line, index, stats.characteristic)
    characteristic = stats.characteristic
    produced = characteristic.produced if characteristic else 0
    quality = 1.0 - characteristic.defects / produced if characteristic and produced else 1.0
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
        tool_changes_per_day=(stats.characteristic.tool_changes if stats.characteristic else 0)
        / observed * 24 * 60,
        **capability,
        **station_energy_kpis(line, stats, index, observed),
    )
    return kpis


def active_share(stats: StationStats, observed: float) -> float:
    minutes = stats.state_minutes.sum(axis=0)
    return group_minutes(minutes, ACTIVE_STATES) / (observed * stats.machines)


def bottleneck(stats: RunStats) -> tuple[int, float]:
    """(index, active share) of the station with the highest active share."""
    shares = [active_share(s, stats.observed_min) for s in stats.stations]
    index = int(np.argmax(shares))
    return index, shares[index]


def line_precision(line: Line, stats: RunStats) -> dict[str, float]:
    """The weakest characteristic's capability; defect ppm of a part over all characteristics."""
    per_station = [precision(line, i, s.characteristic) for i, s in enumerate(stats.stations)
                   if s.characteristic is not None]
    per_station = [p for p in per_station if not math.isnan(p["cpk"])]
    if not per_station:
        return dict.fromkeys(PRECISION_KPIS, NAN)
    weakest = min(per_station, key=lambda p: p["cpk"])
    conforming = math.prod(1 - p["defect_ppm"] / 1e6 for p in per_station)
    return {**weakest, "cp": min(p["cp"] for p in per_station), "defect_ppm": (1 - conforming) * 1e6}


def line_kpis(line: Line, stats: RunStats) -> dict[str, float]:
    observed = stats.observed_min
    constraint = constraint_index(line)
    planned, operating = planned_and_operating(stats.stations[constraint], observed)
    availability = _ratio(operating, planned)
    good = stats.good
    left = stats.departed + stats.scrapped
    quality = _ratio(good, left + stats.reworks) if left + stats.reworks else 1.0
    good_ideal = float(np.dot(stats.good_by_product, ideal_cycles(line, constraint)))
    oee = _ratio(good_ideal, planned)
    inspection = stats.inspection
    _, share = bottleneck(stats)
    return {
        "throughput_per_hour": good / observed * 60,
        "lead_time_min": _ratio(stats.lead_time_sum, stats.departed),
        "wip": stats.wip_area / observed,
        **source_kpis(stats),
        "availability": availability,
        "performance": _ratio(oee, availability * quality),
        "quality_rate": quality,
        "oee": oee,
        "bottleneck_share": share,
        "first_pass_yield": _ratio(stats.first_pass_good, left) if left else 1.0,
        "scrap_rate": _ratio(stats.scrapped, left) if left else 0.0,
        "escaped_ppm": _ratio(stats.escaped, stats.departed) * 1e6 if stats.departed else 0.0,
        "false_reject_rate": _ratio(inspection.false_rejects, inspection.inspected_conforming)
        if inspection.inspected_conforming else 0.0,
        **line_precision(line, stats),
        **_line_state_shares(stats),
        **energy_kpis(line, stats),
        **cost_kpis(line, stats, {"levers": lever_cost_per_period(line)}),
    }


def source_kpis(stats: RunStats) -> dict[str, float]:
    """Lead time from reaching the source (= the wait there + lead time from release, over shipped
    parts), and the source backlog: time-average and at the end of the window."""
    from_arrival = _ratio(stats.lead_time_from_arrival_sum, stats.departed)
    return {
        "lead_time_from_arrival_min": from_arrival,
        "source_wait_min": from_arrival - _ratio(stats.lead_time_sum, stats.departed),
        "source_backlog": stats.backlog_area / stats.observed_min,
        "source_backlog_end": float(stats.backlog_end),
    }


def lever_cost_per_period(line: Line) -> float:
    """Depreciation and opex of the levers applied to `line`, per cost period."""
    if line.costs is None:
        return NAN
    per_year = sum(i.per_year for i in line.costs.investments)
    return per_year * PERIOD_MINUTES[line.costs.period] / PERIOD_MINUTES["year"]


def _line_state_shares(stats: RunStats) -> dict[str, float]:
    """Shares of all machine time lost to breakdowns and to changeovers and tool changes, and the
    mean duration of a product changeover (NaN without setups): the full length of each changeover
    started in the window, so one cut by the warm-up or the end does not bias it."""
    minutes = sum(s.state_minutes.sum(axis=0) for s in stats.stations)
    total = stats.observed_min * sum(s.machines for s in stats.stations)
    setups = sum(s.setups for s in stats.stations)
    return {
        "unplanned_downtime_share": group_minutes(minutes, UNPLANNED_STOPS) / total,
        "changeover_share": group_minutes(minutes, CHANGEOVER_STATES) / total,
        "changeover_min": sum(s.setup_minutes for s in stats.stations) / setups if setups else NAN,
    }
