"""What a run computes for the page, as plain data: the comparison and everything drawn from it
(business case, OEE bridge, six big losses, one logged replication per line for the precision
charts), the lever attribution, and the trainer's cumulative tour. Only the public API of `twin`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import twin
from ui.jobs import Job, workers_for


def enabled_levers(study: twin.Study) -> list[str]:
    """The levers switched on, in canonical order (the Industry 4.0 package)."""
    return [name for name in twin.LEVER_NAMES
            if getattr(study.levers, name) is not None and getattr(study.levers, name).enabled]


def configured_levers(study: twin.Study) -> list[str]:
    return [name for name in twin.LEVER_NAMES if getattr(study.levers, name) is not None]


def comparison_key(study: twin.Study) -> str:
    """What the numbers depend on: both lines (seed, replications and horizon included), the
    investment frame and the levers switched on. A lever's parameters only matter while it is on,
    so switching one off and on again finds the earlier result."""
    names = enabled_levers(study)
    upgraded = twin.apply_levers(study.line, study.levers, names)
    parts = [twin.config_hash(study.line), twin.config_hash(upgraded),
             twin.config_hash(study.investment), ",".join(names)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass
class ComparisonBundle:
    key: str
    study: twin.Study
    config_hash: str
    comparison: twin.Comparison
    difference: pd.DataFrame
    business: twin.BusinessCase | None
    bridge: pd.DataFrame
    losses: pd.DataFrame
    """Six big losses at the constraint: one column per line."""
    part_logs: dict[str, pd.DataFrame] | None
    """Replication 0 of each line with its per-part log (same streams as the comparison's)."""
    seconds: float = 0.0
    workers: int | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    """Charts drawn from this result, kept so a rerun of the page does not draw them again."""

    def figure(self, name: str) -> Any:
        """The chart `name` of ui.charts.comparison_figures, drawn once."""
        if name not in self.figures:
            from ui.charts import comparison_figures

            self.figures[name] = comparison_figures(self)[name]()
        return self.figures[name]

    def draw_all(self) -> None:
        from ui.charts import comparison_figures

        for name in comparison_figures(self):
            self.figure(name)

    @property
    def currency(self) -> str:
        costs = self.study.line.costs
        return costs.currency if costs is not None else ""

    @property
    def levers(self) -> list[str]:
        return self.comparison.levers


def has_quality(line: twin.Line) -> bool:
    return any(s.quality is not None for s in line.stations)


def run_comparison(study: twin.Study, key: str, job: Job) -> ComparisonBundle:
    n = study.line.replications
    logs = 2 if has_quality(study.line) else 0
    workers = workers_for(study, 2)
    grand = 2 * n + logs
    comparison = twin.compare(study, workers=workers,
                              progress=lambda d, t: job.progress(d, t, 0, grand))
    part_logs = None
    if logs:
        part_logs = {}
        for index, (name, results) in enumerate((("conventional", comparison.conventional),
                                                 ("industry40", comparison.industry40))):
            logged = twin.run(results.line, replications=1, seed=results.seed, workers=1,
                              keep_part_log=True)
            part_logs[name] = logged.part_records()
            job.progress(index + 1, logs, 2 * n, grand)
    losses = pd.DataFrame({"conventional": twin.six_big_losses(comparison.conventional),
                           "industry40": twin.six_big_losses(comparison.industry40)})
    bundle = ComparisonBundle(
        key=key, study=study, config_hash=twin.config_hash(study), comparison=comparison,
        difference=comparison.difference(), business=twin.business_case(comparison),
        bridge=twin.oee_bridge(comparison), losses=losses, part_logs=part_logs,
        seconds=job.elapsed, workers=workers,
    )
    bundle.draw_all()  # here, so the page shows the results without drawing them first
    return bundle


@dataclass
class AttributionBundle:
    key: str
    attribution: twin.Attribution
    table: pd.DataFrame
    """`one_at_a_time()`: each lever alone and each lever removed, with CIs."""
    full: dict[str, float]
    """Mean change of each KPI with every lever on (the end bar of the waterfall)."""
    seconds: float = 0.0


def run_attribution(study: twin.Study, key: str, job: Job) -> AttributionBundle:
    names = enabled_levers(study)
    scenarios = 2 + 2 * len(names)
    attribution = twin.attribute(study, factorial=False, workers=workers_for(study, scenarios),
                                 progress=job.progress)
    none, full = attribution.results[frozenset()], attribution.results[frozenset(names)]
    deltas = {kpi: float(full.kpis[kpi].mean() - none.kpis[kpi].mean())
              for kpi in ("throughput_per_hour", "cost_per_good_part", "oee", "cpk")
              if kpi in full.kpis}
    return AttributionBundle(key=key, attribution=attribution, table=attribution.one_at_a_time(),
                             full=deltas, seconds=job.elapsed)


@dataclass
class TourBundle:
    """The conventional line, then the levers switched on one at a time (cumulatively)."""

    key: str
    study: twin.Study
    steps: list[str]
    """Lever switched on at each step after the first ('' for the conventional line)."""
    results: list[twin.Results]
    seconds: float = 0.0


def run_tour(study: twin.Study, key: str, job: Job) -> TourBundle:
    names = enabled_levers(study) or configured_levers(study)
    n = study.line.replications
    grand = n * (len(names) + 1)
    workers = workers_for(study, len(names) + 1)
    results = []
    for step in range(len(names) + 1):
        line = twin.apply_levers(study.line, study.levers, names[:step])
        results.append(twin.run(line, workers=workers,
                                progress=lambda d, t, s=step: job.progress(d, t, s * n, grand)))
    return TourBundle(key=key, study=study, steps=["", *names], results=results, seconds=job.elapsed)
