"""`twin emulate`: the emulated shop floor, an OPC UA server running the line in scaled real time."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twin.cli.loading import load_with_overrides
from twin.cli.shell import app, guarded, say_note
from twin.errors import ConfigError
from twin.units import parse_duration


def duration_option(value: str, option: str) -> float:
    """A duration option (`--shift 8h`) in minutes, or a one-line error naming the option."""
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}", field=option.lstrip("-")) from None


@app.command()
def emulate(
    file: Annotated[Path, typer.Argument(metavar="LINE", help="A line YAML file.")],
    opcua: Annotated[str, typer.Option(help="Endpoint to listen on, e.g. opc.tcp://127.0.0.1:4840.")],
    speed: Annotated[float, typer.Option(help="Simulated seconds per second (60: a minute a second).")]
    = 60.0,
    shift: Annotated[str | None, typer.Option(help="Length of the emulated shift, e.g. 8h (default: the "
                                              "line's first working window, or 8h).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the emulated shift (default: file).")]
    = None,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Listen on a non-loopback "
                                               "address (no OPC UA security: trusted networks only).")]
    = False,
) -> None:
    """Run LINE in scaled real time and publish it over OPC UA (docs/live.md); Ctrl-C stops."""
    import asyncio

    from twin.live.emulator import Emulation, check_speed
    from twin.live.endpoint import listen_endpoint

    endpoint = guarded(lambda: listen_endpoint(opcua, allow_remote))
    guarded(lambda: check_speed(speed))
    minutes = guarded(lambda: duration_option(shift, "--shift")) if shift is not None else None
    line = guarded(lambda: load_with_overrides(file, seed=seed))
    emulation = guarded(lambda: Emulation(line, shift=minutes))
    from twin.live.server import EmulatorServer

    server = guarded(lambda: EmulatorServer(emulation, endpoint, speed))

    def ready() -> None:
        say_note(f"emulating {line.name} at {endpoint.url}, {speed:g} simulated s per s; the shift "
                 f"runs from clock {emulation.clock:g} to {emulation.shift_end:g} min "
                 f"(FailMachine(station, machine) injects a failure); Ctrl-C stops")

    def over() -> None:
        say_note(f"the shift is over at clock {emulation.shift_end:g} min; the values hold")

    async def main() -> None:
        await server.serve(asyncio.Event(), ready=ready, on_shift_over=over)

    guarded(lambda: asyncio.run(main()))
