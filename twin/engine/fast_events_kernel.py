"""The fast engine's compiled event kernel, for lines with parallel machines (and CONWIP lines
that scrap parts).

With parallel machines parts overtake one another, so the part-major departure-time recursion of
`fast_kernel` cannot express them. This kernel replays the SimPy engine's own schedule instead:
every machine is a small state machine with the resumption points of `Machine.run` (take or
starve, wait for the shift, set up, work chunk, repair, blocked hand-over, tool change, preventive
maintenance); the arrival source, the shift clock and a shift's start (the one event that wakes
the machines waiting for it) are entities too. The heap of `fast_events_flow` orders their
pending events exactly as SimPy's event queue does, and zero-time cascades come out of the same
rules: a hand-over to an idle machine schedules its wake-up at the current instant, behind every
event already due then.

State minutes, counters, the series and the per-part log are booked with `fast_kernel`'s helpers
(`_stop`, `_produce`, `_inspect`, `_leave`, `_wait_at_source`), one row per machine where the
SimPy engine keeps one per machine. All state lives in arrays, so the kernel stops for a refill of
the draw table or a longer log and resumes where it stopped.
"""

from __future__ import annotations

import numpy as np

from twin.engine.fast_events_flow import (
    _admit,
    _buffer_area,
    _leave_line,
    _log,
    _new_part,
    _offer,
    _pop,
    _push,
    _ring_push,
    _take,
)
from twin.engine.fast_events_layout import (
    CHECK_EVERY,
    CK_END,
    CK_FIRING,
    CK_WORKING,
    G_EID,
    G_HEAP,
    G_LOG_N,
    G_STARTED,
    G_STATUS,
    I_CAP,
    I_HEAD,
    I_LEN,
    I_OFF,
    K_AFTER,
    K_CAUSE,
    K_CHUNK,
    K_LOGROW,
    K_PART,
    K_PC,
    K_REMAINING,
    K_SETUP_LEFT,
    K_START,
    K_STATION,
    K_STOP,
    K_WORK,
    P_ARRIVAL,
    P_PRODUCT,
    P_RELEASE,
    P_RELEASED,
    P_USED,
    PC_AFTER,
    PC_BLOCKED,
    PC_CHUNK,
    PC_DONE,
    PC_FALSE_ALARM,
    PC_FALSE_ALARM_DONE,
    PC_GOT,
    PC_PM,
    PC_PM_DONE,
    PC_PREPARED,
    PC_REPAIR,
    PC_SETUP,
    PC_SETUP_GO,
    PC_SETUP_LOOP,
    PC_SHIFT_WAIT,
    PC_START,
    PC_TAKE,
    PC_TOOL,
    PC_WOKEN,
    PC_WORK,
    PC_WORK_CHUNK,
)
from twin.engine.fast_events_states import _clock_step, _close, _open, _wait_for_shift
from twin.engine.fast_kernel import (
    EPSILON,
    _breakdown,
    _draw,
    _false_alarm,
    _false_alarm_due,
    _inside,
    _inspect,
    _leave,
    _new_life,
    _next_false_alarm,
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
    C_SHIFTS,
    C_SOURCE,
    C_STATIONS,
    C_WARMUP_ZERO,
    CONWIP,
    DONE,
    F_HORIZON,
    F_STEP,
    F_WARMUP,
    G_DEPARTURE,
    INLINE,
    LOG_FULL,
    M_AGE,
    M_CORRECTION,
    M_EWMA,
    M_PRODUCT,
    M_SINCE_CHANGE,
    M_TTF,
    O_COMPLETED,
    O_PLANNED,
    O_PLANNED_STOPS,
    O_SETUP_MINUTES,
    O_SETUPS,
    O_STARTED,
    O_TOOL_CHANGES,
    REFILL,
    S_FAIL,
    S_INSPECT,
    S_PM,
    S_PM_S,
    S_SETUP,
    S_TOOL,
    SAMPLING,
    SATURATED,
    T_PM_INTERVAL,
    T_TOOL_CHANGE,
)
from twin.engine.states import BLOCKED, BUSY, MAINTENANCE, SETUP, STARVED, TOOL_CHANGE

KERNEL_SOURCES = "91b664e8b815d3ca"  # twin.engine.kernel_sources: what the kernels read


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
                end = _breakdown(k, now, mst_i, mst_f, values, pos, ms_f, ms_i, mout_f, mout_i, W, H, wz,
                                 status)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_REPAIR
                return
            if ms_i[k, K_CAUSE] == 2 and ms_f[k, K_REMAINING] > EPSILON:  # paused to the next shift
                _wait_for_shift(k, now, PC_WORK, ms_i, ms_f, mout_f, clk_i, waiters, W, H)
                return
        elif pc == PC_REPAIR:
            ms_f[k, M_TTF] = _new_life(k, mst_i, mst_f, values, pos, ms_f, ms_i, status)
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
            pc = PC_FALSE_ALARM
            if st_i[j, S_PM] == 1 and ms_f[k, M_AGE] >= st_f[j, T_PM_INTERVAL]:
                end = _stop(k, now, mst_i[k, S_PM_S], MAINTENANCE, O_PLANNED_STOPS, O_PLANNED, values,
                            pos, mout_f, mout_i, W, H, wz, status)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_PM_DONE
                return
        elif pc == PC_FALSE_ALARM:  # the monitor's false alarm, when due
            pc = PC_TAKE
            if _false_alarm_due(k, now, mst_i, ms_f):
                end = _false_alarm(k, now, mst_i, mst_f, values, pos, mout_f, mout_i, W, H, wz, status)
                _push(h_t, h_i, g_i, end, k)
                ms_i[k, K_PC] = PC_FALSE_ALARM_DONE
                return
        elif pc == PC_FALSE_ALARM_DONE:
            _next_false_alarm(k, now, mst_i, values, pos, ms_f, status)
            pc = PC_TAKE
        else:  # PC_PM_DONE: the machine is renewed
            ms_f[k, M_AGE] = 0.0
            if st_i[j, S_FAIL] == 1:
                ms_f[k, M_TTF] = _new_life(k, mst_i, mst_f, values, pos, ms_f, ms_i, status)
            pc = PC_FALSE_ALARM


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
