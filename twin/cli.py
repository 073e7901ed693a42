"""The `twin` command: validate, run and inspect lines from the shell.

Bad input never shows a traceback: every command catches `ConfigError`, prints one line naming the
field and the value on stderr, and exits with status 2.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from twin import __version__
from twin.config import Line
from twin.diagnostics import Notice, line_notices
from twin.display import plain, spreadsheet_safe
from twin.errors import ConfigError, RunError, describe_problem
from twin.io import config_hash, load_study, read_yaml, validate_as
from twin.outputs import check_output, write_whole

if TYPE_CHECKING:
    from twin.experiment import Results

try:  # typer >= 0.2x vendors click; older ones use the click package
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Lighthouse Twin: simulate a production line, conventional vs Industry 4.0.")
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Engine(str, Enum):
    """`auto` runs the fast max-plus engine when the line is in its scope, SimPy otherwise."""

    auto = "auto"
    simpy = "simpy"
    fast = "fast"


ENGINE_HELP = "auto (fast engine when the line is in its scope), simpy or fast."


def say_error(message: str) -> None:
    """One line on stderr. The message is printed as it is: a value like `[/]` is not rich markup."""
    line = " ".join(plain(message).split())
    err.print(Text.assemble(("error:", "bold red"), " ", line), highlight=False, soft_wrap=True)


def say_note(message: str, label: str = "note") -> None:
    """A remark on stderr that does not fail the command (`note: replaced parts.csv`, or with
    label "warning", `warning: --precision 1%: not met ...`)."""
    err.print(Text.assemble((f"{label}:", "bold yellow" if label == "warning" else "bold"), " ",
                            " ".join(plain(message).split())), highlight=False, soft_wrap=True)


def warn(notices: list[Notice]) -> None:
    """Each warning as one `warning: <field>: <message>` line on stderr; the command goes on."""
    for notice in notices:
        say_note(str(notice), "warning")


def fail(message: str, code: int = 2) -> typer.Exit:
    say_error(message)
    return typer.Exit(code)


def guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning bad input into one line on stderr and exit status 2."""
    try:
        return action()
    except RunError as exc:
        raise fail(str(exc), code=1) from None
    except ConfigError as exc:
        raise fail(str(exc)) from None


def _is_study(path: Path) -> bool:
    """Whether a file is a study (it has `line:`) rather than a plain line."""
    data = read_yaml(path)
    return isinstance(data, dict) and "line" in data and "stations" not in data


def load_with_overrides(path: Path, horizon: str | None = None, warmup: str | None = None,
                        replications: int | None = None, seed: int | None = None) -> Line:
    """Load a line file and apply command-line overrides, validating the result as a whole.

    The options are validated with the file, by the same rules and messages; a problem with an
    option's value is reported under the option's name (`--warmup: must be < horizon (1d), got 2d`).
    """
    data = read_yaml(path)
    if isinstance(data, dict) and "line" in data and "stations" not in data:
        # a study file: run its (conventional) line
        data = load_study(path).line.model_dump(mode="json", by_alias=True)
    given = {"horizon": horizon, "warmup": warmup, "replications": replications, "seed": seed}
    update = {name: value for name, value in given.items() if value is not None}
    if not update or not isinstance(data, dict):
        return validate_as(Line, data, str(path))
    try:
        return validate_as(Line, {**data, **update})
    except ConfigError as exc:
        if exc.field in update:
            option = f"--{exc.field}"
            problem = str(exc).split(": ", 1)[1]
            raise ConfigError(f"{option}: {problem}", field=exc.field, source=option) from None
        options = " ".join(f"--{name} {value}" for name, value in update.items())
        raise ConfigError(f"{path} (with {options}): {exc}", field=exc.field,
                          source=str(path)) from None


def progress_bar(total: int, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal or total < 2)


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="A line or study YAML file.")]) -> None:
    """Check a line or study file; print a one-line summary, or the first problem and exit 2."""
    study = guarded(lambda: load_study(file))
    line = study.line
    warn(line_notices(line))
    levers = [name for name in type(study.levers).model_fields
              if getattr(study.levers, name) is not None and getattr(study.levers, name).enabled]
    extra = f", levers: {', '.join(levers)}" if levers else ""
    hashes = (f"study {config_hash(study)}, line {config_hash(line)}" if _is_study(file)
              else f"line {config_hash(line)}")
    out.print(f"ok: {plain(line.name)}: {len(line.stations)} stations, horizon {line.horizon:g} min, "
              f"{line.replications} replications{extra} ({hashes})",
              highlight=False, markup=False, soft_wrap=True)


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
    dask: Annotated[str | None, typer.Option(help="Run replications on this Dask scheduler, "
                                             "e.g. tcp://10.0.0.5:8786.")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
) -> None:
    """Simulate a line and report its KPIs with 95% confidence intervals."""
    line = guarded(lambda: load_with_overrides(file, horizon, warmup, replications, seed))
    if events_out is not None:
        guarded(lambda: check_output(events_out, "--events-out", inputs=[file]))
    from twin.engine.scope import choose_engine

    guarded(lambda: choose_engine(line, engine.value))  # refuse before any run, not after
    with progress_bar(line.replications, f"Simulating {line.name}") as bar:
        task = bar.add_task("run", total=line.replications)
        from twin.experiment import run as run_line  # pandas and the engine: only when running

        results = guarded(lambda: run_line(
            line, workers=workers, dask=dask, keep_part_log=events_out is not None,
            progress=lambda done, total: bar.update(task, completed=done), engine=engine.value))
    if events_out is not None:
        write_csv(results.part_records(), events_out, "--events-out", inputs=[file])
    emit(results, format)
    warn(results.warnings())


def write_csv(table, path: Path, option: str, inputs: Sequence[Path] = ()) -> None:
    """A table as CSV for spreadsheets (formula-like text cells neutralised), written whole."""
    safe = spreadsheet_safe(table)
    if guarded(lambda: write_whole(path, lambda handle: safe.to_csv(handle, index=False), option, inputs)):
        say_note(f"replaced the existing {path}")


def print_tables(tables: Iterable[object]) -> None:
    """Render every table before printing any, so a failure cannot leave half a report behind."""
    with out.capture() as captured:
        for table in tables:
            out.print(table)
    sys.stdout.write(captured.get())


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


@app.command()
def schema() -> None:
    """Print the JSON Schema of a line file (for editors and other tools)."""
    sys.stdout.write(json.dumps(Line.model_json_schema(), indent=2) + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


def main() -> None:
    """The `twin` script: like `app()`, but a bad option or argument is one line too, exit 2; an
    interruption (Ctrl-C, or SIGTERM from a supervisor) is one line and exit 130 or 143, after
    temporary files are removed and worker processes stopped."""
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError:
        raise SystemExit(2) from None  # the help has been printed
    except click_errors.ClickException as exc:
        say_error(usage_message(exc))
        raise SystemExit(exc.exit_code) from None
    except (KeyboardInterrupt, typer.Abort):
        code = 130
    except _Terminated:
        err.print("terminated", markup=False)
        raise SystemExit(143) from None
    if code == 130:  # typer turns Ctrl-C into exit status 130
        err.print("interrupted", markup=False)
    raise SystemExit(code or 0)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that `finally` blocks and cleanups run."""


def _interrupted(signum: int, frame: object) -> None:
    """The first Ctrl-C stops the run (cleanup included); later ones are ignored, not a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _terminated(signum: int, frame: object) -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise _Terminated


def usage_message(exc: Exception) -> str:
    """A click/typer usage error as `--option: what is wrong, got value`."""
    from pydantic import ValidationError

    param = getattr(exc, "param", None)
    cause = exc.__cause__
    if param is not None and isinstance(cause, ValidationError) and cause.errors():
        name = param.opts[0] if getattr(param, "opts", None) else param.name
        if getattr(param, "param_type_name", "") == "argument":
            name = str(param.name).upper()
        return f"{name}: {describe_problem(dict(cause.errors()[0]))}"
    return str(getattr(exc, "format_message", lambda: str(exc))())


from twin import cli_compare  # noqa: E402, F401  (registers `twin compare`)

if __name__ == "__main__":  # `python -m twin.cli`: run the imported module, whose app has every command
    import twin.cli as installed

    installed.main()

