"""The emulated shop floor's line: the twin's own SimPy model of one shift, advanced in steps against
a clock and read as the values of the address space.

The simulation is a `twin.engine.start.RunningLine` (the engine's runnable, observable model), so
the emulated line is the twin itself, not a toy: what the live client forecasts is what this line
then does. The OPC UA server (`twin.live.server`) advances it against the wall clock × `speed`; a
test or a calibration study advances it directly, as fast as the machine goes (`advance_to`).
"""

from __future__ import annotations

from twin.config import Line
from twin.display import plain
from twin.engine.start import RunningLine
from twin.engine.states import DOWN, MAINTENANCE, STATES
from twin.errors import ConfigError
from twin.live.address import line_key, machine_key, station_key
from twin.state import LineState
from twin.units import format_minutes

DEFAULT_SHIFT = 8 * 60.0
MIN_SPEED, MAX_SPEED = 0.1, 100_000.0
"""--speed: simulated seconds per wall second. 100 000 runs an 8-hour shift in 0.3 s of wall time,
which is as fast as the server can publish anyway; below 0.1 the line looks frozen."""


def check_speed(speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise ConfigError(f"--speed: must be between {MIN_SPEED:g} and {MAX_SPEED:g} simulated seconds "
                          f"per second, got {speed:g}", field="speed")
    return speed


def check_shift(shift: float, option: str = "--shift") -> float:
    if not 0 < shift <= 7 * 24 * 60:
        raise ConfigError(f"{option}: must be > 0 and at most 1w, got {format_minutes(shift)}",
                          field=option.lstrip("-"))
    return shift


class Emulation:
    """One shift of `line` from an empty line (or `initial_state`), to be advanced and read.

    The shift is `shift` minutes long (8 h by default); a line with a calendar starts at the
    beginning of its first working window and, by default, runs to its end."""

    def __init__(self, line: Line, *, shift: float | None = None, seed: int | None = None,
                 replication: int = 0, initial_state: LineState | None = None) -> None:
        if initial_state is None and line.calendar is not None:
            window = line.calendar.working_windows(line.horizon)[0]
            initial_state = LineState.empty(line).model_copy(update={"clock": window[0]})
            shift = window[1] - window[0] if shift is None else shift
        shift = check_shift(DEFAULT_SHIFT if shift is None else shift)
        start = initial_state.clock if initial_state is not None else 0.0
        self.shift_end = start + shift
        self.line = line.model_copy(update={"horizon": shift, "warmup": 0.0})
        """The line as emulated: one shift, nothing cut as warm-up."""
        self.running = RunningLine(self.line, replication, seed=seed, initial_state=initial_state)
        self.clock0 = start

    @property
    def clock(self) -> float:
        return self.clock0 + self.running.now

    @property
    def over(self) -> bool:
        return self.clock >= self.shift_end - 1e-9

    def advance_to(self, clock: float) -> None:
        """Simulate up to `clock` (never past the end of the shift)."""
        self.running.advance(min(clock, self.shift_end) - self.clock)

    def state(self) -> LineState:
        return self.running.state()

    @property
    def good_parts(self) -> int:
        return int(self.running.counters()["good_parts"])  # type: ignore[call-overload]

    def values(self) -> dict[str, object]:
        """Every value of the address space now, by key (`twin.live.address`)."""
        counts = self.running.counters()
        state = self.state()
        values: dict[str, object] = {
            line_key("Name"): self.line.name, line_key("Clock"): float(state.clock),
            line_key("ShiftEnd"): float(self.shift_end), line_key("GoodParts"): counts["good_parts"],
            line_key("Scrap"): counts["scrap"], line_key("WIP"): counts["wip"],
        }
        parts_out = counts["parts_out"]
        assert isinstance(parts_out, dict)
        for given in state.stations:
            values[station_key(given.name, "Buffer")] = len(given.buffer)
            values[station_key(given.name, "PartsOut")] = parts_out[given.name]
            for number, machine in enumerate(given.machines, start=1):
                values[machine_key(given.name, number, "State")] = machine.state
                values[machine_key(given.name, number, "StateSince")] = float(
                    machine.since if machine.since is not None else state.clock)
                values[machine_key(given.name, number, "PartId")] = (
                    machine.part.id if machine.part is not None else 0)
                values[machine_key(given.name, number, "Elapsed")] = float(machine.elapsed)
        return values

    def fail(self, station: str, machine: int) -> str:
        """Fail machine `machine` (from 1) of `station` now, as its own failures would: it goes
        down for a repair drawn from the station's `mttr`, holding its part. A trainer's button.
        Only stations with `failures:` can fail (a state with a machine down where the line has no
        failures would not be a state of this line)."""
        names = [s.name for s in self.line.stations]
        if station not in names:
            raise ConfigError(f"station: no station of that name ({', '.join(names)}), "
                              f"got {plain(station)!r}", field="station")
        index = names.index(station)
        spec = self.line.stations[index]
        if not 1 <= machine <= spec.machines:
            raise ConfigError(f"machine: station {station!r} has machines 1 to {spec.machines}, "
                              f"got {machine}", field="machine")
        if spec.failures is None:
            raise ConfigError(f"station: {station!r} has no failures (no mttr to repair by); "
                              f"fail a station with failures:", field="station")
        target = self.running.stations[index].machines[machine - 1]
        if target.state in (DOWN, MAINTENANCE) or target.pending_failure:
            return f"{station} machine {machine} is already {STATES[target.state]}"
        if self.over:
            return "the shift is over"
        self.running.fail(station, machine - 1)
        env = self.running.env
        while env.peek() <= env.now:  # let the failure strike at this instant
            env.step()
        return f"{station} machine {machine} failed at {self.clock:.1f} min"
