"""Search a decision space for good designs: exhaustively when it is small, with optuna otherwise.

A design is one value per decision path. The search never simulates a design twice (a repeated
proposal gets its first answer back) and never simulates one that breaks a sum constraint:

- `{sum: [paths], equals: X}` is enforced by construction: the last path of the list takes
  X − (the others), and a proposal that puts it outside its own range is rejected unsimulated;
- `{sum: [paths], at_most: X}` rejects a proposal above X, unsimulated;
- `{kpi: NAME, at_most|at_least: X}` is judged on the design's 95% CI after it ran: a design is
  feasible only when its whole interval meets the bound (a design whose interval straddles it is
  not taken: the answer must hold with confidence, not on average).

Rejected and infeasible proposals are told to optuna as constraint violations (TPE puts them in its
"bad" group), so it learns to avoid them. They do not count as evaluations.

**Exhaustive or sampled.** When every decision is finite (int ranges, booleans, value lists) and
the designs that meet the sum constraints are no more than `budget.evaluations`, every one is
evaluated: nothing is left to chance and the search is exact. The enumeration itself is bounded
(`MAX_ENUMERATED` raw combinations); above that, or with a float decision, optuna's TPE sampler
(seeded) proposes designs in rounds of `ROUND` until the budget is spent; with two objectives TPE's
multi-objective form does the same.

Every design of a search runs on the same replications of the same seed (common random numbers), so
that designs are compared on paired samples.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin.experiments.optimize_space import Decision, KPIConstraint, Objective, SumConstraint
from twin.stats import Estimate, estimate

if TYPE_CHECKING:
    import optuna

Design = dict[str, Any]
"""One value per decision path."""

Evaluate = Callable[[list[Design]], list["dict[str, np.ndarray] | str"]]
"""evaluate(designs) → per design its KPI samples (name → one value per replication), or the
reason it could not run (a value the schema refuses, a line too costly): the search goes on."""

MAX_ENUMERATED = 100_000
"""Raw combinations of finite decisions the search enumerates at most to look for an exact answer."""
ROUND = 4
"""Designs optuna proposes at once (simulated together, so a pool stays busy); fixed, so that the
answer does not depend on the number of workers."""
TRIALS_PER_EVALUATION = 20
"""Proposals optuna may make per evaluation of the budget (rejected and repeated ones included)."""


@dataclass
class Evaluation:
    """A design that was simulated, its samples and whether it meets the KPI constraints."""

    decisions: Design
    samples: dict[str, np.ndarray] = field(default_factory=dict)
    failed: str | None = None
    """Why the design could not run (then it has no samples)."""
    violations: list[str] = field(default_factory=list)
    """The KPI constraints its CI does not meet (one line each)."""

    @property
    def feasible(self) -> bool:
        return self.failed is None and not self.violations

    def estimate(self, kpi: str) -> Estimate:
        return estimate(self.samples[kpi])

    def mean(self, kpi: str) -> float:
        values = self.samples.get(kpi)
        return float(np.mean(values)) if values is not None and len(values) else math.nan


@dataclass
class SearchResult:
    evaluations: list[Evaluation]
    exhaustive: bool
    proposals: int
    """Designs proposed in all (evaluated, repeated and rejected)."""
    rejected: int

    def feasible(self) -> list[Evaluation]:
        return [e for e in self.evaluations if e.feasible]


# --- the space ---------------------------------------------------------------------------------------

def choices(decision: Decision) -> list[Any] | None:
    """Every value of a finite decision; None for a float range."""
    if decision.values is not None:
        return list(decision.values)
    if decision.type == "bool":
        return [False, True]
    if decision.type == "int":
        assert decision.low is not None and decision.high is not None
        return list(range(int(decision.low), int(decision.high) + 1))
    return None


def in_range(decision: Decision, value: Any) -> bool:
    options = choices(decision)
    if options is not None:
        return value in options
    assert decision.low is not None and decision.high is not None
    return decision.low <= value <= decision.high


def sum_violation(design: Design, constraints: Sequence[SumConstraint]) -> float:
    """How far a design breaks its sum constraints (0 when it meets them)."""
    total = 0.0
    for constraint in constraints:
        value = constraint.total(design)
        if constraint.equals is not None:
            total += abs(value - constraint.equals)
        elif constraint.at_most is not None:
            total += max(0.0, value - constraint.at_most)
    return total


def _dependent(decisions: Sequence[Decision],
               constraints: Sequence[SumConstraint]) -> dict[str, SumConstraint]:
    """The path each `equals` constraint sets by construction: the last of its list."""
    ranged = {d.path for d in decisions if d.values is None and d.type in ("int", "float")}
    out: dict[str, SumConstraint] = {}
    for constraint in constraints:
        if constraint.equals is not None and constraint.sum[-1] in ranged:
            out[constraint.sum[-1]] = constraint
    return out


def complete(design: Design, decisions: Sequence[Decision],
             constraints: Sequence[SumConstraint]) -> Design | None:
    """`design` with each dependent path set to close its `equals` sum, in decision order; None
    when the result leaves a range or breaks a sum constraint."""
    by_path = {d.path: d for d in decisions}
    out = dict(design)
    for path, constraint in _dependent(decisions, constraints).items():
        rest = constraint.total(out, constraint.sum[:-1])
        assert constraint.equals is not None
        value: Any = (constraint.equals - rest) / constraint.weight(path)
        if by_path[path].type == "int":
            if abs(value - round(value)) > 1e-9:
                return None
            value = round(value)
        if not in_range(by_path[path], value):
            return None
        out[path] = value
    ordered = {d.path: out[d.path] for d in decisions}
    return ordered if sum_violation(ordered, constraints) <= 1e-9 else None


def enumerate_space(decisions: Sequence[Decision], constraints: Sequence[SumConstraint],
                    limit: int) -> list[Design] | None:
    """Every design meeting the sum constraints, when there are at most `limit` and enumerating
    takes at most `MAX_ENUMERATED` combinations; None otherwise (search with optuna then)."""
    dependent = _dependent(decisions, constraints)
    free = [d for d in decisions if d.path not in dependent]
    options = [choices(d) for d in free]
    if any(o is None for o in options):
        return None
    if math.prod(len(o) for o in options if o is not None) > MAX_ENUMERATED:
        return None
    designs: list[Design] = []
    for combination in itertools.product(*[o for o in options if o is not None]):
        design = complete(dict(zip([d.path for d in free], combination, strict=True)), decisions,
                          constraints)
        if design is not None:
            designs.append(design)
            if len(designs) > limit:
                return None
    return designs


# --- judging ------------------------------------------------------------------------------------------

def kpi_violations(samples: dict[str, np.ndarray], constraints: Sequence[KPIConstraint]) -> list[str]:
    """The KPI constraints the 95% CI of `samples` does not meet, as `kpi at_most X: CI [a, b]`."""
    out = []
    for c in constraints:
        ci = estimate(samples[c.kpi])
        if c.at_most is not None and not ci.high <= c.at_most:
            out.append(f"{c.kpi} at_most {c.at_most:g}: 95% CI [{ci.low:.4g}, {ci.high:.4g}]")
        if c.at_least is not None and not ci.low >= c.at_least:
            out.append(f"{c.kpi} at_least {c.at_least:g}: 95% CI [{ci.low:.4g}, {ci.high:.4g}]")
    return out


def _kpi_excess(samples: dict[str, np.ndarray], constraints: Sequence[KPIConstraint]) -> float:
    excess = 0.0
    for c in constraints:
        ci = estimate(samples[c.kpi])
        if c.at_most is not None:
            excess += max(0.0, ci.high - c.at_most) if math.isfinite(ci.high) else 1.0
        if c.at_least is not None:
            excess += max(0.0, c.at_least - ci.low) if math.isfinite(ci.low) else 1.0
    return excess


def ranked(evaluations: Sequence[Evaluation], objective: Objective) -> list[Evaluation]:
    """Feasible designs, best mean first."""
    sign = -1.0 if objective.maximizing else 1.0
    good = [e for e in evaluations if e.feasible and math.isfinite(e.mean(objective.kpi))]
    return sorted(good, key=lambda e: sign * e.mean(objective.kpi))


def pareto_front(evaluations: Sequence[Evaluation], objectives: Sequence[Objective]) -> list[Evaluation]:
    """The feasible designs no other feasible design beats on every objective (on the means),
    sorted by the first objective, best first."""
    good = [e for e in evaluations if e.feasible and all(math.isfinite(e.mean(o.kpi)) for o in objectives)]
    points = np.array([[(-1.0 if o.maximizing else 1.0) * e.mean(o.kpi) for o in objectives]
                       for e in good]).reshape(len(good), len(objectives))
    front = []
    for i, row in enumerate(points):
        dominated = np.any(np.all(points <= row, axis=1) & np.any(points < row, axis=1))
        if not dominated:
            front.append(i)
    return sorted((good[i] for i in front), key=lambda e: points[good.index(e), 0])


# --- the search ---------------------------------------------------------------------------------------

def search(decisions: Sequence[Decision], objectives: Sequence[Objective], evaluate: Evaluate, *,
           evaluations: int, seed: int, sums: Sequence[SumConstraint] = (),
           kpis: Sequence[KPIConstraint] = (), exhaustive: bool | None = None) -> SearchResult:
    """Evaluate up to `evaluations` designs and return them all. `exhaustive=None` decides by the
    size of the space (see the module); True insists (an error if the space is too large)."""
    space = enumerate_space(decisions, sums, evaluations) if exhaustive is not False else None
    if exhaustive and space is None:
        raise ValueError(f"the decision space has more than {evaluations} designs: it cannot be "
                         "searched exhaustively within the budget")
    if space is not None:
        results = _run(space, evaluate, kpis)
        return SearchResult(results, exhaustive=True, proposals=len(space), rejected=0)
    return _optuna_search(decisions, objectives, evaluate, evaluations, seed, sums, kpis)


def _run(designs: list[Design], evaluate: Evaluate, kpis: Sequence[KPIConstraint]) -> list[Evaluation]:
    if not designs:  # a round of repeats and rejects: nothing to simulate
        return []
    out = []
    for design, answer in zip(designs, evaluate(designs), strict=True):
        if isinstance(answer, str):
            out.append(Evaluation(design, failed=answer))
        else:
            out.append(Evaluation(design, samples=answer, violations=kpi_violations(answer, kpis)))
    return out


def _propose(trial: optuna.trial.Trial, decisions: Sequence[Decision],
             dependent: dict[str, SumConstraint]) -> Design:
    design: Design = {}
    for d in decisions:
        if d.path in dependent:
            continue
        if d.values is not None:
            numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in d.values)
            ordered = numeric and d.values == sorted(d.values)
            index = (trial.suggest_int(d.path, 0, len(d.values) - 1) if ordered
                     else trial.suggest_categorical(d.path, list(range(len(d.values)))))
            design[d.path] = d.values[int(index)]
        elif d.type == "bool":
            design[d.path] = trial.suggest_categorical(d.path, [False, True])
        elif d.type == "int":
            assert d.low is not None and d.high is not None
            design[d.path] = trial.suggest_int(d.path, int(d.low), int(d.high))
        else:
            assert d.low is not None and d.high is not None
            design[d.path] = trial.suggest_float(d.path, d.low, d.high)
    return design


def _key(design: Design) -> str:
    return repr(sorted(design.items()))


def _optuna_search(decisions: Sequence[Decision], objectives: Sequence[Objective], evaluate: Evaluate,
                   evaluations: int, seed: int, sums: Sequence[SumConstraint],
                   kpis: Sequence[KPIConstraint]) -> SearchResult:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=min(10, max(2, evaluations // 3)), multivariate=True, constant_liar=True)
    study = optuna.create_study(
        directions=["maximize" if o.maximizing else "minimize" for o in objectives], sampler=sampler)
    dependent = _dependent(decisions, sums)
    done: dict[str, Evaluation] = {}
    order: list[Evaluation] = []
    proposals = rejected = 0
    while len(order) < evaluations and proposals < TRIALS_PER_EVALUATION * evaluations:
        round_: list[tuple[optuna.trial.Trial, Design | None]] = []
        fresh: dict[str, Design] = {}
        while len(round_) < ROUND and len(order) + len(fresh) < evaluations:
            trial = study.ask()
            proposals += 1
            design = complete(_propose(trial, decisions, dependent), decisions, sums)
            round_.append((trial, design))
            if design is None:
                rejected += 1
            elif _key(design) not in done and _key(design) not in fresh:
                fresh[_key(design)] = design
            if proposals >= TRIALS_PER_EVALUATION * evaluations:
                break
        for evaluation in _run(list(fresh.values()), evaluate, kpis):
            done[_key(evaluation.decisions)] = evaluation
            order.append(evaluation)
        for trial, design in round_:
            _tell(study, trial, None if design is None else done[_key(design)], objectives, kpis,
                  sum_violation(_propose_back(trial, decisions, dependent), sums) + 1.0)
    return SearchResult(order, exhaustive=False, proposals=proposals, rejected=rejected)


def _propose_back(trial: optuna.trial.Trial, decisions: Sequence[Decision],
                  dependent: dict[str, SumConstraint]) -> Design:
    """The free part of what a trial proposed, with dependent paths at their low end (the size of a
    rejected proposal's violation, for TPE)."""
    values = {}
    for d in decisions:
        if d.path in dependent:
            values[d.path] = d.low
        elif d.values is not None:
            values[d.path] = d.values[int(trial.params[d.path])]
        else:
            values[d.path] = trial.params[d.path]
    return values


def _tell(study: optuna.Study, trial: optuna.trial.Trial, evaluation: Evaluation | None,
          objectives: Sequence[Objective], kpis: Sequence[KPIConstraint], rejected_by: float) -> None:
    if evaluation is None or evaluation.failed is not None:
        trial.set_constraint("violation", rejected_by)
        study.tell(trial, [0.0] * len(objectives))
        return
    values = [evaluation.mean(o.kpi) for o in objectives]
    if not all(math.isfinite(v) for v in values):
        trial.set_constraint("violation", 1.0)
        study.tell(trial, [0.0] * len(objectives))
        return
    trial.set_constraint("violation", _kpi_excess(evaluation.samples, kpis))
    study.tell(trial, values)
