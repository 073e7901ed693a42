"""Where OEE is lost: the exact bridge from conventional to Industry 4.0 and the six big losses.

OEE bridge: OEE = A × P × Q moves from conventional to Industry 4.0 in three exact steps,
ΔA·P0·Q0 + A1·ΔP·Q0 + A1·P1·ΔQ, plus the six big losses of the constraint station as shares of its
planned time (breakdowns, setups and adjustments, idling and minor stops, reduced speed, defects;
start-up rejects are not modelled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.comparison import Comparison
from twin.engine.states import (
    BUSY,
    CHANGEOVER_STATES,
    IDLE_STATES,
    UNPLANNED_STOPS,
    group_minutes,
)
from twin.kpi import constraint_index, ideal_minutes, planned_and_operating


def oee_bridge(comparison: Comparison) -> pd.DataFrame:
    """OEE from conventional to Industry 4.0 in exact steps (availability, performance, quality),
    in OEE points (fractions), means over replications."""
    c = comparison.conventional.summary()["mean"]
    i = comparison.industry40.summary()["mean"]
    a0, p0, q0 = c["availability"], c["performance"], c["quality_rate"]
    a1, p1, q1 = i["availability"], i["performance"], i["quality_rate"]
    steps = [
        ("conventional OEE", a0 * p0 * q0),
        ("availability", (a1 - a0) * p0 * q0),
        ("performance", a1 * (p1 - p0) * q0),
        ("quality", a1 * p1 * (q1 - q0)),
        ("Industry 4.0 OEE", a1 * p1 * q1),
    ]
    return pd.DataFrame(steps, columns=["step", "value"]).set_index("step")


def six_big_losses(results) -> pd.Series:
    """The six big losses at the line's constraint, as shares of its planned time (means)."""
    line = results.line
    index = constraint_index(line)
    losses = ("breakdowns", "setups and adjustments", "idling and minor stops", "reduced speed",
              "defects and rework", "start-up rejects")
    shares: dict[str, list[float]] = {k: [] for k in losses}
    quality = results.kpis["quality_rate"].to_numpy()
    for run, q in zip(results.runs, quality, strict=True):
        station = run.stations[index]
        minutes = station.state_minutes.sum(axis=0)
        planned, _ = planned_and_operating(station, run.observed_min)
        ideal = ideal_minutes(line, index, station)
        shares["breakdowns"].append(group_minutes(minutes, UNPLANNED_STOPS) / planned)
        shares["setups and adjustments"].append(group_minutes(minutes, CHANGEOVER_STATES) / planned)
        shares["idling and minor stops"].append(group_minutes(minutes, IDLE_STATES) / planned)
        shares["reduced speed"].append((minutes[BUSY] - ideal) / planned)
        shares["defects and rework"].append((1 - q) * ideal / planned)
        shares["start-up rejects"].append(0.0)
    return pd.Series({k: float(np.mean(v)) for k, v in shares.items()})
