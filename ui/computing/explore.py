"""The Explore tab's runs: what-if scenarios, a sweep, a tornado and an optimisation of the current
study, on the experiment core (twin.scenarios, twin.sweep, twin.sensitivity, twin.optimize), as
background jobs of the result store. Nothing here calls Streamlit."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

import twin
from twin.experiments.paths import get
from ui.computing.jobs import Job, workers_for

RESPONSES = ("throughput_per_hour", "oee", "lead_time_min", "cost_per_good_part")


@dataclass(frozen=True)
class Choice:
    """A value of the study the Explore tab can vary: its label, path, kind and current value."""

    label: str
    path: str
    kind: str
    """`int` or `float`."""
    value: float


def choices(study: twin.Study) -> list[Choice]:
    """What an engineer varies most: each station's buffer, machines and mean process time, and the
    repair crew."""
    found = []
    for index, station in enumerate(study.line.stations):
        where = f"stations[{index}]"
        found.append(Choice(f"{station.name}: buffer", f"{where}.buffer", "int",
                            float(station.buffer if station.buffer is not None else 5)))
        found.append(Choice(f"{station.name}: machines", f"{where}.machines", "int",
                            float(station.machines)))
        found.append(Choice(f"{station.name}: mean process time (min)", f"{where}.process.mean",
                            "float", float(get(study, f"{where}.process.mean"))))
    crew = study.line.maintenance_crew
    found.append(Choice("Repair crew", "maintenance_crew", "int", float(crew or 1)))
    return found


def levels(choice: Choice, low: float, high: float, count: int) -> list[Any]:
    """`count` values from `low` to `high` (whole and distinct for an `int` choice)."""
    if count < 2 or high <= low:
        return [int(low) if choice.kind == "int" else float(low)]
    step = (high - low) / (count - 1)
    values = [low + i * step for i in range(count)]
    if choice.kind == "int":
        return list(dict.fromkeys(round(v) for v in values))
    return [float(v) for v in values]


def key(kind: str, study: twin.Study, payload: object) -> str:
    text = json.dumps([kind, twin.config_hash(study), payload], sort_keys=True, default=str)
    return f"explore-{kind}-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def responses(study: twin.Study) -> list[str]:
    from twin.experiments.runner import default_responses

    shown = set(default_responses(study.line))
    return [name for name in RESPONSES if name in shown]


@dataclass
class SweepBundle:
    key: str
    choice: Choice
    result: Any
    """twin.sweep's result (`.experiment.table` is the tidy table)."""
    summary: pd.DataFrame
    """One row per (point, KPI): the factor value (`value`, and `second` for a two-value sweep),
    mean, ci_low, ci_high."""
    second: Choice | None = None


def run_sweep(study: twin.Study, choice: Choice, values: list[Any], key: str, job: Job,
              second: Choice | None = None, second_values: list[Any] | None = None) -> SweepBundle:
    """A grid over one value, or two (every combination, for a heatmap)."""
    factors = [{"path": choice.path, "values": values}]
    if second is not None and second_values:
        factors.append({"path": second.path, "values": second_values})
    points = len(values) * (len(second_values or []) or 1)
    result = twin.sweep(study, factors, responses=responses(study),
                        workers=workers_for(study, points), progress=job.progress)
    rows = []
    table = result.experiment.table
    for scenario in result.experiment.scenarios:
        for kpi in result.experiment.responses:
            est = table.estimate(scenario.name, kpi)
            row = {"value": scenario.overrides[choice.path], "kpi": kpi, "mean": est.mean,
                   "ci_low": est.low, "ci_high": est.high}
            if len(factors) == 2:
                row["second"] = scenario.overrides[factors[1]["path"]]
            rows.append(row)
    return SweepBundle(key=key, choice=choice, result=result, summary=pd.DataFrame(rows),
                       second=second if len(factors) == 2 else None)


@dataclass
class TornadoBundle:
    key: str
    result: Any
    """twin.sensitivity's result."""
    labels: dict[str, str]
    """Path → the label shown."""

    def bars(self, kpi: str) -> pd.DataFrame:
        rows = [{"factor": self.labels.get(bar.path, bar.path), "path": bar.path, "low": bar.low,
                 "high": bar.high, "effect": bar.effect.mean, "ci_low": bar.effect.low,
                 "ci_high": bar.effect.high, "significant": bar.significant}
                for bar in self.result.tornado(kpi)]
        return pd.DataFrame(rows, columns=["factor", "path", "low", "high", "effect", "ci_low",
                                           "ci_high", "significant"])


def tornado_factors(study: twin.Study, picked: list[Choice], spread: float) -> list[dict[str, Any]]:
    """Each picked value ± `spread` (a fraction) around the study's, within what the schema takes."""
    factors = []
    for choice in picked:
        if choice.kind == "int":
            delta = max(1, round(choice.value * spread))
            low = max(0 if choice.path.endswith("buffer") else 1, int(choice.value) - delta)
            factors.append({"path": choice.path, "values": [low, int(choice.value) + delta]})
        else:
            factors.append({"path": choice.path, "values": [choice.value * (1 - spread),
                                                            choice.value * (1 + spread)]})
    return factors


def run_tornado(study: twin.Study, picked: list[Choice], spread: float, key: str,
                job: Job) -> TornadoBundle:
    factors = tornado_factors(study, picked, spread)
    result = twin.sensitivity(study, factors, responses=responses(study),
                              workers=workers_for(study, 1 + 2 * len(factors)), progress=job.progress)
    return TornadoBundle(key=key, result=result, labels={c.path: c.label for c in picked})


@dataclass(frozen=True)
class WhatIf:
    """One named what-if of the scenarios table: a path and its new value as the user typed it."""

    name: str
    path: str
    value: str


def parse_value(text: str, where: str) -> Any:
    """A value as YAML reads it (`8`, `0.8`, `90s`, `true`), through twin's bounded loader."""
    from twin.io import parse_yaml

    return parse_yaml(text, where) if text.strip() else None


@dataclass
class ScenariosBundle:
    key: str
    result: Any
    """twin.scenarios' result; the first scenario is the setting as it is."""

    def table(self) -> pd.DataFrame:
        """One row per (scenario, KPI): the mean with its CI, and the paired difference to the
        setting as it is with its CI (empty for the setting itself)."""
        experiment = self.result.experiment
        table, reference = experiment.table, self.result.reference
        rows = []
        for scenario in experiment.scenarios:
            for kpi in experiment.responses:
                est = table.estimate(scenario.name, kpi)
                row = {"scenario": scenario.name, "kpi": kpi, "mean": est.mean, "ci_low": est.low,
                       "ci_high": est.high}
                if scenario.name != reference:
                    diff = table.paired(scenario.name, reference, kpi)
                    row |= {"difference": diff.mean, "difference_low": diff.low,
                            "difference_high": diff.high}
                rows.append(row)
        return pd.DataFrame(rows)


BASE_NAME = "as set"


def run_scenarios(study: twin.Study, what_ifs: list[WhatIf], key: str, job: Job) -> ScenariosBundle:
    """The setting as it is, then each what-if, on common random numbers."""
    scenarios: list[dict[str, Any]] = [{"name": BASE_NAME}]
    for index, what_if in enumerate(what_ifs):
        value = parse_value(what_if.value, f"row {index + 1} value")
        scenarios.append({"name": what_if.name or f"what-if {index + 1}", "set": {what_if.path: value}})
    result = twin.scenarios(study, scenarios, responses=responses(study),
                            workers=workers_for(study, len(scenarios)), progress=job.progress)
    return ScenariosBundle(key=key, result=result)


FINALISTS = 3
"""Designs of the search that go to the selection (the file's `selection.finalists`)."""
SELECTION_REPLICATIONS = 60
"""Replications per finalist at most in the selection (the file's `selection.max_replications`): the
app keeps KN's worst case small; `twin optimize` takes more."""
OPTIMIZE_BASE = "the current setting"
"""What the optimisation's `base:` says: the study itself is handed to twin.optimize."""


def objectives(study: twin.Study) -> list[str]:
    """The line KPIs an optimisation may aim at on this line: those with a direction that the line
    models, headline ones only (twin.kpi_registry)."""
    from twin.kpi_registry import LINE, shown_for

    return [name for name, entry in LINE.items()
            if entry.higher_is_better is not None and not entry.detail and shown_for(study.line, entry)]


def maximizing(kpi: str) -> bool:
    from twin.kpi_registry import line_kpi

    return bool(line_kpi(kpi).higher_is_better)


@dataclass(frozen=True)
class Range:
    """One decision of the optimisation: a value of the study and the range it may take."""

    choice: Choice
    low: float
    high: float


_SPECS: OrderedDict[tuple, Any] = OrderedDict()
_SPECS_LOCK = threading.Lock()
SPECS_KEPT = 32


def optimize_spec(study: twin.Study, ranges: list[Range], objective: str, evaluations: int,
                  indifference: float, total: int | None = None) -> Any:
    """The optimisation as `twin optimize`'s file model, validated and bounded before anything runs
    (twin's own checks: a bad value or an over-budget plan is one ConfigError naming the field).

    Remembered per setting and choices: the page builds it on every pass to show the plan's
    error before anything runs, and its validation would otherwise be a share of every pass."""
    key = (twin.config_hash(study), tuple((r.choice.path, r.low, r.high) for r in ranges), objective,
           evaluations, indifference, total)
    with _SPECS_LOCK:  # every session's pass shares the memo
        if key in _SPECS:
            _SPECS.move_to_end(key)
            return _SPECS[key]
    spec = _optimize_spec(study, ranges, objective, evaluations, indifference, total)
    with _SPECS_LOCK:
        _SPECS[key] = spec
        while len(_SPECS) > SPECS_KEPT:
            _SPECS.popitem(last=False)
    return spec


def _optimize_spec(study: twin.Study, ranges: list[Range], objective: str, evaluations: int,
                   indifference: float, total: int | None) -> Any:
    from twin.experiments.optimize import check_plan
    from twin.experiments.optimize_file import OptimizeFile
    from twin.io import validate_as

    if total is not None:
        least, most = sum(r.low for r in ranges), sum(r.high for r in ranges)
        if not least <= total <= most:
            raise twin.ConfigError(f"total: the chosen ranges add up to {least:g} … {most:g}, got "
                                   f"{total:g}", field="total")
    constraints = [{"sum": [r.choice.path for r in ranges], "equals": total}] if total is not None else []
    data = {"base": OPTIMIZE_BASE,
            "objective": {("maximize" if maximizing(objective) else "minimize"): objective},
            "decisions": [{"path": r.choice.path, "type": r.choice.kind, "low": r.low, "high": r.high}
                          for r in ranges],
            "constraints": constraints, "budget": {"evaluations": evaluations},
            "selection": {"indifference": indifference, "finalists": FINALISTS,
                          "max_replications": SELECTION_REPLICATIONS},
            "responses": responses(study)}
    spec = validate_as(OptimizeFile, data, "optimisation")
    check_plan(spec, study, study.line.replications)
    return spec


@dataclass
class OptimizeBundle:
    key: str
    result: Any
    """twin.optimize's `Optimization`."""
    labels: dict[str, str]
    """Decision path → the label shown."""

    @property
    def objective(self) -> str:
        return str(self.result.spec.objectives[0].kpi)

    def status(self, index: int) -> str:
        """A finalist's fate in the selection: chosen, eliminated after n replications, or kept
        (within δ of the chosen one, or not separated when the replication cap stopped KN)."""
        selection = self.result.selection
        if index == selection.best:
            return "best"
        if index in selection.eliminated_at:
            return f"eliminated after {selection.eliminated_at[index]} replications"
        return "not separated (replication cap)" if selection.capped else "within δ"

    def finalists(self) -> pd.DataFrame:
        """One row per finalist: its decisions (one column per label), each reported KPI's mean and
        95% CI over the selection's replications, its replications and its status."""
        rows = []
        for index, evaluation in enumerate(self.result.finalists):
            row: dict[str, Any] = {self.labels.get(p, p): v for p, v in evaluation.decisions.items()}
            for kpi in self.result.reported:
                if kpi in evaluation.samples:
                    est = evaluation.estimate(kpi)
                    row |= {kpi: est.mean, f"{kpi}_ci_low": est.low, f"{kpi}_ci_high": est.high}
            row["replications"] = len(next(iter(evaluation.samples.values()), []))
            row["status"] = self.status(index)
            rows.append(row)
        return pd.DataFrame(rows)


def run_optimize(study: twin.Study, spec: Any, labels: dict[str, str], key: str,
                 job: Job) -> OptimizeBundle:
    """twin.optimize on the current setting: the search, then KN on the finalists."""
    result = twin.optimize(spec, study, workers=workers_for(study, spec.budget.evaluations),
                           progress=job.progress)
    return OptimizeBundle(key=key, result=result, labels=labels)


@dataclass
class Shown:
    """The Explore results on the page now (each None until it has run), for the HTML report."""

    scenarios: ScenariosBundle | None = None
    sweep: SweepBundle | None = None
    tornado: TornadoBundle | None = None
    optimisation: OptimizeBundle | None = None
    sweep_kpi: str | None = None
    """The KPI the sweep's chart shows on the page (the report draws the same)."""
    tornado_kpi: str | None = None

    def any(self) -> bool:
        return any(b is not None for b in (self.scenarios, self.sweep, self.tornado, self.optimisation))
