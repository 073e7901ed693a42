"""One machine: a SimPy process cycling take → (set up) → process → inspect → hand on.

The common case (no failures on the operating clock, no shifts, no operators, no product mix) runs
a lean loop: one event to get a part when starved, one timeout to process it, one event when
blocked. Everything else is switched on per machine only when the line asks for it.

- Failures on the `operating` clock are handled inline: time to failure is consumed by busy time
  only, so it can only expire during processing. On the `calendar` clock a separate process
  interrupts the machine wherever it waits (busy, starved or blocked).
- Shifts: outside working time the machine is `off`; a part in progress pauses at the end of the
  shift and resumes at the start of the next one; nothing is lost. A calendar failure that strikes
  off shift is repaired at once (the crew works off shift): `down`, then `off` again.
- Preventive maintenance is taken at the end of the part in progress once the operating age reaches
  the interval; it renews the machine (the operating failure clock restarts).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import simpy
from simpy import Interrupt

from twin.engine.states import (
    BLOCKED,
    BUSY,
    DOWN,
    IDLE_STATES,
    MAINTENANCE,
    OFF,
    SETUP,
    STARVED,
    STATES,
    TOOL_CHANGE,
    WAITING_OPERATOR,
)

if TYPE_CHECKING:
    from twin.engine.line import Part
    from twin.engine.monitor import ConditionMonitor
    from twin.engine.quality import Tool
    from twin.engine.sampling import Sampler
    from twin.engine.shifts import ShiftClock
    from twin.engine.start import MachineStart
    from twin.engine.station import StationSim

N_STATES = len(STATES)
EPSILON = 1e-9


class Machine:
    """A machine of a station, with its state clock (minutes per state) and its own streams."""

    # Defaults at class level: set on the instance only where used (a run from a state, an
    # observed run, an injected failure), so the instances of a plain run keep the attributes,
    # and the attribute lookups of the per-part path, they always had.
    part: Part | None = None
    """The part on the machine (kept by `run` on an observed line, for snapshots)."""
    busy_mark = 0.0
    """Busy minutes of the state clock when the part on the machine started processing."""
    stop_start = 0.0
    """When the hands-on work of the repair or planned stop in progress started."""
    initial: MachineStart | None = None
    """What the machine is doing at time 0 of a run from a `LineState` (twin.engine.start)."""
    first_life: float | None = None
    """Calendar clock: the time to the first failure, drawn given the state's failure age."""
    life_start = 0.0
    """Calendar clock: when the current life (time to failure) started running."""
    forced_repair: float | None = None
    """The repair time of a failure injected from outside (`fail_now`), until it strikes."""

    def __init__(self, station: StationSim, index: int, crew: simpy.PriorityResource | None,
                 draw_ttf: Sampler | None, draw_repair: Sampler | None, calendar: bool,
                 pm_interval: float | None, draw_pm: Sampler | None,
                 tool: Tool | None = None, shifts: ShiftClock | None = None,
                 operators: simpy.Resource | None = None, operator_for_process: bool = False,
                 operator_for_setup: bool = False, monitor: ConditionMonitor | None = None,
                 initial: MachineStart | None = None) -> None:
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
        self.shifts = shifts
        self.operators = operators
        self.operator_for_process = operators is not None and operator_for_process
        self.operator_for_setup = operators is not None and operator_for_setup
        self.times = [0.0] * N_STATES
        self.state = STARVED
        self.since = 0.0
        self.off_saved: int | None = None
        self.wake: simpy.Event | None = None
        self.monitor = monitor if draw_ttf is not None else None
        self.ttf = draw_ttf() if draw_ttf is not None and not calendar else math.inf
        self.life = self.ttf
        """Time to failure drawn at the last renewal (the monitor needs `lead_time` of it)."""
        self.detected = (self.monitor.detects() if self.monitor is not None and not calendar
                         else False)
        self.age = 0.0
        self.product: int | None = None
        self.pending_failure = False
        self.repaired: simpy.Event | None = None
        self.repair_minutes = 0.0
        if initial is not None:
            self.initial = initial
        if shifts is not None:
            self.to = self._to_on_calendar
        self.plain_work = self.ttf == math.inf and shifts is None
        self.prepares = (shifts is not None or self.operator_for_process
                         or station.setups is not None)
        states = station.line.state_log
        lean = (self.plain_work and not self.prepares and tool is None and pm_interval is None
                and self.monitor is None and station.inspector is None
                and station.draw_by_product is None and station.line.log is None and states is None
                and not station.line.observed and initial is None)
        if states is not None:
            self.to = self._logging(self.to, states)
        self.process = self.env.process(self.run_lean() if lean else self.run())
        if calendar and draw_ttf is not None:
            self.env.process(self.calendar_clock(initial))

    # --- state clock -------------------------------------------------------------------------
    def to(self, state: int) -> None:
        now = self.env._now
        self.times[self.state] += now - self.since
        self.state = state
        self.since = now

    def _logging(self, to, states: list):
        """`to` that also records each change of state (only when the run keeps the state log: the
        lean loop, which changes state inline, is never used then)."""
        station, index, env = self.station.index, self.index, self.env
        states.append((0.0, station, index, self.state))

        def logged(state: int) -> None:
            before = self.state
            to(state)
            if self.state != before:
                states.append((env._now, station, index, self.state))
        return logged

    def _to_on_calendar(self, state: int) -> None:
        """Outside shifts an idle machine is `off`; the state it would have is kept for later."""
        if state in IDLE_STATES and not self.shifts.working:
            self.off_saved = state
            state = OFF
        else:
            self.off_saved = None
        Machine.to(self, state)

    def reset(self) -> None:
        Machine.to(self, self.state)
        if self.station.line.observed:
            self.busy_mark -= self.times[BUSY]
        self.times[:] = [0.0] * N_STATES  # in place: the lean loop holds a reference
        self.repair_minutes = 0.0

    # --- the cycle ---------------------------------------------------------------------------
    def run_lean(self):
        """The cycle of a machine with none of the optional features (the common case of a line
        model, and the benchmark's): take, process, hand on. Calendar failures still interrupt it.
        Same results as `run`, bit for bit (tests/test_engine_loops.py forces both on the same
        lines), with the state clock updated inline and nothing checked per part that cannot
        apply."""
        env = self.env
        station = self.station
        take = station.take
        draw = station.draw_process
        timeout = env.timeout
        offer = station.next.offer
        times = self.times
        while True:
            if self.pending_failure:
                yield from self.breakdown()
            part = take()
            if part is None:
                part = yield from self.wait_for_part()
            start = env._now
            if self.state != BUSY:
                times[self.state] += start - self.since
                self.state = BUSY
                self.since = start
            station.started += 1
            work = draw()
            try:
                yield timeout(work)
            except Interrupt:
                yield from self.resume_after_failure(start + work)
            station.completed += 1
            blocked = offer(part)
            if blocked is not None:
                self.to(BLOCKED)
                try:
                    yield blocked
                except Interrupt:
                    yield from self.wait_unblocked_after_failure(blocked)

    def run(self):
        """The cycle with every optional feature (and the bookkeeping a snapshot of the running
        line reads: the part on the machine, the busy time at its start)."""
        handed = None
        if self.initial is not None:  # a run from a state: the part under way, to hand on
            handed = yield from self.start_from_state()
        env = self.env
        station = self.station
        take = station.take
        draw = station.draw_process
        draws = station.draw_by_product
        timeout = env.timeout
        to = self.to
        times = self.times
        log = station.line.log
        pm_interval = self.pm_interval
        plain_work = self.plain_work
        prepares = self.prepares
        monitor = self.monitor
        observed = station.line.observed  # a snapshot may be taken: keep what it reads
        counted_only = self.tool is None and not self.operator_for_process and draws is None
        while True:
            if handed is None:
                if self.pending_failure:
                    yield from self.breakdown()
                part = take()
                if part is None:
                    part = yield from self.wait_for_part()
                if observed:
                    self.part = part
                    self.busy_mark = math.inf  # nothing processed yet (a snapshot reads 0 elapsed)
                operator = None
                if prepares:
                    operator = yield from self.prepare(part)
                    if self.pending_failure:  # a calendar failure struck during setup or off shift
                        yield from self.breakdown()
                if self.state != BUSY:  # as in `run_lean`: one busy stretch is one sum, bit for bit
                    to(BUSY)
                station.started += 1
                work = draw() if draws is None else draws[part.product]()
                start = env._now
                if observed:
                    self.busy_mark = times[BUSY] + start - self.since
                if plain_work:
                    try:
                        yield timeout(work)
                    except Interrupt:
                        yield from self.resume_after_failure(start + work)
                else:
                    yield from self.work(work)
                if counted_only:  # nothing to measure or release: `complete` in short
                    self.age += work
                    station.completed += 1
                    stop = False
                else:
                    part, stop = self.complete(part, start, work, operator)
                end = env._now
            else:
                part, start, end, stop = handed
                handed = None
            if part is not None:
                blocked = station.next.offer(part)
                if log is not None:
                    self.log_departure(part, start, end, blocked)
                if blocked is not None:
                    to(BLOCKED)
                    try:
                        yield blocked
                    except Interrupt:
                        yield from self.wait_unblocked_after_failure(blocked)
                if observed:
                    self.part = None
            if stop:
                yield from self.change_tool()
            if pm_interval is not None and self.age >= pm_interval:
                yield from self.planned_maintenance()
            if monitor is not None and env._now >= monitor.next_false_alarm:
                yield from self.false_alarm()

    def complete(self, part, start: float, work: float, operator) -> tuple:
        """A part's processing is over: count it, release the operator, measure it (and sort it
        out, inline); returns the part to hand on (None if rejected) and whether the tool must be
        changed."""
        station = self.station
        self.age += work
        station.completed += 1
        if station.draw_by_product is not None:
            station.completed_by_product[part.product] += 1
        if self.operator_for_process:
            self.operators.release(operator)
        tool = self.tool
        if tool is None:
            return part, False
        deviation, stop = tool.produce()
        if part.q is None:
            part.q = {}
        part.q[station.index] = deviation
        inspector = station.inspector
        if inspector is not None and inspector.rejects(deviation, tool.last_measurement):
            line = station.line
            if line.log is not None:
                end = self.env._now
                line.log.append((part.id, station.index, start, end, end, deviation, "rejected",
                                 self.index, part.product, part.release))
            line.reject(part, inspector.spec)
            if line.observed:
                self.part = None
            return None, stop
        return part, stop

    def start_from_state(self):
        """Time 0 of a run from a `LineState`: finish what the state has under way (a repair, a
        planned stop, a changeover, a tool change; then the part on the machine: the rest of its
        processing, drawn given the time already spent, or its hand-on when it waits blocked),
        then the machine's cycle takes over: returns the part to hand on (with its start, end and
        whether the tool must be changed after it), or None. Stops and parts under way are not
        counted as started in the run (they started before it); their minutes are, and a part is
        counted completed."""
        start = self.initial
        self.initial = None
        env = self.env
        if start.stop is not None:
            if start.stop in (DOWN, MAINTENANCE):
                self.to(start.stop)
                yield from self.with_crew(start.stop_left, priority=0 if start.stop == DOWN else 1)
                if start.renews:
                    self.age = 0.0
                    if self.draw_ttf is not None and not self.calendar:
                        self.renew()
                if self.repaired is not None:
                    self.repaired.succeed()
                    self.repaired = None
            elif start.stop == SETUP:
                yield from self.on_shift(start.stop_left, SETUP)
            else:
                self.to(TOOL_CHANGE)
                yield env.timeout(start.stop_left)
                self.tool.changed()
        part = self.part = start.part
        if part is None:
            return None
        self.product = part.product  # set up for the part on it (a changeover under way is now done)
        if start.finished:
            return part, start.started_at, start.ended_at, False
        operator = None
        if self.operator_for_process:
            operator = self.operators.request()
            if not operator.triggered:
                self.to(WAITING_OPERATOR)
            yield operator
        if self.shifts is not None and not self.shifts.working:
            yield from self.wait_for_shift()
        self.to(BUSY)
        self.busy_mark = self.times[BUSY] - start.elapsed
        if self.plain_work:
            begun = env._now
            try:
                yield env.timeout(start.work)
            except Interrupt:
                yield from self.resume_after_failure(begun + start.work)
        else:
            yield from self.work(start.work)
        part, stop = self.complete(part, start.started_at, start.elapsed + start.work, operator)
        return part, start.started_at, env._now, stop

    def wait_for_part(self):
        """Starved until a part is handed over (a calendar failure may strike meanwhile: the
        machine is repaired, holding the part if it came in the same instant)."""
        station = self.station
        while True:
            self.to(STARVED)
            self.wake = wake = self.env.event()
            station.idle.append(self)
            try:
                return (yield wake)
            except Interrupt:
                part = wake.value if wake.triggered else None
                if part is None:
                    station.idle.remove(self)
                yield from self.breakdown()
                if part is None:
                    part = station.take()
                if part is not None:
                    return part

    def log_departure(self, part, start: float, end: float, blocked: simpy.Event | None) -> None:
        """Record the part's stay on this machine when it leaves: now, or when the blocked hand-over
        happens (a callback, so a hand-over during a repair cut by the horizon is still logged)."""
        log = self.station.line.log
        value = part.q.get(self.station.index) if part.q is not None else None
        record = (part.id, self.station.index, start, end)
        rest = (self.index, part.product, part.release)
        if blocked is None:  # handed on now: at its end, or at time 0 for a start state's finished part
            log.append((*record, self.env._now, value, "passed", *rest))
        else:
            blocked.callbacks.append(
                lambda event: log.append((*record, event.value, value, "passed", *rest)))

    def prepare(self, part):
        """Before processing: wait for the shift, change over if the product changed, get an
        operator. Returns the operator request to release after processing (or None)."""
        if self.shifts is not None and not self.shifts.working:
            yield from self.wait_for_shift()
        setups = self.station.setups
        if setups is not None and self.product is not None and part.product != self.product:
            yield from self.change_over(setups(self.product, part.product))
        self.product = part.product
        if not self.operator_for_process:
            return None
        request = self.operators.request()
        if not request.triggered:
            self.to(WAITING_OPERATOR)
        yield request
        if self.shifts is not None and not self.shifts.working:
            yield from self.wait_for_shift()
        return request

    def change_over(self, duration: float):
        request = None
        if self.operator_for_setup:
            request = self.operators.request()
            if not request.triggered:
                self.to(WAITING_OPERATOR)
            yield request
        self.station.setups_done += 1
        self.station.setup_minutes += duration
        yield from self.on_shift(duration, SETUP)
        if request is not None:
            self.operators.release(request)

    def on_shift(self, duration: float, state: int):
        """Spend `duration` of working time in `state`, pausing outside shifts."""
        env = self.env
        remaining = duration
        while True:
            if self.shifts is not None and not self.shifts.working:
                yield from self.wait_for_shift()
            self.to(state)
            chunk = remaining if self.shifts is None else min(remaining, self.shifts.end - env._now)
            yield env.timeout(chunk)
            remaining -= chunk
            if remaining <= EPSILON:
                return

    def wait_for_shift(self):
        """Off until the next shift starts. A calendar failure may strike meanwhile: the machine is
        repaired when it strikes (repairs carry on off shift), then waits on if still off shift."""
        self.to(OFF)
        while True:
            try:
                yield self.shifts.next_start()
                return
            except Interrupt:
                yield from self.breakdown()
                if self.shifts.working:
                    return
                self.to(OFF)

    def work(self, duration: float):
        """Process for `duration` of busy time, pausing for operating failures and shift ends."""
        env = self.env
        remaining = duration
        while remaining > EPSILON:
            if self.shifts is not None and not self.shifts.working:
                yield from self.wait_for_shift()  # a repair or a changeover ended off shift
                self.to(BUSY)
            chunk, cause = remaining, None
            if self.ttf < chunk:
                chunk, cause = self.ttf, "failure"
            if self.shifts is not None:
                left = self.shifts.end - env._now
                if left < chunk:
                    chunk, cause = max(0.0, left), "shift"
            started = env._now
            try:
                yield env.timeout(chunk)
            except Interrupt:  # a calendar failure
                done = env._now - started
                remaining -= done
                self.ttf -= done
                yield from self.breakdown()
                self.to(BUSY)
                continue
            remaining -= chunk
            self.ttf -= chunk
            if cause == "failure" or self.ttf <= EPSILON:
                yield from self.breakdown()
                self.renew()
                self.to(BUSY)
            elif cause == "shift" and remaining > EPSILON:
                yield from self.wait_for_shift()
                self.to(BUSY)

    # --- stops -------------------------------------------------------------------------------
    def breakdown(self):
        """The machine fails now. Seen coming by the monitor, the failure is a planned intervention
        instead (shorter, planned priority); otherwise it is down: it waits for a repairer (repairs
        go before planned work), then is repaired."""
        self.pending_failure = False
        monitor = self.monitor
        forced = self.forced_repair
        if forced is not None:
            self.forced_repair = None
        if forced is None and monitor is not None and self.detected and self.life >= monitor.lead_time:
            yield from self.planned_stop(self.draw_repair() * monitor.planned_repair_factor)
        else:
            self.station.failures += 1
            self.to(DOWN)
            repair = self.draw_repair() if forced is None else forced
            self.repair_minutes += repair
            yield from self.with_crew(repair, priority=0)
        if self.repaired is not None:
            self.repaired.succeed()
            self.repaired = None

    def fail_now(self, repair: float | None = None) -> None:
        """Fail the machine at once, from outside (an injected failure, to show the twin react):
        down for `repair` minutes (None: a draw of its mttr), with the same handling as a failure
        on the calendar clock (a part in progress resumes after the repair)."""
        if repair is None and self.draw_repair is None:
            raise ValueError("repair: a machine without failures needs the repair time of its failure")
        self.forced_repair = repair if repair is not None else self.draw_repair()
        if self.interruptible() and self.process.target is not None:
            self.process.interrupt()
        else:
            self.pending_failure = True

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
        yield from self.planned_stop(self.draw_pm())
        self.age = 0.0
        if self.draw_ttf is not None and not self.calendar:
            self.renew()

    def renew(self) -> None:
        """A new life on the operating clock after a repair, an intervention or preventive
        maintenance: a new time to failure, and whether the monitor will see it coming."""
        self.ttf = self.life = self.draw_ttf()
        if self.monitor is not None:
            self.detected = self.monitor.detects()

    def false_alarm(self):
        """The monitor cried wolf: a planned stop that finds nothing."""
        monitor = self.monitor
        yield from self.planned_stop(monitor.false_alarm_duration())
        monitor.schedule_false_alarm(self.env._now)

    def planned_stop(self, duration: float):
        self.station.planned_stops += 1
        self.station.planned_minutes += duration
        self.to(MAINTENANCE)
        yield from self.with_crew(duration, priority=1)

    def with_crew(self, duration: float, priority: int):
        """Hands-on work of `duration` by a member of the maintenance crew (waiting for one first
        when the crew is limited; repairs, priority 0, go before planned work, priority 1)."""
        observed = self.station.line.observed
        if self.crew is None:
            if observed:
                self.stop_start = self.env._now
            yield self.env.timeout(duration)
            return
        with self.crew.request(priority=priority) as request:
            yield request
            if observed:
                self.stop_start = self.env._now
            yield self.env.timeout(duration)

    def change_tool(self):
        """Scheduled tool change or SPC recalibration: its own state, no crew needed."""
        self.to(TOOL_CHANGE)
        yield self.env.timeout(self.tool.spec.tool_change)
        self.tool.changed()

    def calendar_clock(self, initial: MachineStart | None = None):
        """Failures on the calendar clock: time to failure runs in every state; the next one is
        drawn when the repair (or the intervention) is over."""
        env = self.env
        observed = self.station.line.observed
        if initial is not None and initial.stop in (DOWN, MAINTENANCE):
            self.repaired = env.event()  # the stop under way at the start ends first
            yield self.repaired
        while True:
            self.life = self.draw_ttf()
            if self.monitor is not None:
                self.detected = self.monitor.detects()
            if observed:
                self.life_start = env._now
            wait = self.life
            if self.first_life is not None:
                wait, self.first_life = self.first_life, None
            yield env.timeout(wait)
            self.repaired = env.event()
            if self.interruptible() and self.process.target is not None:
                self.process.interrupt()
            else:
                self.pending_failure = True
            yield self.repaired

    def interruptible(self) -> bool:
        """Whether the machine waits where a failure can strike at once: processing, starved,
        blocked, or off shift (idle, or with a part or a changeover paused). Elsewhere (a stop in
        progress, waiting for an operator) the failure strikes when that is over."""
        state = self.state
        if state == OFF:
            return self.off_saved != WAITING_OPERATOR
        return state in (BUSY, STARVED, BLOCKED)
