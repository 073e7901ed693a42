"""`twin check`: the twin against theory (`--theory LINE`) or against a shop-floor log (`LINE LOG`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

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
from twin.config import Line
from twin.display import markup
from twin.errors import ConfigError
from twin.kpi_registry import fmt
from twin.outputs import check_output, write_whole

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
    states: Annotated[Path | None, typer.Option(help="The machine-state log (CSV or Parquet).")] = None,
    map: Annotated[list[str] | None, typer.Option("--map", help="The log's own column names, e.g. "
                                                  "time=ts,station=resource,part=case_id.")] = None,
    time_unit: Annotated[str, typer.Option(help="Unit of numeric times: ms, s, min or h "
                                           "(ISO 8601 timestamps need none).")] = "min",
    state_names: Annotated[Path | None, typer.Option(help="YAML mapping of the plant's state "
                                                     "codes to the twin's states.")] = None,
    report: Annotated[Path | None, typer.Option(help="Also write the report as HTML, "
                                                "e.g. check.html.")] = None,
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
    if log is not None:
        check_log(line, line_file, log, states, map, time_unit, state_names, report, replications,
                  seed, format, workers, engine)
        return
    if report is not None or states is not None:
        guarded(lambda: _refuse("--report and --states belong to a check against a log, not --theory"))
    from twin.checks.theory_run import check_theory

    with progress_bar(2, "Checking against theory") as bar:
        task = bar.add_task("check", total=None)
        result = guarded(lambda: check_theory(
            line, replications=replications, seed=seed, engine=engine.value, workers=workers,
            progress=lambda done, total: bar.update(task, completed=done, total=total)))
    emit_theory(result, format)


def check_log(line: Line, line_file: Path, log: Path, states: Path | None, mapping: list[str] | None,
              time_unit: str, state_names: Path | None, report: Path | None,
              replications: int | None, seed: int | None, format: Format, workers: int | None,
              engine: Engine) -> None:
    """`twin check LINE LOG`: read the logs, run the twin over their period, print the verdicts."""
    from twin.checks.reality_run import check_reality
    from twin.eventlog import parse_mapping, read_events, read_states

    if report is not None:
        guarded(lambda: check_output(report, "--report", inputs=[line_file, log, *filter(None, [states])]))
    names = [s.name for s in line.stations]
    columns = guarded(lambda: parse_mapping(mapping))
    notes: list[str] = []
    events = guarded(lambda: read_events(log, mapping=columns, time_unit=time_unit, stations=names,
                                         notes=notes))
    machine_states = None
    if states is not None:
        machine_states = guarded(lambda: read_states(
            states, mapping=columns, time_unit=time_unit, origin=events.attrs.get("origin"),
            state_names=state_names, stations=names, notes=notes))
    total = replications or line.replications
    with progress_bar(total, "Running the twin over the log's period") as bar:
        task = bar.add_task("check", total=None)
        result = guarded(lambda: check_reality(
            line, events, machine_states, replications=replications, seed=seed, engine=engine.value,
            workers=workers, progress=lambda done, of: bar.update(task, completed=done, total=of)))
    if report is not None:
        from twin.checks.reality_report import report_html

        page = report_html(result)

        def write(handle: IO[str]) -> None:
            handle.write(page)

        if guarded(lambda: write_whole(report, write, "--report", [line_file, log])):
            say_note(f"replaced the existing {report}")
    if format is Format.json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n")
    else:
        print_tables([reality_table(result)])
    for note in [*notes, *result.notes]:
        say_note(note)


def reality_table(result) -> Table:
    from twin.checks.reality_run import kpi_text

    t0, t1 = result.observed.window
    inside = sum(c.inside for c in result.checks)
    table = Table(title=f"{markup(result.line.name)} vs its log: {fmt(t1 - t0)} min observed · "
                  f"{result.replications} twin periods · seed {result.seed} · engine {result.engine} · "
                  f"{inside} of {len(result.checks)} inside", title_justify="left")
    for column in ("where", "KPI", "observed", "twin (95% CI)", "95% prediction", "rel. error", "verdict"):
        table.add_column(column, justify="left" if column in ("where", "KPI", "verdict") else "right")
    for item in result.checks:
        label, unit, scale = kpi_text(item.kpi, item.station, result.line)
        twin, pi, error = item.twin, item.predicted, item.relative_error
        table.add_row(
            markup(item.station or "line"), markup(label) + (f" ({markup(unit)})" if unit else ""),
            fmt(item.observed * scale),
            f"{fmt(twin.mean * scale)} [{fmt(twin.low * scale)}, {fmt(twin.high * scale)}]",
            f"[{fmt(pi.low * scale)}, {fmt(pi.high * scale)}]",
            f"{error:+.1%}" if error == error else "–",
            "[green]inside[/]" if item.inside else "[bold red]outside[/]")
    table.caption = ("The verdict asks whether the observed value lies in the twin's 95% prediction "
                     "interval for one period of the log's length.")
    return table


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
    from twin.checks.theory_run import verdict_rows

    rows = verdict_rows(result)
    tables = []
    for case in result.results:
        model = "" if case.case.model in case.case.subject else f" · exact: {markup(case.case.model)}"
        table = Table(title=f"{markup(result.line.name)}: {markup(case.case.subject)}{model} · "
                      f"{result.replications} replications · "
                      f"seed {result.seed} · engine {case.engine}", title_justify="left")
        for column in ("KPI", "exact", "twin (95% CI)", "rel. error", "verdict"):
            table.add_column(column, justify="left" if column in ("KPI", "verdict") else "right")
        for row in rows:
            if row.subject != case.case.subject:
                continue
            where = f"{markup(row.station)}: " if row.station else ""
            unit = markup(row.unit)
            error = row.relative_error
            table.add_row(
                f"{where}{markup(row.kpi)}" + (f" ({unit})" if unit else ""), fmt(row.exact),
                f"{fmt(row.twin)} [{fmt(row.low)}, {fmt(row.high)}]",
                f"{error:+.1%}" if error == error else "–",
                "[green]inside[/]" if row.inside else "[bold red]outside[/]",
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
