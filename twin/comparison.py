"""Conventional vs Industry 4.0: paired comparison on common random numbers, and the sequential
procedure that adds replications until the main KPIs are as tight as asked.

Both lines of a replication draw from the same streams (the engine keys streams by replication,
station and purpose, and levers change only parameters), so the per-replication difference cancels
most of the noise. The JSON reports how much: the variance reduction factor is the variance of an
unpaired difference over that of the paired one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin import levers as lever_functions
from twin.config import Line
from twin.config.study import Study
from twin.experiment import Progress, Results
from twin.experiments.executor import Executor
from twin.experiments.runner import Experiment, extend, run_experiment
from twin.experiments.scenarios import Scenario, lever_switches
from twin.experiments.table import ExperimentTable, variance_reduction
from twin.io import config_hash
from twin.kpi import LINE_KPIS
from twin.kpi_registry import HEADLINE
from twin.stats import estimate
from twin.workload import checked_study, options_for

HEADLINE_KPIS = HEADLINE

MAX_REPLICATIONS = 200
PER_CHARACTERISTIC = frozenset({"characteristic_mean", "characteristic_sigma"})
"""Line-level values of the weakest characteristic, which may be another one after the levers:
compared per station instead (they would mix millimetres with micrometres)."""


@dataclass
class Comparison:
    """The conventional line and the same line with levers, run on common random numbers."""

    study: Study
    levers: list[str]
    conventional: Results
    industry40: Results
    precision_target: float | None = None
    """The relative half-width asked for with `precision`, if any."""
    table: ExperimentTable | None = None
    """Both scenarios' KPIs by replication: the experiment core's one table."""

    @property
    def precision_met(self) -> bool | None:
        """Whether every headline KPI reached `precision_target` (None when none was asked)."""
        return None if self.precision_target is None else _precise(self, self.precision_target)

    def difference(self) -> pd.DataFrame:
        """Per KPI: conventional and Industry 4.0 means, the paired difference with its CI, the
        relative change, and the variance reduction bought by pairing."""
        rows = []
        conv, i40 = self.conventional.kpis, self.industry40.kpis
        for kpi in LINE_KPIS:
            if kpi not in conv or kpi not in i40 or kpi in PER_CHARACTERISTIC:
                continue
            a = conv[kpi].to_numpy(dtype=float)
            b = i40[kpi].to_numpy(dtype=float)
            diff = estimate(b - a)
            base = float(np.nanmean(a)) if np.isfinite(a).any() else math.nan
            rows.append({
                "kpi": kpi,
                "conventional": base,
                "industry40": float(np.nanmean(b)) if np.isfinite(b).any() else math.nan,
                "mean": diff.mean, "ci_low": diff.low, "ci_high": diff.high,
                "relative": diff.mean / base if base and math.isfinite(base) else math.nan,
                "relative_low": diff.low / base if base and math.isfinite(base) else math.nan,
                "relative_high": diff.high / base if base and math.isfinite(base) else math.nan,
                "variance_reduction": variance_reduction(a, b),
            })
        return pd.DataFrame(rows).set_index("kpi")

    @property
    def engine(self) -> str:
        """The engine both lines ran on, or "fast+simpy" when the levers took one out of the fast
        engine's scope (the numbers are the same either way)."""
        engines = {self.conventional.engine, self.industry40.engine}
        return engines.pop() if len(engines) == 1 else "fast+simpy"

    def to_json(self) -> dict[str, object]:
        table = self.difference()
        difference = {}
        for kpi, row in table.iterrows():
            difference[str(kpi)] = {
                "mean": _finite(row["mean"]),
                "ci95": [_finite(row["ci_low"]), _finite(row["ci_high"])],
                "relative": _finite(row["relative"]),
                "relative_ci95": [_finite(row["relative_low"]), _finite(row["relative_high"])],
                "variance_reduction": _finite(row["variance_reduction"]),
            }
        worst = worst_precision(self) if self.precision_target is not None else None
        return {
            "name": self.study.line.name,
            "study_hash": config_hash(self.study),
            "levers": self.levers,
            "replications": self.conventional.replications,
            "seed": self.conventional.seed,
            "engine": self.engine,
            "precision_met": self.precision_met,
            "precision": None if self.precision_target is None else {
                "target": self.precision_target, "max_replications": MAX_REPLICATIONS,
                "worst": None if worst is None else {"line": worst[0], "kpi": worst[1],
                                                     "relative_half_width": worst[2]}},
            "conventional": self.conventional.to_json(),
            "industry40": self.industry40.to_json(),
            "difference": difference,
        }


def _finite(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def scenario_lines(study: Study, names: Sequence[str]) -> tuple[Line, Line]:
    return study.line, lever_functions.apply(study.line, study.levers, names)


def lever_scenarios(study: Study, names: Sequence[str]) -> list[Scenario]:
    """Conventional (every lever off) and Industry 4.0 (the `names` on, the others off), as
    scenarios of the study for the experiment core."""
    return [Scenario("conventional", lever_switches(study, ())),
            Scenario("industry40", lever_switches(study, names))]


def compare(study: Study, *, replications: int | None = None, seed: int | None = None,
            levers: Sequence[str] | None = None, workers: int | None = None,
            precision: float | None = None, progress: Progress | None = None,
            dask: str | None = None, engine: str = "auto") -> Comparison:
    """Run conventional and Industry 4.0 on common random numbers, as two scenarios of one
    experiment (one pool or Dask client for every batch).

    With `precision` (a relative half-width such as 0.01), replications are added in batches until
    the 95% CI half-width of every headline KPI of both lines is within that fraction of its mean
    (or `MAX_REPLICATIONS` is reached): a sequential procedure in the spirit of Law & Kelton's
    relative-precision rule, started from the study's replications.
    """
    options = options_for(checked_study(study).line, replications, seed, workers, dask)
    n, seed = options.replications, options.seed
    names = lever_functions.enabled(study.levers, levers)
    scenarios = lever_scenarios(study, names)
    with Executor(workers=options.workers, dask=options.dask, engine=engine, progress=progress,
                  planned=2 * n) as executor:
        experiment = run_experiment(study, scenarios, replications=n, seed=seed, executor=executor,
                                    strict=True)
        comparison = _assemble(study, names, experiment)
        while precision is not None and n < MAX_REPLICATIONS and not _precise(comparison, precision):
            extra = min(max(2, n // 2), MAX_REPLICATIONS - n)
            more = run_experiment(study, scenarios, replications=extra, seed=seed,
                                  executor=executor, first_replication=n, strict=True)
            experiment = extend(experiment, more)
            n += extra
            comparison = _assemble(study, names, experiment)
    comparison.precision_target = precision
    return comparison


def _assemble(study: Study, names: list[str], experiment: Experiment) -> Comparison:
    return Comparison(study=study, levers=names, conventional=experiment.results["conventional"],
                      industry40=experiment.results["industry40"], table=experiment.table)


def worst_precision(comparison: Comparison) -> tuple[str, str, float] | None:
    """The headline KPI whose 95% half-width is widest relative to its mean: (line, KPI, relative
    half-width); None when no headline KPI has a finite, non-zero mean."""
    worst: tuple[str, str, float] | None = None
    for name, results in (("conventional", comparison.conventional),
                          ("industry40", comparison.industry40)):
        summary = results.summary()
        for kpi in HEADLINE_KPIS:
            if kpi not in summary.index:
                continue
            mean, half = summary.loc[kpi, "mean"], summary.loc[kpi, "half_width"]
            if not (math.isfinite(mean) and math.isfinite(half)) or mean == 0:
                continue
            relative = float(half / abs(mean))
            if worst is None or relative > worst[2]:
                worst = (name, kpi, relative)
    return worst


def _precise(comparison: Comparison, target: float) -> bool:
    worst = worst_precision(comparison)
    return worst is None or worst[2] <= target
