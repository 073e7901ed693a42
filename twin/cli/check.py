"""`twin check`: the twin against theory (`--theory LINE`) or against a shop-floor log (`LINE LOG`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

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
)
from twin.display import markup
from twin.errors import ConfigError
from twin.kpi_registry import fmt

if TYPE_CHECKING:
    from twin.checks.theory_run import TheoryCheck


@app.command()
def check(
    line_file: Annotated[Path, typer.Argument(metavar="LINE", help="A line (or study) YAML file.")],
    log: Annotated[Path | None, typer.Argument(metavar="LOG", help="A shop-floor event log (CSV "
                                               "or Parquet) to compare the twin with.")] = None,
    theory: Annotated[bool, typer.Option("--theory", help="Compare the twin with exact queueing "
                                         "and line theory instead of a log.")] = False,
    replications: Annotated[int | None, typer.Option(min=2, help="Replications (default: file).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: file).")] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
) -> None:
    """Check the twin: against exact theory (--theory LINE) or against what a line did (LINE LOG)."""
    if format is Format.csv:
        guarded(lambda: _refuse("--format: twin check prints table or json, got csv"))
    if theory and log is not None:
        guarded(lambda: _refuse(f"LOG: --theory compares with theory, not a log; got {str(log)!r}"))
    if not theory and log is None:
        guarded(lambda: _refuse("LOG: missing; give an event log, or --theory to compare with theory"))
    line = guarded(lambda: load_with_overrides(line_file))
    from twin.checks.theory_run import check_theory

    with progress_bar(2, "Checking against theory") as bar:
        task = bar.add_task("check", total=None)
        result = guarded(lambda: check_theory(
            line, replications=replications, seed=seed, engine=engine.value, workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total)))
    emit_theory(result, format)


def _refuse(message: str) -> None:
    raise ConfigError(message)


def emit_theory(result: TheoryCheck, format: Format) -> None:
    if format is Format.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n")
    else:
        print_tables(theory_tables(result))
    for note in result.notes:
        say_note(note)
    if not result.results:
        reason = "; ".join(result.not_applicable) or "no exact model covers this line"
        say_note(f"no exact model applies: {reason}")


def theory_tables(result: TheoryCheck) -> list[Table]:
    from twin.checks.theory_run import kpi_facts

    tables = []
    for case in result.results:
        table = Table(title=f"{markup(result.line.name)}: {markup(case.case.subject)} · exact: "
                      f"{markup(case.case.model)} · {result.replications} replications · "
                      f"seed {result.seed} · engine {case.engine}", title_justify="left")
        for column in ("KPI", "exact", "twin (95% CI)", "rel. error", "verdict"):
            table.add_column(column, justify="left" if column in ("KPI", "verdict") else "right")
        for verdict in case.verdicts:
            kpi = kpi_facts(verdict.expected)
            unit = markup(kpi.unit_for(result.line))
            where = f"{markup(verdict.expected.station)}: " if verdict.expected.station else ""
            twin, scale = verdict.twin, kpi.scale
            error = verdict.relative_error
            table.add_row(
                f"{where}{kpi.label}" + (f" ({unit})" if unit else ""),
                fmt(verdict.expected.value * scale),
                f"{fmt(twin.mean * scale)} [{fmt(twin.low * scale)}, {fmt(twin.high * scale)}]",
                f"{error:+.1%}" if error == error else "–",
                "[green]inside[/]" if verdict.inside else "[bold red]outside[/]",
            )
        table.caption = ("Exact steady-state values; the twin's Student-t interval over replications. "
                         "About 1 in 20 values may fall outside by chance.")
        tables.append(table)
    if result.not_applicable:
        skipped = Table(title="Not covered by an exact model", title_justify="left")
        skipped.add_column("why")
        for reason in result.not_applicable:
            skipped.add_row(markup(reason))
        tables.append(skipped)
    return tables


__all__ = ["check", "out"]
