"""Run scenarios of a base line or study on common random numbers, into the one result table.

The work is bounded before anything runs: the number of points (`MAX_EXPERIMENT_POINTS`), each
point's events per replication and all points' events together (`twin.workload`). A point whose
overrides the schema refuses, or whose line alone is too costly, is reported with its factors and
the reason, and the other points still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from twin.config import Line
from twin.config.study import Study
from twin.errors import ConfigError
from twin.experiment import Progress, Results
from twin.experiments.executor import Executor
from twin.experiments.paths import get, line_or_study
from twin.experiments.scenarios import Scenario, base_line, check_names
from twin.experiments.table import ExperimentTable, FailedPoint, build
from twin.kpi_registry import HEADLINE, line_kpi, shown_for
from twin.limits import MAX_EVENTS_PER_REPLICATION, MAX_EXPERIMENT_POINTS
from twin.workload import check_tasks, estimate, options_for


@dataclass
class Experiment:
    """Every scenario's results on the same replications, and the table read from them."""

    base: Line | Study
    scenarios: list[Scenario]
    """The scenarios that ran, in order (failed ones are in `table.failed`)."""
    results: dict[str, Results]
    table: ExperimentTable
    seed: int
    replications: int
    responses: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FailedPoint]:
        return self.table.failed

    @property
    def engines(self) -> list[str]:
        return sorted({r.engine for r in self.results.values()})

    @property
    def engine(self) -> str:
        """The engine of every scenario, or `fast+simpy` when they differ (same numbers)."""
        return "+".join(self.engines) or "none"


def default_responses(line: Line) -> list[str]:
    """The headline KPIs the line models (no cost KPIs without costs)."""
    return [name for name in HEADLINE if shown_for(line, line_kpi(name))]


def check_responses(responses: Sequence[Any] | None, line: Line) -> list[str]:
    """Response names are line KPIs; an unknown one is a ConfigError naming it."""
    if responses is None:
        return default_responses(line)
    import difflib

    from twin.kpi import LINE_KPIS

    names = []
    for index, name in enumerate(responses):
        if name not in LINE_KPIS:
            close = difflib.get_close_matches(str(name), LINE_KPIS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see `twin run --format json`)"
            raise ConfigError(f"responses[{index}]: unknown KPI {name!r}{hint}",
                              field=f"responses[{index}]")
        names.append(str(name))
    return names


def prepare(base: Line | Study, scenarios: Sequence[Scenario], replications: int,
            executor: Executor, strict: bool = False) -> tuple[dict[str, Line], list[FailedPoint]]:
    """Each scenario's line, or the reason it cannot run (with `strict`, that reason is raised,
    naming the scenario: `industry40 line: ...`); the whole request bounded."""
    if len(scenarios) > MAX_EXPERIMENT_POINTS:
        raise ConfigError(f"scenarios: {len(scenarios)} points, over the limit of "
                          f"{MAX_EXPERIMENT_POINTS} (see docs/security.md)", field="scenarios")
    check_names(list(scenarios))
    lines: dict[str, Line] = {}
    failed: list[FailedPoint] = []
    for scenario in scenarios:
        try:
            line = scenario.line(base)
            _engine(executor, line, scenario.name if strict else None)
            work = estimate(line)
            if work.events > MAX_EVENTS_PER_REPLICATION:
                check_tasks([line])  # raises the workload's own message
        except ConfigError as exc:
            if strict:
                raise
            failed.append(FailedPoint(scenario.name, dict(scenario.overrides), str(exc)))
            continue
        lines[scenario.name] = line
    check_tasks([line for line in lines.values() for _ in range(replications)])
    return lines, failed


def _engine(executor: Executor, line: Line, name: str | None) -> None:
    """Refuse a line the chosen engine cannot run; named after its scenario when `name` is given
    (a lever may have taken the line out of the fast engine's scope)."""
    try:
        executor.engine_for(line)
    except ConfigError as exc:
        if name is None:
            raise
        raise ConfigError(f"{name} line: {exc}", field=exc.field) from None


def run_experiment(base: Line | Study, scenarios: Sequence[Scenario], *,
                   replications: int | None = None, seed: int | None = None,
                   responses: Sequence[str] | None = None, workers: int | None = None,
                   dask: str | None = None, engine: str = "auto", progress: Progress | None = None,
                   executor: Executor | None = None, first_replication: int = 0,
                   strict: bool = False) -> Experiment:
    """Run every scenario on replications `first_replication ..` of the same seed (common random
    numbers). Pass an open `executor` to run several experiments on one pool or cluster (its
    workers, dask, engine and progress are then used; the keywords here are ignored). A scenario
    that cannot run is reported in `table.failed`, or raised with `strict`."""
    base = line_or_study(base)
    options = options_for(base_line(base), replications, seed, workers, dask)
    n, seed = options.replications, options.seed
    wanted = check_responses(responses, base_line(base))
    own = executor is None
    runner = executor or Executor(workers=options.workers, dask=options.dask, engine=engine,
                                  progress=progress)
    try:
        lines, failed = prepare(base, scenarios, n, runner, strict)
        reps = range(first_replication, first_replication + n)
        tasks = [(line, rep) for line in lines.values() for rep in reps]
        runner.planned = max(runner.planned, runner.done + len(tasks))
        stats = runner.run(tasks, seed)
    except BaseException:
        if own:
            runner.close(failed=True)
        raise
    if own:
        runner.close()
    results = {}
    for index, (name, line) in enumerate(lines.items()):
        line = line.model_copy(update={"replications": n, "seed": seed})
        results[name] = Results(line=line, seed=seed, runs=stats[index * n:(index + 1) * n],
                                engine=runner.engine_for(line))
    return _assembled(base, list(scenarios), results, failed, seed, n, wanted)


def _assembled(base: Line | Study, scenarios: list[Scenario], results: dict[str, Results],
               failed: list[FailedPoint], seed: int, replications: int,
               responses: list[str]) -> Experiment:
    ran = [s for s in scenarios if s.name in results]
    factors = {s.name: factor_row(base, s, ran) for s in ran}
    table = build({name: r.kpis for name, r in results.items()}, factors, failed)
    return Experiment(base=base, scenarios=ran, results=results, table=table, seed=seed,
                      replications=replications, responses=responses)


def extend(experiment: Experiment, more: Experiment) -> Experiment:
    """`experiment` with the further replications of `more` (the same scenarios, run from
    `first_replication=experiment.replications`), as one experiment."""
    n = experiment.replications + more.replications
    results = {}
    for name, first in experiment.results.items():
        line = first.line.model_copy(update={"replications": n})
        results[name] = Results(line=line, seed=experiment.seed,
                                runs=first.runs + more.results[name].runs, engine=first.engine)
    return _assembled(experiment.base, experiment.scenarios, results, experiment.failed,
                      experiment.seed, n, experiment.responses)


def factor_row(base: Line | Study, scenario: Scenario, scenarios: Sequence[Scenario]) -> dict[str, Any]:
    """A scenario's value of every path any scenario sets: its own override, or the base's value."""
    paths = list(dict.fromkeys(p for s in scenarios for p in s.overrides))
    return {p: scenario.overrides[p] if p in scenario.overrides else _base_value(base, p)
            for p in paths}


def _base_value(base: Line | Study, path: str) -> Any:
    try:
        return get(base, path)
    except ConfigError:  # a section the base does not have (a lever it does not configure)
        return None
