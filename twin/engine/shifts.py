"""The working calendar during a run: which minutes are on shift, and waking machines at starts."""

from __future__ import annotations

import math

import simpy

from twin.engine.states import IDLE_STATES


class ShiftClock:
    """Knows whether the line works now and when the current shift ends.

    Machines pause their part at `end`, wait on `next_start()` and are switched between their idle
    state and `off` at the boundaries, so state times stay exact across shifts.
    """

    def __init__(self, env: simpy.Environment, windows: list[tuple[float, float]]) -> None:
        self.env = env
        self.windows = windows
        self.working = bool(windows) and windows[0][0] <= 0.0
        self.end = windows[0][1] if self.working else math.inf
        self._start_event = env.event()
        self.machines: list = []
        env.process(self._run())

    def next_start(self) -> simpy.Event:
        """An event that fires when the next shift starts."""
        return self._start_event

    def _run(self):
        env = self.env
        for start, end in self.windows:
            if start > env.now:
                yield env.timeout(start - env.now)
            self.working = True
            self.end = end
            event, self._start_event = self._start_event, env.event()
            event.succeed()
            for machine in self.machines:
                if machine.off_saved is not None:
                    machine.to(machine.off_saved)
            yield env.timeout(end - env.now)
            self.working = False
            self.end = math.inf
            for machine in self.machines:
                if machine.state in IDLE_STATES:
                    machine.to(machine.state)
        # after the last window the line stays off
