"""Cost KPIs of one run: pure functions of the line's `costs:` block and the run's `RunStats`.

Each item is first an amount over the observed window (currency), traced to its inputs:

    machine      Σ stations  machine_rate_per_hour × Σ machines (observed − off) / 60
    labour       operators.count × on-shift hours × labour_rate_per_hour   (0 without a pool)
    energy       line kWh (twin.energy) × energy_price_per_kwh
    maintenance  (repair + planned hands-on minutes) / 60 × maintenance_rate_per_hour
                 + failures × spare_parts_per_repair
    material     released × material_per_part      (every part started, good or not)
    scrap        scrapped × scrap_cost_per_part    (disposal, on top of its material)
    escapes      escaped × escape_cost_per_part    (external failure cost)

On-shift hours are the calendar's working time inside the observed window (all of it without a
calendar). Per good part = amount / good parts; per period = amount × period minutes / observed
minutes. The items sum to the total, per good part and per period alike. Without a `costs:` block
every figure is NaN (JSON null); with no good part the per-part figures are NaN. docs/costs.md has
every formula with a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from twin.config import Line
from twin.config.costs import PERIOD_MINUTES
from twin.energy import energy_kwh
from twin.engine.states import OFF
from twin.engine.stats import RunStats

NAN = float("nan")
COST_ITEMS: tuple[str, ...] = ("machine", "labour", "energy", "maintenance", "material", "scrap",
                               "escapes")
COST_KPIS: tuple[str, ...] = (
    "cost_per_good_part",
    *(f"cost_{item}_per_good_part" for item in COST_ITEMS),
    "cost_per_period",
    *(f"cost_{item}_per_period" for item in COST_ITEMS),
)
"""Line cost KPIs without extra items (levers add `cost_<name>_...` of their own)."""


def on_shift_minutes(line: Line) -> float:
    """Working (calendar) minutes inside the observed window; the whole window without a calendar."""
    if line.calendar is None:
        return line.observed_minutes
    windows = line.calendar.working_windows(line.horizon)
    return math.fsum(max(0.0, min(end, line.horizon) - max(start, line.warmup))
                     for start, end in windows)


def cost_breakdown(line: Line, stats: RunStats) -> dict[str, float]:
    """Each cost item over the observed window, in `costs.currency` (NaN without a costs block)."""
    costs = line.costs
    if costs is None:
        return dict.fromkeys(COST_ITEMS, NAN)
    observed = stats.observed_min
    machine = 0.0
    repair_minutes = planned_minutes = 0.0
    failures = 0
    for index, station in enumerate(stats.stations):
        rate = costs.stations.get(line.stations[index].name)
        if rate is not None:
            planned = observed * station.machines - float(station.state_minutes[:, OFF].sum())
            machine += rate.machine_rate_per_hour * planned / 60.0
        repair_minutes += station.repair_minutes
        planned_minutes += station.planned_minutes
        failures += station.failures
    operators = line.operators.count if line.operators is not None else 0
    return {
        "machine": machine,
        "labour": operators * on_shift_minutes(line) / 60.0 * costs.labour_rate_per_hour,
        "energy": energy_kwh(line, stats) * costs.energy_price_per_kwh,
        "maintenance": (repair_minutes + planned_minutes) / 60.0 * costs.maintenance_rate_per_hour
        + failures * costs.spare_parts_per_repair,
        "material": stats.released * costs.material_per_part,
        "scrap": stats.scrapped * costs.scrap_cost_per_part,
        "escapes": stats.escaped * costs.escape_cost_per_part,
    }


def cost_kpis(line: Line, stats: RunStats,
              extra_per_period: Mapping[str, float] | None = None) -> dict[str, float]:
    """Cost per good part and per period, in total and by item.

    `extra_per_period` adds named items stated per cost period (a lever's opex or amortised capex,
    for instance); each appears as `cost_<name>_per_good_part` / `cost_<name>_per_period` and counts
    in the totals. Names must differ from the built-in items.
    """
    amounts = cost_breakdown(line, stats)
    observed = stats.observed_min
    period = PERIOD_MINUTES[line.costs.period] if line.costs is not None else NAN
    for name, per_period in (extra_per_period or {}).items():
        if name in amounts:
            raise ValueError(f"extra cost item {name!r} clashes with a built-in item")
        amounts[name] = per_period * observed / period
    good = stats.good
    kpis: dict[str, float] = {}
    for scope in ("good_part", "period"):
        if scope == "good_part":
            scaled = {k: v / good if good > 0 else NAN for k, v in amounts.items()}
        else:
            scaled = {k: v * period / observed for k, v in amounts.items()}
        kpis[f"cost_per_{scope}"] = math.fsum(scaled.values())
        kpis.update({f"cost_{k}_per_{scope}": v for k, v in scaled.items()})
    return kpis
