"""`twin calibrate`: from a shop floor's event log (and state log) to a line YAML and a report."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import IO, Annotated

import typer

from twin.cli.shell import app, guarded, print_tables, say_note
from twin.errors import ConfigError
from twin.outputs import check_output, write_whole

TIME_UNIT_HELP = "Unit of numeric times: ms, s, min or h (ISO 8601 timestamps are read as such)."
MAP_HELP = "Column names of your log, e.g. time=ts,station=resource,part=case_id (repeatable)."


@app.command()
def calibrate(
    log: Annotated[Path, typer.Argument(metavar="LOG", help="Part-event log (CSV or Parquet, "
                                        "docs/event-logs.md).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The line YAML to write.")],
    states: Annotated[Path | None, typer.Option(help="Machine-state log (CSV or Parquet).")] = None,
    map: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP)] = None,
    time_unit: Annotated[str, typer.Option(help=TIME_UNIT_HELP)] = "min",
    state_names: Annotated[Path | None, typer.Option(help="YAML mapping of the plant's state codes "
                                                     "to the twin's states (e.g. PackML).")] = None,
    buffer: Annotated[int | None, typer.Option(min=0, help="Buffer capacity to assume where the log "
                                               "never shows a buffer full (default: unbounded).")] = None,
    report: Annotated[Path | None, typer.Option(help="Also write a report: .html or .json.")] = None,
    name: Annotated[str, typer.Option(help="Name of the calibrated line.")] = "Calibrated line",
) -> None:
    """Infer a line (stations, machines, buffers, source, distributions) from an event log."""
    inputs = [p for p in (log, states, state_names) if p is not None]
    guarded(lambda: check_output(output, "--output", inputs=inputs))
    if report is not None:
        guarded(lambda: _check_report(report, [*inputs, output]))
    from twin.calibration.calibrate import from_logs
    from twin.calibration.line_yaml import line_yaml
    from twin.eventlog.reader import parse_mapping

    mapping = guarded(lambda: parse_mapping(map))
    result = guarded(lambda: from_logs(log, states, mapping=mapping, time_unit=time_unit,
                                       state_names=state_names, buffer=buffer, name=name))
    text = line_yaml(result, log.name)
    for note in result.notes:
        say_note(note)
    for warning in result.warnings:
        say_note(warning, "warning")
    if guarded(lambda: write_whole(output, partial(_put, text), "--output", inputs)):
        say_note(f"replaced the existing {output}")
    if report is not None:
        from twin.calibration.report import report_html, report_json

        body = report_json(result) if report.suffix.lower() == ".json" else report_html(result, log.name)
        guarded(lambda: write_whole(report, partial(_put, body), "--report", inputs))
    from twin.calibration.report import fit_table

    print_tables([fit_table(result)])
    say_note(f"wrote {output} ({len(result.line.stations)} stations); check it with "
             f"`twin validate {output}`")


def _put(text: str, handle: IO[str]) -> None:
    handle.write(text)


def _check_report(path: Path, inputs: list[Path]) -> None:
    if path.suffix.lower() not in (".html", ".htm", ".json"):
        raise ConfigError(f"--report: must end in .html or .json, got '{path}'", field="report")
    check_output(path, "--report", inputs=inputs)
