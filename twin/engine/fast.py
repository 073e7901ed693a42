"""The fast engine: one replication of a line in its scope, by the max-plus recursion, into `RunStats`.

Same contract as `twin.engine.line.simulate` (a line, a replication and a seed in; the same
`RunStats` and per-part log out, from a `LineState` too), same streams drawn in the same order, so
the numbers agree with the SimPy engine to rounding. `twin.engine.scope` says which lines it runs;
the kernel is in `fast_kernel` (compiled ahead of time where built: `fast_compiled`), the streams
in `fast_streams`.
"""

from __future__ import annotations

import math

import numpy as np

from twin.config import ArrivalSource, ConwipSource, Line, PredictiveMaintenance, PreventiveMaintenance
from twin.config.dists import dist_mean
from twin.config.quality import ClosedLoopControl, SpcControl
from twin.engine import fast_layout as L
from twin.engine.fast_compiled import kernel
from twin.engine.fast_streams import (
    Block,
    DrawTable,
    dist_block,
    lot_first,
    normal_block,
    product_block,
    uniform_block,
)
from twin.engine.line import SERIES_POINTS, PartRecord, false_alarm_gaps, shifted_windows
from twin.engine.quality import CharacteristicStats, InspectionCounts
from twin.engine.sampling import Purpose, Streams
from twin.engine.scope import choose_engine, needs_events
from twin.engine.start import Placed, Placement
from twin.engine.states import STATES
from twin.engine.stats import RunStats, StationStats
from twin.state import LineState

MARGIN = 64
"""Draws each stream must have left before a part starts; a part that needs more (many failures
during one part) overruns, and the replication is run again with a wider margin."""


class _Plan:
    """The line turned into the kernel's arrays, and the streams behind the draw table."""

    def __init__(self, line: Line, streams: Streams, placement: Placement | None = None) -> None:
        m = len(line.stations)
        names = [p.name for p in line.products]
        n_products = max(1, len(names))
        self.blocks: list[Block] = []
        self.cfg_i = np.zeros(L.N_CFG_I, dtype=np.int64)
        self.cfg_f = np.array([line.warmup, line.horizon, line.observed_minutes / SERIES_POINTS])
        self.st_i = np.full((m, L.N_ST_I), -1, dtype=np.int64)
        self.st_f = np.zeros((m, L.N_ST_F))
        self.proc_s = np.zeros((m, n_products), dtype=np.int64)
        self.setup_s = np.full((m, n_products, n_products), -1, dtype=np.int64)
        self.first_ttf: dict[int, int] = {}
        cfg = self.cfg_i
        cfg[L.C_STATIONS] = m
        cfg[L.C_WARMUP_ZERO] = 1 if line.warmup == 0 else 0
        clock = placement.clock if placement is not None else 0.0
        windows = np.asarray(shifted_windows(line, clock) if line.calendar else [],
                             dtype=float).reshape(-1, 2)
        cfg[L.C_SHIFTS] = 1 if line.calendar is not None else 0
        self.shift_starts = np.ascontiguousarray(windows[:, 0])
        self.shift_ends = np.ascontiguousarray(windows[:, 1])
        cfg[L.C_PRODUCT_S] = -1
        if line.products:
            products = product_block(line, streams)
            if placement is not None and placement.lot is not None:
                products = lot_first(products, *placement.lot)
            cfg[L.C_PRODUCT_S] = self._add(products)
        source = line.source
        cfg[L.C_SOURCE] = L.SATURATED
        if isinstance(source, ArrivalSource):
            cfg[L.C_SOURCE] = L.ARRIVALS
            cfg[L.C_ARRIVAL_S] = self._add(dist_block(source.interarrival, streams, 0, Purpose.ARRIVAL))
        elif isinstance(source, ConwipSource):
            cfg[L.C_SOURCE] = L.CONWIP
            cfg[L.C_CAP] = source.wip_cap
        ring = 0
        for j, spec in enumerate(line.stations):
            self._station(line, j, spec, streams, names)
            row = self.st_i[j]
            row[L.S_BUFFER] = L.UNBOUNDED if spec.buffer is None else spec.buffer
            row[L.S_RING] = ring
            ring += spec.buffer + 1 if spec.buffer else 0
        self.ring_size = max(1, ring)

    def _add(self, block: Block) -> int:
        self.blocks.append(block)
        return len(self.blocks) - 1

    def _monitor(self, j: int, spec, streams: Streams, machine: int, row: np.ndarray | None = None) -> None:
        """The condition monitor's streams of machine `machine` of station j (predictive maintenance
        on a station with failures, as `engine.line._monitor` builds it) into `row` (default: the
        station's row), and its settings."""
        policy = spec.maintenance
        row = self.st_i[j] if row is None else row
        row[L.S_PDM] = 1 if isinstance(policy, PredictiveMaintenance) and spec.failures is not None else 0
        if not row[L.S_PDM]:
            return
        number = j + 1
        values = self.st_f[j]
        values[L.T_RECALL], values[L.T_LEAD] = policy.recall, policy.lead_time
        values[L.T_FACTOR] = policy.planned_repair_factor
        row[L.S_DETECT_S] = self._add(uniform_block(streams, number, Purpose.PREDICTION, machine))
        row[L.S_FA_S] = (self._add(dist_block(false_alarm_gaps(policy), streams, number, Purpose.FALSE_ALARM,
                                              machine))
                         if policy.false_alarms_per_week > 0 else -1)
        row[L.S_FA_REPAIR_S] = self._add(dist_block(spec.failures.mttr, streams, number,
                                                    Purpose.FALSE_ALARM_REPAIR, machine))

    def _station(self, line: Line, j: int, spec, streams: Streams, names: list[str]) -> None:
        number = j + 1
        row, values = self.st_i[j], self.st_f[j]
        if line.products and spec.process_by_product:
            for p, name in enumerate(names):
                self.proc_s[j, p] = self._add(dist_block(spec.process_by_product.get(name, spec.process),
                                                         streams, number, Purpose.PROCESS, product=p))
        else:
            self.proc_s[j, :] = self._add(dist_block(spec.process, streams, number, Purpose.PROCESS))
        row[L.S_SETUP] = 1 if spec.setup is not None or spec.setup_pairs else 0
        if row[L.S_SETUP]:
            labels = names or ["default"]
            if spec.setup is not None:
                self.setup_s[j, :, :] = self._add(dist_block(spec.setup, streams, number, Purpose.SETUP))
            for pair in spec.setup_pairs:
                pair_key = (labels.index(pair.from_), labels.index(pair.to))
                self.setup_s[j, pair_key[0], pair_key[1]] = self._add(
                    dist_block(pair.time, streams, number, Purpose.SETUP, setup=pair_key))
        row[L.S_FAIL] = 1 if spec.failures is not None else 0
        row[L.S_CALENDAR] = 1 if spec.failures is not None and spec.failures.mode == "calendar" else 0
        if spec.failures is not None:
            row[L.S_TTF_S] = self._add(dist_block(spec.failures.mtbf, streams, number, Purpose.FAILURE, 0))
            row[L.S_REPAIR_S] = self._add(dist_block(spec.failures.mttr, streams, number, Purpose.REPAIR, 0))
        self._monitor(j, spec, streams, 0)
        pm = spec.maintenance if isinstance(spec.maintenance, PreventiveMaintenance) else None
        row[L.S_PM] = 1 if pm is not None else 0
        if pm is not None:
            values[L.T_PM_INTERVAL] = pm.interval
            row[L.S_PM_S] = self._add(dist_block(pm.duration, streams, number, Purpose.MAINTENANCE, 0))
        quality = spec.quality
        row[L.S_TOOL] = 1 if quality is not None else 0
        row[L.S_INSPECT] = L.NO_INSPECTION
        if quality is None:
            return
        values[L.T_LOW], values[L.T_HIGH] = quality.characteristic.deviation_limits
        values[L.T_BIAS], values[L.T_DRIFT] = quality.bias, quality.drift_per_part
        values[L.T_SIGMA] = quality.sigma
        values[L.T_GAUGE_SIGMA] = quality.measurement_sigma
        values[L.T_TOOL_CHANGE] = quality.tool_change
        row[L.S_TOOL_LIFE] = quality.tool_life or 0
        row[L.S_NOISE_S] = self._add(normal_block(streams, number, Purpose.QUALITY, 0))
        control = quality.control
        row[L.S_CONTROL] = L.NO_CONTROL
        in_control_sd = math.hypot(quality.sigma, quality.measurement_sigma)
        if isinstance(control, ClosedLoopControl):
            row[L.S_CONTROL] = L.CLOSED_LOOP
            values[L.T_GAIN] = control.gain
        elif isinstance(control, SpcControl):
            if control.chart == "ewma":
                row[L.S_CONTROL] = L.EWMA
                lam = control.lambda_
                values[L.T_LAMBDA] = lam
                values[L.T_LIMIT] = control.L * in_control_sd * math.sqrt(lam / (2 - lam))
            else:
                row[L.S_CONTROL] = L.SHEWHART
                values[L.T_LIMIT] = control.k * in_control_sd
        if row[L.S_CONTROL] != L.NO_CONTROL:
            row[L.S_GAUGE_S] = self._add(normal_block(streams, number, Purpose.MEASUREMENT, 0))
        inspection = spec.inspection
        if inspection is None or inspection.where == "none":
            return
        row[L.S_INSPECT] = {"inline": L.INLINE, "sampling": L.SAMPLING,
                            "end_of_line": L.END_OF_LINE}[inspection.where]
        values[L.T_FRACTION] = inspection.fraction
        row[L.S_INSPECT_GAUGE_S] = self._add(normal_block(streams, number, Purpose.INSPECTION))
        if inspection.where == "sampling":
            row[L.S_INSPECT_SAMPLE_S] = self._add(uniform_block(streams, number, Purpose.ROUTING))


WIDTH = 4096
"""Draws per stream the table holds (fewer for a short run: see `table_width`)."""


def table_width(line: Line) -> int:
    """Draws per stream a run is likely to need, within [512, WIDTH]: a quarter more than the parts
    the fastest station could make in the horizon. Only the cost changes with it (a run that needs
    more has its table refilled), but a short run, such as a forecast of the rest of a shift, would
    spend much of its time filling a table it does not use."""
    means = [dist_mean(spec.process) for spec in line.stations]
    means += [dist_mean(d) for spec in line.stations for d in spec.process_by_product.values()]
    fastest = min(means)
    if not fastest > 0:
        return WIDTH
    needed = 1.25 * line.horizon / fastest + 2 * MARGIN
    return int(min(WIDTH, max(512, 2 ** math.ceil(math.log2(max(needed, 1.0))))))


def series_times(line: Line) -> np.ndarray:
    """The instants the SimPy engine samples the series at: from the warm-up, step by step (the
    same float additions), while before the horizon."""
    step = line.observed_minutes / SERIES_POINTS
    times, t = [], line.warmup
    while t < line.horizon:
        times.append(t)
        t = t + step
    return np.asarray(times, dtype=float)


def line_outputs(line: Line, logging: bool, log_columns: int) -> tuple[np.ndarray, ...]:
    """The arrays either kernel fills for the line as a whole and `_stats` reads: the line's
    counters, lead time and good parts by product, parts done by station and product, the series
    instants and their WIP and good-part steps, and the per-part log (one row when not kept;
    `log_columns`: the kernel's integer columns)."""
    n_products = max(1, len(line.products))
    times = series_times(line)
    log_rows = 4096 if logging else 1
    return (np.zeros(L.N_LINE_F), np.zeros(L.N_LINE_I, dtype=np.int64), np.zeros(n_products),
            np.zeros(n_products, dtype=np.int64),
            np.zeros((len(line.stations), n_products), dtype=np.int64), times,
            np.zeros(len(times) + 1, dtype=np.int64), np.zeros(len(times) + 1, dtype=np.int64),
            np.zeros((log_rows, L.N_LOG_F)), np.zeros((log_rows, log_columns), dtype=np.int64))


def simulate_fast(line: Line, replication: int = 0, *, seed: int | None = None,
                  log: list[PartRecord] | None = None, initial_state: LineState | None = None) -> RunStats:
    """Run one replication of `line` (which must be in the fast engine's scope) on the fast engine,
    from `initial_state` when given (which must be in scope too)."""
    choose_engine(line, "fast", initial_state)
    if needs_events(line):  # parts overtake, or a scrapped part lets a new one in: the event kernel
        from twin.engine.fast_events import simulate_parallel  # (its kernels: only for such a line)

        return simulate_parallel(line, replication, line.seed if seed is None else seed, log, initial_state)
    margin = MARGIN
    while True:
        stats = _run(line, replication, line.seed if seed is None else seed, log, margin,
                     initial_state)
        if stats is not None:
            return stats
        margin *= 16  # a part needed more draws than the margin: again, with room for them


def _run(line: Line, replication: int, seed: int, log: list[PartRecord] | None,
         margin: int, initial_state: LineState | None = None, plain: bool = True) -> RunStats | None:
    """One replication, None if a part overran the margin. A plain line (`is_plain`) runs on
    `run_plain` unless `plain` is False (the tests compare both kernels on such lines)."""
    streams = Streams(seed, replication)
    placement = (Placement(line, initial_state, streams)
                 if initial_state is not None and not initial_state.is_empty() else None)
    plan = _Plan(line, streams, placement)
    m = len(line.stations)
    table = DrawTable(plan.blocks, width=max(table_width(line), 4 * margin))
    ms_f = np.zeros((m, L.N_MS_F))
    ms_i = np.zeros((m, L.N_MS_I), dtype=np.int64)
    ms_i[:, L.M_PRODUCT] = -1
    for j in range(m):
        built(plan.st_i[j], plan.st_f[j], ms_f[j], ms_i[j], table)
    out_f = np.zeros((m, L.N_OUT_F))
    out_i = np.zeros((m, L.N_OUT_I), dtype=np.int64)
    overrun = np.zeros(1, dtype=np.int64)
    placed = placement.in_line_order() if placement is not None else []
    placed_i, placed_f, placed_dev_j, placed_dev = _placed_parts(placed)
    plan.cfg_i[L.C_PLACED] = len(placed)
    if placement is not None:
        plan.cfg_i[L.C_ID_OFFSET] = placement.next_id - 1 - len(placed)
        if isinstance(line.source, ConwipSource):  # more parts than the cap: one leaves, one comes
            plan.cfg_i[L.C_CAP] = max(int(plan.cfg_i[L.C_CAP]), len(placed))
        start_i, start_f = _prime(placement, ms_f, ms_i)
        kernel("start_machines")(plan.cfg_i, plan.cfg_f, plan.st_i, plan.st_f, table.values, table.pos,
                                 ms_f, ms_i, out_f, out_i, start_i, start_f, plan.shift_starts,
                                 plan.shift_ends, overrun)
    cap = int(plan.cfg_i[L.C_CAP])
    plan.cfg_i[L.C_LOGGING] = 1 if log is not None else 0
    ls_f = np.zeros(L.N_LS_F)
    ls_i = np.zeros(L.N_LS_I, dtype=np.int64)
    conwip = np.zeros(max(1, cap))
    line_f, line_i, lead_p, good_p, done_p, times, wip_diff, good_diff, log_f, log_i = line_outputs(
        line, log is not None, L.N_LOG_I)
    if plan.cfg_i[L.C_WARMUP_ZERO]:
        line_i[L.R_WIP_START] = len(placed)  # no warm-up: the state's parts are the WIP at the start
    ring = np.zeros(plan.ring_size)
    deviation = np.zeros(m)
    advance = kernel("run_plain" if plain and L.is_plain(plan.cfg_i, plan.st_i) else "run_parts")
    while True:
        advance(plan.cfg_i, plan.cfg_f, plan.st_i, plan.st_f, plan.proc_s, plan.setup_s, table.values,
                  table.pos, margin, ring, ms_f, ms_i, ls_f, ls_i, conwip, out_f, out_i, line_f, line_i,
                  lead_p, good_p, times, wip_diff, good_diff, log_f, log_i, deviation, done_p,
                  plan.shift_starts, plan.shift_ends, placed_i, placed_f, placed_dev_j, placed_dev,
                  overrun)
        status = ls_i[L.L_STATUS]
        if status == L.DONE:
            break
        if status == L.OVERRUN:
            return None
        if status == L.REFILL:
            table.refill()
        elif status == L.LOG_FULL:
            log_f = np.concatenate([log_f, np.zeros_like(log_f)])
            log_i = np.concatenate([log_i, np.zeros_like(log_i)])
    if log is not None:
        log.extend(_records(log_f[:ls_i[L.L_LOG_N]], log_i[:ls_i[L.L_LOG_N]]))
    return _stats(line, replication, plan, out_f, out_i, line_f, line_i, lead_p, good_p, times,
                  wip_diff, good_diff, done_p)


def built(st_i: np.ndarray, st_f: np.ndarray, ms_f: np.ndarray, ms_i: np.ndarray, table: DrawTable) -> None:
    """A machine's draws when it is built (`Machine.__init__`, one machine's rows): its first time
    to failure (the life its monitor reads), and with predictive maintenance whether the monitor
    will see that failure coming and when its first false alarm is due."""
    ms_f[L.M_TTF] = ms_f[L.M_LIFE] = ms_f[L.M_NEXT_FA] = math.inf
    if not st_i[L.S_FAIL]:
        return
    ms_f[L.M_TTF] = ms_f[L.M_LIFE] = table.take(st_i[L.S_TTF_S])
    if st_i[L.S_PDM]:
        ms_i[L.M_DETECTED] = 1 if table.take(st_i[L.S_DETECT_S]) < st_f[L.T_RECALL] else 0
        if st_i[L.S_FA_S] >= 0:
            ms_f[L.M_NEXT_FA] = 0.0 + table.take(st_i[L.S_FA_S])


def _placed_parts(placed: list[Placed]) -> tuple[np.ndarray, ...]:
    """The start state's parts as the kernel's rows, in the order they leave the line: where each
    starts, how far it is, its id, product and release, and the deviations the state gives (one
    row each: station, value)."""
    rows = max(1, len(placed))
    placed_i = np.zeros((rows, L.N_PLACED_I), dtype=np.int64)
    placed_f = np.zeros((rows, L.N_PLACED_F))
    dev_j: list[int] = []
    dev: list[float] = []
    for k, entry in enumerate(placed):
        part, start = entry.part, entry.start
        held = L.IN_BUFFER if start is None else L.FINISHED if start.finished else L.IN_PROCESS
        first = len(dev)
        for number, deviation in (part.q or {}).items():
            dev_j.append(number - 1)
            dev.append(deviation)
        placed_i[k] = (entry.station, held, part.id, part.product, first, len(dev))
        placed_f[k, L.P_RELEASE] = part.release
        if start is not None:
            placed_f[k, L.P_START], placed_f[k, L.P_END] = start.started_at, start.ended_at
            placed_f[k, L.P_WORK], placed_f[k, L.P_ELAPSED] = start.work, start.elapsed
    return (placed_i, placed_f, np.asarray(dev_j or [0], dtype=np.int64),
            np.asarray(dev or [0.0], dtype=float))


def _prime(placement: Placement, ms_f: np.ndarray, ms_i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each machine's clocks and counters from the state (as `Placement.prime` sets a SimPy
    machine's), and the stop it has under way at time 0, as the kernel's rows."""
    m = len(placement.machines)
    start_i = np.full((m, L.N_START_I), L.NO_STOP, dtype=np.int64)
    start_f = np.zeros((m, L.N_START_F))
    for j, (machines, station) in enumerate(zip(placement.machines, placement.state.stations, strict=True)):
        start, given = machines[0], station.machines[0]
        ms_f[j, L.M_AGE] = given.operating_age
        ms_i[j, L.M_SINCE_CHANGE] = given.parts_since_tool_change
        if given.product is not None:
            ms_i[j, L.M_PRODUCT] = placement.products.get(given.product, 0)
        if start.ttf is not None:
            ms_f[j, L.M_TTF] = start.ttf
        if start.stop is not None:
            start_i[j, L.A_STOP] = start.stop
            start_i[j, L.A_RENEWS] = 1 if start.renews else 0
            start_f[j, L.A_STOP_LEFT] = start.stop_left
    return start_i, start_f


def _records(log_f: np.ndarray, log_i: np.ndarray, machine_column: int | None = None) -> list[PartRecord]:
    """The log as the SimPy engine keeps it, ordered by departure (then part, then station); the
    machine index from `machine_column` of `log_i` (the event kernel's), else 0 (single machines)."""
    order = np.lexsort((log_i[:, L.G_STATION], log_i[:, L.G_PART], log_f[:, L.G_DEPARTURE]))
    records: list[PartRecord] = []
    for k in order:
        value = float(log_f[k, L.G_VALUE])
        records.append((int(log_i[k, L.G_PART]), int(log_i[k, L.G_STATION]), float(log_f[k, L.G_START]),
                        float(log_f[k, L.G_END]), float(log_f[k, L.G_DEPARTURE]),
                        None if math.isnan(value) else value,
                        "rejected" if log_i[k, L.G_REJECTED] else "passed",
                        0 if machine_column is None else int(log_i[k, machine_column]),
                        int(log_i[k, L.G_PRODUCT]), float(log_f[k, L.G_RELEASE])))
    return records


def _stats(line: Line, replication: int, plan: _Plan, out_f, out_i, line_f, line_i, lead_p, good_p,
           times, wip_diff, good_diff, done_p) -> RunStats:
    stations = []
    n_states = len(STATES)
    for j, spec in enumerate(line.stations):
        characteristic = None
        if spec.quality is not None:
            characteristic = CharacteristicStats(
                produced=int(out_i[j, L.O_PRODUCED]), total=float(out_f[j, L.O_CHAR_TOTAL]),
                total_sq=float(out_f[j, L.O_CHAR_SQ]), defects=int(out_i[j, L.O_DEFECTS]),
                tool_changes=int(out_i[j, L.O_TOOL_CHANGES]), signals=int(out_i[j, L.O_SIGNALS]))
        stations.append(StationStats(
            name=spec.name, machines=1, state_minutes=out_f[j:j + 1, :n_states].copy(),
            started=int(out_i[j, L.O_STARTED]), completed=int(out_i[j, L.O_COMPLETED]),
            failures=int(out_i[j, L.O_FAILURES]), planned_stops=int(out_i[j, L.O_PLANNED_STOPS]),
            buffer_area=float(out_f[j, L.O_BUFFER_AREA]), characteristic=characteristic,
            repair_minutes=float(out_f[j, L.O_REPAIR]), planned_minutes=float(out_f[j, L.O_PLANNED]),
            setups=int(out_i[j, L.O_SETUPS]), setup_minutes=float(out_f[j, L.O_SETUP_MINUTES]),
            completed_by_product=[int(c) for c in done_p[j, :len(line.products)]]
            if spec.process_by_product else [],
        ))
    n = len(times)
    series = {"time_min": times.tolist(),
              "good": np.cumsum(good_diff[:n]).astype(float).tolist(),
              "wip": np.cumsum(wip_diff[:n]).astype(float).tolist()}
    inspection = InspectionCounts(
        inspected_conforming=int(line_i[L.R_INSPECTED_CONFORMING]),
        false_rejects=int(line_i[L.R_FALSE_REJECTS]),
        inspected_defective=int(line_i[L.R_INSPECTED_DEFECTIVE]), caught=int(line_i[L.R_CAUGHT]))
    n_products = len(line.products) or 1
    return RunStats(
        replication=replication, warmup_min=line.warmup, horizon_min=line.horizon, stations=stations,
        released=int(line_i[L.R_RELEASED]), departed=int(line_i[L.R_DEPARTED]),
        lead_time_sum=float(line_f[L.R_LEAD]), wip_area=float(line_f[L.R_WIP_AREA]),
        wip_start=int(line_i[L.R_WIP_START]), wip_end=int(line_i[L.R_WIP_END]),
        released_total=int(line_i[L.R_RELEASED_TOTAL]), departed_total=int(line_i[L.R_DEPARTED_TOTAL]),
        scrapped_total=int(line_i[L.R_SCRAPPED_TOTAL]), good=int(line_i[L.R_GOOD]),
        escaped=int(line_i[L.R_ESCAPED]), first_pass_good=int(line_i[L.R_GOOD]),
        scrapped=int(line_i[L.R_SCRAPPED]), reworks=0, scrap_lead_time_sum=float(line_f[L.R_SCRAP_LEAD]),
        inspection=inspection, good_by_product=[int(g) for g in good_p[:n_products]],
        lead_time_by_product=[float(v) for v in lead_p[:n_products]],
        backlog_end=int(line_i[L.R_BACKLOG]), series=series,
        arrived=int(line_i[L.R_RELEASED] if plan.cfg_i[L.C_SOURCE] == L.SATURATED else line_i[L.R_ARRIVED]),
        backlog_start=int(line_i[L.R_BACKLOG_START]), backlog_area=float(line_f[L.R_BACKLOG_AREA]),
        lead_time_from_arrival_sum=float(line_f[L.R_LEAD_ARRIVAL]),
    )
