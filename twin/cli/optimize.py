"""`twin optimize FILE`: search the decisions, then select the best design with confidence."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from twin.cli.shell import ENGINE_HELP, Engine, app, guarded, print_tables, progress_bar, say_note
from twin.display import markup

if TYPE_CHECKING:
    from twin.experiments.optimize import Optimization
    from twin.experiments.search import Evaluation


class OptimizeFormat(str, Enum):
    table = "table"
    json = "json"


@app.command()
def optimize(
    file: Annotated[Path, typer.Argument(help="An optimisation YAML file (base, objective, "
                                         "decisions, constraints, budget, selection).")],
    replications: Annotated[int | None, typer.Option(min=2, help="Replications per design in the "
                                                     "search (default: file, else the base line's).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: file).")] = None,
    format: Annotated[OptimizeFormat, typer.Option("--format", "-f", help="table or json.")] = OptimizeFormat.table,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(help="Run replications on this Dask scheduler, "
                                             "e.g. tcp://10.0.0.5:8786.")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
) -> None:
    """Find the best design: a search (exhaustive or optuna), then ranking and selection (KN)."""
    from twin.experiments.optimize import optimize as run_optimization

    with progress_bar(2, "Optimising") as bar:
        task = bar.add_task("optimize", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = guarded(lambda: run_optimization(file, replications=replications, seed=seed,
                                                  workers=workers, dask=dask, engine=engine.value,
                                                  progress=tick))
    if format is OptimizeFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n")
    else:
        print_tables(tables(result))
    failed = [e for e in result.search.evaluations if e.failed]
    if failed:
        say_note(f"{len(failed)} design(s) could not run; the first: {failed[0].failed}", "warning")


def _decisions_text(evaluation: Evaluation) -> str:
    return ", ".join(f"{path} = {value}" for path, value in evaluation.decisions.items())


def tables(result: Optimization) -> list[Table]:
    from twin.kpi_registry import LINE, fmt
    from twin.stats import estimate

    line = result.base.line if hasattr(result.base, "line") else result.base
    objectives = result.spec.objectives
    how = "exhaustive" if result.search.exhaustive else "optuna TPE"
    if result.selection is not None:
        s = result.selection
        title = (f"Optimisation: {markup(objectives[0].kpi)} ({'max' if objectives[0].maximizing else 'min'}) · "
                 f"{result.evaluations} designs evaluated ({how}, {result.replications} replications each) · "
                 f"{s.procedure.upper()} on {len(result.finalists)} finalists, δ = {s.indifference:g}")
    else:
        title = (f"Pareto front: {' vs '.join(markup(o.kpi) for o in objectives)} · "
                 f"{result.evaluations} designs evaluated ({how}, {result.replications} replications each)")
    table = Table(title=title, title_justify="left")
    table.add_column("design")
    for kpi in result.reported:
        entry = LINE.get(kpi)
        unit = entry.unit_for(line) if entry is not None else ""
        label = entry.label if entry is not None else kpi.upper()
        table.add_column(markup(f"{label} ({unit})" if unit else label), justify="right")
    table.add_column("replications", justify="right")
    table.add_column("status")
    for index, evaluation in enumerate(result.finalists):
        cells = [markup(_decisions_text(evaluation))]
        for kpi in result.reported:
            entry = LINE.get(kpi)
            scale = entry.scale if entry is not None else 1.0
            values = evaluation.samples.get(kpi)
            if values is None:
                cells.append("–")
                continue
            est = estimate(values)
            cells.append(f"{fmt(est.mean * scale)} [{fmt(est.low * scale)}, {fmt(est.high * scale)}]")
        cells.append(str(len(next(iter(evaluation.samples.values()), []))))
        if result.selection is None:
            status = "Pareto"
        elif index == result.selection.best:
            status = "best"
        elif index in result.selection.eliminated_at:
            status = f"eliminated at {result.selection.eliminated_at[index]}"
        else:
            status = "within δ"
        cells.append(status)
        table.add_row(*cells)
    if result.selection is not None:
        p = result.probability_correct_selection
        table.caption = (f"Selection on fresh replications, common random numbers. Estimated "
                         f"P(best within δ) = {'–' if p is None else f'{p:.3f}'}"
                         f" (procedure run at {result.selection.confidence:.0%})"
                         if result.selection.procedure == "kn" else
                         f"OCBA selection; estimated P(best within δ) = {'–' if p is None else f'{p:.3f}'}")
    else:
        table.caption = "Feasible designs no other beats on both objectives; 95% CIs over replications."
    return [table]
