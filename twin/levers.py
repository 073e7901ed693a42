"""Industry 4.0 levers: each a pure function from a `Line` to a `Line`, plus its investment.

The engine knows nothing of levers: a line with levers applied is just another line, so every lever
is testable alone and any mix of them is one more scenario run on the same random numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from twin.config import Line, scaled
from twin.config.costs import LeverInvestment
from twin.config.line import PredictiveMaintenance
from twin.config.quality import ClosedLoopControl, Inspection
from twin.config.study import (
    AutomationLever,
    ClosedLoopQualityLever,
    EnergyManagementLever,
    Levers,
    PredictiveMaintenanceLever,
    QuickChangeoverLever,
)
from twin.errors import ConfigError

LEVER_NAMES: tuple[str, ...] = (
    "predictive_maintenance", "closed_loop_quality", "automation", "quick_changeover",
    "energy_management",
)
LEVER_LABELS: dict[str, str] = {
    "predictive_maintenance": "Predictive maintenance",
    "closed_loop_quality": "Closed-loop quality",
    "automation": "Automation",
    "quick_changeover": "Quick changeover",
    "energy_management": "Energy management",
}


def _stations(line: Line, update: Callable, names: Iterable[str] | None = None) -> Line:
    chosen = None if names is None else set(names)
    stations = [update(s) if chosen is None or s.name in chosen else s for s in line.stations]
    return line.model_copy(update={"stations": stations})


def predictive_maintenance(line: Line, lever: PredictiveMaintenanceLever) -> Line:
    """Every station with failures switches to the predictive policy (replacing time-based PM)."""
    policy = PredictiveMaintenance(
        recall=lever.recall, lead_time=lever.lead_time,
        planned_repair_factor=lever.planned_repair_factor,
        false_alarms_per_week=lever.false_alarms_per_week,
    )
    return _stations(line, lambda s: s.model_copy(update={"maintenance": policy})
                     if s.failures is not None else s)


def closed_loop_quality(line: Line, lever: ClosedLoopQualityLever) -> Line:
    """In-line probe + offset feedback on the chosen stations that shape a characteristic."""

    def equip(station):
        if station.quality is None:
            return station
        quality = station.quality.model_copy(update={
            "control": ClosedLoopControl(gain=lever.gain),
            "sigma": station.quality.sigma * lever.sigma_factor,
            "measurement_sigma": station.quality.measurement_sigma
            if lever.measurement_sigma is None else lever.measurement_sigma,
        })
        update: dict[str, object] = {"quality": quality}
        if lever.inline_inspection:
            previous = station.inspection
            if previous is None or previous.where == "none":
                update["inspection"] = Inspection(where="inline", action="scrap")
            else:
                update["inspection"] = previous.model_copy(update={"where": "inline"})
        return station.model_copy(update=update)

    return _stations(line, equip, lever.stations)


def automation(line: Line, lever: AutomationLever) -> Line:
    """Steadier (cv × factor) and faster (mean × factor) cycles at the named stations."""

    def automate(station):
        return station.model_copy(update={
            "process": scaled(station.process, lever.mean_factor, lever.cv_factor),
            "process_by_product": {k: scaled(v, lever.mean_factor, lever.cv_factor)
                                   for k, v in station.process_by_product.items()},
        })

    line = _stations(line, automate, lever.stations)
    if line.operators is not None and lever.operators_saved:
        count = max(1, line.operators.count - lever.operators_saved)
        line = line.model_copy(update={"operators": line.operators.model_copy(update={"count": count})})
    return line


def quick_changeover(line: Line, lever: QuickChangeoverLever) -> Line:
    """Changeovers and tool changes take `setup_factor` of their time (SMED)."""
    factor = lever.setup_factor

    def shorten(station):
        update: dict[str, object] = {}
        if station.setup is not None:
            update["setup"] = scaled(station.setup, factor)
        if station.setup_pairs:
            update["setup_pairs"] = [p.model_copy(update={"time": scaled(p.time, factor)})
                                     for p in station.setup_pairs]
        if station.quality is not None:
            update["quality"] = station.quality.model_copy(
                update={"tool_change": station.quality.tool_change * factor})
        return station.model_copy(update=update) if update else station

    return _stations(line, shorten)


def energy_management(line: Line, lever: EnergyManagementLever) -> Line:
    """Machines sleep when they have nothing to do: idle power × factor."""
    def sleep(station):
        energy = station.energy
        if energy is None:
            return station
        # setup power defaults to idle power: pin it first, machines do not sleep while set up
        setup = energy.idle if energy.setup is None else energy.setup
        return station.model_copy(update={"energy": energy.model_copy(update={
            "idle": energy.idle * lever.idle_power_factor, "setup": setup})})

    return _stations(line, sleep)


APPLY: dict[str, Callable[[Line, Any], Line]] = {
    # each function takes its own lever's model; `apply` looks the model up by the same name
    "predictive_maintenance": predictive_maintenance,
    "closed_loop_quality": closed_loop_quality,
    "automation": automation,
    "quick_changeover": quick_changeover,
    "energy_management": energy_management,
}


def enabled(levers: Levers, only: Sequence[str] | None = None) -> list[str]:
    """Names of the levers switched on (restricted to `only` when given), in canonical order."""
    if only is not None:
        unknown = [name for name in only if name not in LEVER_NAMES]
        if unknown:
            raise ConfigError(f"--levers: unknown lever {unknown[0]!r} "
                              f"(known: {', '.join(LEVER_NAMES)})")
        missing = [name for name in only if getattr(levers, name) is None]
        if missing:
            raise ConfigError(f"--levers: {missing[0]!r} is not configured in the study's levers")
    names = []
    for name in LEVER_NAMES:
        lever = getattr(levers, name)
        if lever is None:
            continue
        if (only is not None and name in only) or (only is None and lever.enabled):
            names.append(name)
    return names


def apply(line: Line, levers: Levers, names: Iterable[str]) -> Line:
    """`line` with the named levers applied, in canonical order; validated again as a whole.

    Each lever's investment is added to the line's costs, so the cost of the upgraded line
    (cost per good part included) carries the levers' depreciation and opex.
    """
    chosen = set(names)
    investments = []
    for name in LEVER_NAMES:
        if name in chosen:
            lever = getattr(levers, name)
            line = APPLY[name](line, lever)
            investments.append(LeverInvestment(name=name, capex=lever.capex,
                                               life_years=lever.life_years,
                                               opex_per_year=lever.opex_per_year))
    if line.costs is not None and investments:
        costs = line.costs.model_copy(update={"investments": [*line.costs.investments,
                                                              *investments]})
        line = line.model_copy(update={"costs": costs})
    return Line.model_validate(line.model_dump())


def annual_cost(levers: Levers, names: Iterable[str]) -> dict[str, float]:
    """Capex, yearly depreciation and yearly opex of the named levers."""
    capex = depreciation = opex = 0.0
    for name in names:
        lever = getattr(levers, name)
        capex += lever.capex
        depreciation += lever.capex / lever.life_years
        opex += lever.opex_per_year
    return {"capex": capex, "depreciation_per_year": depreciation, "opex_per_year": opex}
