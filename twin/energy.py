"""Energy KPIs of one run: pure functions of the line's power draws and the machines' state times.

Every machine draws, in each state, the power its station's `energy:` block gives (kW per machine):

    busy                                                  → busy
    IDLE_STATES     (starved, blocked, waiting_operator)  → idle   (switched on, nothing to do)
    UNPLANNED_STOPS (down)                                → down
    PLANNED_STOPS   (maintenance, setup, tool_change)     → setup  (defaults to idle)
    off                                                   → off

(the groups live in `twin.engine.states`)
so the energy of a run is exactly Σ over machines and states of (state minutes / 60) × kW. A station
without an `energy:` block draws nothing. Figures per period are scaled from the observed window to
the cost period (`costs.period`), or to a week when the line has no `costs:` block. CO2 needs a grid
factor (`costs.co2_kg_per_kwh`); without one it is NaN. See docs/costs.md for a worked example.
"""

from __future__ import annotations

import math

import numpy as np

from twin.config import Line
from twin.config.costs import PERIOD_MINUTES
from twin.config.operations import Energy
from twin.engine.states import BUSY, IDLE_STATES, OFF, PLANNED_STOPS, STATES, UNPLANNED_STOPS
from twin.engine.stats import RunStats, StationStats

NAN = float("nan")
DEFAULT_PERIOD = "week"
"""The period energy per period is stated in when the line has no `costs:` block."""

ENERGY_KPIS: tuple[str, ...] = ("energy_kwh", "energy_kwh_per_good_part", "co2_kg",
                                "co2_kg_per_good_part")
"""Line energy KPIs (`energy_kwh` and `co2_kg` per period)."""
STATION_ENERGY_KPIS: tuple[str, ...] = ("energy_kwh", "power_kw_mean")
"""Station energy KPIs: energy per period, and the mean draw of the whole station over the window."""


def power_by_state(energy: Energy | None) -> np.ndarray:
    """kW drawn by one machine in each state, in the order of `STATES` (zeros without a block)."""
    power = np.zeros(len(STATES))
    if energy is None:
        return power
    setup = energy.idle if energy.setup is None else energy.setup
    power[BUSY] = energy.busy
    power[list(IDLE_STATES)] = energy.idle
    power[list(UNPLANNED_STOPS)] = energy.down
    power[list(PLANNED_STOPS)] = setup
    power[OFF] = energy.off
    return power


def period_name(line: Line) -> str:
    """The period per-period figures are stated in: the cost period, else a week."""
    return line.costs.period if line.costs is not None else DEFAULT_PERIOD


def per_period(line: Line, amount: float, observed_min: float) -> float:
    """Scale an amount over the observed window to the line's period."""
    return amount * PERIOD_MINUTES[period_name(line)] / observed_min


def station_energy_kwh(line: Line, stats: StationStats, index: int) -> float:
    """kWh station `index` drew over the observed window: Σ machines, states of minutes/60 × kW."""
    minutes = stats.state_minutes.sum(axis=0)
    return float(minutes @ power_by_state(line.stations[index].energy)) / 60.0


def energy_kwh(line: Line, stats: RunStats) -> float:
    """kWh the whole line drew over the observed window."""
    return math.fsum(station_energy_kwh(line, s, i) for i, s in enumerate(stats.stations))


def _per_good(amount: float, good: int) -> float:
    return amount / good if good > 0 else NAN


def energy_kpis(line: Line, stats: RunStats) -> dict[str, float]:
    """Line energy per period, per good part, and CO2 (NaN without a grid factor). A line with no
    `energy:` block on any station has no energy model: every figure is NaN, not a false 0."""
    if all(station.energy is None for station in line.stations):
        return dict.fromkeys(ENERGY_KPIS, NAN)
    kwh = energy_kwh(line, stats)
    factor = line.costs.co2_kg_per_kwh if line.costs is not None else None
    co2 = kwh * factor if factor is not None else NAN
    return {
        "energy_kwh": per_period(line, kwh, stats.observed_min),
        "energy_kwh_per_good_part": _per_good(kwh, stats.good),
        "co2_kg": per_period(line, co2, stats.observed_min),
        "co2_kg_per_good_part": _per_good(co2, stats.good),
    }


def station_energy_kpis(line: Line, stats: StationStats, index: int,
                        observed: float) -> dict[str, float]:
    """Energy of station `index` per period, and its mean draw (kW, all machines) over the window."""
    kwh = station_energy_kwh(line, stats, index)
    return {
        "energy_kwh": per_period(line, kwh, observed),
        "power_kw_mean": kwh / (observed / 60.0),
    }
