"""A station: a buffer in front, parallel machines pulling from it, blocking after service.

The buffer protocol is hand-written on plain SimPy events rather than `simpy.Store`, because the
per-part path is hot and because a buffer of capacity 0 (a finished part waits on its machine until
the next machine is free) has no Store equivalent:

- `offer(part)` from upstream: straight to an idle machine, else into the buffer if it has room,
  else the upstream machine is *blocked*: the call returns an event that fires when the part has
  been taken in.
- `take()` by a machine: the head of the buffer (letting the first blocked part in behind it), or a
  blocked part directly (capacity 0), or None: the machine waits as *starved*.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import simpy
from simpy import Interrupt

from twin.engine.states import BLOCKED, BUSY, DOWN, MAINTENANCE, STARVED, STATES, TOOL_CHANGE

if TYPE_CHECKING:
    from twin.engine.line import LineSim, Part
    from twin.engine.quality import CharacteristicStats, Inspector, Tool
    from twin.engine.sampling import Sampler

N_STATES = len(STATES)


class StationSim:
    """Buffer state and counters of one station; its machines run as SimPy processes."""

    def __init__(self, env: simpy.Environment, index: int, name: str, buffer: int | None,
                 draw_process: Sampler, line: LineSim) -> None:
        self.env = env
        self.index = index
        self.name = name
        self.capacity = math.inf if buffer is None else buffer
        self.draw_process = draw_process
        self.line = line
        self.queue: deque[Part] = deque()
        self.idle: deque[Machine] = deque()
        self.blocked: deque[tuple[simpy.Event | None, Part]] = deque()
        self.next: StationSim | Sink
        self.machines: list[Machine] = []
        self.on_accept = None  # set on the first station: releases a part into the line
        self.rework: deque[Part] = deque()
        self.tool_change_minutes = 0.0
        self.characteristic: CharacteristicStats | None = None
        self.inspector: Inspector | None = None
        self.limits: tuple[float, float] | None = None
        self.area = 0.0
        self.last = 0.0
        self.started = 0
        self.completed = 0
        self.failures = 0
        self.planned_stops = 0

    def offer(self, part: Part) -> simpy.Event | None:
        """Hand `part` in from upstream; None if taken in, else an event to wait on (blocked)."""
        if self.idle:
            if self.on_accept is not None:
                self.on_accept(part)
            self.idle.popleft().wake.succeed(part)
            return None
        queue = self.queue
        if len(queue) < self.capacity:
            now = self.env._now
            self.area += len(queue) * (now - self.last)
            self.last = now
            queue.append(part)
            if self.on_accept is not None:
                self.on_accept(part)
            return None
        event = self.env.event()
        self.blocked.append((event, part))
        return event

    def admit(self, part: Part) -> None:
        """A part from the source: taken in, or left waiting at the source (never lost)."""
        if self.offer_or_wait(part):
            return
        self.blocked.append((None, part))

    def offer_or_wait(self, part: Part) -> bool:
        if self.blocked:  # earlier arrivals wait first: keep the order
            return False
        if self.idle or len(self.queue) < self.capacity:
            self.offer(part)
            return True
        return False

    def take(self) -> Part | None:
        """The next part for a free machine, or None when there is none (the machine starves)."""
        queue = self.queue
        if queue:
            now = self.env._now
            self.area += len(queue) * (now - self.last)
            self.last = now
            part = queue.popleft()
            if self.blocked:
                event, waiting = self.blocked.popleft()
                queue.append(waiting)
                if self.on_accept is not None:
                    self.on_accept(waiting)
                if event is not None:
                    event.succeed()
            return part
        if self.blocked:
            event, part = self.blocked.popleft()
            if self.on_accept is not None:
                self.on_accept(part)
            if event is not None:
                event.succeed()
            return part
        return None

    def rework_in(self, part: Part) -> None:
        """A rejected part sent back here: it goes before the buffer and ignores its capacity, so a
        rework loop can never deadlock against a full buffer."""
        if self.idle:
            self.idle.popleft().wake.succeed(part)
        else:
            self.rework.append(part)

    def enable_rework(self) -> None:
        """Make free machines look at the rework queue first (only on stations that receive it)."""
        base = self.take
        rework = self.rework

        def take() -> Part | None:
            return rework.popleft() if rework else base()

        self.take = take

    def flush(self) -> None:
        """Bring the buffer's time integral up to now (at warm-up and at the end)."""
        now = self.env._now
        self.area += len(self.queue) * (now - self.last)
        self.last = now

    def reset_counters(self) -> None:
        self.flush()
        self.area = 0.0
        self.started = self.completed = self.failures = self.planned_stops = 0
        if self.characteristic is not None:
            self.characteristic.reset()
        for machine in self.machines:
            machine.reset()


class Sink:
    """The end of the line: end-of-line inspections, then shipping (every part is taken in)."""

    def __init__(self, line: LineSim) -> None:
        self.line = line
        self.inspections: list[tuple[int, Inspector]] = []

    def offer(self, part: Part) -> None:
        if self.inspections and part.q is not None:
            for station, inspector in self.inspections:
                deviation = part.q.get(station)
                if deviation is not None and inspector.rejects(deviation):
                    self.line.reject(part, inspector.spec)
                    return None
        self.line.depart(part)
        return None


class Machine:
    """One machine: a SimPy process cycling take → process → hand on, with state accounting.

    Failures on the `operating` clock are handled inline (time to failure is consumed by busy time
    only, so it can only expire during processing). On the `calendar` clock a separate process
    interrupts the machine wherever it waits. Preventive maintenance is taken at the end of the part
    in progress once the operating age reaches the interval.
    """

    def __init__(self, station: StationSim, index: int, crew: simpy.PriorityResource | None,
                 draw_ttf: Sampler | None, draw_repair: Sampler | None, calendar: bool,
                 pm_interval: float | None, draw_pm: Sampler | None,
                 tool: Tool | None = None) -> None:
        self.env = station.env
        self.station = station
        self.index = index
        self.crew = crew
        self.draw_ttf = draw_ttf
        self.draw_repair = draw_repair
        self.calendar = calendar
        self.pm_interval = pm_interval
        self.draw_pm = draw_pm
        self.tool = tool
        self.times = [0.0] * N_STATES
        self.state = STARVED
        self.since = 0.0
        self.wake: simpy.Event | None = None
        self.ttf = draw_ttf() if draw_ttf is not None and not calendar else math.inf
        self.age = 0.0
        self.pending_failure = False
        self.repaired: simpy.Event | None = None
        self.process = self.env.process(self.run())
        if calendar and draw_ttf is not None:
            self.env.process(self.calendar_clock())

    def to(self, state: int) -> None:
        now = self.env._now
        self.times[self.state] += now - self.since
        self.state = state
        self.since = now

    def reset(self) -> None:
        self.to(self.state)
        self.times = [0.0] * N_STATES

    def run(self):
        env = self.env
        station = self.station
        take = station.take
        draw = station.draw_process
        timeout = env.timeout
        event = env.event
        to = self.to
        idle = station.idle
        log = station.line.log
        operating_failures = self.ttf != math.inf
        pm_interval = self.pm_interval
        tool = self.tool
        inspector = station.inspector
        line = station.line
        while True:
            if self.pending_failure:
                yield from self.breakdown()
            part = take()
            while part is None:
                to(STARVED)
                self.wake = wake = event()
                idle.append(self)
                try:
                    part = yield wake
                except Interrupt:
                    if wake.triggered:
                        part = wake.value
                    else:
                        idle.remove(self)
                    yield from self.breakdown()
                    if part is None:
                        part = take()
            to(BUSY)
            station.started += 1
            work = draw()
            start = env._now
            if operating_failures:
                while self.ttf <= work:
                    ttf = self.ttf
                    yield timeout(ttf)
                    work -= ttf
                    self.age += ttf
                    yield from self.breakdown()
                    self.ttf = self.draw_ttf()
                    to(BUSY)
                self.ttf -= work
            try:
                yield timeout(work)
            except Interrupt:
                yield from self.resume_after_failure(start + work)
            self.age += work
            station.completed += 1
            end = env._now
            if tool is not None:
                deviation, stop = tool.produce()
                if part.q is None:
                    part.q = {}
                part.q[station.index] = deviation
                if inspector is not None and inspector.rejects(deviation, tool.last_measurement):
                    if log is not None:
                        log.append((part.id, station.index, start, end, end, deviation, "rejected"))
                    line.reject(part, inspector.spec)
                    part = None
            if part is not None:
                blocked = station.next.offer(part)
                if blocked is not None:
                    to(BLOCKED)
                    try:
                        yield blocked
                    except Interrupt:
                        yield from self.wait_unblocked_after_failure(blocked)
                if log is not None:
                    value = part.q.get(station.index) if part.q is not None else None
                    log.append((part.id, station.index, start, end, env._now, value, "passed"))
            if tool is not None and stop:
                yield from self.change_tool()
            if pm_interval is not None and self.age >= pm_interval:
                yield from self.planned_maintenance()

    def breakdown(self):
        """Down: wait for a repairer (repairs go before planned work), then repair."""
        self.pending_failure = False
        self.station.failures += 1
        self.to(DOWN)
        repair = self.draw_repair()
        if self.crew is None:
            yield self.env.timeout(repair)
        else:
            with self.crew.request(priority=0) as request:
                yield request
                yield self.env.timeout(repair)
        if self.repaired is not None:
            self.repaired.succeed()
            self.repaired = None

    def resume_after_failure(self, planned_end: float):
        """A calendar failure hit during processing: repair, then finish the remaining work."""
        remaining = planned_end - self.env._now
        while True:
            yield from self.breakdown()
            self.to(BUSY)
            resumed = self.env._now
            try:
                yield self.env.timeout(remaining)
                return
            except Interrupt:
                remaining -= self.env._now - resumed

    def wait_unblocked_after_failure(self, blocked: simpy.Event):
        """A calendar failure hit while blocked: the finished part may still be taken during the
        repair; afterwards wait for downstream room as before."""
        yield from self.breakdown()
        while not blocked.triggered:
            self.to(BLOCKED)
            try:
                yield blocked
            except Interrupt:
                yield from self.breakdown()

    def planned_maintenance(self):
        self.station.planned_stops += 1
        self.to(MAINTENANCE)
        duration = self.draw_pm()
        if self.crew is None:
            yield self.env.timeout(duration)
        else:
            with self.crew.request(priority=1) as request:
                yield request
                yield self.env.timeout(duration)
        self.age = 0.0
        if self.draw_ttf is not None and not self.calendar:
            self.ttf = self.draw_ttf()

    def change_tool(self):
        """Scheduled tool change or SPC recalibration: its own state, no crew needed."""
        self.to(TOOL_CHANGE)
        yield self.env.timeout(self.tool.spec.tool_change)
        self.tool.changed()

    def calendar_clock(self):
        """Failures on the calendar clock: time to failure runs in every state."""
        env = self.env
        while True:
            yield env.timeout(self.draw_ttf())
            self.repaired = env.event()
            if self.state in (BUSY, STARVED, BLOCKED):
                self.process.interrupt()
            else:
                self.pending_failure = True
            yield self.repaired
