"""`twin run`: simulate a line and print its KPIs with confidence intervals (table, JSON or CSV)."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from twin.cli.loading import load_with_overrides
from twin.cli.shell import (
    ENGINE_HELP,
    Engine,
    Format,
    app,
    guarded,
    out,
    print_tables,
    progress_bar,
    say_note,
    warn,
)
from twin.display import spreadsheet_safe
from twin.outputs import check_output

if TYPE_CHECKING:
    from twin.config import Line
    from twin.experiment import Results
    from twin.state import LineState


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="A line YAML file.")],
    replications: Annotated[int | None, typer.Option(min=1, help="Replications (default: file).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: file).")] = None,
    horizon: Annotated[str | None, typer.Option(help="Simulated time per replication, e.g. 2d.")] = None,
    warmup: Annotated[str | None, typer.Option(help="Warm-up cut from statistics, e.g. 8h.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    events_out: Annotated[Path | None, typer.Option(
        help="Write the first replication's part events (docs/event-logs.md) to this CSV or "
             ".parquet file.")] = None,
    states_out: Annotated[Path | None, typer.Option(
        help="Write the first replication's machine-state log to this CSV or .parquet file "
             "(runs on the SimPy engine).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(help="Run replications on this Dask scheduler, "
                                             "e.g. tcp://10.0.0.5:8786.")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
    from_state: Annotated[Path | None, typer.Option(
        help="Start from this line state (JSON, see docs/model.md); --horizon counts from it.")] = None,
) -> None:
    """Simulate a line and report its KPIs with 95% confidence intervals."""
    line = guarded(lambda: load_with_overrides(file, horizon, warmup, replications, seed))
    inputs = [file] if from_state is None else [file, from_state]
    state = None
    if from_state is not None:
        state = guarded(lambda: _checked_state(from_state, line))
    for path, option in ((events_out, "--events-out"), (states_out, "--states-out")):
        if path is not None:
            guarded(partial(check_output, path, option, inputs=inputs))
    from twin.engine.scope import choose_engine

    # refuse before any run, not after
    guarded(lambda: choose_engine(line, engine.value, state, states=states_out is not None))
    with progress_bar(line.replications, f"Simulating {line.name}") as bar:
        task = bar.add_task("run", total=line.replications)
        from twin.experiment import run as run_line  # pandas and the engine: only when running

        results = guarded(lambda: run_line(
            line, workers=workers, dask=dask, keep_part_log=events_out is not None,
            keep_state_log=states_out is not None,
            progress=lambda done, total: bar.update(task, completed=done), engine=engine.value,
            initial_state=state))
    write_logs(results, events_out, states_out, inputs)
    emit(results, format)
    warn(results.warnings())


def write_logs(results: Results, events_out: Path | None, states_out: Path | None,
               inputs: list[Path]) -> None:
    """The event and state logs of the first replication (a log is one history of the line)."""
    if events_out is None and states_out is None:
        return  # (the writers import pandas: not for a run that writes no log)
    from twin.eventlog.writer import write_events, write_states

    asked = [(path, option, frame, write) for path, option, frame, write in (
        (events_out, "--events-out", results.part_events, write_events),
        (states_out, "--states-out", results.machine_states, write_states)) if path is not None]
    for path, option, frame, write in asked:
        if guarded(partial(write, frame(), path, option, inputs=inputs)):
            say_note(f"replaced the existing {path}")
    if asked and results.replications > 1:
        say_note(f"{' and '.join(option for _, option, _, _ in asked)}: replication 0 of "
                 f"{results.replications} (a log is one history of the line)")


def _checked_state(path: Path, line: Line) -> LineState:
    """The state file, read and checked against the line; a problem names the file and the field."""
    from twin.errors import ConfigError
    from twin.state import load_state

    state = load_state(path)
    try:
        state.check_against(line)
    except ConfigError as exc:
        raise ConfigError(f"--from-state {path}: {exc}", field=exc.field, source=str(path)) from None
    return state


def emit(results: Results, format: Format) -> None:
    if format is Format.json:
        sys.stdout.write(json.dumps(results.to_json(), indent=2, allow_nan=False) + "\n")
    elif format is Format.csv:
        sys.stdout.write(csv_summary(results))
    else:
        from twin.report import line_tables

        print_tables(line_tables(results, width=out.width))


def csv_summary(results: Results) -> str:
    """KPI summary as CSV: one row per (scope, KPI)."""
    import pandas as pd

    line = results.summary().reset_index().assign(scope="line")
    stations = results.station_summary().reset_index().rename(columns={"station": "scope"})
    table = pd.concat([line, stations], ignore_index=True)
    columns = ["scope", "kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
    return spreadsheet_safe(table[columns]).to_csv(index=False)


