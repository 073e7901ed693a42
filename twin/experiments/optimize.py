"""`twin optimize` and `twin.optimize`: search the decisions, then select the best with confidence.

1. **Search** (`twin.experiments.search`): every design the search proposes runs for the file's
   replications, all on replications 0 … n − 1 of one seed (common random numbers).
2. **Selection** (`twin.experiments.selection`): the best `selection.finalists` feasible designs of
   the search run again on *fresh* replications n, n + 1, … (still common to all of them): reusing
   the search's samples would favour the designs that were lucky there. KN (default) adds
   replications until one design is left or its stopping rule says the survivor with the best mean
   is within δ of the best with the stated confidence; OCBA spends a fixed budget where it decides
   most. The answer's KPIs are those of the selection's replications.
3. With two objectives there is no single best: the answer is the Pareto front of the search's
   feasible designs (on their means), each with its CIs; no selection runs.

The work is bounded before anything runs: evaluations × replications for the search plus
finalists × `selection.max_replications` for the selection (twice that for an `npv` objective,
which also runs each design's conventional line), against the engine-event limits.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin.config import Line
from twin.config.study import Study
from twin.engine.scope import choose_engine
from twin.errors import ConfigError, RunError
from twin.experiments.executor import Executor
from twin.experiments.optimize_file import OptimizeFile
from twin.experiments.optimize_space import NPV, Decision
from twin.experiments.paths import line_or_study
from twin.experiments.runner import Experiment, check_responses, run_experiment
from twin.experiments.scenarios import Scenario, base_line, lever_switches
from twin.experiments.search import Design, Evaluation, SearchResult, choices, pareto_front, ranked, search
from twin.experiments.selection import Selection, kn, ocba
from twin.experiments.table import REPLICATION, SCENARIO
from twin.limits import MAX_EVENTS_PER_REQUEST
from twin.stats import estimate
from twin.workload import estimate as events_of
from twin.workload import options_for

KN_BATCH = 5
"""Replications KN asks for at a time (its decisions do not depend on it; a fixed value keeps the
answer's replication counts independent of the number of workers)."""

FIRST_STAGE = 10
"""Replications of KN's first stage at least (Kim and Nelson's n0 = 10): fewer inflate its h² and
with it the replications of every later stage."""

Progress = Callable[[int, int], None]


@dataclass
class Optimization:
    """The search, the selection and the answer of one optimisation."""

    spec: OptimizeFile
    base: Line | Study
    seed: int
    replications: int
    search: SearchResult
    finalists: list[Evaluation]
    """Single objective: the designs of the selection with their selection samples; two
    objectives: the Pareto front with its search samples."""
    selection: Selection | None
    reported: list[str]
    """The KPIs shown for each design: the objectives, the constrained KPIs, the responses."""
    engines: set[str] = field(default_factory=set)

    @property
    def best(self) -> Evaluation | None:
        if self.selection is None:
            return None
        return self.finalists[self.selection.best]

    @property
    def evaluations(self) -> int:
        return len(self.search.evaluations)

    @property
    def probability_correct_selection(self) -> float | None:
        if self.selection is None:
            return None
        p = self.selection.probability_correct_selection
        return float(p) if math.isfinite(p) else None

    def design_json(self, evaluation: Evaluation) -> dict[str, object]:
        return {"decisions": _plain(evaluation.decisions),
                "kpis": {k: estimate(evaluation.samples[k]).to_json()
                         for k in self.reported if k in evaluation.samples}}

    def finalist_json(self, index: int, evaluation: Evaluation) -> dict[str, object]:
        out = self.design_json(evaluation)
        out["replications"] = len(next(iter(evaluation.samples.values()), []))
        if self.selection is not None:
            out["eliminated"] = index in self.selection.eliminated_at
        return out

    def to_json(self) -> dict[str, object]:
        """`{"best": {"decisions", "kpis"}, "finalists": [...], "evaluations": n,
        "probability_correct_selection": p}`; with two objectives `best` and `p` are null and the
        finalists are the Pareto front."""
        best = self.best
        return {
            "best": None if best is None else self.design_json(best),
            "finalists": [self.finalist_json(i, e) for i, e in enumerate(self.finalists)],
            "evaluations": self.evaluations,
            "probability_correct_selection": self.probability_correct_selection,
        }


def _plain(design: Design) -> dict[str, Any]:
    return {path: (value.item() if isinstance(value, np.generic) else value)
            for path, value in design.items()}


def reported_kpis(spec: OptimizeFile, line: Line) -> list[str]:
    """The objectives, the constrained KPIs and the file's `responses`, once each."""
    names = list(spec.judged_kpis)
    if spec.responses is not None:
        names += check_responses(spec.responses, line)
    return list(dict.fromkeys(names))


def planned_runs(spec: OptimizeFile, replications: int) -> int:
    """The most (line, replication) runs the optimisation can make."""
    runs = spec.budget.evaluations * replications
    if spec.selection is not None and len(spec.objectives) == 1:
        runs += spec.selection.finalists * spec.selection.max_replications
    return runs * (2 if NPV in spec.judged_kpis else 1)


def check_plan(spec: OptimizeFile, base: Line | Study, replications: int) -> int:
    """Refuse, before anything runs, an optimisation whose worst case exceeds the request limit;
    and a decision whose path or first value the base refuses. Returns the planned runs."""
    line = base_line(base)
    runs = planned_runs(spec, replications)
    events = events_of(line).events
    if runs * events > MAX_EVENTS_PER_REQUEST:
        settings = spec.selection
        selection = (f" + {settings.finalists} finalists × up to {settings.max_replications} "
                     f"replications" if settings is not None and len(spec.objectives) == 1 else "")
        raise ConfigError(
            f"budget.evaluations: {spec.budget.evaluations} evaluations × {replications} replications"
            f"{selection} make up to {runs} runs of about {events:.2g} engine events each, over the "
            f"limit of {MAX_EVENTS_PER_REQUEST:.2g} for one request (see docs/security.md)",
            field="budget.evaluations")
    for index, decision in enumerate(spec.decisions):
        _check_decision(base, decision, index)
    _check_modelled(spec, line)
    if NPV in spec.judged_kpis and (not isinstance(base, Study) or line.costs is None):
        raise ConfigError("objective: npv needs a study base with a costs: block in its line (the "
                          "business case of its levers)", field="objective")
    return runs


def _check_modelled(spec: OptimizeFile, line: Line) -> None:
    """An objective or constraint on a KPI the line does not model (a cost without `costs:`) would
    be undefined for every design: refuse it by name instead of finding nothing feasible."""
    from twin.kpi_registry import LINE, shown_for

    named = [(f"objective{'' if len(spec.objectives) == 1 else f'[{i}]'}."
              f"{'maximize' if o.maximizing else 'minimize'}", o.kpi) for i, o in enumerate(spec.objectives)]
    named += [(f"constraints[{spec.constraints.index(c)}].kpi", c.kpi) for c in spec.kpi_constraints]
    for where, kpi in named:
        entry = LINE.get(kpi)
        if entry is not None and not shown_for(line, entry):
            raise ConfigError(f"{where}: {kpi} is not modelled by the base line (it needs its "
                              f"{entry.needs} settings)", field=where)


def _check_decision(base: Line | Study, decision: Decision, index: int) -> None:
    """Set the decision's first value on the base: a path that leads nowhere or a value the
    schema refuses is one line naming `decisions[i]` and the path."""
    options = choices(decision)
    value = options[0] if options else decision.low
    try:
        Scenario("check", {decision.path: value}).apply(base)
    except ConfigError as exc:
        raise ConfigError(f"decisions[{index}].path: {exc}", field=f"decisions[{index}].path") from None


class _Runner:
    """Runs designs as scenarios on an open executor and returns their KPI samples."""

    def __init__(self, spec: OptimizeFile, base: Line | Study, seed: int, executor: Executor,
                 kpis: Sequence[str]) -> None:
        self.spec, self.base, self.seed, self.executor = spec, base, seed, executor
        self.kpis = [k for k in kpis if k != NPV]
        """The KPIs read from the result table for each design (NPV is computed beside them)."""
        self.npv = NPV in spec.judged_kpis
        self.engines: set[str] = set()
        self.count = 0

    def run(self, designs: Sequence[Design], start: int, stop: int) -> list[dict[str, np.ndarray] | str]:
        names = [f"design {self.count + i + 1}" for i in range(len(designs))]
        self.count += len(designs)
        scenarios = [Scenario(name, dict(design)) for name, design in zip(names, designs, strict=True)]
        conventional: dict[str, str] = {}
        if self.npv:
            scenarios += self._conventional(designs, names, conventional)
        experiment = run_experiment(self.base, scenarios, replications=stop - start, seed=self.seed,
                                    executor=self.executor, first_replication=start)
        self.engines.update(experiment.engines)
        failed = {point.scenario: point.reason for point in experiment.failed}
        frame = experiment.table.frame
        wanted = [k for k in self.kpis if k in frame]
        rows = {name: group.sort_values(REPLICATION)
                for name, group in frame.groupby(SCENARIO, sort=False)}
        out: list[dict[str, np.ndarray] | str] = []
        for name, design in zip(names, designs, strict=True):
            if name in failed:
                out.append(failed[name])
                continue
            samples = {k: rows[name][k].to_numpy(dtype=float) for k in wanted}
            if self.npv:
                reason = failed.get(conventional[name])
                if reason is not None:
                    out.append(f"its conventional line: {reason}")
                    continue
                samples[NPV] = self._npv(experiment, design, name, conventional[name])
            out.append(samples)
        return out

    def _conventional(self, designs: Sequence[Design], names: list[str],
                      into: dict[str, str]) -> list[Scenario]:
        """One scenario per distinct line part of the designs, every lever switched off."""
        assert isinstance(self.base, Study)
        off = lever_switches(self.base, [])
        made: dict[str, Scenario] = {}
        for name, design in zip(names, designs, strict=True):
            line_part = {p: v for p, v in design.items() if not p.startswith("levers.")}
            key = repr(sorted(line_part.items()))
            if key not in made:
                made[key] = Scenario(f"{name} conventional", {**line_part, **off})
            into[name] = made[key].name
        return list(made.values())

    def _npv(self, experiment: Experiment, design: Design, name: str, conventional: str) -> np.ndarray:
        from twin.business import business_case
        from twin.comparison import Comparison
        from twin.levers import enabled

        study = Scenario(name, dict(design)).apply(self.base)
        assert isinstance(study, Study)
        comparison = Comparison(study=study, levers=enabled(study.levers),
                                conventional=experiment.results[conventional],
                                industry40=experiment.results[name])
        case = business_case(comparison)
        assert case is not None  # check_plan: a costs block
        return np.asarray(case.npv_per_replication, dtype=float)


def optimize(experiment: str | Path | OptimizeFile, base: Line | Study | None = None, *,
             replications: int | None = None, seed: int | None = None, workers: int | None = None,
             dask: str | None = None, engine: str = "auto", progress: Progress | None = None,
             ) -> Optimization:
    """Run an optimisation file (a path), or an `OptimizeFile` with its `base`."""
    if isinstance(experiment, OptimizeFile):
        if base is None:
            raise ConfigError("base: an OptimizeFile needs its base line or study", field="base")
        spec, model = experiment, line_or_study(base)
    else:
        from twin.experiments.spec import load_experiment

        spec, model = load_experiment(experiment, OptimizeFile)
    line = base_line(model)
    options = options_for(line, replications if replications is not None else spec.replications,
                          seed if seed is not None else spec.seed, workers, dask)
    n, seed_ = options.replications, options.seed
    if n < 2:
        raise ConfigError(f"replications: an optimisation needs at least 2 per design for its CIs, "
                          f"got {n}", field="replications")
    planned = check_plan(spec, model, n)
    choose_engine(Scenario("base").line(model), engine)  # --engine fast on a base out of its scope
    reported = reported_kpis(spec, line)
    with Executor(workers=options.workers, dask=options.dask, engine=engine, progress=progress,
                  planned=planned) as executor:
        runner = _Runner(spec, model, seed_, executor, reported)
        found = search(spec.decisions, spec.objectives, lambda designs: runner.run(designs, 0, n),
                       evaluations=spec.budget.evaluations, seed=seed_, sums=spec.sums,
                       kpis=spec.kpi_constraints)
        if len(spec.objectives) == 2:
            front = pareto_front(found.evaluations, spec.objectives)
            return Optimization(spec, model, seed_, n, found, front, None, reported, runner.engines)
        assert spec.selection is not None  # the file model requires it with one objective
        top = ranked(found.evaluations, spec.objectives[0])[: spec.selection.finalists]
        if not top:
            raise ConfigError(_none_feasible(found), field="constraints")
        finalists, selection = _select(spec, runner, [e.decisions for e in top], n)
    return Optimization(spec, model, seed_, n, found, finalists, selection, reported, runner.engines)


def _none_feasible(found: SearchResult) -> str:
    reasons = [e.failed or "; ".join(e.violations) for e in found.evaluations if not e.feasible]
    first = f": the first says {reasons[0]}" if reasons else ""
    return (f"constraints: none of the {len(found.evaluations)} designs evaluated is feasible"
            f"{first}")


def _select(spec: OptimizeFile, runner: _Runner, designs: list[Design],
            first: int) -> tuple[list[Evaluation], Selection]:
    """Ranking and selection among `designs` on fresh replications `first`, `first + 1`, …"""
    objective = spec.objectives[0]
    settings = spec.selection
    assert settings is not None
    kept = [Evaluation(dict(d)) for d in designs]

    def sample(which: Sequence[int], start: int, stop: int) -> np.ndarray:
        answers = runner.run([designs[i] for i in which], first + start, first + stop)
        rows = []
        for i, answer in zip(which, answers, strict=True):
            if isinstance(answer, str):
                raise ConfigError(f"selection: a finalist failed on more replications: {answer}")
            for kpi, values in answer.items():
                old = kept[i].samples.get(kpi)
                kept[i].samples[kpi] = values if old is None else np.concatenate([old, values])
            values = answer[objective.kpi]
            if not np.isfinite(values).all():
                raise RunError(f"selection: {objective.kpi} is undefined on a replication of "
                               f"{_plain(designs[i])} (no good part?); try a longer horizon")
            rows.append(values)
        return np.array(rows)

    n0 = min(max(first, FIRST_STAGE), settings.max_replications)
    if settings.procedure == "ocba":
        chosen = ocba(sample, len(designs), budget=max(len(designs) * n0, len(designs) *
                                                          settings.max_replications // 4),
                      indifference=settings.indifference, first=n0, maximize=objective.maximizing)
    else:
        chosen = kn(sample, len(designs), indifference=settings.indifference,
                    confidence=settings.confidence, first=n0, maximize=objective.maximizing,
                    batch=KN_BATCH, max_replications=settings.max_replications)
    return kept, chosen
