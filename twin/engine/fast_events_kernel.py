"""The fast engine's compiled event kernel, for lines with parallel machines.

With parallel machines parts overtake one another, so the part-major departure-time recursion of
`fast_kernel` cannot express them. This kernel replays the SimPy engine's own schedule instead:
every machine is a small state machine with the resumption points of `Machine.run` (take, set up,
work chunk, repair, blocked hand-over, tool change, preventive maintenance), the arrival source is
one more, and a binary heap orders their pending events by (time, scheduling number) exactly as
SimPy's event queue does (time, priority, event id). Each machine waits on one event at a time, so
the heap holds at most machines + 1 entries. Buffers, starved machines and blocked machines are
FIFO rings, as `StationSim`'s deques: a part goes to the machine that has waited longest, a freed
slot to the machine blocked longest. Zero-time cascades come out of the same rules: a hand-over to
an idle machine schedules its wake-up at the current instant, behind every event already due then.

State minutes, counters, the series and the per-part log are booked with `fast_kernel`'s helpers
(`_stop`, `_produce`, `_inspect`, `_leave`, `_wait_at_source`), one row per machine where the
SimPy engine keeps one per machine. All state lives in arrays, so the kernel stops for a refill of
the draw table or a longer log and resumes where it stopped.
"""

from __future__ import annotations

import numpy as np

from twin.engine.fast_kernel import (
    EPSILON,
    _draw,
    _inside,
    _inspect,
    _leave,
    _overlap,
    _produce,
    _stop,
    _wait_at_source,
    kernel,
)
from twin.engine.fast_layout import (
    ARRIVALS,
    C_ARRIVAL_S,
    C_LOGGING,
    C_PRODUCT_S,
    C_SHIFTS,
    C_SOURCE,
    C_STATIONS,
    C_WARMUP_ZERO,
    CONWIP,
    DONE,
    END_OF_LINE,
    F_HORIZON,
    F_STEP,
    F_WARMUP,
    G_DEPARTURE,
    G_END,
    G_PART,
    G_PRODUCT,
    G_REJECTED,
    G_RELEASE,
    G_START,
    G_STATION,
    G_VALUE,
    INLINE,
    LOG_FULL,
    M_AGE,
    M_CORRECTION,
    M_EWMA,
    M_PRODUCT,
    M_SINCE_CHANGE,
    M_TTF,
    O_COMPLETED,
    O_FAILURES,
    O_PLANNED,
    O_PLANNED_STOPS,
    O_REPAIR,
    O_SETUP_MINUTES,
    O_SETUPS,
    O_STARTED,
    O_TOOL_CHANGES,
    R_RELEASED,
    R_RELEASED_TOTAL,
    REFILL,
    S_FAIL,
    S_INSPECT,
    S_PM,
    S_PM_S,
    S_REPAIR_S,
    S_SETUP,
    S_TOOL,
    S_TTF_S,
    SAMPLING,
    SATURATED,
    T_HIGH,
    T_LOW,
    T_PM_INTERVAL,
    T_TOOL_CHANGE,
    UNBOUNDED,
)
from twin.engine.states import BLOCKED, BUSY, DOWN, MAINTENANCE, OFF, SETUP, STARVED, TOOL_CHANGE

# --- the kernel's own columns (beside fast_layout's) --------------------------------------------
# per machine, integers (after fast_layout's M_* columns 0-3)
K_STATION, K_PC, K_PART, K_CAUSE, K_STOP, K_LOGROW, K_INDEX, K_OPEN, K_OFF_SAVED, K_AFTER = range(4, 14)
N_K_I = 14
"""K_OPEN: the open-ended state the machine is in (starved, blocked, off) since K_SINCE, or -1
(the other states' minutes are booked when they are scheduled); K_OFF_SAVED: the idle state an
`off` stands for outside shifts; K_AFTER: where a machine waiting for a shift goes on."""
# per machine, floats (after fast_layout's M_* columns 0-4)
K_SINCE, K_REMAINING, K_CHUNK, K_WORK, K_START, K_SETUP_LEFT = range(5, 11)
N_K_F = 11
# resumption points of a machine (where `Machine.run` waits)
PC_TAKE, PC_WOKEN, PC_SETUP, PC_CHUNK, PC_REPAIR, PC_DONE, PC_BLOCKED, PC_TOOL, PC_PM = range(9)
# per station, the rings: buffer (part slots), idle machines, blocked (upstream machines, or parts
# waiting at the source for the first station); offset, capacity, head, length of each
Q_OFF, Q_CAP, Q_HEAD, Q_LEN, I_OFF, I_CAP, I_HEAD, I_LEN, B_OFF, B_CAP, B_HEAD, B_LEN, Q_LIMIT = range(13)
N_SQ = 13
"""Q_LIMIT: the buffer's capacity as configured (UNBOUNDED for none); Q_CAP is its ring's."""
# parts: floats, integers (a pool of slots with a free list)
P_RELEASE, P_ARRIVAL = range(2)
P_ID, P_PRODUCT, P_USED, P_RELEASED = range(4)
# global state
G_EID, G_HEAP, G_NEXT_ID, G_FREE, G_LOG_N, G_STATUS, G_STARTED = range(7)
N_GI = 7
GROW = 4
"""Status: a ring or the part pool is full; the replication is run again with larger ones."""
CHECK_EVERY = 8
"""Events between two checks that every stream has `margin` draws left: one step draws at most a
handful from any stream (a process time, a changeover, a repair, a time to failure, a product,
measurements), so 8 steps stay well inside the engine's margin of 64."""
# the shift clock (`ShiftClock`): floats, integers
CK_WORKING, CK_END = range(2)
CK_WINDOW, CK_PHASE, CK_WAITING, CK_FIRING = range(4)
CLOCK_BEFORE, CLOCK_START, CLOCK_END = range(3)
# the log's own integer columns: fast_layout's, then the machine
G_MACHINE = 4
N_LOG_I = 5


@kernel(inline="always")
def _push(h_t, h_i, g_i, t, entity):
    """Schedule `entity` at t, behind every event already scheduled for t (SimPy's event id)."""
    n = g_i[G_HEAP]
    eid = g_i[G_EID]
    g_i[G_EID] = eid + 1
    g_i[G_HEAP] = n + 1
    while n > 0:
        parent = (n - 1) // 2
        if h_t[parent] < t or (h_t[parent] == t and h_i[parent, 0] < eid):
            break
        h_t[n] = h_t[parent]
        h_i[n, 0] = h_i[parent, 0]
        h_i[n, 1] = h_i[parent, 1]
        n = parent
    h_t[n] = t
    h_i[n, 0] = eid
    h_i[n, 1] = entity


@kernel(inline="always")
def _pop(h_t, h_i, g_i):
    """The entity of the earliest event (the heap's root), removed."""
    entity = h_i[0, 1]
    n = g_i[G_HEAP] - 1
    g_i[G_HEAP] = n
    t, eid, ent = h_t[n], h_i[n, 0], h_i[n, 1]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and (h_t[child + 1] < h_t[child]
                              or (h_t[child + 1] == h_t[child] and h_i[child + 1, 0] < h_i[child, 0])):
            child += 1
        if t < h_t[child] or (t == h_t[child] and eid < h_i[child, 0]):
            break
        h_t[i] = h_t[child]
        h_i[i, 0] = h_i[child, 0]
        h_i[i, 1] = h_i[child, 1]
        i = child
    h_t[i] = t
    h_i[i, 0] = eid
    h_i[i, 1] = ent
    return entity


@kernel(inline="always")
def _ring_push(rings, sq, j, off, cap, head, length, value):
    """Append to station j's ring (columns off, cap, head, length of sq); False when it is full."""
    n = sq[j, length]
    if n >= sq[j, cap]:
        return False
    rings[sq[j, off] + (sq[j, head] + n) % sq[j, cap]] = value
    sq[j, length] = n + 1
    return True


@kernel(inline="always")
def _ring_pop(rings, sq, j, off, cap, head, length):
    h = sq[j, head]
    value = rings[sq[j, off] + h]
    sq[j, head] = h + 1 if h + 1 < sq[j, cap] else 0
    sq[j, length] -= 1
    return value


@kernel(inline="always")
def _new_part(now, cfg_i, values, pos, part_f, part_i, free, g_i, status):
    """A part reaching the source (`LineSim.new_part`): the next id, its product drawn; -1 (and the
    GROW status) when the pool is full."""
    n = g_i[G_FREE]
    if n == 0:
        status[0] = GROW
        return -1
    slot = free[n - 1]
    g_i[G_FREE] = n - 1
    g_i[G_NEXT_ID] += 1
    part_i[slot, P_ID] = g_i[G_NEXT_ID]
    row = cfg_i[C_PRODUCT_S]
    part_i[slot, P_PRODUCT] = int(_draw(values, pos, row, status)) if row >= 0 else 0
    part_i[slot, P_USED] = 1
    part_i[slot, P_RELEASED] = 0
    part_f[slot, P_ARRIVAL] = now
    part_f[slot, P_RELEASE] = now
    return slot


@kernel(inline="always")
def _release(slot, now, W, H, wz, part_f, part_i, line_i, line_f, saturated):
    """`LineSim.release`: the part enters the line now (its wait at the source is over)."""
    part_f[slot, P_RELEASE] = now
    part_i[slot, P_RELEASED] = 1
    if not saturated:
        _wait_at_source(part_f[slot, P_ARRIVAL], now, W, H, wz, line_i, line_f)
    if _inside(now, W, H, wz):
        line_i[R_RELEASED] += 1
    line_i[R_RELEASED_TOTAL] += 1


@kernel(inline="always")
def _buffer_area(j, now, sq, sq_f, area, W, H):
    area[j] += sq[j, Q_LEN] * _overlap(sq_f[j], now, W, H)
    sq_f[j] = now


@kernel(inline="always")
def _free_part(slot, part_i, free, g_i):
    part_i[slot, P_USED] = 0
    free[g_i[G_FREE]] = slot
    g_i[G_FREE] += 1


@kernel(inline="always")
def _offer(j, slot, upstream, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz,
           part_f, part_i, line_i, line_f):
    """`StationSim.offer` at station j from machine `upstream` (-1: the source): to the machine idle
    longest, else into the buffer, else the offer waits (the upstream machine is blocked, a part
    from the source waits there) and True is returned."""
    first = j == 0
    if sq[j, I_LEN] > 0:
        if first:
            _release(slot, now, W, H, wz, part_f, part_i, line_i, line_f, False)
        machine = _ring_pop(rings, sq, j, I_OFF, I_CAP, I_HEAD, I_LEN)
        ms_i[machine, K_PART] = slot
        _push(h_t, h_i, g_i, now, machine)
        return False
    limit = sq[j, Q_LIMIT]
    if limit == UNBOUNDED or sq[j, Q_LEN] < limit:
        _buffer_area(j, now, sq, sq_f, area, W, H)
        if not _ring_push(rings, sq, j, Q_OFF, Q_CAP, Q_HEAD, Q_LEN, slot):
            status[0] = GROW
            return False
        if first:
            _release(slot, now, W, H, wz, part_f, part_i, line_i, line_f, False)
        return False
    if not _ring_push(rings, sq, j, B_OFF, B_CAP, B_HEAD, B_LEN, slot if first else upstream):
        status[0] = GROW
    return True


@kernel(inline="always")
def _admit(slot, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz, part_f, part_i,
           line_i, line_f):
    """`StationSim.admit`: a part from the source waits behind earlier ones, or is offered."""
    if sq[0, B_LEN] > 0:
        if not _ring_push(rings, sq, 0, B_OFF, B_CAP, B_HEAD, B_LEN, slot):
            status[0] = GROW
        return
    _offer(0, slot, -1, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz, part_f,
           part_i, line_i, line_f)


@kernel(inline="always")
def _take(j, now, saturated, cfg_i, values, pos, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status,
          W, H, wz, part_f, part_i, free, line_i, line_f):
    """`StationSim.take`: the head of the buffer (letting the longest-blocked offer in behind it),
    or a blocked offer directly, or -1 (the machine starves). A saturated first station takes a
    freshly released part."""
    if j == 0 and saturated:
        slot = _new_part(now, cfg_i, values, pos, part_f, part_i, free, g_i, status)
        if slot >= 0:
            _release(slot, now, W, H, wz, part_f, part_i, line_i, line_f, True)
        return slot
    if sq[j, Q_LEN] > 0:
        _buffer_area(j, now, sq, sq_f, area, W, H)
        slot = _ring_pop(rings, sq, j, Q_OFF, Q_CAP, Q_HEAD, Q_LEN)
        if sq[j, B_LEN] > 0:
            waiting = _ring_pop(rings, sq, j, B_OFF, B_CAP, B_HEAD, B_LEN)
            if j == 0:
                _ring_push(rings, sq, j, Q_OFF, Q_CAP, Q_HEAD, Q_LEN, waiting)
                _release(waiting, now, W, H, wz, part_f, part_i, line_i, line_f, False)
            else:
                _ring_push(rings, sq, j, Q_OFF, Q_CAP, Q_HEAD, Q_LEN, ms_i[waiting, K_PART])
                _push(h_t, h_i, g_i, now, waiting)
        return slot
    if sq[j, B_LEN] > 0:
        waiting = _ring_pop(rings, sq, j, B_OFF, B_CAP, B_HEAD, B_LEN)
        if j == 0:
            _release(waiting, now, W, H, wz, part_f, part_i, line_i, line_f, False)
            return waiting
        _push(h_t, h_i, g_i, now, waiting)
        return ms_i[waiting, K_PART]
    return -1


@kernel()
def _leave_line(slot, now, scrapped, cfg_i, st_i, st_f, values, pos, sq, sq_f, rings, area, ms_i,
                h_t, h_i, g_i, status, W, H, step, wz, part_f, part_i, part_dev, free, line_i, line_f,
                lead_p, good_p, series_t, wip_diff, good_diff, conwip):
    """A part leaves the line: scrapped inline, or at the sink (`Sink.offer`: the end-of-line
    inspections in station order, then shipped, good if every characteristic is in spec); under
    CONWIP a new part reaches the source (`LineSim._leave`)."""
    m = cfg_i[C_STATIONS]
    if not scrapped:
        for j in range(m):
            if st_i[j, S_INSPECT] == END_OF_LINE and _inspect(
                    j, part_dev[slot, j], 0.0, False, st_i, st_f, values, pos, line_i,
                    _inside(now, W, H, wz), status):
                scrapped = True
                break
    good = True
    for j in range(m):
        if st_i[j, S_TOOL] == 1 and not (st_f[j, T_LOW] <= part_dev[slot, j] <= st_f[j, T_HIGH]):
            good = False
    _leave(part_f[slot, P_RELEASE], now, scrapped, part_i[slot, P_PRODUCT], good, W, H, step, wz,
           line_i, line_f, lead_p, good_p, series_t, wip_diff, good_diff, conwip, 0, 0,
           part_f[slot, P_ARRIVAL])
    _free_part(slot, part_i, free, g_i)
    if cfg_i[C_SOURCE] == CONWIP:
        fresh = _new_part(now, cfg_i, values, pos, part_f, part_i, free, g_i, status)
        if fresh >= 0:
            _admit(fresh, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz, part_f,
                   part_i, line_i, line_f)


@kernel()
def _log(k, slot, j, start, end, departure, value, rejected, part_f, part_i, ms_i, log_f, log_i, g_i):
    """One record of the per-part log; its departure may be filled in later (a blocked hand-over)."""
    n = g_i[G_LOG_N]
    g_i[G_LOG_N] = n + 1
    log_f[n, G_START], log_f[n, G_END], log_f[n, G_DEPARTURE] = start, end, departure
    log_f[n, G_VALUE], log_f[n, G_RELEASE] = value, part_f[slot, P_RELEASE]
    log_i[n, G_PART], log_i[n, G_STATION] = part_i[slot, P_ID], j + 1
    log_i[n, G_PRODUCT] = part_i[slot, P_PRODUCT]
    log_i[n, G_REJECTED] = 1 if rejected else 0
    log_i[n, G_MACHINE] = ms_i[k, K_INDEX]
    return n


PC_GOT, PC_START, PC_WORK, PC_AFTER, PC_PM_DONE = range(9, 14)
PC_SHIFT_WAIT, PC_PREPARED, PC_SETUP_LOOP, PC_SETUP_GO, PC_WORK_CHUNK = range(14, 19)
"""Points a machine passes without waiting (`_machine_step`'s jumps), and waiting for a shift."""


@kernel(inline="always")
def _close(k, now, ms_i, ms_f, mout_f, W, H):
    """`Machine.to` out of an open-ended state: its minutes since it began."""
    state = ms_i[k, K_OPEN]
    if state >= 0:
        mout_f[k, state] += _overlap(ms_f[k, K_SINCE], now, W, H)
        ms_i[k, K_OPEN] = -1
        ms_i[k, K_OFF_SAVED] = -1


@kernel(inline="always")
def _open(k, state, now, ms_i, ms_f, clk_f, shifts):
    """`Machine.to` into an open-ended state; outside shifts an idle one is `off`, the idle state
    kept for the next start (`Machine._to_on_calendar`)."""
    if shifts and clk_f[CK_WORKING] == 0.0 and state in (STARVED, BLOCKED):
        ms_i[k, K_OPEN] = OFF
        ms_i[k, K_OFF_SAVED] = state
    else:
        ms_i[k, K_OPEN] = state
        ms_i[k, K_OFF_SAVED] = -1
    ms_f[k, K_SINCE] = now


@kernel(inline="always")
def _wait_for_shift(k, now, after, ms_i, ms_f, mout_f, clk_i, waiters, W, H):
    """`Machine.wait_for_shift`: `off`, waiting on the next start (behind the machines already
    waiting on it); then on at `after`."""
    _close(k, now, ms_i, ms_f, mout_f, W, H)
    ms_i[k, K_OPEN] = OFF
    ms_f[k, K_SINCE] = now
    waiters[clk_i[CK_WAITING]] = k
    clk_i[CK_WAITING] += 1
    ms_i[k, K_AFTER] = after
    ms_i[k, K_PC] = PC_SHIFT_WAIT


@kernel()
def _machine_step(k, now, cfg_i, cfg_f, st_i, st_f, proc_s, setup_s, values, pos, mst_i, mst_f, ms_f,
                  ms_i, mout_f, mout_i, sq, sq_f, rings, area, part_f, part_i, part_dev, free, h_t,
                  h_i, g_i, line_i, line_f, lead_p, good_p, series_t, wip_diff, good_diff, done_p,
                  log_f, log_i, conwip, clk_f, clk_i, waiters, status):
    """Run machine k from where it waits until it waits again, as `Machine.run` does: take (or
    starve), wait for the shift, change over (paused outside shifts), work in chunks cut by
    failures (repairs) and shift ends, complete (measure, inspect, scrap), hand on (or be
    blocked), tool change, preventive maintenance, and round again."""
    W, H, step = cfg_f[F_WARMUP], cfg_f[F_HORIZON], cfg_f[F_STEP]
    wz = cfg_i[C_WARMUP_ZERO] == 1
    saturated = cfg_i[C_SOURCE] == SATURATED
    logging = cfg_i[C_LOGGING] == 1
    shifts = cfg_i[C_SHIFTS] == 1
    m = cfg_i[C_STATIONS]
    j = ms_i[k, K_STATION]
    pc = ms_i[k, K_PC]
    while status[0] == 0:
        if pc == PC_TAKE:
            slot = _take(j, now, saturated, cfg_i, values, pos, sq, sq_f, rings, area, ms_i, h_t, h_i,
                         g_i, status, W, H, wz, part_f, part_i, free, line_i, line_f)
            if slot < 0:  # starved: wait, longest-idle first, for a part handed over
                _open(k, STARVED, now, ms_i, ms_f, clk_f, shifts)
                _ring_push(rings, sq, j, I_OFF, I_CAP, I_HEAD, I_LEN, k)
                ms_i[k, K_PC] = PC_WOKEN
                return
            ms_i[k, K_PART] = slot
            pc = PC_GOT
        elif pc == PC_WOKEN:
            _close(k, now, ms_i, ms_f, mout_f, W, H)
            pc = PC_GOT
        elif pc == PC_SHIFT_WAIT:  # the shift has started
            pc = ms_i[k, K_AFTER]
        elif pc == PC_GOT:  # `Machine.prepare`
            if shifts and clk_f[CK_WORKING] == 0.0:
                _wait_for_shift(k, now, PC_PREPARED, ms_i, ms_f, mout_f, clk_i, waiters, W, H)
                return
            pc = PC_PREPARED
        elif pc == PC_PREPARED:
            pc = PC_START
            if st_i[j, S_SETUP] == 1:
                product = part_i[ms_i[k, K_PART], P_PRODUCT]
                previous = ms_i[k, M_PRODUCT]
                ms_i[k, M_PRODUCT] = product
                if previous >= 0 and previous != product:  # `Machine.change_over`
                    row = setup_s[j, previous, product]
                    duration = _draw(values, pos, row, status) if row >= 0 else 0.0
                    if _inside(now, W, H, wz):
                        mout_i[k, O_SETUPS] += 1
                        mout_f[k, O_SETUP_MINUTES] += duration
                    ms_f[k, K_SETUP_LEFT] = duration
                    pc = PC_SETUP_LOOP
        elif pc == PC_SETUP_LOOP:  # `Machine.on_shift`: a timeout per working stretch, even of zero
            if shifts and clk_f[CK_WORKING] == 0.0:
                _wait_for_shift(k, now, PC_SETUP_GO, ms_i, ms_f, mout_f, clk_i, waiters, W, H)
                return
            pc = PC_SETUP_GO
        elif pc == PC_SETUP_GO:
            _close(k, now, ms_i, ms_f, mout_f, W, H)
            chunk = ms_f[k, K_SETUP_LEFT]
            if shifts:
                chunk = min(chunk, clk_f[CK_END] - now)
            end = now + chunk
            mout_f[k, SETUP] += _overlap(now, end, W, H)
            ms_f[k, K_CHUNK] = chunk
            _push(h_t, h_i, g_i, end, k)
            ms_i[k, K_PC] = PC_SETUP
            return
        elif pc == PC_SETUP:
            ms_f[k, K_SETUP_LEFT] -= ms_f[k, K_CHUNK]
            pc = PC_START if ms_f[k, K_SETUP_LEFT] <= EPSILON else PC_SETUP_LOOP
        elif pc == PC_START:
            _close(k, now, ms_i, ms_f, mout_f, W, H)
            if _inside(now, W, H, wz):
                mout_i[k, O_STARTED] += 1
            work = _draw(values, pos, proc_s[j, part_i[ms_i[k, K_PART], P_PRODUCT]], status)
            ms_f[k, K_WORK] = work
            ms_f[k, K_START] = now
            if st_i[j, S_FAIL] == 0 and not shifts:  # `Machine.run`'s plain work: one timeout, even of zero
                end = now + work
                mout_f[k, BUSY] += _overlap(now, end, W, H)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_DONE
                return
            ms_f[k, K_REMAINING] = work
            pc = PC_WORK
        elif pc == PC_WORK:  # `Machine.work`: chunks of busy time, cut by failures and shift ends
            pc = PC_DONE
            if ms_f[k, K_REMAINING] > EPSILON:
                if shifts and clk_f[CK_WORKING] == 0.0:  # a repair ended off shift
                    _wait_for_shift(k, now, PC_WORK_CHUNK, ms_i, ms_f, mout_f, clk_i, waiters, W, H)
                    return
                pc = PC_WORK_CHUNK
        elif pc == PC_WORK_CHUNK:
            _close(k, now, ms_i, ms_f, mout_f, W, H)
            chunk = ms_f[k, K_REMAINING]
            cause = 0
            if ms_f[k, M_TTF] < chunk:
                chunk = ms_f[k, M_TTF]
                cause = 1
            if shifts:
                left = clk_f[CK_END] - now
                if left < chunk:
                    chunk = max(0.0, left)
                    cause = 2
            end = now + chunk
            mout_f[k, BUSY] += _overlap(now, end, W, H)
            ms_f[k, K_CHUNK] = chunk
            ms_i[k, K_CAUSE] = cause
            _push(h_t, h_i, g_i, end, k)
            ms_i[k, K_PC] = PC_CHUNK
            return
        elif pc == PC_CHUNK:
            chunk = ms_f[k, K_CHUNK]
            ms_f[k, K_REMAINING] -= chunk
            ms_f[k, M_TTF] -= chunk
            pc = PC_WORK
            if ms_i[k, K_CAUSE] == 1 or ms_f[k, M_TTF] <= EPSILON:
                end = _stop(k, now, mst_i[k, S_REPAIR_S], DOWN, O_FAILURES, O_REPAIR, values, pos,
                            mout_f, mout_i, W, H, wz, status)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_REPAIR
                return
            if ms_i[k, K_CAUSE] == 2 and ms_f[k, K_REMAINING] > EPSILON:  # paused to the next shift
                _wait_for_shift(k, now, PC_WORK, ms_i, ms_f, mout_f, clk_i, waiters, W, H)
                return
        elif pc == PC_REPAIR:
            ms_f[k, M_TTF] = _draw(values, pos, mst_i[k, S_TTF_S], status)
            pc = PC_WORK
        elif pc == PC_DONE:  # `Machine.complete`, then the hand-over
            slot = ms_i[k, K_PART]
            product = part_i[slot, P_PRODUCT]
            ms_f[k, M_AGE] += ms_f[k, K_WORK]
            counted = _inside(now, W, H, wz)
            if counted:
                mout_i[k, O_COMPLETED] += 1
                done_p[j, product] += 1
            value = np.nan
            rejected = False
            ms_i[k, K_STOP] = 0
            if st_i[j, S_TOOL] == 1:
                value, stop, measured, has_measured = _produce(k, mst_i, mst_f, values, pos, ms_f, ms_i,
                                                               mout_f, mout_i, counted, status)
                part_dev[slot, j] = value
                ms_i[k, K_STOP] = 1 if stop else 0
                kind = st_i[j, S_INSPECT]
                if kind in (INLINE, SAMPLING):
                    rejected = _inspect(j, value, measured, has_measured, st_i, st_f, values, pos,
                                        line_i, counted, status)
            start = ms_f[k, K_START]
            pc = PC_AFTER
            if rejected:
                if logging:
                    _log(k, slot, j, start, now, now, value, True, part_f, part_i, ms_i, log_f, log_i, g_i)
                _leave_line(slot, now, True, cfg_i, st_i, st_f, values, pos, sq, sq_f, rings, area, ms_i,
                            h_t, h_i, g_i, status, W, H, step, wz, part_f, part_i, part_dev, free, line_i,
                            line_f, lead_p, good_p, series_t, wip_diff, good_diff, conwip)
            else:
                if logging:
                    ms_i[k, K_LOGROW] = _log(k, slot, j, start, now, now, value, False, part_f, part_i,
                                             ms_i, log_f, log_i, g_i)
                if j == m - 1:
                    _leave_line(slot, now, False, cfg_i, st_i, st_f, values, pos, sq, sq_f, rings, area,
                                ms_i, h_t, h_i, g_i, status, W, H, step, wz, part_f, part_i, part_dev,
                                free, line_i, line_f, lead_p, good_p, series_t, wip_diff, good_diff,
                                conwip)
                elif _offer(j + 1, slot, k, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W,
                            H, wz, part_f, part_i, line_i, line_f):
                    if logging:  # the departure is when the part is taken in
                        log_f[ms_i[k, K_LOGROW], G_DEPARTURE] = np.nan
                    _open(k, BLOCKED, now, ms_i, ms_f, clk_f, shifts)
                    ms_i[k, K_PC] = PC_BLOCKED
                    return
        elif pc == PC_BLOCKED:
            _close(k, now, ms_i, ms_f, mout_f, W, H)
            if logging:
                log_f[ms_i[k, K_LOGROW], G_DEPARTURE] = now
            pc = PC_AFTER
        elif pc == PC_AFTER:
            pc = PC_PM
            if ms_i[k, K_STOP] == 1:  # `Machine.change_tool`: a timeout, even of zero
                end = now + st_f[j, T_TOOL_CHANGE]
                mout_f[k, TOOL_CHANGE] += _overlap(now, end, W, H)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_TOOL
                return
        elif pc == PC_TOOL:  # `Tool.changed`
            ms_i[k, K_STOP] = 0
            ms_i[k, M_SINCE_CHANGE] = 0
            ms_f[k, M_EWMA] = 0.0
            ms_f[k, M_CORRECTION] = 0.0
            if _inside(now, W, H, wz):
                mout_i[k, O_TOOL_CHANGES] += 1
            pc = PC_PM
        elif pc == PC_PM:
            pc = PC_TAKE
            if st_i[j, S_PM] == 1 and ms_f[k, M_AGE] >= st_f[j, T_PM_INTERVAL]:
                end = _stop(k, now, mst_i[k, S_PM_S], MAINTENANCE, O_PLANNED_STOPS, O_PLANNED, values,
                            pos, mout_f, mout_i, W, H, wz, status)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_PM_DONE
                return
        else:  # PC_PM_DONE: the machine is renewed
            ms_f[k, M_AGE] = 0.0
            if st_i[j, S_FAIL] == 1:
                ms_f[k, M_TTF] = _draw(values, pos, mst_i[k, S_TTF_S], status)
            pc = PC_TAKE


@kernel()
def _clock_step(now, shift_s, shift_e, clk_f, clk_i, waiters, firing, ms_i, ms_f, mout_f, h_t, h_i, g_i,
                fire, W, H):
    """`ShiftClock._run` from where it waits: at a start, the line works, the machines waiting for
    it are woken (one event: `fire`), idle machines leave `off`; at an end, idle machines go `off`."""
    n_machines = ms_i.shape[0]
    while clk_i[CK_WINDOW] < shift_s.shape[0]:
        w = clk_i[CK_WINDOW]
        phase = clk_i[CK_PHASE]
        if phase == CLOCK_BEFORE:
            clk_i[CK_PHASE] = CLOCK_START
            if shift_s[w] > now:
                _push(h_t, h_i, g_i, now + (shift_s[w] - now), fire - 1)
                return
        elif phase == CLOCK_START:
            clk_f[CK_WORKING] = 1.0
            clk_f[CK_END] = shift_e[w]
            n = clk_i[CK_WAITING]
            if n > 0:
                for i in range(n):
                    firing[i] = waiters[i]
                clk_i[CK_FIRING] = n
                clk_i[CK_WAITING] = 0
                _push(h_t, h_i, g_i, now, fire)
            for k in range(n_machines):
                saved = ms_i[k, K_OFF_SAVED]
                if saved >= 0:
                    _close(k, now, ms_i, ms_f, mout_f, W, H)
                    ms_i[k, K_OPEN] = saved
                    ms_f[k, K_SINCE] = now
            clk_i[CK_PHASE] = CLOCK_END
            _push(h_t, h_i, g_i, now + (shift_e[w] - now), fire - 1)
            return
        else:
            clk_f[CK_WORKING] = 0.0
            clk_f[CK_END] = np.inf
            for k in range(n_machines):
                state = ms_i[k, K_OPEN]
                if state in (STARVED, BLOCKED):
                    _close(k, now, ms_i, ms_f, mout_f, W, H)
                    ms_i[k, K_OPEN] = OFF
                    ms_i[k, K_OFF_SAVED] = state
                    ms_f[k, K_SINCE] = now
            clk_i[CK_WINDOW] = w + 1
            clk_i[CK_PHASE] = CLOCK_BEFORE


@kernel()
def run_events(cfg_i, cfg_f, st_i, st_f, proc_s, setup_s, values, pos, margin, mst_i, mst_f, ms_f, ms_i,
               mout_f, mout_i, sq, sq_f, rings, area, part_f, part_i, part_dev, free, h_t, h_i, g_i,
               line_i, line_f, lead_p, good_p, series_t, wip_diff, good_diff, done_p, log_f, log_i,
               conwip, shift_s, shift_e, clk_f, clk_i, waiters, firing, status):
    """Process events in SimPy's order until the horizon, a refill, a full log (g_i[G_STATUS]) or
    a full ring or pool (GROW) or an overrun of the draw table (OVERRUN): those two in status[0].
    Entities: the machines 0..n-1, then the arrival source, the shift clock and the start of a
    shift waking the machines that wait for it."""
    W, H, step = cfg_f[F_WARMUP], cfg_f[F_HORIZON], cfg_f[F_STEP]
    wz = cfg_i[C_WARMUP_ZERO] == 1
    source = cfg_i[C_SOURCE]
    logging = cfg_i[C_LOGGING] == 1
    n_machines = ms_i.shape[0]
    arrival, clock, fire = n_machines, n_machines + 1, n_machines + 2
    n_rows = pos.shape[0]
    width = values.shape[1]
    if g_i[G_STARTED] == 0:  # time 0: the CONWIP parts admitted, then each process's first step
        g_i[G_STARTED] = 1
        if source == CONWIP:
            for _ in range(conwip.shape[0]):
                slot = _new_part(0.0, cfg_i, values, pos, part_f, part_i, free, g_i, status)
                if slot >= 0:
                    _admit(slot, 0.0, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz,
                           part_f, part_i, line_i, line_f)
        # the processes' first steps (SimPy's Initialize events, urgent: before any other event at
        # time 0) in the order they were made: the shift clock, the arrivals, then the machines,
        # which take scheduling numbers below every other event's
        if cfg_i[C_SHIFTS] == 1:
            clk_f[CK_WORKING] = 1.0 if shift_s.shape[0] > 0 and shift_s[0] <= 0.0 else 0.0
            clk_f[CK_END] = shift_e[0] if clk_f[CK_WORKING] == 1.0 else np.inf
            _clock_step(0.0, shift_s, shift_e, clk_f, clk_i, waiters, firing, ms_i, ms_f, mout_f, h_t,
                        h_i, g_i, fire, W, H)
        if source == ARRIVALS:
            _push(h_t, h_i, g_i, 0.0 + _draw(values, pos, cfg_i[C_ARRIVAL_S], status), arrival)
        normal = g_i[G_EID]
        g_i[G_EID] = -n_machines
        for k in range(n_machines):
            _push(h_t, h_i, g_i, 0.0, k)
        g_i[G_EID] = normal
    countdown = 0
    while status[0] == 0:
        if countdown == 0:  # every CHECK_EVERY events: a step draws at most a few from a stream
            countdown = CHECK_EVERY
            for row in range(n_rows):
                if width - pos[row] < margin:
                    g_i[G_STATUS] = REFILL
                    return
        countdown -= 1
        if logging and g_i[G_LOG_N] + clk_i[CK_FIRING] + 1 > log_f.shape[0]:
            g_i[G_STATUS] = LOG_FULL
            return
        if g_i[G_HEAP] == 0 or h_t[0] >= H:  # the horizon comes before every event at its instant
            break
        now = h_t[0]
        entity = _pop(h_t, h_i, g_i)
        if entity < n_machines:
            _machine_step(entity, now, cfg_i, cfg_f, st_i, st_f, proc_s, setup_s, values, pos, mst_i,
                          mst_f, ms_f, ms_i, mout_f, mout_i, sq, sq_f, rings, area, part_f, part_i,
                          part_dev, free, h_t, h_i, g_i, line_i, line_f, lead_p, good_p, series_t,
                          wip_diff, good_diff, done_p, log_f, log_i, conwip, clk_f, clk_i, waiters,
                          status)
        elif entity == arrival:  # `line._arrivals`
            slot = _new_part(now, cfg_i, values, pos, part_f, part_i, free, g_i, status)
            if slot >= 0:
                _admit(slot, now, sq, sq_f, rings, area, ms_i, h_t, h_i, g_i, status, W, H, wz, part_f,
                       part_i, line_i, line_f)
            _push(h_t, h_i, g_i, now + _draw(values, pos, cfg_i[C_ARRIVAL_S], status), arrival)
        elif entity == clock:
            _clock_step(now, shift_s, shift_e, clk_f, clk_i, waiters, firing, ms_i, ms_f, mout_f, h_t,
                        h_i, g_i, fire, W, H)
        else:  # a shift starts: its event's callbacks, the machines waiting for it, in turn
            for i in range(clk_i[CK_FIRING]):
                _machine_step(firing[i], now, cfg_i, cfg_f, st_i, st_f, proc_s, setup_s, values, pos,
                              mst_i, mst_f, ms_f, ms_i, mout_f, mout_i, sq, sq_f, rings, area, part_f,
                              part_i, part_dev, free, h_t, h_i, g_i, line_i, line_f, lead_p, good_p,
                              series_t, wip_diff, good_diff, done_p, log_f, log_i, conwip, clk_f, clk_i,
                              waiters, status)
            clk_i[CK_FIRING] = 0
    if status[0] != 0:
        g_i[G_STATUS] = status[0]
        return
    # the horizon: open states end, buffers flush, parts still inside (or at the source)
    for k in range(n_machines):
        _close(k, H, ms_i, ms_f, mout_f, W, H)
    for j in range(sq.shape[0]):
        _buffer_area(j, H, sq, sq_f, area, W, H)
    for slot in range(part_i.shape[0]):
        if part_i[slot, P_USED] == 1:
            if part_i[slot, P_RELEASED] == 1:
                _leave(part_f[slot, P_RELEASE], np.inf, False, part_i[slot, P_PRODUCT], True, W, H, step,
                       wz, line_i, line_f, lead_p, good_p, series_t, wip_diff, good_diff, conwip, 0, 0,
                       part_f[slot, P_ARRIVAL])
            else:
                _wait_at_source(part_f[slot, P_ARRIVAL], np.inf, W, H, wz, line_i, line_f)
    g_i[G_STATUS] = DONE
