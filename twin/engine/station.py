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

if TYPE_CHECKING:
    from twin.engine.line import LineSim, Part
    from twin.engine.machine import Machine
    from twin.engine.quality import CharacteristicStats, Inspector
    from twin.engine.sampling import Sampler


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
        self.draw_by_product: list[Sampler] | None = None
        """Process samplers by product index, when the product mix changes process times."""
        self.setups = None
        """Callable (from product, to product) → changeover minutes, or None without changeovers."""
        self.setups_done = 0
        self.setup_minutes = 0.0
        """Full drawn durations of the changeovers started (even if cut by the window's end)."""
        self.planned_minutes = 0.0
        self.area = 0.0
        self.last = 0.0
        self.started = 0
        self.completed = 0
        self.completed_by_product: list[int] = []
        """Completions by product index, kept only where process times differ by product."""
        self.failures = 0
        self.planned_stops = 0

    def offer(self, part: Part) -> simpy.Event | None:
        """Hand `part` in from upstream; None if taken in, else an event to wait on (blocked).

        The event's value is the time the part was taken in (the machine may be under repair by
        then, on the calendar failure clock, and learn of it later)."""
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
                    event.succeed(now)
            return part
        if self.blocked:
            event, part = self.blocked.popleft()
            if self.on_accept is not None:
                self.on_accept(part)
            if event is not None:
                event.succeed(self.env._now)
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
        self.started = self.completed = self.failures = self.planned_stops = self.setups_done = 0
        self.completed_by_product = [0] * len(self.completed_by_product)
        self.setup_minutes = 0.0
        self.planned_minutes = 0.0
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
