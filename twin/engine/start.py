"""Runs from a `LineState`: placing the state at time 0 of a SimPy run, and snapshots of a run.

`Placement` turns a state into what the engine starts from: `Part`s in the buffers and on the
machines, and for each machine what it has under way with the *remaining* times already drawn from
the conditional distributions given the time spent (`twin.engine.sampling.residual_inverse`). The
draws come from one stream per machine, `Purpose.RESIDUAL`, three uniforms in a fixed order
(processing, stop, failure clock), so every other stream is drawn exactly as in a plain run and a
run from an empty state *is* a plain run, draw for draw.

Both engines place a state through `Placement`: the SimPy engine puts its `Part`s and
`MachineStart`s into the model (`fill`, `under_way`, `prime`); the fast engine reads the same
objects, with the same residual draws, in the order the parts will leave the line
(`in_line_order`), and starts its recursion from them. `twin.engine.scope.state_scope_problem`
names what only the SimPy engine can start from.

`state_at(sim)` is the other direction: the `LineState` of a SimPy run at its current instant
(what the emulator publishes). It needs a model built with `observed=True` (`RunningLine` does it),
whose machines keep the part on them and the busy time at its start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import simpy

from twin.config import Line, PredictiveMaintenance, PreventiveMaintenance
from twin.engine.line import LineSim, Part, build
from twin.engine.sampling import Purpose, Streams, residual_inverse
from twin.engine.states import BLOCKED, BUSY, DOWN, MAINTENANCE, SETUP, STATES, TOOL_CHANGE
from twin.state import LineState, MachineState, PartState, StationState

RESIDUAL_DRAWS = 3
"""Uniforms of a machine's RESIDUAL stream: remaining processing, remaining stop, failure clock."""


@dataclass
class MachineStart:
    """What one machine does at time 0 (read by `Machine.start_from_state`)."""

    part: Part | None = None
    finished: bool = False
    """The part's processing is over: it waits to be handed on (the machine was blocked)."""
    elapsed: float = 0.0
    work: float = 0.0
    """Processing time still to go (drawn given `elapsed`)."""
    started_at: float = 0.0
    """When the part's processing started, relative to the run (negative: before it)."""
    ended_at: float = 0.0
    stop: int | None = None
    """DOWN, MAINTENANCE, SETUP or TOOL_CHANGE under way at time 0."""
    stop_left: float = 0.0
    renews: bool = False
    """The stop under way is preventive maintenance: it renews the machine when done."""
    ttf: float | None = None
    """Operating clock: time to failure drawn given the failure age (None: a fresh life)."""
    first_life: float | None = None
    """Calendar clock: time to the first failure, drawn given the failure age."""


@dataclass(frozen=True)
class Placed:
    """A part of a start state where a run picks it up: at `station` (from 0), in its buffer
    (`start` None) or on its machine (`start`: what the machine has under way)."""

    station: int
    part: Part
    start: MachineStart | None


class Placement:
    """A checked `LineState` made ready for a run of `line` on `streams` (see the module doc)."""

    def __init__(self, line: Line, state: LineState, streams: Streams) -> None:
        state.check_against(line)
        self.line = line
        self.state = state
        self.clock = state.clock
        self.next_id = state.next_part_id
        self.products = {p.name: i for i, p in enumerate(line.products)}
        self.buffers = [[self.part(p, number) for p in station.buffer]
                        for number, station in enumerate(state.stations, start=1)]
        self.machines = [[self._machine(line, number, index, m, streams)
                          for index, m in enumerate(station.machines)]
                         for number, station in enumerate(state.stations, start=1)]
        self.wip = state.wip
        self.lot = ((self.products[state.lot.product], state.lot.remaining)
                    if state.lot is not None else None)

    def part(self, given: PartState, number: int) -> Part:
        part = Part(given.id, -given.age, self.products.get(given.product or "", 0))
        part.reworks = given.reworks
        if given.characteristic:
            nominal = {s.name: (i, s.quality.characteristic.nominal)
                       for i, s in enumerate(self.line.stations, start=1) if s.quality is not None}
            part.q = {nominal[name][0]: value - nominal[name][1]
                      for name, value in given.characteristic.items()}
        return part

    def _machine(self, line: Line, number: int, index: int, given: MachineState,
                 streams: Streams) -> MachineStart:
        spec = line.stations[number - 1]
        u_work, u_stop, u_fail = streams.generator(number, Purpose.RESIDUAL, index).random(RESIDUAL_DRAWS) \
            if _draws_anything(given) else (0.0, 0.0, 0.0)
        start = MachineStart()
        in_state = self.clock - given.since if given.since is not None else 0.0
        if given.part is not None:
            start.part = self.part(given.part, number)
            start.elapsed = given.elapsed
            start.started_at = -given.elapsed
            if given.state == BLOCKED_NAME:
                start.finished = True
                start.ended_at = -in_state
                start.started_at = min(start.started_at, start.ended_at)
            else:
                product = line.products[start.part.product].name if line.products else ""
                process = spec.process_by_product.get(product, spec.process)
                start.work = _residual(process, given.elapsed, u_work)
        state = STATES.index(given.state)
        failures = spec.failures
        if state == DOWN and failures is not None:
            start.stop, start.stop_left = DOWN, _residual(failures.mttr, given.repair_elapsed, u_stop)
        elif state == MAINTENANCE:
            policy = spec.maintenance
            if isinstance(policy, PreventiveMaintenance):
                start.stop, start.renews = MAINTENANCE, True
                start.stop_left = _residual(policy.duration, given.repair_elapsed, u_stop)
            elif failures is not None:
                factor = policy.planned_repair_factor if isinstance(policy, PredictiveMaintenance) else 1.0
                start.stop = MAINTENANCE
                start.stop_left = factor * _residual(failures.mttr, given.repair_elapsed / factor, u_stop)
        elif state == SETUP:
            start.stop, start.stop_left = SETUP, _residual(_setup_spec(line, number, given, start),
                                                           in_state, u_stop)
        elif state == TOOL_CHANGE and spec.quality is not None:
            start.stop, start.stop_left = TOOL_CHANGE, max(0.0, spec.quality.tool_change - in_state)
        if failures is not None and given.failure_age > 0 and start.stop not in (DOWN, MAINTENANCE):
            left = _residual(failures.mtbf, given.failure_age, u_fail)
            if failures.mode == "calendar":
                start.first_life = left
            else:
                start.ttf = left
        return start

    def fill(self, stations: list, saturated: bool) -> None:
        """Put the buffers' parts in place (a saturated first station takes its own first)."""
        for number, (station, parts) in enumerate(zip(stations, self.buffers, strict=True), start=1):
            if not parts:
                continue
            if number == 1 and saturated:
                pending = list(reversed(parts))
                fresh = station.take

                def take(pending=pending, fresh=fresh):
                    return pending.pop() if pending else fresh()

                station.take = take
            else:
                station.queue.extend(parts)

    def in_line_order(self) -> list[Placed]:
        """The state's parts in the order they will leave a serial line of single machines (FIFO
        keeps the order): downstream first, and at each station the part on the machine, then the
        buffer from its head."""
        placed: list[Placed] = []
        for station in reversed(range(len(self.buffers))):
            start = self.machines[station][0]
            if start.part is not None:
                placed.append(Placed(station, start.part, start))
            placed.extend(Placed(station, part, None) for part in self.buffers[station])
        return placed

    def under_way(self, number: int, index: int) -> MachineStart | None:
        """What machine `index` of station `number` has under way at time 0 (None: nothing)."""
        start = self.machines[number - 1][index]
        return start if start.part is not None or start.stop is not None else None

    def prime(self, machine, number: int, index: int) -> None:
        """Set machine `index` of station `number`'s clocks and counters from the state."""
        start = self.machines[number - 1][index]
        given = self.state.stations[number - 1].machines[index]
        machine.age = given.operating_age
        if machine.tool is not None:
            machine.tool.since_change = given.parts_since_tool_change
        if given.product is not None:
            machine.product = self.products.get(given.product, 0)
        if start.ttf is not None:
            machine.ttf = start.ttf
            machine.life = given.failure_age + start.ttf
        machine.first_life = start.first_life


BLOCKED_NAME = STATES[BLOCKED]


def _draws_anything(given: MachineState) -> bool:
    return given.part is not None or given.state != "starved" or given.failure_age > 0


def _residual(spec, elapsed: float, u: float) -> float:
    import numpy as np

    return float(residual_inverse(spec, elapsed)(np.array([u]))[0])


def _setup_spec(line: Line, number: int, given: MachineState, start: MachineStart):
    spec = line.stations[number - 1]
    if given.product is not None and start.part is not None and line.products:
        names = [p.name for p in line.products]
        target = names[start.part.product]
        for pair in spec.setup_pairs:
            if pair.from_ == given.product and pair.to == target:
                return pair.time
    return spec.setup if spec.setup is not None else 0.0


# --- snapshots ---------------------------------------------------------------------------------


class RunningLine:
    """A SimPy run of a line that can be advanced and looked at: the emulator's engine.

        running = RunningLine(line, replication=0, initial_state=None)
        running.advance(5.0)          # simulate 5 more minutes
        state = running.state()       # the LineState now (clock = start clock + minutes run)
    """

    def __init__(self, line: Line, replication: int = 0, *, seed: int | None = None,
                 initial_state: LineState | None = None) -> None:
        self.env = simpy.Environment()
        self.line = line
        streams = Streams(line.seed if seed is None else seed, replication)
        self.sim, self.stations, self.shifts = build(self.env, line, streams, initial=initial_state,
                                                     observed=True)
        self.clock0 = initial_state.clock if initial_state is not None else 0.0

    @property
    def now(self) -> float:
        return float(self.env.now)

    def advance(self, minutes: float) -> None:
        """Simulate `minutes` more (never past the line's horizon)."""
        self.env.run(until=min(self.line.horizon, self.env.now + max(0.0, minutes)))

    def state(self) -> LineState:
        return state_at(self.sim, self.clock0)

    def fail(self, station: str, machine: int = 0, repair: float | None = None) -> None:
        """Fail machine `machine` (from 0) of `station` now, for `repair` minutes (None: a draw of
        its mttr; needed when the station has no failures); it takes effect at the current instant
        when the line is advanced again."""
        numbers = {s.name: s for s in self.stations}
        if station not in numbers:
            raise ValueError(f"station: no station of that name, got {station!r}")
        machines = numbers[station].machines
        if not 0 <= machine < len(machines):
            raise ValueError(f"machine: station {station!r} has machines 0 to {len(machines) - 1}, "
                             f"got {machine}")
        if repair is not None and not (0 <= repair < float("inf")):
            raise ValueError(f"repair: must be a finite number of minutes >= 0, got {repair!r}")
        machines[machine].fail_now(repair)

    def counters(self) -> dict[str, object]:
        """What a shop floor counts, since the start of the run: good parts shipped, scrapped
        parts, parts in the line, and the parts each station has finished."""
        sim = self.sim
        return {"good_parts": sim.good_total, "scrap": sim.scrapped_total, "wip": sim.wip,
                "parts_out": {s.name: s.completed for s in self.stations}}


def state_at(sim: LineSim, clock0: float = 0.0) -> LineState:
    """The `LineState` of a running SimPy model (built with `observed=True`) at its current
    instant; its clock is `clock0` (the run's start on the calendar) plus the time run. The lot in
    release is not kept (a state from a snapshot starts the product sequence afresh)."""
    if not sim.observed:
        raise ValueError("state_at needs a model built with observed=True (see RunningLine)")
    now = sim.env.now
    clock = clock0 + now
    numbers = {s.index: s for s in sim.stations}

    def part_state(part: Part) -> PartState:
        characteristic = {}
        for number, deviation in (part.q or {}).items():
            nominal = sim.nominal[number]
            characteristic[numbers[number].name] = deviation + nominal
        product = sim.product_names[part.product] if sim.product_names else None
        return PartState(id=part.id, product=product, characteristic=characteristic,
                         age=max(0.0, now - part.release), reworks=part.reworks)

    stations = []
    for station in sim.stations:
        buffer = [part_state(p) for p in (*station.rework, *station.queue)]
        machines = []
        for machine in station.machines:
            name = STATES[machine.state]
            if name == "off" and machine.off_saved == BLOCKED and machine.part is not None:
                name = "blocked"  # off shift with a finished part: it waits to hand it on
            busy = machine.times[BUSY] + (now - machine.since if machine.state == BUSY else 0.0)
            part = machine.part if name != "starved" else None
            in_stop = machine.state in (DOWN, MAINTENANCE) and machine.stop_start >= machine.since
            if machine.calendar:
                failure_age = now - machine.life_start
            else:
                failure_age = (machine.life - machine.ttf) if math.isfinite(machine.ttf) else 0.0
            machines.append(MachineState(
                state=name, since=clock0 + machine.since,
                part=part_state(part) if part is not None else None,
                elapsed=max(0.0, busy - machine.busy_mark) if part is not None and name != "blocked"
                else 0.0,
                repair_elapsed=max(0.0, now - machine.stop_start) if in_stop else 0.0,
                parts_since_tool_change=machine.tool.since_change if machine.tool is not None else 0,
                operating_age=machine.age, failure_age=max(0.0, failure_age),
                product=sim.product_names[machine.product]
                if sim.product_names and machine.product is not None else None,
            ))
        stations.append(StationState(name=station.name, buffer=buffer, machines=machines))
    return LineState(clock=clock, stations=stations, next_part_id=sim.next_id + 1)
