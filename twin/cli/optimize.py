"""`twin optimize FILE`: search the decisions, then select the best design with confidence."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from twin.cli.experiments import (
    Dask,
    EngineOption,
    FormatOption,
    Seed,
    Shown,
    Workers,
    _ci,
    _emit_json,
    _value,
    _with_progress,
)
from twin.cli.shell import Engine, app, print_tables, say_note
from twin.display import markup

if TYPE_CHECKING:
    from twin.config import Line
    from twin.experiments.optimize import Optimization


@app.command()
def optimize(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An optimisation YAML file (base, "
                                         "objective, decisions, constraints, budget, selection).")],
    replications: Annotated[int | None, typer.Option(
        min=2, help="Replications of every design in the search (default: file, then the base "
        "line); the selection adds its own.")] = None,
    seed: Seed = None,
    format: FormatOption = Shown.table,
    workers: Workers = None,
    dask: Dask = None,
    engine: EngineOption = Engine.auto,
) -> None:
    """Find the best design: a search (exhaustive or optuna), then ranking and selection (KN)."""
    from twin.experiments.optimize import optimize as run_optimization

    result = _with_progress("Optimising", lambda tick: run_optimization(
        file, replications=replications, seed=seed, workers=workers, dask=dask, engine=engine.value,
        progress=tick))
    if format is Shown.json:
        _emit_json(result.to_json())
    else:
        print_tables(tables(result))
    failed = [e for e in result.search.evaluations if e.failed]
    if failed:
        say_note(f"{len(failed)} design(s) could not run; the first: {failed[0].failed}", "warning")


def _decision(value: object) -> str:
    """A decision's value as the file would write it (`true`, not `True`)."""
    return str(value).lower() if isinstance(value, bool) else _value(value)


def _short(path: str) -> str:
    """A decision's column header: `Mill buffer` for `stations[Mill].buffer`, the lever's label for
    `levers.automation.enabled`; other paths as written."""
    from twin.levers import LEVER_LABELS

    station = re.fullmatch(r"stations\[(.+?)\]\.(.+)", path)
    if station:
        return f"{station[1]} {station[2]}"
    lever = re.fullmatch(r"levers\.([a-z_]+)\.(.+)", path)
    if lever and lever[1] in LEVER_LABELS:
        return LEVER_LABELS[lever[1]] + ("" if lever[2] == "enabled" else f" {lever[2]}")
    return path


def _header(kpi: str, line: Line) -> str:
    from twin.experiments.optimize_space import NPV
    from twin.kpi_registry import line_kpi

    if kpi == NPV:
        return "NPV"
    entry = line_kpi(kpi)
    unit = entry.unit_for(line)
    return f"{entry.card_label} ({markup(unit)})" if unit else entry.card_label


def _status(result: Optimization, index: int) -> str:
    selection = result.selection
    if selection is None:
        return "Pareto"
    if index == selection.best:
        return "best"
    if index in selection.eliminated_at:
        return f"out at {selection.eliminated_at[index]}"
    return "not separated (cap)" if selection.capped else "within δ"


def _title(result: Optimization) -> str:
    objectives = result.spec.objectives
    how = "exhaustive" if result.search.exhaustive else "optuna TPE"
    engines = "+".join(sorted(result.engines)) or "none"
    searched = (f"{result.evaluations} design{'s' * (result.evaluations != 1)} evaluated ({how}, "
                f"{result.replications} replications each) · engine {engines}")
    if result.selection is None:
        return f"Pareto front: {' vs '.join(markup(o.kpi) for o in objectives)} · {searched}"
    s = result.selection
    sense = "max" if objectives[0].maximizing else "min"
    return (f"Optimisation: {markup(objectives[0].kpi)} ({sense}) · {searched} · "
            f"{s.procedure.upper()} on {len(result.finalists)} finalist{'s' * (len(result.finalists) != 1)}, "
            f"δ = {s.indifference:g}")


def tables(result: Optimization) -> list[Table]:
    from twin.experiments.scenarios import base_line
    from twin.kpi_registry import LINE
    from twin.stats import estimate

    line = base_line(result.base)
    paths = [d.path for d in result.spec.decisions]
    rows = []
    for index, evaluation in enumerate(result.finalists):
        cells = [markup(_decision(evaluation.decisions[path])) for path in paths]
        for kpi in result.reported:
            values = evaluation.samples.get(kpi)
            est = estimate(values) if values is not None else None
            scale = LINE[kpi].scale if kpi in LINE else 1.0
            cells.append("–" if est is None else _ci(est.mean, est.low, est.high, scale))
        cells.append(str(len(next(iter(evaluation.samples.values()), []))))
        cells.append(_status(result, index))
        rows.append(cells)
    headers = [*map(markup, map(_short, paths)), *(_header(k, line) for k in result.reported),
               "reps", "status"]
    table = Table(title=_title(result), title_justify="left")
    for column, header in enumerate(headers):
        # a column is as wide as its widest cell (a CI never breaks), at least 8: the header wraps
        width = max([len(row[column]) for row in rows] + [8, *map(len, header.split())])
        table.add_column("\n".join(textwrap.wrap(header, width)), no_wrap=True,
                         justify="left" if header == "status" else "right")
    for cells in rows:
        table.add_row(*cells)
    p = result.probability_correct_selection
    chance = "–" if p is None else f"{p:.3f}"
    if result.selection is None:
        table.caption = "Feasible designs no other beats on both objectives; 95% CIs over replications."
    elif result.selection.procedure == "kn":
        table.caption = (f"Selection on fresh replications, common random numbers; \"out at n\": KN "
                         f"eliminated it after n. Estimated P(best within δ) = {chance} (KN run at "
                         f"{result.selection.confidence:.0%}"
                         f"{'; stopped by max_replications' if result.selection.capped else ''}).")
    else:
        table.caption = f"OCBA selection on fresh replications; estimated P(best within δ) = {chance}."
    return [table]
