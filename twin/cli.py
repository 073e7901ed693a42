"""The `twin` command: validate, run and inspect lines from the shell.

Bad input never shows a traceback: every command catches `ConfigError`, prints one line naming the
field and the value on stderr, and exits with status 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from twin import __version__
from twin.config import Line
from twin.errors import ConfigError
from twin.experiment import Results
from twin.experiment import run as run_line
from twin.io import config_hash, load_line, validate_as
from twin.report import line_tables
from twin.units import parse_duration

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Lighthouse Twin: simulate a production line, conventional vs Industry 4.0.")
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning bad input into one line on stderr and exit status 2."""
    try:
        return action()
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _duration_option(name: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"--{name}: {exc}") from None


def load_with_overrides(path: Path, horizon: str | None = None, warmup: str | None = None,
                        replications: int | None = None, seed: int | None = None) -> Line:
    """Load a line file and apply command-line overrides, validating the result as a whole."""
    line = load_line(path)
    update: dict[str, object] = {}
    if (minutes := _duration_option("horizon", horizon)) is not None:
        update["horizon"] = minutes
    if (minutes := _duration_option("warmup", warmup)) is not None:
        update["warmup"] = minutes
    if replications is not None:
        update["replications"] = replications
    if seed is not None:
        update["seed"] = seed
    if not update:
        return line
    return validate_as(Line, {**line.model_dump(), **update}, f"{path} (with options)")


def progress_bar(total: int, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal or total < 2)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="A line YAML file.")]) -> None:
    """Check a line file; print a one-line summary, or the first problem and exit 2."""
    line = guarded(lambda: load_line(file))
    out.print(f"ok: {line.name}: {len(line.stations)} stations, horizon {line.horizon:g} min, "
              f"{line.replications} replications (config {config_hash(line)})", highlight=False)


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="A line YAML file.")],
    replications: Annotated[int | None, typer.Option(min=1, help="Replications (default: file).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: file).")] = None,
    horizon: Annotated[str | None, typer.Option(help="Simulated time per replication, e.g. 2d.")] = None,
    warmup: Annotated[str | None, typer.Option(help="Warm-up cut from statistics, e.g. 8h.")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    events_out: Annotated[Path | None, typer.Option(help="Write the per-part log to this CSV.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
) -> None:
    """Simulate a line and report its KPIs with 95% confidence intervals."""
    line = guarded(lambda: load_with_overrides(file, horizon, warmup, replications, seed))
    with progress_bar(line.replications, f"Simulating {line.name}") as bar:
        task = bar.add_task("run", total=line.replications)
        results = run_line(line, workers=workers, keep_part_log=events_out is not None,
                           progress=lambda done, total: bar.update(task, completed=done))
    if events_out is not None:
        guarded(lambda: _write_csv(results.part_records(), events_out))
    emit(results, format)


def _write_csv(table, path: Path) -> None:
    try:
        table.to_csv(path, index=False)
    except OSError as exc:
        raise ConfigError(f"--events-out: cannot write {path} ({exc.strerror})") from None


def emit(results: Results, format: Format) -> None:
    if format is Format.json:
        sys.stdout.write(json.dumps(results.to_json(), indent=2, allow_nan=False) + "\n")
    elif format is Format.csv:
        sys.stdout.write(csv_summary(results))
    else:
        for table in line_tables(results):
            out.print(table)


def csv_summary(results: Results) -> str:
    """KPI summary as CSV: one row per (scope, KPI)."""
    import pandas as pd

    line = results.summary().reset_index().assign(scope="line")
    stations = results.station_summary().reset_index().rename(columns={"station": "scope"})
    table = pd.concat([line, stations], ignore_index=True)
    columns = ["scope", "kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
    return table[columns].to_csv(index=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a line file (for editors and other tools)."""
    sys.stdout.write(json.dumps(Line.model_json_schema(), indent=2) + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    main()



from twin import cli_compare  # noqa: E402, F401  (registers `twin compare`)
