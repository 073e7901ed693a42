"""What a run computes for the page, as plain data: the comparison and everything drawn from it
(business case, OEE bridge, six big losses, one logged replication per line for the precision
charts), the lever attribution, and the trainer's cumulative tour. Only the public API of `twin`."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import pandas as pd

import twin
from ui.computing import timing
from ui.computing.jobs import PACE, Cancelled, Job, Store, to_simulate, workers_for
from ui.presenting import kpis


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


class Drawn:
    """Charts drawn from a result, kept with it so a rerun of the page does not draw them again; the
    job draws them after the result is published, and a page that needs one first draws it itself
    (the lock keeps the two from drawing the same chart twice)."""

    figures: dict[str, Any]
    lock: threading.Lock
    study: twin.Study

    def makers(self) -> dict[str, Any]:
        raise NotImplementedError

    @cached_property
    def hashes(self) -> ConfigHashes:
        """The study's and both lines' config hashes, named as the CLI names them."""
        return ConfigHashes.of(self.study)

    def figure(self, name: str) -> Any:
        """The chart `name` of `makers()`, drawn once."""
        with self.lock:
            if name not in self.figures:
                with timing.phase(f"draw {name.split(':')[0]}"):
                    self.figures[name] = self.makers()[name]()
            return self.figures[name]

    first_screen: ClassVar[tuple[str, ...]] = ()
    """The charts the page shows with the cards; the others are drawn when their section opens
    (or after these, by the job)."""

    def draw_all(self) -> None:
        for name in self.makers():
            self.figure(name)

    @cached_property
    def bottlenecks(self) -> dict[str, dict[str, float]]:
        """For each line (`runs`): how often each station was its bottleneck, most often first."""
        return {name: kpis.bottleneck_shares(results) for name, results in self.runs.items()}

    @property
    def currency(self) -> str:
        costs = self.study.line.costs
        return costs.currency if costs is not None else ""

    @property
    def replications(self) -> int:
        return next(iter(self.runs.values())).replications

    @property
    def first_look(self) -> str | None:
        """`first look: 3 of 10 replications — refining` for a first look; None for a full result."""
        if self.planned is None:
            return None
        return f"first look: {self.replications} of {self.planned} replications — refining"


@dataclass
class ComparisonBundle(Drawn):
    first_screen = ("oee",)
    key: str
    study: twin.Study
    comparison: twin.Comparison
    difference: pd.DataFrame
    business: twin.BusinessCase | None
    bridge: pd.DataFrame
    losses: pd.DataFrame
    """Six big losses at the constraint: one column per line."""
    part_logs: dict[str, pd.DataFrame] | None = None
    """Replication 0 of each line with its per-part log (same streams as the comparison's); None
    until the job has made them (after the cards are shown)."""
    seconds: float = 0.0
    workers: int | None = None
    planned: int | None = None
    """For a first look: the replications the full result will have (this one has fewer)."""
    figures: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def makers(self) -> dict[str, Any]:
        from ui.presenting.charts import comparison_figures

        return comparison_figures(self)

    @property
    def runs(self) -> dict[str, twin.Results]:
        return {"conventional": self.comparison.conventional, "industry40": self.comparison.industry40}

    @property
    def levers(self) -> list[str]:
        return self.comparison.levers


@dataclass
class LineBundle(Drawn):
    """A study with no lever switched on: the line's own results (nothing to compare it with)."""

    first_screen = ("states",)

    key: str
    study: twin.Study
    results: twin.Results
    losses: pd.DataFrame
    part_logs: dict[str, pd.DataFrame] | None = None
    seconds: float = 0.0
    workers: int | None = None
    planned: int | None = None
    """For a first look: the replications the full result will have (this one has fewer)."""
    figures: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    levers: list[str] = field(default_factory=list)
    business: None = None

    def makers(self) -> dict[str, Any]:
        from ui.presenting.charts import line_figures

        return line_figures(self)

    @property
    def runs(self) -> dict[str, twin.Results]:
        return {"line": self.results}

    @cached_property
    def summary(self) -> pd.DataFrame:
        return self.results.summary()


Bundle = ComparisonBundle | LineBundle


@dataclass(frozen=True)
class ConfigHashes:
    """The study's config hash and each line's, named as the CLI names them (`twin validate`,
    `twin compare`): a result is reproduced from either."""

    study: str
    line: str
    upgraded: str | None
    """The Industry 4.0 line's hash; None when no lever is on (it is the line itself)."""

    @classmethod
    def of(cls, study: twin.Study) -> ConfigHashes:
        names = enabled_levers(study)
        upgraded = twin.config_hash(twin.apply_levers(study.line, study.levers, names)) if names else None
        return cls(twin.config_hash(study), twin.config_hash(study.line), upgraded)

    def named(self, quote: str = "") -> str:
        """`study 1a2b… · line 3c4d…` or `study … · lines … (conventional), … (Industry 4.0)`, each
        hash between `quote`s (a backtick: a code span in Markdown)."""
        study, line, upgraded = (f"{quote}{h}{quote}" for h in (self.study, self.line, self.upgraded))
        if self.upgraded is None:
            return f"study {study} · line {line}"
        return f"study {study} · lines {line} (conventional), {upgraded} (Industry 4.0)"

    @property
    def text(self) -> str:
        """For Markdown: hashes as code spans."""
        return self.named("`")


def quality_stations(line: twin.Line) -> list[str]:
    return [s.name for s in line.stations if s.quality is not None]


def has_quality(line: twin.Line) -> bool:
    return any(s.quality is not None for s in line.stations)


def _part_logs(runs: dict[str, twin.Results]) -> dict[str, pd.DataFrame]:
    """Replication 0 of each line again, keeping its per-part log (same streams, same parts); the
    memo of replications keeps it, so a lever toggled logs the Industry 4.0 line alone."""
    out = {}
    for name, results in runs.items():
        logged = twin.run(results.line, replications=1, seed=results.seed, workers=1, keep_part_log=True)
        out[name] = logged.part_records()
    return out


def _finish(bundle: Bundle, job: Job) -> Bundle:
    """Publish the bundle (the page shows its cards now), then make the precision logs and draw the
    charts while the page is already in use."""
    bundle.seconds = job.elapsed
    bundle.hashes  # noqa: B018 (computed here, off the page's thread)
    job.publish(bundle)
    job.first_look = None  # replaced by the full result (and not kept with the job)
    job.note = "drawing the charts"
    with timing.phase("draw first screen"):
        for name in bundle.first_screen:  # the page shows it with the cards: it waits for it
            bundle.figure(name)
    if has_quality(bundle.study.line):
        job.note = "logging parts for the precision charts"
        with timing.phase("precision logs"):
            bundle.part_logs = _part_logs(bundle.runs)
        job.note = "drawing the charts"
    with timing.phase("draw all"):
        bundle.draw_all()
    return bundle


def submit_comparison(store: Store, study: twin.Study, key: str) -> Job:
    """Start the comparison of `study` under `key` in the store (or find it running or done)."""
    label = "Comparison" if enabled_levers(study) else "Line run"
    return store.submit(key, "compare", label, lambda job: run_comparison(study, key, job))


def run_comparison(study: twin.Study, key: str, job: Job) -> Bundle:
    """The comparison when a lever is on, the line alone when none is (a comparison of the line
    with itself says nothing: every delta zero, no investment).

    A setting whose work is over the limits is refused first, with the CLI's message
    (`twin.check_workload`). A run that would take well over `FIRST_LOOK_SECONDS` runs its first
    replications of every line first, and shows them as a first look (`Job.show_first_look`)
    while the others run; the full result is the same as in one go."""
    n = study.line.replications
    names = enabled_levers(study)
    if names:  # (twin.run bounds a line alone before it runs, as `twin run` does)
        twin.check_workload(study)
    workers = workers_for(study, 2)
    lines = [study.line, twin.apply_levers(study.line, study.levers, names)] if names else [study.line]
    lines = to_simulate(lines, n, study.line.seed)  # a lever toggled: the conventional line is known
    first = PACE.first_batch(lines, n)
    cpu = time.thread_time()
    if not names:
        with timing.phase("simulate line"):
            line_results = twin.run(
                study.line, workers=workers, progress=job.progress, first=first,
                on_batch=lambda part: _first_look(job, lambda: _line_bundle(study, key, part, workers, n)))
        _learn(lines, n, workers, cpu)
        return _finish(_line_bundle(study, key, line_results, workers), job)
    with timing.phase("simulate comparison"):
        comparison = twin.compare(
            study, workers=workers, progress=lambda d, t: job.progress(d, t, 0, 2 * n), first=first,
            on_batch=lambda part: _first_look(job, lambda: _comparison_bundle(study, key, part, workers, n)))
    _learn(lines, n, workers, cpu)
    return _finish(_comparison_bundle(study, key, comparison, workers), job)


def _first_look(job: Job, make: Callable[[], Bundle]) -> None:
    """The first replications' bundle, kept on the job to be shown (marked) while the rest runs."""
    if job.cancel_event.is_set():  # a cancelled job stops here, before making anything
        raise Cancelled
    bundle = make()
    bundle.seconds = job.elapsed
    job.show_first_look(bundle)


def _learn(lines: list[twin.Line], n: int, workers: int | None, since: float) -> None:
    """A serial run's thread-CPU (the summaries of a first look included) teaches the pace."""
    if workers == 1:
        PACE.learn(lines, n, time.thread_time() - since)


def _line_bundle(study: twin.Study, key: str, results: twin.Results, workers: int | None,
                 planned: int | None = None) -> LineBundle:
    with timing.phase("line summaries" if planned is None else "first look summaries"):
        losses = pd.DataFrame({"line": twin.six_big_losses(results)})
        bundle = LineBundle(key=key, study=study, results=results, losses=losses, workers=workers,
                            planned=planned)
        bundle.summary  # noqa: B018 (computed here, off the page's thread)
        return bundle


def _comparison_bundle(study: twin.Study, key: str, comparison: twin.Comparison, workers: int | None,
                       planned: int | None = None) -> ComparisonBundle:
    with timing.phase("comparison summaries" if planned is None else "first look summaries"):
        losses = pd.DataFrame({"conventional": twin.six_big_losses(comparison.conventional),
                               "industry40": twin.six_big_losses(comparison.industry40)})
        return ComparisonBundle(
            key=key, study=study, comparison=comparison, difference=comparison.difference(),
            business=twin.business_case(comparison), bridge=twin.oee_bridge(comparison), losses=losses,
            workers=workers, planned=planned,
        )


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
