"""`twin scenarios`, `twin sweep`, `twin sensitivity`: experiments on a base line or study, every
scenario on common random numbers, from an experiment file (docs/experiments.md)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from twin import kpi_registry as registry
from twin.cli.shell import (
    ENGINE_HELP,
    Engine,
    app,
    guarded,
    print_tables,
    progress_bar,
    say_note,
)
from twin.display import markup
from twin.errors import ConfigError, show
from twin.kpi_registry import fmt
from twin.outputs import check_output


class Shown(str, Enum):
    table = "table"
    json = "json"


Replications = Annotated[int | None, typer.Option(min=2, help="Replications of every scenario "
                                                  "(default: file, then the base line).")]
Seed = Annotated[int | None, typer.Option(min=0, help="Base seed (default: file, then the base line).")]
Workers = Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")]
Dask = Annotated[str | None, typer.Option(help="Run on this Dask scheduler, e.g. tcp://10.0.0.5:8786.")]
EngineOption = Annotated[Engine, typer.Option(help=ENGINE_HELP)]
FormatOption = Annotated[Shown, typer.Option("--format", "-f", help="table or json.")]
FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="An experiment YAML file "
                                              "(docs/experiments.md).")]


def _with_progress(label: str, action: Callable[[Callable[[int, int], None]], Any]) -> Any:
    with progress_bar(2, label) as bar:
        task = bar.add_task(label, total=None)

        def tick(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        return guarded(lambda: action(tick))


def _load(file: Path, model: type) -> tuple[Any, Any]:
    from twin.experiments.spec import load_experiment

    return guarded(lambda: load_experiment(file, model))


def _settings(spec: Any, replications: int | None, seed: int | None) -> dict[str, Any]:
    return {"replications": replications if replications is not None else spec.replications,
            "seed": seed if seed is not None else spec.seed, "responses": spec.responses}


def _failed(points: list) -> None:
    for point in points:
        factors = ", ".join(f"{path} = {show(value)}" for path, value in point.factors.items())
        say_note(f"{point.scenario} ({factors}) did not run: {point.reason}", "warning")


def _emit_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(_finite(document), indent=2, allow_nan=False, default=str) + "\n")


def _finite(node: Any) -> Any:
    """The document with every non-finite number as null (a factor value of `.nan` that a point
    was refused for is still reported), so the JSON is always valid."""
    if isinstance(node, float):
        return node if math.isfinite(node) else None
    if isinstance(node, dict):
        return {str(key): _finite(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_finite(value) for value in node]
    return node


def _label(kpi: str, line: Any) -> str:
    entry = registry.line_kpi(kpi)
    unit = entry.unit_for(line)
    return f"{entry.label} ({markup(unit)})" if unit else entry.label


def _ci(mean: float, low: float, high: float, scale: float) -> str:
    if not math.isfinite(low):
        return fmt(mean * scale)
    return f"{fmt(mean * scale)} [{fmt(low * scale)}, {fmt(high * scale)}]"


@app.command()
def scenarios(file: FileArgument, replications: Replications = None, seed: Seed = None,
              format: FormatOption = Shown.table, workers: Workers = None, dask: Dask = None,
              engine: EngineOption = Engine.auto) -> None:
    """Named scenarios of a base line or study: every KPI with its CI, and the paired difference
    to the first scenario with its CI (common random numbers)."""
    from twin.experiments.commands import scenarios as run_scenarios
    from twin.experiments.scenarios import Scenario
    from twin.experiments.spec import ScenariosFile

    spec, base = _load(file, ScenariosFile)
    chosen = [Scenario(s.name, s.overrides) for s in spec.scenarios]
    result = _with_progress("Scenarios", lambda tick: run_scenarios(
        base, chosen, **_settings(spec, replications, seed), workers=workers, dask=dask,
        engine=engine.value, progress=tick))
    if format is Shown.json:
        _emit_json(result.to_json())
    else:
        print_tables([scenario_table(result)])
    _failed(result.experiment.failed)


def scenario_table(result: Any) -> Table:
    experiment = result.experiment
    line = experiment.results[result.reference].line if result.reference in experiment.results \
        else None
    table = Table(title=f"{markup(line.name if line else '')}: {len(experiment.scenarios)} scenarios · "
                  f"{experiment.replications} paired replications · engine {experiment.engine}",
                  title_justify="left")
    table.add_column("KPI")
    for scenario in experiment.scenarios:
        table.add_column(markup(scenario.name), justify="right")
    summary = experiment.table.summary(experiment.responses)
    for kpi in experiment.responses:
        scale = registry.line_kpi(kpi).scale
        cells = [_label(kpi, line)]
        for scenario in experiment.scenarios:
            row = summary.loc[(scenario.name, kpi)]
            cell = _ci(row["mean"], row["ci_low"], row["ci_high"], scale)
            if scenario.name != result.reference:
                diff = experiment.table.paired(scenario.name, result.reference, kpi)
                cell += f"\nΔ {_ci(diff.mean, diff.low, diff.high, scale)}"
            cells.append(cell)
        table.add_row(*cells)
    table.caption = (f"Δ: paired difference to {markup(result.reference)} on common random numbers, "
                     "95% CI (Student t over replications).")
    return table


def _out_option(out: Path | None, file: Path) -> None:
    if out is None:
        return
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"--out: expected a .csv or .parquet file, got '{out}'", field="--out")
    check_output(out, "--out", inputs=[file])


@app.command()
def sweep(file: FileArgument, replications: Replications = None, seed: Seed = None,
          format: FormatOption = Shown.table,
          out: Annotated[Path | None, typer.Option(help="Write the tidy table (one row per point × "
                                                   "replication) to this .csv or .parquet file.")] = None,
          workers: Workers = None, dask: Dask = None, engine: EngineOption = Engine.auto) -> None:
    """Every point of a design over factors (grid, lhs, sobol, morris): each response with its CI;
    `--out` writes the tidy table."""
    from twin.experiments.commands import sweep as run_sweep
    from twin.experiments.spec import SweepFile

    spec, base = _load(file, SweepFile)
    guarded(lambda: _out_option(out, file))
    result = _with_progress("Sweep", lambda tick: run_sweep(
        base, spec.factors, spec.design, **_settings(spec, replications, seed), workers=workers,
        dask=dask, engine=engine.value, progress=tick))
    if out is not None:
        from twin.experiments.export import write_table

        if guarded(lambda: write_table(result.experiment.table, out, "--out", inputs=[file])):
            say_note(f"replaced the existing {out}")
    if format is Shown.json:
        _emit_json(guarded(result.to_json))
    else:
        print_tables([sweep_table(result)])
    _failed(result.experiment.failed)


def sweep_table(result: Any) -> Table:
    experiment = result.experiment
    from twin.experiments.scenarios import base_line

    table = Table(title=f"{markup(base_line(experiment.base).name)}: {result.design.kind} design, "
                  f"{len(experiment.scenarios)} points · {experiment.replications} replications each "
                  f"(common random numbers) · engine {experiment.engine}", title_justify="left")
    line = next(iter(experiment.results.values())).line if experiment.results else None
    for path in result.design.paths:
        table.add_column(markup(path), justify="right")
    for kpi in experiment.responses:
        table.add_column(_label(kpi, line), justify="right")
    summary = experiment.table.summary(experiment.responses)
    for scenario in experiment.scenarios:
        cells = [markup(_value(scenario.overrides.get(p))) for p in result.design.paths]
        for kpi in experiment.responses:
            row = summary.loc[(scenario.name, kpi)]
            cells.append(_ci(row["mean"], row["ci_low"], row["ci_high"], registry.line_kpi(kpi).scale))
        table.add_row(*cells)
    table.caption = "Mean [95% CI] over replications."
    return table


def _value(value: Any) -> str:
    if isinstance(value, float):
        return fmt(value)
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


@app.command()
def sensitivity(file: FileArgument, replications: Replications = None, seed: Seed = None,
                format: FormatOption = Shown.table, workers: Workers = None, dask: Dask = None,
                engine: EngineOption = Engine.auto) -> None:
    """A tornado (each factor low vs high, the others at base, a paired effect with its CI) and,
    for sobol or morris designs, first-order and total indices with bootstrap CIs."""
    from twin.experiments.commands import sensitivity as run_sensitivity
    from twin.experiments.spec import SweepFile

    spec, base = _load(file, SweepFile)
    result = _with_progress("Sensitivity", lambda tick: run_sensitivity(
        base, spec.factors, spec.design, **_settings(spec, replications, seed), workers=workers,
        dask=dask, engine=engine.value, progress=tick))
    if format is Shown.json:
        _emit_json(guarded(result.to_json))
    else:
        print_tables(sensitivity_tables(result))
    _failed(result.tornado_run.failed + (result.global_run.experiment.failed
                                         if result.global_run else []))


def sensitivity_tables(result: Any) -> list[Table]:
    from twin.experiments.analysis import seed_spread

    run = result.tornado_run
    line = next(iter(run.results.values())).line if run.results else None
    tables = []
    for kpi in run.responses:
        scale = registry.line_kpi(kpi).scale
        table = Table(title=f"Tornado: {_label(kpi, line)} · {run.replications} paired replications",
                      title_justify="left")
        table.add_column("factor", no_wrap=True)
        table.add_column("low → high", justify="right")
        table.add_column("high − low [95% CI]", justify="right", no_wrap=True)
        table.add_column("low − base", justify="right")
        table.add_column("high − base", justify="right")
        table.add_column("")
        for bar in result.tornado(kpi):
            e = bar.effect
            table.add_row(markup(bar.path), f"{markup(_value(bar.low))} → {markup(_value(bar.high))}",
                          _ci(e.mean, e.low, e.high, scale), fmt(bar.at_low.mean * scale),
                          fmt(bar.at_high.mean * scale), "" if bar.significant else "n.s.")
        noise = seed_spread(run.table, kpi)
        if math.isfinite(noise.low):
            table.caption = (f"Seed noise: one replication of the base lies within ±"
                             f"{fmt(noise.half_width * scale)} of its mean (95%). n.s.: not significant "
                             "(the effect's CI holds 0).")
        tables.append(table)
    indices = result.global_run.sensitivity() if result.global_run is not None else None
    for kpi, values in (indices or {}).items():
        names = list(next(iter(values.indices.values())))
        table = Table(title=f"{values.kind.capitalize()} indices: {_label(kpi, line)}",
                      title_justify="left")
        table.add_column("factor", no_wrap=True)
        for name in names:
            with_ci = any(math.isfinite(v[name].conf) for v in values.indices.values())
            table.add_column(f"{name} [95% CI]" if with_ci else name, justify="right", no_wrap=True)
        for path, by_name in values.indices.items():
            cells = [markup(path)]
            for name in names:
                index = by_name[name]
                cells.append(fmt(index.value) if not math.isfinite(index.conf) else
                             f"{fmt(index.value)} [{fmt(index.value - index.conf)}, "
                             f"{fmt(index.value + index.conf)}]")
            table.add_row(*cells)
        table.caption = (f"Seed noise: {values.seed_noise:.1%} of the variance analysed is the seed's."
                         if math.isfinite(values.seed_noise) else "")
        tables.append(table)
    return tables
