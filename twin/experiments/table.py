"""The one result table of an experiment: one row per scenario × replication, the factor values as
columns beside every KPI, and what is read from it (summaries, paired differences).

Every scenario ran on the same replications (common random numbers), so the difference between two
scenarios is taken replication by replication and its interval is the t-interval of those paired
differences: usually much narrower than the unpaired one (`variance_reduction` says how much).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from twin.kpi import LINE_KPIS
from twin.stats import Estimate, estimate

SCENARIO = "scenario"
REPLICATION = "replication"


@dataclass(frozen=True)
class FailedPoint:
    """A scenario that could not run (its overrides refused, its line too costly): reported with its
    factors and the reason, while the other points run."""

    scenario: str
    factors: Mapping[str, Any]
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"scenario": self.scenario, "factors": dict(self.factors), "reason": self.reason}


@dataclass
class ExperimentTable:
    """`frame` has the columns `scenario`, `replication`, one per factor path (`factors`) and one
    per line KPI (`kpis`, plus `bottleneck`, a station name); scenarios keep their given order."""

    frame: pd.DataFrame
    factors: list[str]
    kpis: list[str]
    failed: list[FailedPoint] = field(default_factory=list)

    @property
    def scenarios(self) -> list[str]:
        return list(dict.fromkeys(self.frame[SCENARIO]))

    def values(self, scenario: str, kpi: str) -> np.ndarray:
        """A KPI's values of one scenario, by replication (NaN where the KPI is undefined)."""
        rows = self.frame[self.frame[SCENARIO] == scenario].sort_values(REPLICATION)
        if kpi not in rows:
            return np.full(len(rows), np.nan)
        return rows[kpi].to_numpy(dtype=float)

    def factor_values(self, scenario: str) -> dict[str, Any]:
        """The factor columns of a scenario, as they stand in the table."""
        row = self.frame[self.frame[SCENARIO] == scenario].iloc[0]
        return {path: _plain(row[path]) for path in self.factors}

    def estimate(self, scenario: str, kpi: str) -> Estimate:
        return estimate(self.values(scenario, kpi))

    def paired(self, scenario: str, reference: str, kpi: str) -> Estimate:
        """`scenario − reference` on a KPI, replication by replication, with its t-interval."""
        return estimate(self.values(scenario, kpi) - self.values(reference, kpi))

    def summary(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean and 95% CI of each KPI per scenario, indexed by (scenario, kpi)."""
        rows = []
        for scenario in self.scenarios:
            for kpi in kpis or self.kpis:
                est = self.estimate(scenario, kpi)
                rows.append({SCENARIO: scenario, "kpi": kpi, "mean": est.mean, "ci_low": est.low,
                             "ci_high": est.high, "half_width": est.half_width, "n": est.n})
        return pd.DataFrame(rows).set_index([SCENARIO, "kpi"])

    def differences(self, reference: str, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Each other scenario minus `reference`, per KPI: the paired difference with its CI, the
        relative change and the variance reduction bought by pairing; indexed by (scenario, kpi)."""
        rows = []
        for scenario in self.scenarios:
            if scenario == reference:
                continue
            for kpi in kpis or self.kpis:
                a, b = self.values(reference, kpi), self.values(scenario, kpi)
                diff = estimate(b - a)
                base = float(np.nanmean(a)) if np.isfinite(a).any() else math.nan
                ratio = base if base and math.isfinite(base) else math.nan
                rows.append({SCENARIO: scenario, "kpi": kpi, "reference": base, "mean": diff.mean,
                             "ci_low": diff.low, "ci_high": diff.high,
                             "relative": diff.mean / ratio, "variance_reduction":
                             variance_reduction(a, b)})
        columns = [SCENARIO, "kpi", "reference", "mean", "ci_low", "ci_high", "relative",
                   "variance_reduction"]
        return pd.DataFrame(rows, columns=columns).set_index([SCENARIO, "kpi"])

    def kpis_json(self, scenario: str, kpis: Sequence[str] | None = None) -> dict[str, object]:
        """`{kpi: {"mean", "ci95"}}` of one scenario, the form every JSON output uses."""
        return {kpi: self.estimate(scenario, kpi).to_json() for kpi in kpis or self.kpis}


def variance_reduction(a: np.ndarray, b: np.ndarray) -> float:
    """Var(unpaired difference) / Var(paired difference): how many times fewer replications
    common random numbers need for the same precision."""
    mask = np.isfinite(a) & np.isfinite(b)
    a, b = a[mask], b[mask]
    if len(a) < 2:
        return math.nan
    paired = np.var(b - a, ddof=1)
    unpaired = np.var(a, ddof=1) + np.var(b, ddof=1)
    if paired == 0:
        return math.inf if unpaired > 0 else math.nan
    return float(unpaired / paired)


def build(kpi_tables: Mapping[str, pd.DataFrame], factors: Mapping[str, Mapping[str, Any]],
          failed: Sequence[FailedPoint] = ()) -> ExperimentTable:
    """The tidy table from each scenario's KPIs by replication (`Results.kpis`) and its factor
    values (`factors[scenario][path]`)."""
    paths = list(dict.fromkeys(p for values in factors.values() for p in values))
    frames = []
    for scenario, kpis in kpi_tables.items():
        frame = kpis.reset_index()
        frame.insert(0, SCENARIO, scenario)
        for position, path in enumerate(paths, start=2):
            frame.insert(position, path, _cell(factors.get(scenario, {}).get(path)))
        frames.append(frame)
    kpi_names = [k for k in LINE_KPIS if any(k in f for f in frames)]
    if frames:
        frame = pd.concat(frames, ignore_index=True)
    else:
        frame = pd.DataFrame(columns=[SCENARIO, REPLICATION, *paths, *kpi_names])
    return ExperimentTable(frame=frame, factors=paths, kpis=kpi_names, failed=list(failed))


def _cell(value: Any) -> Any:
    """A factor value fit for one column: a list or mapping (a `[*]` path) as compact JSON."""
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def merge(tables: Sequence[ExperimentTable]) -> ExperimentTable:
    """Several tables of one experiment as one (more replications of the same scenarios, or more
    scenarios on the same replications): rows by scenario in first-seen order, then replication."""
    frames = [t.frame for t in tables if len(t.frame)]
    if not frames:
        return tables[0] if tables else build({}, {})
    frame = pd.concat(frames, ignore_index=True)
    order = {name: i for i, name in enumerate(dict.fromkeys(frame[SCENARIO]))}
    frame = (frame.assign(_order=frame[SCENARIO].map(order))
             .sort_values(["_order", REPLICATION], kind="stable").drop(columns="_order")
             .drop_duplicates([SCENARIO, REPLICATION]).reset_index(drop=True))
    factors = list(dict.fromkeys(p for t in tables for p in t.factors))
    kpis = [k for k in LINE_KPIS if k in frame]
    return ExperimentTable(frame, factors, kpis, [f for t in tables for f in t.failed])
