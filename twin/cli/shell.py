"""The `twin` command's shell: the typer app, how it speaks (one-line errors, notes and warnings on
stderr, tables rendered whole), and how it ends (exit statuses, Ctrl-C and SIGTERM).

Bad input never shows a traceback: every command runs through `guarded`, which prints one line
naming the field and the value on stderr and exits with status 2 (1 for a run that could not
complete)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from twin.diagnostics import Notice
from twin.display import plain, spreadsheet_safe
from twin.errors import ConfigError, RunError, describe_problem
from twin.outputs import write_whole

if TYPE_CHECKING:
    pass

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


def progress_bar(total: int, label: str) -> Progress:
    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal or total < 2)


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


def main() -> None:
    """The `twin` script: like `app()`, but a bad option or argument is one line too, exit 2; an
    interruption (Ctrl-C, or SIGTERM from a supervisor) is one line and exit 130 or 143, after
    temporary files are removed and worker processes stopped."""
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        try:
            code = app(standalone_mode=False)
        finally:
            _ignore_signals()  # the work is over: a late signal must not turn the exit into a kill
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
    _ignore_signals()
    raise _Terminated


def _ignore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)


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


