"""Twin vs reality: run the line over a log's period and judge each KPI the log shows.

The twin runs `replications` periods as long as the log (after the line's warm-up, or a tenth of
the period when it has none: the real line was not empty when its log began). Each replication's
own event log is measured exactly as the shop floor's (`twin.reality.observe`), so both sides
share one definition of every KPI; state shares come from the twin's exact state times.

An observed period is one draw, so the verdict uses the 95% *prediction* interval of one period
(mean ± t·s·√(1 + 1/n)), not the confidence interval of the twin's mean, which is also reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.checks.theory_run import WARMUP_SHARE
from twin.config import Line
from twin.errors import ConfigError
from twin.reality import Observed, observe
from twin.stats import Estimate, estimate, prediction_interval

DEFAULT_REPLICATIONS = 20
"""Replications unless the command or the line asks for more: enough for a prediction interval
whose t factor (2.09) is close to the normal's 1.96."""
MAX_SAMPLE = 20_000
"""Most twin lead or processing times kept for an ECDF (evenly spaced order statistics)."""


@dataclass(frozen=True)
class KpiCheck:
    kpi: str
    station: str | None
    observed: float
    twin: Estimate
    """The twin's mean and the 95% CI of that mean."""
    predicted: Estimate
    """The 95% prediction interval of one period (cut at 0: every KPI here is a count, a time or a
    share)."""

    @property
    def relative_error(self) -> float:
        return (self.twin.mean - self.observed) / abs(self.observed) if self.observed else math.nan

    @property
    def inside(self) -> bool:
        low, high = self.predicted.low, self.predicted.high
        if math.isnan(low):
            return False
        slack = 1e-9 * max(1.0, abs(self.observed))
        return bool(low - slack <= self.observed <= high + slack)

    def to_json(self) -> dict[str, object]:
        error = self.relative_error
        return {"kpi": self.kpi, "station": self.station, "observed": self.observed,
                "twin": self.twin.to_json(),
                "prediction95": self.predicted.to_json()["ci95"],
                "relative_error": None if math.isnan(error) else error, "inside": self.inside}


@dataclass
class RealityCheck:
    line: Line
    """The line as the twin ran it (horizon = warm-up + the log's period)."""
    observed: Observed
    replications: int
    seed: int
    engine: str
    checks: list[KpiCheck] = field(default_factory=list)
    twin_lead_times: np.ndarray = field(default_factory=lambda: np.empty(0))
    twin_processing: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        t0, t1 = self.observed.window
        return {"line": self.line.name, "period_min": t1 - t0, "log_window": [t0, t1],
                "warmup_min": self.line.warmup, "replications": self.replications,
                "seed": self.seed, "engine": self.engine,
                "kpis": [c.to_json() for c in self.checks],
                "inside": sum(c.inside for c in self.checks), "total": len(self.checks),
                "notes": self.notes}


def thinned(values: np.ndarray, size: int = MAX_SAMPLE) -> np.ndarray:
    """A sorted sample cut to `size` evenly spaced order statistics (the same ECDF to the eye)."""
    ordered = np.sort(values)
    if len(ordered) <= size:
        return ordered
    return ordered[np.linspace(0, len(ordered) - 1, size).round().astype(int)]


def check_reality(line: Line, events: pd.DataFrame, states: pd.DataFrame | None = None, *,
                  replications: int | None = None, seed: int | None = None, engine: str = "auto",
                  workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> RealityCheck:
    """Measure the log, run the twin over its period, and compare KPI by KPI."""
    from twin.experiment import run
    from twin.units import format_minutes

    if events.empty:
        raise ConfigError("LOG: the log has no events", field="log")
    names = [s.name for s in line.stations]
    machines = {s.name: s.machines for s in line.stations}
    observed = observe(events, names, machines, states)
    t0, t1 = observed.window
    period = t1 - t0
    if period <= 0:
        raise ConfigError(f"LOG: the log covers no time (every event at {t0:g} min)", field="log")
    notes = []
    missing = [n for n in names if not (events["station"] == n).any()]
    if missing:
        notes.append(f"the log has no rows for station(s) {', '.join(map(repr, missing))}")
    warmup = line.warmup
    if warmup <= 0:
        warmup = WARMUP_SHARE * period
        notes.append(f"the line has no warm-up; the twin runs {format_minutes(warmup)} before the "
                     f"log's period, as the real line was not empty when its log began")
    if line.calendar is not None:
        notes.append(f"the line has shifts: the twin's period starts {format_minutes(warmup)} into "
                     f"its calendar, not at the log's clock time; compare logs that start where "
                     f"the calendar does")
    n = replications or max(line.replications, DEFAULT_REPLICATIONS)
    if n < 2:
        raise ConfigError(f"--replications: an interval needs at least 2, got {n}", field="replications")
    twin_line = line.model_copy(update={"horizon": warmup + period, "warmup": warmup})
    from twin.workload import check_tasks

    try:
        check_tasks([twin_line])
    except ConfigError as exc:
        raise ConfigError(f"LOG: its period of {format_minutes(period)} is too long to run the twin "
                          f"over ({exc})", field="log") from None
    results = run(twin_line, replications=n, seed=seed, workers=workers, keep_part_log=True,
                  progress=progress, engine=engine)
    window = (warmup, warmup + period)
    measured = [observe(results.part_events(r), names, machines, window=window) for r in range(n)]
    table = results.stations
    check = RealityCheck(twin_line, observed, n, results.seed, results.engine, notes=notes)
    for (kpi, station), value in observed.kpis.items():
        if not math.isfinite(value):
            continue
        if kpi.startswith("share_"):
            values = table.loc[table["station"] == station, kpi].to_numpy(dtype=float)
        else:
            values = np.array([m.kpis.get((kpi, station), math.nan) for m in measured])
        if value == 0 and np.nan_to_num(values).max(initial=0.0) == 0:
            continue  # neither the line nor the twin has it (a state that never happens, no scrap)
        predicted = prediction_interval(values)
        predicted = Estimate(predicted.mean, max(predicted.low, 0.0), predicted.high, predicted.n)
        check.checks.append(KpiCheck(kpi, station, value, estimate(values), predicted))
    check.twin_lead_times = thinned(np.concatenate([m.lead_times for m in measured]))
    check.twin_processing = {s: thinned(np.concatenate([m.processing.get(s, np.empty(0))
                                                        for m in measured])) for s in names}
    return check


def kpi_text(kpi: str, station: str | None, line: Line | None = None) -> tuple[str, str, float]:
    """Label, unit and display scale of a compared KPI: the registry's, or a log-only measure's."""
    from twin import kpi_registry as registry
    from twin.reality import MEASURED_LABELS

    if kpi in MEASURED_LABELS:
        return MEASURED_LABELS[kpi]
    facts = registry.station_kpi(kpi) if station is not None else registry.line_kpi(kpi)
    return facts.label, facts.unit_for(line), facts.scale
