"""What each lever buys: one-at-a-time effects and, for up to five levers, the full 2^k factorial
with main effects and two-lever interactions, every figure with a 95% CI over replications.

All scenarios run on the same replications (common random numbers), so each effect is a contrast
of per-replication KPIs, and its CI is the t-interval of that contrast over replications.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin import levers as lever_functions
from twin.config.study import Study
from twin.experiment import Progress, Results
from twin.experiments.runner import run_experiment
from twin.experiments.scenarios import Scenario, lever_switches
from twin.stats import estimate
from twin.workload import checked_study, options_for

MAX_FACTORIAL_LEVERS = 5
ATTRIBUTION_KPIS: tuple[str, ...] = (
    "throughput_per_hour", "oee", "cpk", "scrap_rate", "lead_time_min",
    "unplanned_downtime_share", "energy_kwh_per_good_part", "cost_per_good_part",
)


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


@dataclass
class Attribution:
    levers: list[str]
    results: dict[frozenset[str], Results]
    """KPIs of every scenario run, keyed by the set of levers switched on."""

    def _values(self, subset: frozenset[str], kpi: str) -> np.ndarray:
        table = self.results[subset].kpis
        return table[kpi].to_numpy(dtype=float) if kpi in table else np.full(len(table), np.nan)

    def one_at_a_time(self, kpis: Sequence[str] = ATTRIBUTION_KPIS) -> pd.DataFrame:
        """Each lever alone (vs conventional) and each lever removed from the full set (full vs
        full without it), as absolute and relative changes with CIs."""
        none: frozenset[str] = frozenset()
        full = frozenset(self.levers)
        rows = []
        for lever in self.levers:
            for kpi in kpis:
                base = _mean(self._values(none, kpi))
                alone = estimate(self._values(frozenset([lever]), kpi) - self._values(none, kpi))
                removed = estimate(self._values(full, kpi) - self._values(full - {lever}, kpi))
                rows.append({
                    "lever": lever, "kpi": kpi, "baseline": base,
                    "alone": alone.mean, "alone_low": alone.low, "alone_high": alone.high,
                    "alone_relative": alone.mean / base if base else np.nan,
                    "removed": removed.mean, "removed_low": removed.low,
                    "removed_high": removed.high,
                    "removed_relative": removed.mean / base if base else np.nan,
                })
        return pd.DataFrame(rows)

    def factorial(self, kpis: Sequence[str] = ATTRIBUTION_KPIS) -> pd.DataFrame | None:
        """Main effects and two-lever interactions of the 2^k design (None when not run).

        Effect of a lever = mean KPI over the scenarios with it − mean over those without it;
        interaction of a pair = half the difference of one lever's effect with and without the
        other (the usual 2^k contrasts).
        """
        subsets = list(self.results)
        if len(subsets) < 2 ** len(self.levers):
            return None
        rows = []
        for kpi in kpis:
            values = {s: self._values(s, kpi) for s in subsets}
            for lever in self.levers:
                contrast = sum((1 if lever in s else -1) * v for s, v in values.items())
                effect = estimate(np.asarray(contrast / (len(subsets) / 2), dtype=float))
                rows.append({"term": lever, "kpi": kpi, "mean": effect.mean,
                             "ci_low": effect.low, "ci_high": effect.high})
            for a, b in itertools.combinations(self.levers, 2):
                sign = {s: (1 if a in s else -1) * (1 if b in s else -1) for s in subsets}
                contrast = sum(sign[s] * v for s, v in values.items())
                effect = estimate(np.asarray(contrast / (len(subsets) / 2), dtype=float))
                rows.append({"term": f"{a} × {b}", "kpi": kpi, "mean": effect.mean,
                             "ci_low": effect.low, "ci_high": effect.high})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, object]:
        def records(table: pd.DataFrame | None) -> list[dict] | None:
            if table is None:
                return None
            return [{k: (None if isinstance(v, float) and not np.isfinite(v) else v)
                     for k, v in row.items()} for row in table.to_dict("records")]

        return {"levers": self.levers, "one_at_a_time": records(self.one_at_a_time()),
                "factorial": records(self.factorial())}


def attribute(study: Study, *, replications: int | None = None, seed: int | None = None,
              levers: Sequence[str] | None = None, workers: int | None = None,
              factorial: bool | None = None, progress: Progress | None = None,
              dask: str | None = None, engine: str = "auto") -> Attribution:
    """Run the scenarios attribution needs: none, each alone, all, all but each (and the full
    factorial when there are at most five levers, unless `factorial` is False)."""
    options = options_for(checked_study(study).line, replications, seed, workers, dask)
    n, seed, workers, dask = options.replications, options.seed, options.workers, options.dask
    names = lever_functions.enabled(study.levers, levers)
    full_design = (len(names) <= MAX_FACTORIAL_LEVERS) if factorial is None else factorial
    if full_design:
        subsets = {frozenset(c) for k in range(len(names) + 1)
                   for c in itertools.combinations(names, k)}
    else:
        full = frozenset(names)
        subsets = {frozenset(), full} | {frozenset([x]) for x in names} | {full - {x} for x in names}
    ordered = sorted(subsets, key=lambda s: (len(s), sorted(s)))
    scenarios = [Scenario(",".join(sorted(s)) or "-", lever_switches(study, s)) for s in ordered]
    experiment = run_experiment(study, scenarios, replications=n, seed=seed, workers=workers,
                                dask=dask, engine=engine, progress=progress, strict=True)
    results = {subset: experiment.results[scenario.name]
               for subset, scenario in zip(ordered, scenarios, strict=True)}
    return Attribution(levers=names, results=results)
