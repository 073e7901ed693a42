"""The experiments a user asks for by name: `scenarios`, `sweep`, `sensitivity` (the CLI's commands
and `twin.scenarios`, `twin.sweep`, `twin.sensitivity` in the Python API), each a thin layer over
`run_experiment` with the JSON its command prints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from twin import __version__
from twin.config import Line
from twin.config.study import Study
from twin.errors import ConfigError
from twin.experiment import Progress
from twin.experiments import analysis
from twin.experiments.designs import DesignPoints, planned_points, points
from twin.experiments.executor import Executor
from twin.experiments.paths import check_paths, line_or_study
from twin.experiments.runner import Experiment, check_responses, run_experiment
from twin.experiments.scenarios import Scenario, base_line
from twin.experiments.spec import Design, Factor, ScenarioSpec
from twin.io import config_hash, validate_as
from twin.limits import MAX_EXPERIMENT_POINTS
from twin.workload import check_tasks, options_for


def _stamp(experiment: Experiment) -> dict[str, object]:
    base = experiment.base
    return {"name": base_line(base).name, "base_hash": config_hash(base), "version": __version__,
            "replications": experiment.replications, "seed": experiment.seed,
            "engine": experiment.engine, "responses": experiment.responses}


@dataclass
class ScenarioResults:
    """Named scenarios, each KPI with its CI, and the paired difference to the first."""

    experiment: Experiment
    reference: str

    def to_json(self) -> dict[str, object]:
        table, kpis = self.experiment.table, self.experiment.responses
        rows = []
        for scenario in self.experiment.scenarios:
            difference = None
            if scenario.name != self.reference:
                difference = {}
                for kpi in kpis:
                    diff = table.paired(scenario.name, self.reference, kpi)
                    difference[kpi] = diff.to_json()
            rows.append({"name": scenario.name, "set": dict(scenario.overrides),
                         "kpis": table.kpis_json(scenario.name, kpis), "difference": difference})
        return {**_stamp(self.experiment), "reference": self.reference, "scenarios": rows,
                "failed": [f.to_json() for f in table.failed]}


def _as_model(model: type[BaseModel], value: Any, where: str) -> Any:
    return value if isinstance(value, model) else validate_as(model, value, where)


def scenarios(base: Line | Study, scenarios: Sequence[Scenario | Mapping[str, Any]], *,
              replications: int | None = None, seed: int | None = None,
              responses: Sequence[str] | None = None, workers: int | None = None,
              dask: str | None = None, engine: str = "auto",
              progress: Progress | None = None) -> ScenarioResults:
    """Run named scenarios (`Scenario`s, or `{name, set: {path: value}}` mappings) of `base` on
    common random numbers; the first is the reference of the paired differences."""
    chosen = [s if isinstance(s, Scenario) else
              Scenario((spec := _as_model(ScenarioSpec, s, f"scenarios[{i}]")).name, spec.overrides)
              for i, s in enumerate(scenarios)]
    if not chosen:
        raise ConfigError("scenarios: expected at least one scenario, got none", field="scenarios")
    check_paths(line_or_study(base), [p for s in chosen for p in s.overrides])
    experiment = run_experiment(base, chosen, replications=replications, seed=seed,
                                responses=responses, workers=workers, dask=dask, engine=engine,
                                progress=progress)
    _reference_ran(experiment, chosen[0].name, "scenarios[0]")
    return ScenarioResults(experiment, chosen[0].name)


def _reference_ran(experiment: Experiment, name: str, where: str) -> None:
    """The scenario every other is compared with must have run: its failure fails the command."""
    for point in experiment.failed:
        if point.scenario == name:
            raise ConfigError(f"{where}: {point.reason}", field=where)


def factor_list(factors: Sequence[Factor | Mapping[str, Any]]) -> list[Factor]:
    return [_as_model(Factor, f, f"factors[{i}]") for i, f in enumerate(factors)]


@dataclass
class SweepResults:
    """Every design point's KPIs, and for sobol/morris designs the global indices."""

    experiment: Experiment
    design: DesignPoints

    def sensitivity(self) -> dict[str, analysis.GlobalIndices] | None:
        if self.design.kind not in ("sobol", "morris") or self.experiment.failed:
            return None
        return {kpi: analysis.global_indices(
                    self.design, analysis.responses_by_point(self.experiment.table, self.design, kpi),
                    self.experiment.seed) for kpi in self.experiment.responses}

    def to_json(self) -> dict[str, object]:
        table, kpis = self.experiment.table, self.experiment.responses
        indices = self.sensitivity()
        return {**_stamp(self.experiment), "design": self.design.kind,
                "points": [{"scenario": s.name, "factors": dict(s.overrides),
                            "kpis": table.kpis_json(s.name, kpis)} for s in self.experiment.scenarios],
                "sensitivity": None if indices is None else
                {kpi: value.to_json() for kpi, value in indices.items()},
                "failed": [f.to_json() for f in table.failed]}


def sweep(base: Line | Study, factors: Sequence[Factor | Mapping[str, Any]],
          design: Design | Mapping[str, Any] | None = None, *, replications: int | None = None,
          seed: int | None = None, responses: Sequence[str] | None = None,
          workers: int | None = None, dask: str | None = None, engine: str = "auto",
          progress: Progress | None = None, executor: Executor | None = None) -> SweepResults:
    """Run every point of `design` (a grid by default) over `factors` on common random numbers."""
    base = line_or_study(base)
    chosen = factor_list(factors)
    plan = _as_model(Design, design if design is not None else {}, "design")
    options = options_for(base_line(base), replications, seed, workers, dask)
    check_paths(base, [f.path for f in chosen])
    drawn = points(plan, chosen, options.seed)
    experiment = run_experiment(base, drawn.scenarios, replications=options.replications,
                                seed=options.seed, responses=responses, workers=options.workers,
                                dask=options.dask, engine=engine, progress=progress,
                                executor=executor)
    return SweepResults(experiment, drawn)


@dataclass
class SensitivityResults:
    """The tornado of each response and, for sobol/morris designs, the global indices."""

    tornado_run: Experiment
    factors: list[Factor]
    global_run: SweepResults | None = None

    def tornado(self, kpi: str) -> list[analysis.Bar]:
        return analysis.tornado(self.tornado_run.table, self.factors, kpi)

    def to_json(self) -> dict[str, object]:
        table = self.tornado_run.table
        tornado = {}
        for kpi in self.tornado_run.responses:
            tornado[kpi] = {"base": table.estimate(analysis.BASE, kpi).to_json(),
                            "seed_noise": analysis.seed_spread(table, kpi).to_json(),
                            "bars": [bar.to_json() for bar in self.tornado(kpi)]}
        indices = self.global_run.sensitivity() if self.global_run is not None else None
        return {**_stamp(self.tornado_run), "tornado": tornado,
                "indices": None if indices is None else {k: v.to_json() for k, v in indices.items()},
                "failed": [f.to_json() for f in table.failed] + (
                    [f.to_json() for f in self.global_run.experiment.failed] if self.global_run else [])}


def sensitivity(base: Line | Study, factors: Sequence[Factor | Mapping[str, Any]],
                design: Design | Mapping[str, Any] | None = None, *,
                replications: int | None = None, seed: int | None = None,
                responses: Sequence[str] | None = None, workers: int | None = None,
                dask: str | None = None, engine: str = "auto",
                progress: Progress | None = None) -> SensitivityResults:
    """The tornado (each factor at its low and high end, the others at base) and, when `design`
    is sobol or morris, that design's global indices, all on one executor and the same seed."""
    base = line_or_study(base)
    chosen = factor_list(factors)
    plan = _as_model(Design, design if design is not None else {}, "design")
    options = options_for(base_line(base), replications, seed, workers, dask)
    check_responses(responses, base_line(base))
    check_paths(base, [f.path for f in chosen])
    tornado = analysis.tornado_scenarios(chosen)
    global_design = plan.kind in ("sobol", "morris")
    count = len(tornado) + (planned_points(plan, chosen) if global_design else 0)
    if count > MAX_EXPERIMENT_POINTS:
        raise ConfigError(f"design: the tornado and the {plan.kind} design make {count} points, over "
                          f"the limit of {MAX_EXPERIMENT_POINTS} (see docs/security.md)",
                          field="design")
    check_tasks([base_line(base)] * (count * options.replications))
    with Executor(workers=options.workers, dask=options.dask, engine=engine, progress=progress,
                  planned=count * options.replications) as executor:
        run = run_experiment(base, tornado, replications=options.replications, seed=options.seed,
                             responses=responses, executor=executor)
        _reference_ran(run, analysis.BASE, "base")
        global_run = sweep(base, chosen, plan, replications=options.replications, seed=options.seed,
                           responses=responses, executor=executor) if global_design else None
    return SensitivityResults(run, chosen, global_run)
