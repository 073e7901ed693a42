"""`twin live`: the live twin. Subscribes to a line's OPC UA address space, rebuilds its state and
forecasts the rest of the shift from it every `--every` (a rich table, or JSON lines)."""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from twin.cli.emulate import duration_option
from twin.cli.loading import load_with_overrides
from twin.cli.shell import ENGINE_HELP, Engine, app, guarded, out, print_tables, say_note
from twin.errors import ConfigError


class LiveFormat(str, Enum):
    table = "table"
    json = "json"


def _until(value: str) -> float | None:
    """`shift-end` (the server's ShiftEnd) or the clock the forecast runs to, e.g. 8h."""
    if value.strip().lower() == "shift-end":
        return None
    minutes = duration_option(value, "--until")
    if minutes <= 0:
        raise ConfigError(f"--until: must be shift-end or a clock time > 0, got {value!r}", field="until")
    return minutes


@app.command()
def live(
    file: Annotated[Path, typer.Argument(metavar="LINE", help="The line YAML file the server runs.")],
    opcua: Annotated[str, typer.Option(help="The server's endpoint, e.g. opc.tcp://127.0.0.1:4840.")],
    every: Annotated[str, typer.Option(help="Wall time between forecasts, e.g. 10s.")] = "10s",
    until: Annotated[str, typer.Option(help="shift-end (the server's ShiftEnd) or the clock time the "
                                       "forecast runs to, e.g. 8h.")] = "shift-end",
    target: Annotated[int | None, typer.Option(min=0, help="Good parts the shift should make.")] = None,
    format: Annotated[LiveFormat, typer.Option("--format", "-f", help="table or json (JSON lines).")]
    = LiveFormat.table,
    mapping: Annotated[Path | None, typer.Option(help="YAML file naming the plant's own node ids "
                                                 "(docs/live.md).")] = None,
    write_back: Annotated[bool, typer.Option("--write-back", help="Write each forecast to the "
                                             "server's Line/Forecast/... nodes.")] = False,
    replications: Annotated[int, typer.Option(help="Replications per forecast (>= 200).")] = 200,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the forecasts (default: file).")]
    = None,
    forecasts: Annotated[int | None, typer.Option(min=1, help="Stop after this many forecasts "
                                                  "(default: at the end of the shift).")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
) -> None:
    """Forecast the rest of the shift from the line's live state over OPC UA (docs/live.md)."""
    from twin.engine.scope import choose_engine
    from twin.live.endpoint import parse_endpoint
    from twin.live.forecast import check_replications
    from twin.live.mapping import load_mapping
    from twin.live.server import quiet_asyncua
    from twin.live.watch import LiveOptions, Update, check_every, watch

    endpoint = guarded(lambda: parse_endpoint(opcua))
    seconds = guarded(lambda: check_every(duration_option(every, "--every") * 60))
    end = guarded(lambda: _until(until))
    guarded(lambda: check_replications(replications))
    line = guarded(lambda: load_with_overrides(file, seed=seed))
    guarded(lambda: choose_engine(line, engine.value))
    plant = guarded(lambda: load_mapping(mapping, line))
    options = LiveOptions(every=seconds, until=end, target=target, replications=replications,
                          seed=line.seed, engine=engine.value, write_back=write_back,
                          forecasts=forecasts)
    quiet_asyncua()

    from rich.live import Live

    from twin.live.report import live_view

    view = Live(console=out, auto_refresh=False) if format is LiveFormat.table and out.is_terminal \
        else None

    def emit(update: Update) -> None:
        if format is LiveFormat.json:
            sys.stdout.write(json.dumps(_finite(update.to_json()), allow_nan=False) + "\n")
            sys.stdout.flush()
        elif view is not None:  # a terminal: one table, updated in place
            view.update(live_view(update), refresh=True)
        else:
            print_tables([live_view(update)])
            sys.stdout.flush()

    def follow() -> int:
        import asyncio  # (imported here: every other command's start-up is spared it)

        if view is None:
            return asyncio.run(watch(line, endpoint, plant, options, emit, say_note))
        with view:
            return asyncio.run(watch(line, endpoint, plant, options, emit, say_note))

    guarded(follow)


def _finite(document: object) -> object:
    """JSON has no NaN: a value the server gave as NaN is written as null."""
    if isinstance(document, dict):
        return {key: _finite(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_finite(value) for value in document]
    if isinstance(document, float) and not math.isfinite(document):
        return None
    return document
