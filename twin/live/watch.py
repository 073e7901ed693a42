"""The live twin's main loop: keep the line's values up to date from the subscription, and every
`every` seconds rebuild the `LineState` and forecast the rest of the shift from it.

Forecasts run on a worker thread (`asyncio.to_thread`), so the event loop keeps taking the
server's notifications and keep-alives while one is computed, and the state stays current (a
diagram drawn from `on_state` does not freeze during a forecast). When the server goes away the loop
says so, reconnects with a growing pause (up to `MAX_RETRY_SECONDS`), checks the address space
again and reads it whole: the state is rebuilt from what the server knows, so nothing is lost that
it still has.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass

from twin.config import Line
from twin.errors import ConfigError
from twin.live.address import forecast_key, line_key
from twin.live.client import LiveConnection, Lost, connection_error
from twin.live.endpoint import Endpoint
from twin.live.forecast import DEFAULT_REPLICATIONS, Forecast, forecast
from twin.live.mapping import Mapping
from twin.live.rebuild import rebuild_state
from twin.state import LineState

MAX_RETRY_SECONDS = 5.0
DRAIN_SECONDS = 0.25
"""While a forecast runs, the updates that arrived are taken in this often."""
MIN_EVERY_SECONDS, MAX_EVERY_SECONDS = 0.5, 3600.0


@dataclass(frozen=True)
class LiveOptions:
    every: float = 10.0
    """Wall seconds between forecasts."""
    until: float | None = None
    """The clock (minutes) the forecast runs to; None: the server's ShiftEnd."""
    target: int | None = None
    replications: int = DEFAULT_REPLICATIONS
    seed: int | None = None
    engine: str = "auto"
    write_back: bool = False
    forecasts: int | None = None
    """Stop after this many forecasts (None: at the end of the shift)."""


@dataclass(frozen=True)
class Update:
    """One forecast with the state it started from."""

    state: LineState
    forecast: Forecast
    values: dict[str, object]

    def to_json(self) -> dict[str, object]:
        """A `twin live --format json` line: `clock`, `state`, `forecast` (a contract)."""
        return {"clock": self.state.clock,
                "state": self.state.model_dump(mode="json", exclude_defaults=True),
                "forecast": self.forecast.to_json()}


def check_every(seconds: float) -> float:
    if not MIN_EVERY_SECONDS <= seconds <= MAX_EVERY_SECONDS:
        raise ConfigError(f"--every: must be between {MIN_EVERY_SECONDS:g}s and 1h, got {seconds:g}s",
                          field="every")
    return seconds


class LiveLine:
    """The line's values as last published, and the `LineState` rebuilt from them at each batch of
    updates (a value out of line is kept as `problem` until the next batch puts it right)."""

    def __init__(self, line: Line, mapping: Mapping, values: dict[str, object],
                 on_state: Callable[[LineState], None] | None) -> None:
        self.line = line
        self.mapping = mapping
        self.values = values
        self.on_state = on_state
        self.state: LineState | None = None
        self.problem: str | None = None
        self.rebuild()

    def rebuild(self) -> None:
        try:
            self.state = rebuild_state(self.line, self.values, self.mapping.state_name)
            self.problem = None
        except ConfigError as exc:  # mid-update, or a plant's value out of line: wait for the next
            self.state, self.problem = None, str(exc)
            return
        if self.on_state is not None:
            self.on_state(self.state)


async def watch(line: Line, endpoint: Endpoint, mapping: Mapping, options: LiveOptions,
                emit: Callable[[Update], None], note: Callable[[str], None],
                on_state: Callable[[LineState], None] | None = None) -> int:
    """Forecast until the end of the shift (or `options.forecasts`); returns the forecasts made.
    `on_state` sees every state rebuilt (at each batch of updates), `emit` every forecast. The
    first connection failing is a RunError; later losses are survived."""
    connection = LiveConnection(line, endpoint, mapping)
    try:
        values = await connection.open(options.write_back)
    except Lost as exc:
        raise connection_error(endpoint, str(exc)) from None
    loop = asyncio.get_running_loop()
    live = LiveLine(line, mapping, values, on_state)
    made = 0
    next_at = loop.time()
    try:
        while True:
            await _drain_until(connection, live, next_at)
            try:
                await connection.probe()
            except Lost as exc:
                connection, values = await _reconnect(line, endpoint, mapping, options, connection,
                                                      str(exc), note)
                live.values = values
                live.rebuild()
                next_at = loop.time()
                continue
            state = live.state
            if state is None:
                note(f"skipped a forecast: {live.problem}")
                next_at = loop.time() + min(options.every, 1.0)
                continue
            values = live.values
            until = options.until if options.until is not None else _shift_end(values)
            good = int(values[line_key("GoodParts")])  # type: ignore[call-overload]
            job = asyncio.ensure_future(asyncio.to_thread(
                forecast, line, state, good, until, replications=options.replications,
                seed=options.seed, target=options.target, engine=options.engine))
            while not (await asyncio.wait({job}, timeout=DRAIN_SECONDS))[0]:
                _drain_now(connection, live)  # the state stays current while the forecast runs
            result = job.result()
            update = Update(state, result, dict(values))
            emit(update)
            made += 1
            if options.write_back:
                try:
                    await connection.write_forecast(write_back_values(update))
                except Lost as exc:
                    connection, live.values = await _reconnect(line, endpoint, mapping, options,
                                                               connection, str(exc), note)
                    live.rebuild()
            if (options.forecasts is not None and made >= options.forecasts) or state.clock >= until:
                return made
            next_at = max(next_at + options.every, loop.time())
    finally:
        await connection.close()


def _shift_end(values: dict[str, object]) -> float:
    end = values.get(line_key("ShiftEnd"))
    if not isinstance(end, int | float) or isinstance(end, bool) or not math.isfinite(end):
        raise ConfigError(f"{line_key('ShiftEnd')}: expected the clock of the shift's end in minutes, "
                          f"got {end!r} (or pass --until)", field="until")
    return float(end)


async def _drain_until(connection: LiveConnection, live: LiveLine, deadline: float) -> None:
    """Take the subscription's updates into `live` until `deadline` (loop time), rebuilding the
    state after each batch (what has arrived by then)."""
    loop = asyncio.get_running_loop()
    queue = connection.updates
    while True:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            key, value = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            break
        changed = _take(live.values, key, value)
        while not queue.empty():
            changed |= _take(live.values, *queue.get_nowait())
        if changed:
            live.rebuild()
    _drain_now(connection, live)


def _drain_now(connection: LiveConnection, live: LiveLine) -> None:
    """Take what the queue holds, without waiting, and rebuild the state if anything changed."""
    queue = connection.updates
    changed = False
    while not queue.empty():
        changed |= _take(live.values, *queue.get_nowait())
    if changed:
        live.rebuild()


def _take(values: dict[str, object], key: str, value: object) -> bool:
    if not key or values.get(key) == value:
        return False
    values[key] = value
    return True


async def _reconnect(line: Line, endpoint: Endpoint, mapping: Mapping, options: LiveOptions,
                     lost: LiveConnection, reason: str,
                     note: Callable[[str], None]) -> tuple[LiveConnection, dict[str, object]]:
    """Reconnect until the server is back (saying so), and read the address space whole again."""
    await lost.close()
    note(f"lost the connection to {endpoint.url} ({reason}); reconnecting")
    loop = asyncio.get_running_loop()
    started, pause = loop.time(), 0.5
    while True:
        await asyncio.sleep(pause)
        connection = LiveConnection(line, endpoint, mapping)
        try:
            values = await connection.open(options.write_back)
        except Lost:
            pause = min(MAX_RETRY_SECONDS, pause * 2)
            continue
        note(f"reconnected to {endpoint.url} after {loop.time() - started:.1f} s")
        return connection, values


def write_back_values(update: Update) -> dict[str, object]:
    """The forecast as the values of `Line/Forecast/...`."""
    good = update.forecast.good_parts
    probability = update.forecast.probability_target
    return {
        forecast_key("Clock"): float(update.state.clock), forecast_key("Mean"): good["mean"],
        forecast_key("P10"): good["p10"], forecast_key("P90"): good["p90"],
        forecast_key("P025"): good["p025"], forecast_key("P975"): good["p975"],
        forecast_key("ProbabilityTarget"): float("nan") if probability is None else probability,
        forecast_key("Bottleneck"): update.forecast.bottleneck or "",
    }
