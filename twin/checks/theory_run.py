"""Twin vs theory: run each exact case's line and put the twin's 95% interval beside the exact value.

A verdict is `inside` when the exact value lies in the twin's 95% Student-t interval over
replications. With many KPIs about one in twenty may fall outside by chance alone; a value far
outside (a large relative error with a tight interval) is what points at the engine.

The exact values are steady-state: a line without a warm-up is run with one of a tenth of its
horizon (the note says so), because the line starts empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from twin import kpi_registry as registry
from twin.checks.exact import ExactCase, Expected, exact_cases
from twin.config import Line
from twin.errors import ConfigError
from twin.stats import Estimate, estimate

WARMUP_SHARE = 0.1
"""The share of the horizon cut as warm-up when the line has none."""


@dataclass(frozen=True)
class Verdict:
    """One KPI: the exact value, the twin's estimate, the relative error, inside or not."""

    expected: Expected
    twin: Estimate

    @property
    def relative_error(self) -> float:
        exact = self.expected.value
        return (self.twin.mean - exact) / abs(exact) if exact else math.nan

    @property
    def inside(self) -> bool:
        exact, low, high = self.expected.value, self.twin.low, self.twin.high
        slack = 1e-9 * max(1.0, abs(exact))  # a deterministic KPI: an interval of zero width
        return bool(low - slack <= exact <= high + slack)

    def to_json(self) -> dict[str, object]:
        return {"kpi": self.expected.kpi, "station": self.expected.station,
                "exact": self.expected.value, "twin": self.twin.to_json(),
                "relative_error": None if math.isnan(self.relative_error) else self.relative_error,
                "inside": self.inside}


@dataclass
class CaseResult:
    case: ExactCase
    verdicts: list[Verdict]
    engine: str


@dataclass
class TheoryCheck:
    """Everything `twin check --theory` reports."""

    line: Line
    replications: int
    seed: int
    results: list[CaseResult] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line.name, "replications": self.replications, "seed": self.seed,
            "cases": [{"model": r.case.model, "subject": r.case.subject, "engine": r.engine,
                       "horizon_min": r.case.line.horizon, "warmup_min": r.case.line.warmup,
                       "values": [v.to_json() for v in r.verdicts]} for r in self.results],
            "not_applicable": self.not_applicable,
            "notes": self.notes,
        }


@dataclass(frozen=True)
class Row:
    """One compared KPI in display units (the registry's scale): what the CLI's tables and the
    app's page show. User text (subject, station) is raw here: escape it where it is shown."""

    subject: str
    model: str
    station: str | None
    kpi: str
    unit: str
    exact: float
    twin: float
    low: float
    high: float
    relative_error: float
    inside: bool


def verdict_rows(check: TheoryCheck) -> list[Row]:
    rows = []
    for result in check.results:
        for verdict in result.verdicts:
            kpi = kpi_facts(verdict.expected)
            scale, twin = kpi.scale, verdict.twin
            rows.append(Row(result.case.subject, result.case.model, verdict.expected.station,
                            kpi.label, kpi.unit_for(check.line), verdict.expected.value * scale,
                            twin.mean * scale, twin.low * scale, twin.high * scale,
                            verdict.relative_error, verdict.inside))
    return rows


def kpi_facts(expected: Expected) -> registry.KPI:
    """The registry entry of an expected value's KPI (line or station)."""
    if expected.station is None:
        return registry.line_kpi(expected.kpi)
    return registry.station_kpi(expected.kpi)


def twin_values(results, expected: Expected) -> np.ndarray:
    """One value of the KPI per replication."""
    if expected.station is None:
        return results.kpis[expected.kpi].to_numpy(dtype=float)
    table = results.stations
    return table.loc[table["station"] == expected.station, expected.kpi].to_numpy(dtype=float)


def _steady(line: Line, notes: list[str]) -> Line:
    if line.warmup > 0:
        return line
    from twin.units import format_minutes

    warmup = WARMUP_SHARE * line.horizon
    note = (f"the line has no warm-up; {format_minutes(warmup)} ({WARMUP_SHARE:.0%} of the "
            f"horizon) is cut, as the exact values are steady-state")
    if note not in notes:
        notes.append(note)
    return line.model_copy(update={"warmup": warmup})


def check_theory(line: Line, *, replications: int | None = None, seed: int | None = None,
                 engine: str = "auto", workers: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> TheoryCheck:
    """Run every exact case of `line` and compare; nothing runs when no case applies."""
    from twin.experiment import run

    n = replications if replications is not None else line.replications
    if n < 2:
        raise ConfigError(f"--replications: a confidence interval needs at least 2, got {n}",
                          field="replications")
    base_seed = seed if seed is not None else line.seed
    cases, reasons = exact_cases(line)
    check = TheoryCheck(line, n, base_seed, not_applicable=reasons)
    from twin.engine.scope import choose_engine

    lines = [_steady(case.line, check.notes) for case in cases]
    for run_line in lines:  # refuse `--engine fast` before any run, not half-way
        choose_engine(run_line, engine)
    total = len(cases) * n
    for index, (case, run_line) in enumerate(zip(cases, lines, strict=True)):
        def tick(done: int, _: int, offset: int = index * n) -> None:
            if progress is not None:
                progress(offset + done, total)

        results = run(run_line, replications=n, seed=base_seed, workers=workers, progress=tick,
                      engine=engine)
        verdicts = [Verdict(e, estimate(twin_values(results, e))) for e in case.expected]
        check.results.append(CaseResult(ExactCase(case.model, case.subject, run_line, case.expected),
                                        verdicts, results.engine))
    return check
