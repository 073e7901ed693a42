"""Build the SimPy model of a `Line` and run one replication into `RunStats`."""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING

import numpy as np
import simpy

from twin.config import (
    ArrivalSource,
    ConwipSource,
    Exponential,
    Line,
    PredictiveMaintenance,
    PreventiveMaintenance,
    SaturatedSource,
)
from twin.engine.machine import Machine
from twin.engine.monitor import ConditionMonitor
from twin.engine.products import process_samplers, product_sequence, setup_times
from twin.engine.quality import CharacteristicStats, InspectionCounts, Inspector, Tool
from twin.engine.sampling import Purpose, Streams
from twin.engine.shifts import ShiftClock
from twin.engine.station import Sink, StationSim
from twin.engine.stats import RunStats, StationStats

if TYPE_CHECKING:
    from twin.state import LineState

SERIES_POINTS = 200
"""Samples of the coarse time series (throughput and WIP over time) per run."""

LATE = 2
"""Event priority below SimPy's NORMAL (1): processed after every other event of its instant."""


class LateTimeout(simpy.events.Timeout):
    """A timeout processed after every other event at its instant, so the warm-up cut and the series
    samples see the line once everything at that instant has happened, whatever order the events
    were scheduled in. The tie rule both engines follow (docs/model.md): an event at exactly the end
    of the warm-up belongs to the warm-up."""

    def __init__(self, env: simpy.Environment, delay: float) -> None:
        self.env = env
        self.callbacks = []
        self._value = None
        self._delay = delay
        self._ok = True
        env.schedule(self, LATE, delay)

PartRecord = tuple[int, int, float, float, float, float | None, str, int, int, float]
"""(part id, station number from 1, processing start, processing end, departure from the machine,
deviation of the station's characteristic or None, outcome "passed" | "rejected", machine index
from 0, product index, release into the line). A visit's arrival at its station is the departure
of the part's previous visit, or its release for the first (`twin.eventlog.twin_log`)."""

StateRecord = tuple[float, int, int, int]
"""(time, station number from 1, machine index from 0, state index of `STATES`): the machine is in
that state from that time on (kept only when a run asks for the machine-state log)."""


class Part:
    __slots__ = ("arrival", "id", "product", "q", "release", "reworks")

    def __init__(self, part_id: int, release: float, product: int) -> None:
        self.id = part_id
        self.release = release
        self.arrival = release
        """When the part reached the source (it may wait there before its release)."""
        self.product = product
        self.q: dict[int, float] | None = None
        """Deviation from nominal of each characteristic, by the number of the station shaping it."""
        self.reworks = 0


class LineSim:
    """Line-wide counters: releases, exits, WIP integral, lead times, the optional part log."""

    # Class-level defaults, set on the instance only by runs that use them (as in `Machine`).
    observed = False
    """Whether a snapshot of the running line may be taken (`twin.engine.start.state_at`):
    machines then keep the bookkeeping it reads (the full cycle, never the lean one)."""
    initial_wip = 0
    """Parts in the line at time 0 (placed from a start state)."""
    product_names: tuple[str, ...] = ()
    nominal: dict[int, float] = {}  # noqa: RUF012 (replaced, never changed in place)
    """Nominal of each characteristic by station number (snapshots report measured values)."""

    def __init__(self, env: simpy.Environment, log: list[PartRecord] | None,
                 products: itertools.chain | None, n_products: int,
                 state_log: list[StateRecord] | None = None) -> None:
        self.env = env
        self.log = log
        self.state_log = state_log
        self.products = products
        self.next_id = 0
        self.wip = 0
        self.wip_area = 0.0
        self.wip_last = 0.0
        self.released_total = self.departed_total = self.scrapped_total = self.good_total = 0
        self.backlog = 0
        """Parts waiting at an arrival or CONWIP source: arrived, not yet released into the line."""
        self.conwip_first: StationSim | None = None
        self.limits: dict[int, tuple[float, float]] = {}
        """Spec limits as deviations, by station number (to tell good parts from escapes)."""
        self.stations: list[StationSim] = []
        self.number: dict[str, int] = {}
        self.inspections = InspectionCounts()
        self.n_products = n_products
        self.reset_counters()

    def reset_counters(self) -> None:
        """Start the observed window: counters restart, WIP integral from now."""
        self.wip_last = self.backlog_last = self.env._now
        self.wip_area = self.backlog_area = 0.0
        self.released = self.departed = self.good = self.escaped = self.first_pass_good = 0
        self.scrapped = self.reworks = self.arrived = 0
        self.lead_sum = self.scrap_lead_sum = self.arrival_lead_sum = 0.0
        self.good_by_product = [0] * self.n_products
        self.lead_by_product = [0.0] * self.n_products
        self.inspections.__dict__.update(InspectionCounts().__dict__)

    def advance_backlog(self, now: float) -> None:
        """Bring the backlog's time integral up to `now` (before it changes, and at the end)."""
        self.backlog_area += self.backlog * (now - self.backlog_last)
        self.backlog_last = now

    def new_part(self) -> Part:
        """A part reaching an arrival or CONWIP source, to be released when the line takes it."""
        self.next_id += 1
        product = next(self.products) if self.products is not None else 0
        part = Part(self.next_id, -1.0, product)
        part.arrival = now = self.env._now
        self.advance_backlog(now)
        self.arrived += 1
        self.backlog += 1
        return part

    def release(self, part: Part) -> None:
        now = self.env._now
        self.advance_backlog(now)
        self.backlog -= 1
        self.wip_area += self.wip * (now - self.wip_last)
        self.wip_last = now
        self.wip += 1
        self.released += 1
        self.released_total += 1
        part.release = now

    def new_released_part(self) -> Part:
        """A part released at once (saturated source: raw material is always there); `new_part`
        and `release` in one, since every part of a saturated line comes through here."""
        self.next_id += 1
        now = self.env._now
        part = Part(self.next_id, now, next(self.products) if self.products is not None else 0)
        self.wip_area += self.wip * (now - self.wip_last)
        self.wip_last = now
        self.wip += 1
        self.released += 1
        self.released_total += 1
        return part

    def _leave(self, part: Part) -> float:
        """A part leaves the line (shipped or scrapped); returns its time in the line."""
        now = self.env._now
        self.wip_area += self.wip * (now - self.wip_last)
        self.wip_last = now
        self.wip -= 1
        if self.conwip_first is not None:
            self.conwip_first.admit(self.new_part())
        return now - part.release

    def depart(self, part: Part) -> None:
        """Shipped to the customer: good if every characteristic is in spec, else an escape."""
        lead = self._leave(part)
        self.lead_sum += lead
        self.arrival_lead_sum += lead + (part.release - part.arrival)
        self.departed += 1
        self.departed_total += 1
        if part.q is not None and self._defective(part):
            self.escaped += 1
            return
        self.good += 1
        self.good_total += 1
        self.good_by_product[part.product] += 1
        self.lead_by_product[part.product] += lead
        if not part.reworks:
            self.first_pass_good += 1

    def _defective(self, part: Part) -> bool:
        limits = self.limits
        return any(not limits[s][0] <= d <= limits[s][1] for s, d in part.q.items())

    def reject(self, part: Part, inspection) -> None:
        """An inspection rejected `part`: rework it at the named station, or scrap it."""
        if inspection.action == "rework" and part.reworks < inspection.max_reworks:
            part.reworks += 1
            self.reworks += 1
            self.stations[self.number[inspection.to] - 1].rework_in(part)
            return
        self.scrap_lead_sum += self._leave(part)
        self.scrapped += 1
        self.scrapped_total += 1


def build(env: simpy.Environment, line: Line, streams: Streams, log: list[PartRecord] | None = None,
          states: list[StateRecord] | None = None, *, initial: LineState | None = None,
          observed: bool = False) -> tuple[LineSim, list[StationSim], ShiftClock | None]:
    """Wire sources, stations, machines and the sink of `line` into `env`; a `states` list collects
    every machine's changes of state; from the `initial` state when one is given
    (twin.engine.start), with the bookkeeping a snapshot reads when `observed`."""
    placement = None
    if initial is not None and not initial.is_empty():
        from twin.engine.start import Placement

        placement = Placement(line, initial, streams)
    products = product_sequence(line, streams) if line.products else None
    if placement is not None and placement.lot is not None and products is not None:
        products = itertools.chain(itertools.repeat(*placement.lot), products)
    sim = LineSim(env, log, products, max(1, len(line.products)), states)
    if observed:
        sim.observed = True
        sim.product_names = tuple(p.name for p in line.products)
        sim.nominal = {number: spec.quality.characteristic.nominal
                       for number, spec in enumerate(line.stations, start=1) if spec.quality is not None}
    sim.number = {spec.name: number for number, spec in enumerate(line.stations, start=1)}
    crew = simpy.PriorityResource(env, line.maintenance_crew) if line.maintenance_crew else None
    operators = simpy.Resource(env, line.operators.count) if line.operators else None
    shifts = None
    if line.calendar is not None:
        clock = initial.clock if initial is not None else 0.0
        shifts = ShiftClock(env, shifted_windows(line, clock))

    stations: list[StationSim] = []
    sink = Sink(sim)
    for number, spec in enumerate(line.stations, start=1):
        station = StationSim(env, number, spec.name, spec.buffer,
                             streams.sampler(spec.process, number, Purpose.PROCESS), sim)
        station.draw_by_product = process_samplers(line, number, streams)
        if station.draw_by_product is not None:
            station.completed_by_product = [0] * len(line.products)
        station.setups = setup_times(line, number, streams)
        if spec.quality is not None:
            sim.limits[number] = spec.quality.characteristic.deviation_limits
            station.characteristic = CharacteristicStats()
        if spec.inspection is not None and spec.inspection.where != "none":
            inspector = Inspector(spec.inspection, spec.quality, sim.inspections, streams, number)
            if spec.inspection.where == "end_of_line":
                sink.inspections.append((number, inspector))
            else:
                station.inspector = inspector
        stations.append(station)
    for upstream, downstream in itertools.pairwise(stations):
        upstream.next = downstream
    stations[-1].next = sink
    sim.stations = stations
    if not sink.inspections:
        sink.offer = sim.depart  # nothing to check at the end: ship at once

    first = stations[0]
    source = line.source
    if not isinstance(source, ArrivalSource | ConwipSource):
        # Raw material is always there: nothing is ever offered to the first station, so its
        # machines take a freshly released part instead of looking at the buffer (a start state's
        # parts in that buffer first: `Placement.fill` wraps this `take`).
        first.take = sim.new_released_part
    if placement is not None:
        sim.next_id = placement.next_id - 1
        sim.wip = sim.initial_wip = placement.wip
        placement.fill(stations, isinstance(source, SaturatedSource))
    if isinstance(source, ArrivalSource):
        first.on_accept = sim.release
        env.process(_arrivals(env, first, sim, streams.sampler(source.interarrival, 0,
                                                               Purpose.ARRIVAL)))
    elif isinstance(source, ConwipSource):
        first.on_accept = sim.release
        sim.conwip_first = first
        for _ in range(source.wip_cap - (placement.wip if placement is not None else 0)):
            first.admit(sim.new_part())
    for name in sorted({s.inspection.to for s in line.stations
                        if s.inspection is not None and s.inspection.action == "rework"}):
        stations[sim.number[name] - 1].enable_rework()

    for number, (spec, station) in enumerate(zip(line.stations, stations, strict=True), start=1):
        failures = spec.failures
        pm = spec.maintenance if isinstance(spec.maintenance, PreventiveMaintenance) else None
        for index in range(spec.machines):
            machine = Machine(
                station, index, crew,
                draw_ttf=streams.sampler(failures.mtbf, number, Purpose.FAILURE, index)
                if failures else None,
                draw_repair=streams.sampler(failures.mttr, number, Purpose.REPAIR, index)
                if failures else None,
                calendar=bool(failures and failures.mode == "calendar"),
                pm_interval=pm.interval if pm else None,
                draw_pm=streams.sampler(pm.duration, number, Purpose.MAINTENANCE, index)
                if pm else None,
                tool=Tool(spec.quality, station.characteristic, streams, number, index)
                if spec.quality is not None else None,
                shifts=shifts,
                operators=operators,
                operator_for_process=bool(spec.operator and spec.operator.process),
                operator_for_setup=bool(spec.operator and spec.operator.setup),
                monitor=_monitor(spec, streams, number, index),
                initial=placement.under_way(number, index) if placement is not None else None,
            )
            station.machines.append(machine)
            if placement is not None:
                placement.prime(machine, number, index)
            if shifts is not None:
                shifts.machines.append(machine)
    return sim, stations, shifts


def shifted_windows(line: Line, clock: float) -> list[tuple[float, float]]:
    """The line's working windows seen from a run that starts at `clock` on its calendar (a plain
    run starts at 0)."""
    assert line.calendar is not None
    windows = line.calendar.working_windows(clock + line.horizon)
    return [(max(0.0, s - clock), e - clock) for s, e in windows if e > clock]


def false_alarm_gaps(policy: PredictiveMaintenance) -> Exponential:
    """Minutes between a machine's false alarms (calendar time; the policy gives them per week)."""
    return Exponential(mean=7 * 24 * 60.0 / policy.false_alarms_per_week)


def _monitor(spec, streams: Streams, number: int, index: int) -> ConditionMonitor | None:
    policy = spec.maintenance
    if not isinstance(policy, PredictiveMaintenance) or spec.failures is None:
        return None
    gaps = (streams.sampler(false_alarm_gaps(policy), number, Purpose.FALSE_ALARM, index)
            if policy.false_alarms_per_week > 0 else None)
    repairs = streams.sampler(spec.failures.mttr, number, Purpose.FALSE_ALARM_REPAIR, index)
    return ConditionMonitor(policy, streams.uniforms(number, Purpose.PREDICTION, index), gaps, repairs)


def _arrivals(env: simpy.Environment, first: StationSim, sim: LineSim, draw):
    while True:
        yield env.timeout(draw())
        first.admit(sim.new_part())


def _warmup(env: simpy.Environment, warmup: float, sim: LineSim, stations: list[StationSim],
            start: dict[str, int]):
    yield LateTimeout(env, warmup)
    sim.reset_counters()
    start["wip"] = sim.wip
    start["backlog"] = sim.backlog
    for station in stations:
        station.reset_counters()


def _series(env: simpy.Environment, warmup: float, step: float, sim: LineSim,
            series: dict[str, list[float]]):
    yield LateTimeout(env, warmup)
    base = sim.good_total
    while True:
        series["time_min"].append(env.now)
        series["good"].append(float(sim.good_total - base))
        series["wip"].append(float(sim.wip))
        yield LateTimeout(env, step)


def simulate(line: Line, replication: int = 0, *, seed: int | None = None,
             log: list[PartRecord] | None = None, states: list[StateRecord] | None = None,
             initial_state: LineState | None = None) -> RunStats:
    """Run one replication of `line`; pass a list as `log` to collect the per-part record, and one
    as `states` to collect every machine's changes of state. From `initial_state`, the run starts
    with the state's parts and machines at time 0 (twin.state)."""
    env = simpy.Environment()
    streams = Streams(line.seed if seed is None else seed, replication)
    sim, stations, _ = build(env, line, streams, log, states, initial=initial_state)
    start = {"wip": sim.initial_wip, "backlog": 0}
    if line.warmup > 0:
        env.process(_warmup(env, line.warmup, sim, stations, start))
    series: dict[str, list[float]] = {"time_min": [], "good": [], "wip": []}
    env.process(_series(env, line.warmup, line.observed_minutes / SERIES_POINTS, sim, series))
    env.run(until=line.horizon)

    sim.wip_area += sim.wip * (env.now - sim.wip_last)
    sim.advance_backlog(env.now)
    station_stats = []
    for station in stations:
        station.flush()
        minutes = np.empty((len(station.machines), len(station.machines[0].times)))
        for row, machine in enumerate(station.machines):
            Machine.to(machine, machine.state)
            minutes[row] = machine.times
        station_stats.append(StationStats(
            name=station.name, machines=len(station.machines), state_minutes=minutes,
            started=station.started, completed=station.completed, failures=station.failures,
            planned_stops=station.planned_stops, buffer_area=station.area,
            characteristic=copy.copy(station.characteristic),
            repair_minutes=sum(m.repair_minutes for m in station.machines),
            planned_minutes=station.planned_minutes, setups=station.setups_done,
            completed_by_product=list(station.completed_by_product),
            setup_minutes=station.setup_minutes,
        ))
    saturated = not isinstance(line.source, ArrivalSource | ConwipSource)
    return RunStats(
        replication=replication, warmup_min=line.warmup, horizon_min=line.horizon,
        stations=station_stats, released=sim.released, departed=sim.departed,
        lead_time_sum=sim.lead_sum, wip_area=sim.wip_area, wip_start=start["wip"],
        wip_end=sim.wip, released_total=sim.released_total, departed_total=sim.departed_total,
        scrapped_total=sim.scrapped_total, good=sim.good, escaped=sim.escaped,
        first_pass_good=sim.first_pass_good, scrapped=sim.scrapped, reworks=sim.reworks,
        scrap_lead_time_sum=sim.scrap_lead_sum, inspection=copy.copy(sim.inspections),
        good_by_product=list(sim.good_by_product), lead_time_by_product=list(sim.lead_by_product),
        arrived=sim.released if saturated else sim.arrived, backlog_start=start["backlog"],
        backlog_end=sim.backlog, backlog_area=sim.backlog_area,
        lead_time_from_arrival_sum=sim.arrival_lead_sum, series=series,
    )
