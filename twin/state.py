"""The state of a running line at one instant: what a run may start from instead of an empty line.

A `LineState` is what a shop floor (or the emulator) knows about its line now: the time within the
shift calendar, the parts waiting in each buffer, and for every machine its state (a name of
`twin.engine.states.STATES`), since when, the part on it and how far that part's processing, the
repair or the stop in progress has got, the tool wear and the failure and maintenance clocks. The
engine places it at time 0 of a run and simulates forward (`twin.run(line, initial_state=state,
horizon=...)`, `twin run LINE --from-state state.json`); remaining times are drawn from the
conditional distributions given the time already spent (`twin.engine.sampling.residual_inverse`).

The contract, for writers of states (the live client, the emulator) and for readers:

- Times are minutes. `clock` is the instant of the state on the line's calendar (minutes from the
  calendar's time 0, Monday 00:00 of week 1); `MachineState.since` is on the same clock, so
  `clock - since` is how long the machine has been in its state. A run from the state starts at its
  own time 0 = `clock`: shift windows are shifted by `clock`, `horizon` counts from it, and every
  time in the run's results (the per-part log, the series) is relative to it.
- `StationState.buffer` lists the parts in the buffer in front of the station, the head (next to be
  taken) first. `MachineState.part` is the part on the machine: in processing (`busy`, or paused:
  `down`, `off`, `setup`, `waiting_operator`), or finished and waiting to leave (`blocked`).
- Parts carry their id (the per-part log continues from `next_part_id`), their product (a name of
  the line's `products`, absent for a single-product line), and their measured characteristic by
  station name where known (the value as measured, as the part log shows it, not the deviation).
- An empty line at time 0 (`LineState.empty(line)`) is the default: a run from it gives the same
  numbers as a plain run, draw for draw.
- `check_against(line)` refuses, in one line naming the field, a state that does not fit the line:
  unknown or missing stations, a wrong number of machines, a buffer over its capacity, an unknown
  product, a part on a machine that cannot hold one, part ids repeated or not below `next_part_id`.

Snapshots of a running SimPy simulation (what the emulator publishes) come from
`twin.engine.start.RunningLine`, a SimPy run that can be stepped and looked at:

    running = RunningLine(line, replication=0, initial_state=None)
    running.advance(1.0)                  # one more simulated minute
    running.state()                       # the LineState now (twin.engine.start.state_at)
    running.counters()                    # good_parts, scrap, wip, parts_out per station
    running.fail("Milling", 0, repair=15) # inject a failure now (repair None: a draw of the mttr)

A snapshot placed back into a fresh run continues the line with fresh randomness. Machines are
indexed from 0 here (the OPC UA address space numbers them from 1).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator, model_validator

from twin.config.base import NonNegativeDuration, StrictModel, field_error
from twin.engine.states import STATES
from twin.errors import ConfigError, show
from twin.limits import MAX_PARTS_IN_LINE

if TYPE_CHECKING:
    from twin.config import Line
    from twin.config.line import Station

HOLDS_PART = frozenset({"busy", "blocked", "down", "off", "setup", "waiting_operator", "maintenance"})
"""States in which a machine may have a part on it: in processing or paused in it (`down`, `off`,
`maintenance` for a predicted failure), before it (`setup`, `waiting_operator`), or finished and
waiting to leave (`blocked`). A tool change and preventive maintenance come after the hand-on."""
NEEDS_PART = frozenset({"busy", "blocked"})
"""States in which a machine must have a part on it."""
STATE_LIMITS = {"parts": MAX_PARTS_IN_LINE}


class PartState(StrictModel):
    """A part in the line: its id, product and what is known of its characteristic."""

    id: int = Field(ge=1, le=2**62)
    product: str | None = None
    """The product's name (one of the line's `products`); absent: the line's first (or only) one."""
    characteristic: dict[str, float] = Field(default_factory=dict)
    """The measured characteristic by the name of the station that shaped it (as measured, in the
    characteristic's unit, not the deviation from nominal)."""
    age: NonNegativeDuration = 0.0
    """Time the part has spent in the line before the state's clock (its lead time so far)."""
    reworks: int = Field(default=0, ge=0, le=1000)


class MachineState(StrictModel):
    """One machine: its state and since when, the part on it and the clocks of what it is doing."""

    state: str = "starved"
    """A name of `twin.engine.states.STATES` (busy, starved, blocked, down, maintenance, setup,
    tool_change, waiting_operator, off)."""
    since: NonNegativeDuration | None = None
    """The clock time the machine entered `state` (absent: at the state's clock)."""
    part: PartState | None = None
    elapsed: NonNegativeDuration = 0.0
    """Processing time already spent on `part` (busy time only; the rest is drawn given it)."""
    repair_elapsed: NonNegativeDuration = 0.0
    """Time the repair (`down`) or planned stop (`maintenance`) in progress has already taken."""
    parts_since_tool_change: int = Field(default=0, ge=0, le=2**62)
    """Tool wear counter: parts made since the last tool change or recalibration."""
    operating_age: NonNegativeDuration = 0.0
    """Busy time since the last preventive maintenance (the preventive-maintenance clock)."""
    failure_age: NonNegativeDuration = 0.0
    """Time on the failure clock (busy time, or all time on the `calendar` clock) since the last
    repair or renewal; the time to the next failure is drawn given it."""
    product: str | None = None
    """The product the machine is set up for (changeovers are paid when the next part differs)."""

    @field_validator("state")
    @classmethod
    def _known_state(cls, state: str) -> str:
        if state not in STATES:
            raise ValueError(f"must be one of {', '.join(STATES)}, got {show(state)}")
        return state

    @model_validator(mode="after")
    def _part_fits_state(self) -> MachineState:
        if self.part is None and self.state in NEEDS_PART:
            raise field_error("part", f"a {self.state} machine holds a part, got none")
        if self.part is not None and self.state not in HOLDS_PART:
            raise field_error("part", f"a {self.state} machine holds no part, got part {self.part.id}")
        return self


_IDLE = MachineState()
"""A machine of an empty line: starved, nothing on it, every clock and counter at 0."""


class StationState(StrictModel):
    """One station: the parts in its buffer (head first) and its machines, in order."""

    name: str = Field(min_length=1)
    buffer: list[PartState] = Field(default_factory=list)
    machines: list[MachineState] = Field(default_factory=lambda: [MachineState()], min_length=1,
                                         max_length=1000)


class Lot(StrictModel):
    """The lot being released: its product and how many of its parts are still to be released."""

    product: str
    remaining: int = Field(ge=0, le=MAX_PARTS_IN_LINE)


class LineState(StrictModel):
    """The whole line at one instant (see the module docstring for the contract)."""

    clock: NonNegativeDuration = 0.0
    """The instant of the state on the line's calendar, minutes from its time 0."""
    stations: list[StationState] = Field(min_length=1, max_length=10_000)
    next_part_id: int = Field(default=1, ge=1, le=2**62)
    """The id the next part released gets (ids continue from here in the per-part log)."""
    lot: Lot | None = None
    """The lot in release (absent: the product sequence starts afresh)."""

    @model_validator(mode="after")
    def _consistent(self) -> LineState:
        seen: dict[int, str] = {}
        for where, part in self.parts():
            if part.id in seen:
                raise field_error(f"{where}.id", f"part id also used at {seen[part.id]}, got {part.id}")
            if part.id >= self.next_part_id:
                raise field_error(f"{where}.id", f"must be < next_part_id ({self.next_part_id}), "
                                                 f"got {part.id}")
            seen[part.id] = where
            if len(seen) > MAX_PARTS_IN_LINE:
                raise field_error("stations", f"holds more than {MAX_PARTS_IN_LINE:,} parts "
                                              f"(see docs/security.md)")
        for s, station in enumerate(self.stations):
            for m, machine in enumerate(station.machines):
                if machine.since is not None and machine.since > self.clock:
                    raise field_error(f"stations[{s}].machines[{m}].since",
                                      f"must be <= clock ({self.clock:g}), got {machine.since:g}")
        return self

    def parts(self) -> list[tuple[str, PartState]]:
        """Every part in the line with the path of its field, downstream first."""
        found: list[tuple[str, PartState]] = []
        for s, station in enumerate(self.stations):
            for k, part in enumerate(station.buffer):
                found.append((f"stations[{s}].buffer[{k}]", part))
            for m, machine in enumerate(station.machines):
                if machine.part is not None:
                    found.append((f"stations[{s}].machines[{m}].part", machine.part))
        return found

    @property
    def wip(self) -> int:
        """Parts in the line (in buffers and on machines)."""
        return len(self.parts())

    def is_empty(self) -> bool:
        """Whether the state is the start of an empty line: nothing a run would place or draw (the
        same as `self == LineState.empty_like(self)`, without building that state: every run from a
        state asks, and a forecast makes hundreds of runs)."""
        return (self.clock == 0 and self.next_part_id == 1 and self.lot is None
                and all(not station.buffer and all(machine == _IDLE for machine in station.machines)
                        for station in self.stations))

    @classmethod
    def empty_like(cls, state: LineState) -> LineState:
        return cls(stations=[StationState(name=s.name, machines=[MachineState() for _ in s.machines])
                             for s in state.stations])

    @classmethod
    def empty(cls, line: Line) -> LineState:
        """The default state: the line empty at time 0, every machine starved."""
        return cls(stations=[StationState(name=s.name, machines=[MachineState() for _ in range(s.machines)])
                             for s in line.stations])

    def check_against(self, line: Line) -> None:
        """Refuse, with a one-line ConfigError naming the field, a state that does not fit `line`."""
        names = [s.name for s in line.stations]
        given = [s.name for s in self.stations]
        for s, name in enumerate(given):
            if name not in names:
                _refuse(f"stations[{s}].name", f"no station of that name in the line "
                                               f"({', '.join(names)}), got {show(name)}")
        if given != names:
            missing = [n for n in names if n not in given]
            if missing:
                _refuse("stations", f"missing station {show(missing[0])} (a state lists every station "
                                    f"of the line, in order)")
            _refuse("stations", f"must list the line's stations in order ({', '.join(names)}), got "
                                f"{', '.join(show(n) for n in given)}")
        products = [p.name for p in line.products]
        for s, (spec, station) in enumerate(zip(line.stations, self.stations, strict=True)):
            where = f"stations[{s}]"
            if len(station.machines) != spec.machines:
                _refuse(f"{where}.machines", f"station {show(spec.name)} has {spec.machines} "
                                             f"machine(s), got {len(station.machines)}")
            capacity = spec.buffer
            if capacity is not None and len(station.buffer) > capacity:
                _refuse(f"{where}.buffer", f"station {show(spec.name)} holds at most {capacity} "
                                           f"part(s) in its buffer, got {len(station.buffer)}")
            for m, machine in enumerate(station.machines):
                if machine.product is not None:
                    _check_product(products, machine.product, f"{where}.machines[{m}].product")
                why = _impossible_state(machine.state, spec, line)
                if why is not None:
                    _refuse(f"{where}.machines[{m}].state", why)
        quality = {s.name: s for s in line.stations if s.quality is not None}
        for where, part in self.parts():
            if part.product is not None:
                _check_product(products, part.product, f"{where}.product")
            for name in part.characteristic:
                if name not in quality:
                    _refuse(f"{where}.characteristic", f"no station of that name shapes a "
                                                       f"characteristic, got {show(name)}")
        if self.lot is not None:
            _check_product(products, self.lot.product, "lot.product")


def _impossible_state(state: str, spec: Station, line: Line) -> str | None:
    """Why a machine of station `spec` cannot be in `state` on `line`, or None when it can: each
    state that needs a feature of the station (or of the line) and the feature it needs."""
    name = show(spec.name)
    needs = {
        "setup": (spec.setup is None and not spec.setup_pairs, f"station {name} has no changeovers"),
        "tool_change": (spec.quality is None, f"station {name} has no tool (no quality block)"),
        "waiting_operator": (spec.operator is None, f"station {name} needs no operator"),
        "down": (spec.failures is None, f"station {name} has no failures"),
        "off": (line.calendar is None, "the line has no calendar (it works around the clock)"),
    }
    missing, why = needs.get(state, (False, ""))
    return f"{why}, got {state}" if missing else None


def _check_product(products: list[str], name: str, field: str) -> None:
    if name not in products:
        known = ", ".join(products) if products else "none: the line has one product"
        _refuse(field, f"no product of that name ({known}), got {show(name)}")


def _refuse(field: str, message: str) -> None:
    raise ConfigError(f"{field}: {message}", field=field)


def state_from_text(text: str, source: str = "") -> LineState:
    """A `LineState` from JSON text, or a one-line ConfigError (malformed JSON names line and
    column; a bad field names the field)."""
    from twin.io import validate_as

    where = source or "state"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
                          source=source or None) from None
    except (RecursionError, ValueError) as exc:  # nested too deeply; an integer too long to convert
        problem = "nested too deeply" if isinstance(exc, RecursionError) else "a number too long"
        raise ConfigError(f"{where}: not a usable JSON state ({problem})", source=source or None) from None
    return validate_as(LineState, data, source)


def load_state(path: str | Path) -> LineState:
    """Read a state file (JSON, within the file-size limit of `twin.io.read_text_file`)."""
    from twin.io import read_text_file

    return state_from_text(read_text_file(path), str(path))


def state_to_json(state: LineState) -> str:
    """The JSON a state file holds (what `load_state` reads back)."""
    return state.model_dump_json(indent=2, exclude_defaults=True)
