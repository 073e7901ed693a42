"""The fast engine's event kernel (`fast_events_kernel`) run into `RunStats`.

Same contract and same streams as `fast.simulate_fast`, which dispatches here when a station has
more than one machine or a CONWIP line scraps parts (`needs_events`): the line is turned into
arrays by the serial engine's `_Plan`, with the streams each machine has of its own (failures,
repairs, preventive maintenance, its tool's noise and gauge) added per machine, and the outputs go
through the same `RunStats` assembly, with one row of state minutes per machine as the SimPy
engine keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.config import ArrivalSource, ConwipSource, Line, PreventiveMaintenance
from twin.engine import fast_events_layout as K
from twin.engine import fast_layout as L
from twin.engine.fast import MARGIN, _Plan, _stats, built, line_outputs
from twin.engine.fast import _records as records
from twin.engine.fast_compiled import kernel
from twin.engine.fast_streams import DrawTable, dist_block, normal_block
from twin.engine.line import PartRecord
from twin.engine.sampling import Purpose, Streams
from twin.engine.scope import events_state_problem
from twin.engine.states import STATES
from twin.engine.stats import RunStats
from twin.errors import ConfigError

if TYPE_CHECKING:
    from twin.state import LineState


RING = 64
"""First capacity of the rings that have no bound (an unbounded buffer, the parts waiting at an
arrival source); a run that fills one is run again with rings twice as large."""


def simulate_parallel(line: Line, replication: int, seed: int, log: list[PartRecord] | None,
                      initial_state: LineState | None = None) -> RunStats:
    """One replication of `line` (in the fast engine's scope) on the event kernel, from the empty
    line (a non-empty `initial_state` is refused, never ignored)."""
    problem = events_state_problem(line, initial_state)
    if problem is not None:
        raise ConfigError(problem, field="initial_state")
    margin, ring = MARGIN, RING
    while True:
        status, stats = _run(line, replication, seed, log, margin, ring)
        if status == L.OVERRUN:
            margin *= 16  # a step needed more draws than the margin: again, with room for them
        elif status == K.GROW:
            ring *= 4
        elif stats is not None:
            return stats


class _Machines:
    """Per-machine copies of the plan's station rows, with each machine's own streams."""

    def __init__(self, line: Line, plan: _Plan, streams: Streams) -> None:
        counts = [spec.machines for spec in line.stations]
        n = sum(counts)
        self.station = np.repeat(np.arange(len(counts)), counts)
        self.index = np.concatenate([np.arange(c) for c in counts])
        self.st_i = plan.st_i[self.station].copy()
        self.st_f = plan.st_f[self.station].copy()
        for k in range(n):
            j, index = int(self.station[k]), int(self.index[k])
            if index == 0:
                continue  # machine 0's streams are the plan's
            spec, number, row = line.stations[j], j + 1, self.st_i[k]
            if spec.failures is not None:
                row[L.S_TTF_S] = plan._add(dist_block(spec.failures.mtbf, streams, number, Purpose.FAILURE,
                                                      index))
                row[L.S_REPAIR_S] = plan._add(dist_block(spec.failures.mttr, streams, number, Purpose.REPAIR,
                                                         index))
            plan._monitor(j, spec, streams, index, row)
            if isinstance(spec.maintenance, PreventiveMaintenance):
                row[L.S_PM_S] = plan._add(dist_block(spec.maintenance.duration, streams, number,
                                                     Purpose.MAINTENANCE, index))
            if spec.quality is not None:
                row[L.S_NOISE_S] = plan._add(normal_block(streams, number, Purpose.QUALITY, index))
                if row[L.S_GAUGE_S] >= 0:
                    row[L.S_GAUGE_S] = plan._add(normal_block(streams, number, Purpose.MEASUREMENT, index))
        self.counts = counts


def _rings(line: Line, ring: int, counts: list[int]) -> tuple[np.ndarray, int]:
    """The stations' ring table (offsets, capacities) and the total length of the rings."""
    m = len(line.stations)
    sq = np.zeros((m, K.N_SQ), dtype=np.int64)
    source = line.source
    total = 0
    for j, spec in enumerate(line.stations):
        row = sq[j]
        row[K.Q_LIMIT] = L.UNBOUNDED if spec.buffer is None else spec.buffer
        waiting = counts[j - 1] if j > 0 else (source.wip_cap if isinstance(source, ConwipSource)
                                              else ring if isinstance(source, ArrivalSource) else 0)
        for off, cap, size in ((K.Q_OFF, K.Q_CAP, ring if spec.buffer is None else spec.buffer),
                               (K.I_OFF, K.I_CAP, counts[j]), (K.B_OFF, K.B_CAP, waiting)):
            row[off], row[cap] = total, size
            total += size
    return sq, max(1, total)


def _run(line: Line, replication: int, seed: int, log: list[PartRecord] | None, margin: int,
         ring: int) -> tuple[int, RunStats | None]:
    streams = Streams(seed, replication)
    plan = _Plan(line, streams)
    machines = _Machines(line, plan, streams)
    m, n = len(line.stations), len(machines.station)
    table = DrawTable(plan.blocks, width=max(4096, 4 * margin))
    ms_f = np.zeros((n, K.N_K_F))
    ms_i = np.zeros((n, K.N_K_I), dtype=np.int64)
    ms_i[:, L.M_PRODUCT] = -1
    ms_i[:, K.K_STATION] = machines.station
    ms_i[:, K.K_INDEX] = machines.index
    ms_i[:, K.K_OPEN] = ms_i[:, K.K_OFF_SAVED] = -1
    for k in range(n):
        built(machines.st_i[k], machines.st_f[k], ms_f[k], ms_i[k], table)
    sq, ring_total = _rings(line, ring, machines.counts)
    pool = ring_total + n + 2
    part_f = np.zeros((pool, 2))
    part_i = np.zeros((pool, 4), dtype=np.int64)
    part_dev = np.full((pool, m), np.nan)
    free = np.arange(pool, dtype=np.int64)[::-1].copy()
    g_i = np.zeros(K.N_GI, dtype=np.int64)
    g_i[K.G_FREE] = pool
    plan.cfg_i[L.C_LOGGING] = 1 if log is not None else 0
    mout_f = np.zeros((n, L.N_OUT_F))
    mout_i = np.zeros((n, L.N_OUT_I), dtype=np.int64)
    line_f, line_i, lead_p, good_p, done_p, times, wip_diff, good_diff, log_f, log_i = line_outputs(
        line, log is not None, K.N_LOG_I)
    area = np.zeros(m)
    sq_f = np.zeros(m)
    h_t = np.zeros(n + 3)  # one pending event per machine, the arrivals, the shift clock, a start
    h_i = np.zeros((n + 3, 2), dtype=np.int64)
    clk_f = np.zeros(2)
    clk_i = np.zeros(4, dtype=np.int64)
    waiters = np.zeros(n, dtype=np.int64)
    firing = np.zeros(n, dtype=np.int64)
    cap = line.source.wip_cap if isinstance(line.source, ConwipSource) else 0
    conwip = np.zeros(cap)
    status = np.zeros(1, dtype=np.int64)
    rings = np.zeros(ring_total, dtype=np.int64)
    run_events = kernel("run_events")
    while True:
        run_events(plan.cfg_i, plan.cfg_f, plan.st_i, plan.st_f, plan.proc_s, plan.setup_s,
                     table.values, table.pos, margin, machines.st_i, machines.st_f, ms_f, ms_i, mout_f,
                     mout_i, sq, sq_f, rings, area, part_f, part_i, part_dev, free, h_t, h_i, g_i, line_i,
                     line_f, lead_p, good_p, times, wip_diff, good_diff, done_p, log_f, log_i, conwip,
                     plan.shift_starts, plan.shift_ends, clk_f, clk_i, waiters, firing, status)
        code = int(g_i[K.G_STATUS])
        if code == L.REFILL:
            table.refill()
        elif code == L.LOG_FULL:
            log_f = np.concatenate([log_f, np.zeros_like(log_f)])
            log_i = np.concatenate([log_i, np.zeros_like(log_i)])
        elif code == L.DONE:
            break
        else:
            return code, None
    out_f = np.zeros((m, L.N_OUT_F))
    out_i = np.zeros((m, L.N_OUT_I), dtype=np.int64)
    np.add.at(out_f, machines.station, mout_f)
    np.add.at(out_i, machines.station, mout_i)
    out_f[:, L.O_BUFFER_AREA] = area
    stats = _stats(line, replication, plan, out_f, out_i, line_f, line_i, lead_p, good_p, times,
                   wip_diff, good_diff, done_p)
    n_states = len(STATES)
    for j, station in enumerate(stats.stations):
        rows = machines.station == j
        station.machines = int(rows.sum())
        station.state_minutes = mout_f[rows, :n_states].copy()
    if log is not None:
        count = int(g_i[K.G_LOG_N])
        log.extend(_records(log_f[:count], log_i[:count]))
    return L.DONE, stats


def _records(log_f: np.ndarray, log_i: np.ndarray) -> list[PartRecord]:
    """The log as the SimPy engine keeps it (a blocked hand-over that never happened is not in
    it), with each record's machine."""
    kept = ~np.isnan(log_f[:, L.G_DEPARTURE])
    return records(log_f[kept], log_i[kept], K.G_MACHINE)
