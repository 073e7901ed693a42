"""The fast engine's compiled core: the departure-time (max-plus) recursion, part by part.

For a serial line of single machines with FIFO buffers and blocking after service, every part keeps
its order, so each part's instants at station j follow from the previous part's and from the part
`buffer` places ahead at station j + 1:

    take  T = max(entry E, machine free F)             (saturated first station: T = F)
    start S = T + changeover (when the product changes)
    end   C = S + work, with operating-clock failures and repairs inside
    leave D = max(C, take at j + 1 of the entry `buffer` places earlier)   (buffer 0: max(C, F at j + 1))
    free  F = D + tool change + preventive maintenance (when due)

With shifts, setups and work are spent in working time only: a part (or a changeover) in progress
at a shift's end pauses and resumes at the next start, as `Machine.work` and `Machine.on_shift` do;
taking and handing on go on off shift, and idle time (starved, blocked) off shift is `off`.
Repairs, preventive maintenance and tool changes run through off-shift time.

Failures on the calendar clock (`S_CALENDAR`; M_TTF holds the next one's instant) strike whatever
the machine does, as `Machine.calendar_clock` interrupts it: waiting for a part or for room
downstream, or off shift, it is repaired at once and waits on (a part may be taken downstream
meanwhile, a station of no buffer lets a part in only once its machine is up), processing goes on
after the repair, and a failure due during a changeover (a stretch of it, with shifts), a tool
change or maintenance strikes when that is over. Each repair's end starts the next life.

State minutes are the overlaps of these intervals with the window; counters count the instants
inside it. Ties follow the rule both engines share (docs/model.md): an instant t is in the window
when warm-up < t < horizon; samples of the series see the line after every event at their instant.
All state lives in arrays, so the kernel can stop to have its draw table refilled and resume.

From a start state (`twin.engine.start.Placement`), the state's parts are the recursion's first
parts, in the order they leave the line (downstream first): each enters at its own station, in the
buffer (entered at time 0), or on the machine (taken before the run: its take counts as 0 in the
ring), with the rest of its work to do or finished and handed on from time 0. `start_machines`
first books each machine's stop under way and sets its free time.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit

from twin.engine.fast_layout import (
    A_RENEWS,
    A_STOP,
    A_STOP_LEFT,
    ARRIVALS,
    C_ARRIVAL_S,
    C_CAP,
    C_ID_OFFSET,
    C_LOGGING,
    C_PLACED,
    C_PRODUCT_S,
    C_SHIFTS,
    C_SOURCE,
    C_STATIONS,
    C_WARMUP_ZERO,
    CLOSED_LOOP,
    CONWIP,
    DONE,
    END_OF_LINE,
    EWMA,
    F_HORIZON,
    F_STEP,
    F_WARMUP,
    FINISHED,
    G_DEPARTURE,
    G_END,
    G_PART,
    G_PRODUCT,
    G_REJECTED,
    G_RELEASE,
    G_START,
    G_STATION,
    G_VALUE,
    IN_BUFFER,
    L_ARRIVAL_CLOCK,
    L_LOG_N,
    L_NEXT_ID,
    L_PHASE,
    L_STATUS,
    LOG_FULL,
    M_AGE,
    M_CORRECTION,
    M_DETECTED,
    M_ENTRIES,
    M_EWMA,
    M_FREE,
    M_LIFE,
    M_NEXT_FA,
    M_PRODUCT,
    M_SINCE_CHANGE,
    M_SLOT,
    M_TTF,
    NO_CONTROL,
    NO_INSPECTION,
    O_BUFFER_AREA,
    O_CHAR_SQ,
    O_CHAR_TOTAL,
    O_COMPLETED,
    O_DEFECTS,
    O_FAILURES,
    O_PLANNED,
    O_PLANNED_STOPS,
    O_PRODUCED,
    O_REPAIR,
    O_SETUP_MINUTES,
    O_SETUPS,
    O_SIGNALS,
    O_STARTED,
    O_TOOL_CHANGES,
    OVERRUN,
    P_DEV_END,
    P_DEV_FIRST,
    P_ELAPSED,
    P_END,
    P_HELD,
    P_ID,
    P_PRODUCT,
    P_RELEASE,
    P_START,
    P_STATION,
    P_WORK,
    PHASE_BACKLOG,
    PHASE_DONE,
    R_ARRIVED,
    R_BACKLOG,
    R_BACKLOG_AREA,
    R_BACKLOG_START,
    R_CAUGHT,
    R_DEPARTED,
    R_DEPARTED_TOTAL,
    R_ESCAPED,
    R_FALSE_REJECTS,
    R_GOOD,
    R_INSPECTED_CONFORMING,
    R_INSPECTED_DEFECTIVE,
    R_LEAD,
    R_LEAD_ARRIVAL,
    R_RELEASED,
    R_RELEASED_TOTAL,
    R_SCRAP_LEAD,
    R_SCRAPPED,
    R_SCRAPPED_TOTAL,
    R_WIP_AREA,
    R_WIP_END,
    R_WIP_START,
    REFILL,
    S_BUFFER,
    S_CALENDAR,
    S_CONTROL,
    S_DETECT_S,
    S_FA_REPAIR_S,
    S_FA_S,
    S_FAIL,
    S_GAUGE_S,
    S_INSPECT,
    S_INSPECT_GAUGE_S,
    S_INSPECT_SAMPLE_S,
    S_NOISE_S,
    S_PDM,
    S_PM,
    S_PM_S,
    S_REPAIR_S,
    S_RING,
    S_SETUP,
    S_TOOL,
    S_TOOL_LIFE,
    S_TTF_S,
    SATURATED,
    T_BIAS,
    T_DRIFT,
    T_FACTOR,
    T_FRACTION,
    T_GAIN,
    T_GAUGE_SIGMA,
    T_HIGH,
    T_LAMBDA,
    T_LEAD,
    T_LIMIT,
    T_LOW,
    T_PM_INTERVAL,
    T_RECALL,
    T_SIGMA,
    T_TOOL_CHANGE,
    UNBOUNDED,
)
from twin.engine.states import BLOCKED, BUSY, DOWN, MAINTENANCE, OFF, SETUP, STARVED, TOOL_CHANGE

KERNEL_SOURCES = "91b664e8b815d3ca"  # twin.engine.kernel_sources: what the kernels read

EPSILON = 1e-9
"""The SimPy engine's tolerance on remaining work (machine.EPSILON): the same float steps here."""


def kernel(**options):
    """numba's compiler for the kernel: cached machine code, and no reference counting. The kernel
    allocates nothing and only reads and writes the arrays it is handed, so numba's runtime (NRT)
    has nothing to count; with it, the atomic reference count updates around every array handed to
    a helper took about half the kernel's time."""
    return njit(cache=True, _nrt=False, **options)


@kernel(inline="always")
def _index(i):
    """`i` itself (every index here is >= 0), with its sign bit cleared so that the compiler knows
    it: numba guards each array index against a negative one (index + length), and those guards,
    with the lengths they load, were about half of the kernel's instructions per station."""
    return i & 0x7FFFFFFFFFFFFFFF


@kernel(inline="always")
def _draw(values, pos, row, status):
    row = _index(row)
    p = _index(pos[row])
    if p >= values.shape[1]:  # the part needs more draws than the margin left: it will be run again
        status[0] = OVERRUN
        return np.inf  # ends every loop of the part at once (a zero time to failure would not)
    pos[row] = p + 1
    return values[row, p]


@kernel(inline="always")
def _overlap(a, b, low, high):
    return max(0.0, min(b, high) - max(a, low))


@kernel(inline="always")
def _sample_at_or_after(times, t, W, step):
    """Index of the first series sample at or after t (len(times) if none): from the nominal step,
    corrected against the actual sample instants."""
    n = times.shape[0]
    k = int(min(max(np.ceil((t - W) / step), 0.0), n))
    while k > 0 and times[k - 1] >= t:
        k -= 1
    while k < n and times[k] < t:
        k += 1
    return k


@kernel(inline="always")
def _inside(t, low, high, from_zero):
    return (t > low or from_zero) and t < high


@kernel(inline="always")
def _working_from(t, starts, ends):
    """The first working instant at or after t (t itself on shift), inf after the last shift."""
    k = np.searchsorted(ends, t, side="right")
    if k == ends.shape[0]:
        return np.inf
    return max(t, starts[k])


@kernel(inline="always")
def _shift_end(t, ends):
    """The end of the shift t is in (t on shift)."""
    return ends[np.searchsorted(ends, t, side="right")]


@kernel(inline="always")
def _next_shift(t, starts):
    """The start of the first shift after t (where a part cut at a shift's end resumes)."""
    k = np.searchsorted(starts, t, side="right")
    return np.inf if k == starts.shape[0] else starts[k]


@kernel(inline="always")
def _idle(out_f, j, state, a, b, shifts, starts, ends, W, H):
    """Book the idle interval [a, b) in `state`, its off-shift part as `off` (`ShiftClock`)."""
    total = _overlap(a, b, W, H)
    if not shifts or total <= 0.0:
        out_f[j, state] += total
        return
    low, high = max(a, W), min(b, H)
    on = 0.0
    k = np.searchsorted(ends, low, side="right")
    while k < starts.shape[0] and starts[k] < high:
        on += max(0.0, min(ends[k], high) - max(starts[k], low))
        k += 1
    out_f[j, state] += on
    out_f[j, OFF] += total - on


@kernel()
def _setup_on_shift(j, t, row, values, pos, out_f, out_i, W, H, wz, status, starts, ends, calendar, st_i,
                    st_f, ms_f, ms_i):
    """Machine.change_over with shifts (`on_shift`): counted when it begins (on shift), its working
    minutes in `setup`, paused off shift."""
    duration = _draw(values, pos, row, status) if row >= 0 else 0.0
    if _inside(t, W, H, wz):
        out_i[j, O_SETUPS] += 1
        out_f[j, O_SETUP_MINUTES] += duration
    return _on_shift(j, t, duration, SETUP, out_f, W, H, True, starts, ends, calendar, st_i, st_f, values,
                     pos, ms_f, ms_i, out_i, wz, status)


@kernel()
def _on_shift(j, t, duration, state, out_f, W, H, shifts, starts, ends, calendar, st_i, st_f, values, pos,
              ms_f, ms_i, out_i, wz, status):
    """Machine.on_shift: `duration` of working time in `state` from t, paused outside shifts. With
    failures on the calendar clock, one due while the machine is off between two stretches strikes
    at once (`off` can be interrupted); one due in a stretch of the changeover strikes when the
    changeover is over (`_pending_calendar`), and none strikes in the pauses after it."""
    if not shifts:
        out_f[j, state] += _overlap(t, t + duration, W, H)
        return t + duration
    remaining = duration
    pending = False
    while True:
        t = _off_until(j, t, _working_from(t, starts, ends), calendar and not pending, st_i, st_f, values,
                       pos, ms_f, ms_i, out_f, out_i, W, H, wz, status, starts, ends)
        if t == np.inf:
            return t
        chunk = min(remaining, _shift_end(t, ends) - t)
        out_f[j, state] += _overlap(t, t + chunk, W, H)
        if calendar and ms_f[j, M_TTF] < t + chunk:
            pending = True
        t = t + chunk
        remaining -= chunk
        if remaining <= EPSILON:
            return t


@kernel()
def _inspect(j, deviation, measured, has_measured, st_i, st_f, values, pos, line_i, counted, status):
    """Inspector.rejects: sample (sampling), measure unless measured, sort; counts when `counted`."""
    if st_i[j, S_INSPECT_SAMPLE_S] >= 0 and _draw(values, pos, st_i[j, S_INSPECT_SAMPLE_S],
                                                   status) >= st_f[j, T_FRACTION]:
        return False
    if not has_measured:
        measured = deviation + st_f[j, T_GAUGE_SIGMA] * _draw(values, pos, st_i[j, S_INSPECT_GAUGE_S], status)
    low, high = st_f[j, T_LOW], st_f[j, T_HIGH]
    conforming = low <= deviation <= high
    rejected = not (low <= measured <= high)
    if counted:
        if conforming:
            line_i[R_INSPECTED_CONFORMING] += 1
            if rejected:
                line_i[R_FALSE_REJECTS] += 1
        else:
            line_i[R_INSPECTED_DEFECTIVE] += 1
            if rejected:
                line_i[R_CAUGHT] += 1
    return rejected


@kernel()
def _wait_at_source(arrival, release, W, H, wz, line_i, line_f):
    """Book a part's wait at the source, [arrival, release); release is inf for one still waiting at
    the horizon (the warm-up cut and the horizon come after every event at their instant)."""
    if _inside(arrival, W, H, wz):
        line_i[R_ARRIVED] += 1
    line_f[R_BACKLOG_AREA] += _overlap(arrival, release, W, H)
    if not wz and arrival <= W < release:
        line_i[R_BACKLOG_START] += 1
    if arrival < H <= release:
        line_i[R_BACKLOG] += 1


@kernel(inline="always")
def _leave(release, leave, scrapped, product, good, W, H, step, wz, line_i, line_f, lead_p, good_p,
           series_t, wip_diff, good_diff, conwip, cap, part, arrival):
    """Book a part's stay in the line, [release, leave); leave is inf while it is still inside."""
    line_f[R_WIP_AREA] += _overlap(release, leave, W, H)
    if not wz and release <= W < leave:
        line_i[R_WIP_START] += 1
    if release < H <= leave:
        line_i[R_WIP_END] += 1
    wip_diff[_sample_at_or_after(series_t, release, W, step)] += 1
    if leave < H:
        wip_diff[_sample_at_or_after(series_t, leave, W, step)] -= 1
    if cap > 0:
        conwip[part % cap] = leave
    if leave >= H:
        return
    inside = leave > W or wz
    if scrapped:
        line_i[R_SCRAPPED_TOTAL] += 1
        if inside:
            line_i[R_SCRAPPED] += 1
            line_f[R_SCRAP_LEAD] += leave - release
        return
    line_i[R_DEPARTED_TOTAL] += 1
    if good and leave > W:
        good_diff[_sample_at_or_after(series_t, leave, W, step)] += 1
    if inside:
        line_i[R_DEPARTED] += 1
        line_f[R_LEAD] += leave - release
        line_f[R_LEAD_ARRIVAL] += leave - arrival
        if good:
            line_i[R_GOOD] += 1
            good_p[product] += 1
            lead_p[product] += leave - release
        else:
            line_i[R_ESCAPED] += 1


PLAIN = False
"""Read by `run_parts` as a compile-time constant: False in `run_parts` itself, True in its copy
`run_plain`, where every branch of a feature a plain line lacks (each flag reads `not PLAIN`)
folds away."""


def run_parts(cfg_i, cfg_f, st_i, st_f, proc_s, setup_s, values, pos, margin, ring, ms_f, ms_i, ls_f,
              ls_i, conwip, out_f, out_i, line_f, line_i, lead_p, good_p, series_t, wip_diff, good_diff,
              log_f, log_i, deviation, done_p, shift_s, shift_e, placed_i, placed_f, placed_dev_j, placed_dev,
              status):
    """Advance the line part by part until the horizon, a refill or a full log (see L_STATUS); the
    first `C_PLACED` parts are the start state's (`placed_*`, in the order they leave the line)."""
    m = cfg_i[C_STATIONS]
    W, H, step = cfg_f[F_WARMUP], cfg_f[F_HORIZON], cfg_f[F_STEP]
    wz = cfg_i[C_WARMUP_ZERO] == 1
    source = cfg_i[C_SOURCE]
    cap = cfg_i[C_CAP]
    product_s = cfg_i[C_PRODUCT_S]
    placed = 0 if PLAIN else cfg_i[C_PLACED]
    id_offset = cfg_i[C_ID_OFFSET]
    logging = cfg_i[C_LOGGING] == 1
    shifts = not PLAIN and cfg_i[C_SHIFTS] == 1
    n_rows = pos.shape[0]
    width = values.shape[1]
    while True:
        for row in range(n_rows):
            if width - pos[row] < margin:
                ls_i[L_STATUS] = REFILL
                return
        if ls_i[L_PHASE] == PHASE_BACKLOG:
            # parts that arrived before the horizon but still wait at the source
            clock = ls_f[L_ARRIVAL_CLOCK]
            while clock < H and pos[cfg_i[C_ARRIVAL_S]] < width:
                _wait_at_source(clock, np.inf, W, H, wz, line_i, line_f)
                clock = clock + _draw(values, pos, cfg_i[C_ARRIVAL_S], status)
            ls_f[L_ARRIVAL_CLOCK] = clock
            if clock < H:
                ls_i[L_STATUS] = REFILL
                return
            ls_i[L_PHASE] = PHASE_DONE
        if ls_i[L_PHASE] == PHASE_DONE:
            for j in range(m):  # every machine is starved (off outside shifts) from its last free instant on
                if not PLAIN and st_i[j, S_CALENDAR] == 1:
                    _idle_calendar(j, STARVED, ms_f[j, M_FREE], H, st_i, st_f, values, pos, ms_f, ms_i,
                                   out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
                else:
                    _idle(out_f, j, STARVED, ms_f[j, M_FREE], H, shifts, shift_s, shift_e, W, H)
            # (calendar failures until the horizon may need more draws than the table held)
            ls_i[L_STATUS] = OVERRUN if status[0] == OVERRUN else DONE
            return
        if logging and ls_i[L_LOG_N] + m > log_f.shape[0]:
            ls_i[L_STATUS] = LOG_FULL
            return

        part = ls_i[L_NEXT_ID]  # sequence number from 0: the start state's parts first
        if not PLAIN and part < placed:
            # a part of the start state: it starts at its own station, in the buffer or on the
            # machine (twin.engine.start.Placement.in_line_order); it was released before the run
            first = placed_i[part, P_STATION]
            held = placed_i[part, P_HELD]
            product = placed_i[part, P_PRODUCT]
            pid = placed_i[part, P_ID]
            release = placed_f[part, P_RELEASE]
            arrival = release
            ls_i[L_NEXT_ID] = part + 1
            for j in range(m):
                deviation[j] = np.nan  # not known, unless the state gives it
            for row in range(placed_i[part, P_DEV_FIRST], placed_i[part, P_DEV_END]):
                deviation[placed_dev_j[row]] = placed_dev[row]
            # a saturated first station takes the state's parts in its buffer before fresh ones
            entry = _entry(0, 0.0, True, st_i, ring, ms_f, ms_i) if first == 0 and source == SATURATED \
                else 0.0
        else:
            first = 0
            held = np.int64(IN_BUFFER)  # one integer type on both branches (numba.pycc needs it)
            pid = part + 1 + id_offset
            product = _index(int(_draw(values, pos, product_s, status))) if product_s >= 0 else 0
            # --- the source: when the part is offered to station 1 -----------------------------
            if source == ARRIVALS:
                offered = ls_f[L_ARRIVAL_CLOCK] + _draw(values, pos, cfg_i[C_ARRIVAL_S], status)
                if offered >= H:
                    ls_i[L_PHASE] = PHASE_DONE
                    continue
            elif source == CONWIP:
                offered = 0.0 if part < cap else conwip[part % cap]
            else:
                offered = 0.0
            entry = _entry_at(0, offered, source == SATURATED, st_i, st_f, values, pos, ring, ms_f, ms_i,
                              out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
            if status[0] == OVERRUN:  # (calendar failures while the first station waited for the part)
                ls_i[L_STATUS] = OVERRUN
                return
            if entry >= H:
                if source == ARRIVALS:
                    ls_f[L_ARRIVAL_CLOCK] = offered
                    ls_i[L_PHASE] = PHASE_BACKLOG
                else:
                    if source == CONWIP:  # this part and the next ones whose slot freed before the horizon
                        for later in range(part, part + cap):
                            waiting = 0.0 if later < cap else conwip[later % cap]
                            _wait_at_source(waiting, np.inf, W, H, wz, line_i, line_f)
                    ls_i[L_PHASE] = PHASE_DONE
                continue
            if source == ARRIVALS:
                ls_f[L_ARRIVAL_CLOCK] = offered
            ls_i[L_NEXT_ID] = part + 1
            release = entry
            arrival = release if source == SATURATED else offered
            if source != SATURATED:
                _wait_at_source(arrival, release, W, H, wz, line_i, line_f)
            if _inside(release, W, H, wz):
                line_i[R_RELEASED] += 1
            line_i[R_RELEASED_TOTAL] += 1
            if not PLAIN:  # (a plain line shapes no characteristic)
                for j in range(m):
                    deviation[j] = np.nan
        leave = np.inf
        scrapped = False
        for station in range(first, m):
            j = _index(station)
            on_machine = held != IN_BUFFER and j == first  # a start state's part, taken before the run
            calendar = not PLAIN and st_i[j, S_CALENDAR] == 1
            if on_machine:
                take = 0.0
                t = ms_f[j, M_FREE]  # after the stop under way at time 0 (start_machines)
            else:
                take = entry if j == 0 and source == SATURATED else max(entry, ms_f[j, M_FREE])
                if calendar and take > ms_f[j, M_FREE]:
                    take = _idle_calendar(j, STARVED, ms_f[j, M_FREE], entry, st_i, st_f, values, pos, ms_f,
                                          ms_i, out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
                else:
                    _idle(out_f, j, STARVED, ms_f[j, M_FREE], take, shifts, shift_s, shift_e, W, H)
                if not (j == 0 and source == SATURATED):
                    out_f[j, O_BUFFER_AREA] += _overlap(entry, take, W, H)
                t = take
            b = st_i[j, S_BUFFER]
            if b > 0:  # ring of the last b + 1 takes; the slot after the write slot is b entries back
                slot = ms_i[j, M_SLOT]
                ring[_index(st_i[j, S_RING] + slot)] = take
                ms_i[j, M_SLOT] = slot + 1 if slot < b else 0
            ms_i[j, M_ENTRIES] += 1
            stop = False
            rejected = False
            if on_machine:  # set up for the part on it (a changeover under way is done by now)
                ms_i[j, M_PRODUCT] = product
            if on_machine and held == FINISHED:  # processed before the run; handed on from time 0
                start, end = placed_f[part, P_START], placed_f[part, P_END]
                offered = 0.0
            else:
                if shifts:
                    t = _off_until(j, t, _working_from(t, shift_s, shift_e), calendar, st_i, st_f, values,
                                   pos, ms_f, ms_i, out_f, out_i, W, H, wz, status, shift_s, shift_e)
                if on_machine:  # the rest of its processing, drawn given the time spent
                    start = placed_f[part, P_START]
                    work = placed_f[part, P_WORK]
                    elapsed = placed_f[part, P_ELAPSED]
                else:
                    if not PLAIN and st_i[j, S_SETUP] == 1:
                        previous = ms_i[j, M_PRODUCT]
                        if previous >= 0 and previous != product:
                            if shifts:
                                t = _setup_on_shift(j, t, setup_s[j, previous, product], values, pos,
                                                    out_f, out_i, W, H, wz, status, shift_s, shift_e,
                                                    calendar, st_i, st_f, ms_f, ms_i)
                            else:
                                t = _stop(j, t, setup_s[j, previous, product], SETUP, O_SETUPS,
                                          O_SETUP_MINUTES, values, pos, out_f, out_i, W, H, wz, status)
                        ms_i[j, M_PRODUCT] = product
                        if calendar:
                            t = _pending_calendar(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W,
                                                  H, wz, status)
                    start = t
                    if _inside(start, W, H, wz):
                        out_i[j, O_STARTED] += 1
                    work = _draw(values, pos, proc_s[j, product], status)
                    elapsed = 0.0
                if calendar and not shifts:
                    t = _busy_calendar(j, t, work, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H,
                                       wz, status)
                elif (not PLAIN and st_i[j, S_FAIL] == 1) or shifts:
                    t = _work(j, t, work, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz,
                              status, shifts, shift_s, shift_e, calendar)
                else:
                    out_f[j, BUSY] += _overlap(t, t + work, W, H)
                    t = t + work
                end = t
                ms_f[j, M_AGE] += elapsed + work  # (elapsed + 0.0 is work itself, to the bit)
                if _inside(end, W, H, wz):
                    out_i[j, O_COMPLETED] += 1
                    done_p[j, product] += 1
                if not PLAIN and st_i[j, S_TOOL] == 1:
                    counted = _inside(end, W, H, wz)
                    dev, stop, measured, has_measured = _produce(j, st_i, st_f, values, pos, ms_f, ms_i,
                                                                 out_f, out_i, counted, status)
                    deviation[j] = dev
                    kind = st_i[j, S_INSPECT]
                    if kind != NO_INSPECTION and kind != END_OF_LINE:
                        rejected = _inspect(j, dev, measured, has_measured, st_i, st_f, values, pos,
                                            line_i, counted, status)
                offered = end
            if rejected:
                departure = end
                scrapped = True
                leave = end
                free = departure
            elif j == m - 1:
                departure = offered
                free = departure
            else:
                departure = _entry_at(_index(j + 1), offered, False, st_i, st_f, values, pos, ring, ms_f,
                                      ms_i, out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
                free = departure
                if calendar:
                    free = _idle_calendar(j, BLOCKED, offered, departure, st_i, st_f, values, pos, ms_f,
                                          ms_i, out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
                else:
                    _idle(out_f, j, BLOCKED, offered, departure, shifts, shift_s, shift_e, W, H)
            if logging and departure < H:
                n = ls_i[L_LOG_N]
                log_f[n, G_START], log_f[n, G_END], log_f[n, G_DEPARTURE] = start, end, departure
                log_f[n, G_VALUE] = np.nan if PLAIN else deviation[j]  # (not kept on a plain line)
                log_f[n, G_RELEASE] = release
                log_i[n, G_PART], log_i[n, G_STATION] = pid, j + 1
                log_i[n, G_PRODUCT] = product
                log_i[n, G_REJECTED] = 1 if rejected else 0
                ls_i[L_LOG_N] = n + 1
            t = free  # the departure, or the end of a repair under way then (calendar failures)
            if stop:
                t = _tool_change(j, t, st_f[j, T_TOOL_CHANGE], ms_f, ms_i, out_f, out_i, W, H, wz)
            if not PLAIN and st_i[j, S_PM] == 1 and ms_f[j, M_AGE] >= st_f[j, T_PM_INTERVAL]:
                t = _stop(j, t, st_i[j, S_PM_S], MAINTENANCE, O_PLANNED_STOPS, O_PLANNED,
                          values, pos, out_f, out_i, W, H, wz, status)
                _renew(j, st_i, st_f, values, pos, ms_f, ms_i, status)
            if not PLAIN and _false_alarm_due(j, t, st_i, ms_f):
                t = _false_alarm(j, t, st_i, st_f, values, pos, out_f, out_i, W, H, wz, status)
                _next_false_alarm(j, t, st_i, values, pos, ms_f, status)
            if calendar:  # (the next cycle's start: a failure due in these stops strikes now)
                t = _pending_calendar(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz,
                                      status)
            ms_f[j, M_FREE] = t
            if scrapped:
                break
            entry = departure
        good = True
        if not scrapped:
            leave = entry
        if not scrapped and not PLAIN:
            for j in range(m):  # end-of-line inspections, in station order
                if st_i[j, S_INSPECT] == END_OF_LINE and deviation[j] == deviation[j] and _inspect(
                        j, deviation[j], 0.0, False, st_i, st_f, values, pos, line_i,
                        _inside(leave, W, H, wz), status):
                    scrapped = True
                    break
            for j in range(m):
                dev = deviation[j]  # NaN: not shaped here (a start state's part that came in after)
                if st_i[j, S_TOOL] == 1 and dev == dev and not (st_f[j, T_LOW] <= dev <= st_f[j, T_HIGH]):
                    good = False
        _leave(release, leave, scrapped, product, good, W, H, step, wz, line_i, line_f, lead_p, good_p,
               series_t, wip_diff, good_diff, conwip, cap, part, arrival)
        if status[0] == OVERRUN:
            ls_i[L_STATUS] = OVERRUN
            return


@kernel(inline="always")
def _entry(j, offered, saturated, st_i, ring, ms_f, ms_i):
    """When a part offered at `offered` gets into station j: at once into an unbounded buffer;
    behind a full buffer of b places, when the entry b places earlier has been taken; with no
    buffer, when the machine is free. A saturated first station takes when its machine is free."""
    if saturated:
        return ms_f[j, M_FREE]
    b = st_i[j, S_BUFFER]
    if b == UNBOUNDED:
        return offered
    if b == 0:
        return max(offered, ms_f[j, M_FREE])
    if ms_i[j, M_ENTRIES] < b:
        return offered
    slot = ms_i[j, M_SLOT] + 1
    return max(offered, ring[_index(st_i[j, S_RING] + (slot if slot <= b else 0))])


@kernel(inline="always")
def _stop(j, t, row, state, count, minutes, values, pos, out_f, out_i, W, H, wz, status):
    """A stop of a drawn duration from t (a repair, a preventive maintenance, a changeover; no
    stream: zero): counted, with its full duration, when it starts inside the window, as the SimPy
    engine counts it when it begins; its minutes in `state`. Returns when it ends."""
    duration = _draw(values, pos, row, status) if row >= 0 else 0.0
    return _stop_for(j, t, duration, state, count, minutes, out_f, out_i, W, H, wz)


@kernel(inline="always")
def _stop_for(j, t, duration, state, count, minutes, out_f, out_i, W, H, wz):
    """`_stop` of a given duration."""
    if _inside(t, W, H, wz):
        out_i[j, count] += 1
        out_f[j, minutes] += duration
    out_f[j, state] += _overlap(t, t + duration, W, H)
    return t + duration


@kernel(inline="always")
def _tool_change(j, t, duration, ms_f, ms_i, out_f, out_i, W, H, wz):
    """Machine.change_tool from t (Tool.changed at its end: wear and chart restart). Returns its end."""
    out_f[j, TOOL_CHANGE] += _overlap(t, t + duration, W, H)
    t = t + duration
    ms_i[j, M_SINCE_CHANGE] = 0
    ms_f[j, M_EWMA] = 0.0
    ms_f[j, M_CORRECTION] = 0.0
    if _inside(t, W, H, wz):
        out_i[j, O_TOOL_CHANGES] += 1
    return t


@kernel(inline="always")
def _renew(j, st_i, st_f, values, pos, ms_f, ms_i, status):
    """After preventive maintenance: the operating age restarts, and with it a new life
    (Machine.renew)."""
    ms_f[j, M_AGE] = 0.0
    if st_i[j, S_FAIL] == 1 and st_i[j, S_CALENDAR] == 0:  # (a calendar clock runs on)
        ms_f[j, M_TTF] = _new_life(j, st_i, st_f, values, pos, ms_f, ms_i, status)


@kernel(inline="always")
def _new_life(j, st_i, st_f, values, pos, ms_f, ms_i, status):
    """Machine.renew on the operating clock: a new time to failure, returned and kept as the life
    the monitor reads, and (predictive maintenance) whether the monitor will see it coming."""
    ttf = _draw(values, pos, st_i[j, S_TTF_S], status)
    ms_f[j, M_LIFE] = ttf
    if st_i[j, S_PDM] == 1:
        ms_i[j, M_DETECTED] = 1 if _draw(values, pos, st_i[j, S_DETECT_S], status) < st_f[j, T_RECALL] else 0
    return ttf


@kernel(inline="always")
def _breakdown(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status):
    """Machine.breakdown from t, the instant the time to failure runs out: a failure the monitor
    sees coming (predictive maintenance: it was detected and the life lasted at least the lead time)
    is a planned intervention of the planned repair factor × the repair it would have needed;
    otherwise the machine is down for the repair. Returns when the stop ends."""
    if st_i[j, S_PDM] == 1 and ms_i[j, M_DETECTED] == 1 and ms_f[j, M_LIFE] >= st_f[j, T_LEAD]:
        duration = _draw(values, pos, st_i[j, S_REPAIR_S], status) * st_f[j, T_FACTOR]
        return _stop_for(j, t, duration, MAINTENANCE, O_PLANNED_STOPS, O_PLANNED, out_f, out_i, W, H, wz)
    return _stop(j, t, st_i[j, S_REPAIR_S], DOWN, O_FAILURES, O_REPAIR, values, pos, out_f, out_i, W, H,
                 wz, status)


@kernel(inline="always")
def _false_alarm_due(j, t, st_i, ms_f):
    """Whether the monitor's false alarm is due when the machine is done with a part at t
    (Machine.run checks after the hand-over, the tool change and preventive maintenance)."""
    return st_i[j, S_PDM] == 1 and t >= ms_f[j, M_NEXT_FA]


@kernel(inline="always")
def _false_alarm(j, t, st_i, st_f, values, pos, out_f, out_i, W, H, wz, status):
    """Machine.false_alarm from t: a planned inspection as long as a planned intervention (the
    planned repair factor × a repair draw of its own stream). Returns when it ends."""
    duration = _draw(values, pos, st_i[j, S_FA_REPAIR_S], status) * st_f[j, T_FACTOR]
    return _stop_for(j, t, duration, MAINTENANCE, O_PLANNED_STOPS, O_PLANNED, out_f, out_i, W, H, wz)


@kernel(inline="always")
def _next_false_alarm(j, t, st_i, values, pos, ms_f, status):
    """ConditionMonitor.schedule_false_alarm at t: the next one a gap later (none without gaps)."""
    row = st_i[j, S_FA_S]
    ms_f[j, M_NEXT_FA] = t + _draw(values, pos, row, status) if row >= 0 else np.inf


@kernel(inline="always")
def _calendar_repair(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status):
    """A failure on the calendar clock strikes at t (Machine.breakdown): down for a repair, or a
    planned intervention if the monitor saw it coming (`_breakdown`); when that ends the clock draws
    the next life, and whether the monitor will see it (Machine.calendar_clock), so the next
    failure is due that long after. Returns the stop's end."""
    t = _breakdown(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status)
    ms_f[j, M_TTF] = t + _new_life(j, st_i, st_f, values, pos, ms_f, ms_i, status)
    return t


@kernel(inline="always")
def _off_until(j, t, resumed, calendar, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status,
               starts, ends):
    """Off shift from t until `resumed` (the next working instant; Machine.wait_for_shift). With
    failures on the calendar clock (`calendar`) they strike meanwhile: each is repaired at once
    (repairs go on off shift), then the machine waits on if still off shift. Returns when it works
    again."""
    while calendar and ms_f[j, M_TTF] < min(resumed, H):
        strike = ms_f[j, M_TTF]
        out_f[j, OFF] += _overlap(t, strike, W, H)
        t = _calendar_repair(j, strike, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status)
        resumed = _working_from(t, starts, ends)
    if t < resumed:
        out_f[j, OFF] += _overlap(t, resumed, W, H)
        t = resumed
    return t


@kernel(inline="always")
def _idle_calendar(j, state, a, b, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status,
                   shifts, starts, ends):
    """The machine waits in `state` (starved or blocked) from a until b (the part comes, or is
    taken downstream), with failures on the calendar clock striking meanwhile (M_TTF: the next
    one's instant): each is repaired at once, and the machine waits on afterwards. Returns when it
    can go on: b, or the end of a repair under way at b (a blocked part may leave during a repair;
    a starved machine takes the part that came during one when it is over)."""
    t = a
    while ms_f[j, M_TTF] < min(b, H):  # (none matters after the horizon)
        strike = ms_f[j, M_TTF]
        _idle(out_f, j, state, t, strike, shifts, starts, ends, W, H)
        t = _calendar_repair(j, strike, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status)
    if t < b:
        _idle(out_f, j, state, t, b, shifts, starts, ends, W, H)
        t = b
    return t


@kernel(inline="always")
def _busy_calendar(j, start, work, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status):
    """Processing from `start` for `work` with failures on the calendar clock striking meanwhile
    (Machine.resume_after_failure): each is repaired, then the rest of the work is done; the same
    float steps as the SimPy engine. Returns when the part is done."""
    resumed, remaining = start, work
    first = True
    while True:
        end = resumed + remaining
        if ms_f[j, M_TTF] >= end:
            out_f[j, BUSY] += _overlap(resumed, end, W, H)
            return end
        strike = ms_f[j, M_TTF]
        out_f[j, BUSY] += _overlap(resumed, strike, W, H)
        remaining = end - strike if first else remaining - (strike - resumed)
        first = False
        resumed = _calendar_repair(j, strike, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz,
                                   status)


@kernel(inline="always")
def _pending_calendar(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status):
    """After a stop a failure cannot interrupt (a changeover, a tool change, preventive
    maintenance): a calendar failure due during it strikes when it ends (Machine.pending_failure).
    Returns when the machine can go on."""
    if ms_f[j, M_TTF] < t:
        t = _calendar_repair(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status)
    return t


@kernel(inline="always")
def _entry_at(j, offered, saturated, st_i, st_f, values, pos, ring, ms_f, ms_i, out_f, out_i, W, H, wz,
              status, shifts, shift_s, shift_e):
    """`_entry`, where a station of no buffer with failures on the calendar clock lets a part in
    only when its machine is up: the failures that strike while it waits for the part are booked
    here (the machine is then free from when it can take the part)."""
    if (not PLAIN and not saturated and st_i[j, S_CALENDAR] == 1 and st_i[j, S_BUFFER] == 0
            and offered > ms_f[j, M_FREE]):
        ms_f[j, M_FREE] = _idle_calendar(j, STARVED, ms_f[j, M_FREE], offered, st_i, st_f, values, pos, ms_f,
                                         ms_i, out_f, out_i, W, H, wz, status, shifts, shift_s, shift_e)
    return _entry(j, offered, saturated, st_i, ring, ms_f, ms_i)


@kernel()
def start_machines(cfg_i, cfg_f, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, start_i, start_f,
                   shift_s, shift_e, status):
    """Time 0 of a run from a state: each machine finishes the stop it has under way
    (Machine.start_from_state: not counted as a stop of the run, its minutes are), and is free
    from then on for its part or the next one (`M_FREE`)."""
    W, H = cfg_f[F_WARMUP], cfg_f[F_HORIZON]
    wz = cfg_i[C_WARMUP_ZERO] == 1
    shifts = cfg_i[C_SHIFTS] == 1
    for j in range(cfg_i[C_STATIONS]):
        kind = start_i[j, A_STOP]
        left = start_f[j, A_STOP_LEFT]
        t = 0.0
        if kind in (DOWN, MAINTENANCE):
            out_f[j, kind] += _overlap(0.0, left, W, H)  # repairs run through off-shift time
            t = left
            if start_i[j, A_RENEWS] == 1:
                _renew(j, st_i, st_f, values, pos, ms_f, ms_i, status)
        elif kind == SETUP:
            t = _on_shift(j, 0.0, left, SETUP, out_f, W, H, shifts, shift_s, shift_e, False, st_i, st_f,
                          values, pos, ms_f, ms_i, out_i, wz, status)
        elif kind == TOOL_CHANGE:
            t = _tool_change(j, 0.0, left, ms_f, ms_i, out_f, out_i, W, H, wz)
        ms_f[j, M_FREE] = t


@kernel()
def _work(j, t, work, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status, shifts, starts,
          ends, calendar):
    """Machine.work: busy chunks until the work is done, cut where the time to failure (operating
    clock) runs out, repaired (down) with a new time to failure, and cut at a shift's end, resumed
    at the next start; the same float steps as the SimPy engine."""
    remaining = work
    ttf = np.inf if calendar else ms_f[j, M_TTF]  # (M_TTF: the next calendar failure's instant)
    while remaining > EPSILON:
        if shifts:  # a repair ended off shift
            t = _off_until(j, t, _working_from(t, starts, ends), calendar, st_i, st_f, values, pos, ms_f,
                           ms_i, out_f, out_i, W, H, wz, status, starts, ends)
            if t == np.inf:
                break
        chunk = remaining
        cause = 0
        if ttf < chunk:
            chunk = ttf
            cause = 1
        if shifts:
            left = _shift_end(t, ends) - t
            if left < chunk:
                chunk = max(0.0, left)
                cause = 2
        if calendar and ms_f[j, M_TTF] < t + chunk:  # a calendar failure cuts the chunk: repair, go on
            strike = ms_f[j, M_TTF]
            out_f[j, BUSY] += _overlap(t, strike, W, H)
            remaining -= strike - t
            t = _calendar_repair(j, strike, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz,
                                 status)
            continue
        out_f[j, BUSY] += _overlap(t, t + chunk, W, H)
        t = t + chunk
        remaining -= chunk
        ttf -= chunk
        if cause == 1 or ttf <= EPSILON:
            t = _breakdown(j, t, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, W, H, wz, status)
            ttf = _new_life(j, st_i, st_f, values, pos, ms_f, ms_i, status)
        elif cause == 2 and remaining > EPSILON:
            t = _off_until(j, t, _next_shift(t, starts), calendar, st_i, st_f, values, pos, ms_f, ms_i, out_f,
                           out_i, W, H, wz, status, starts, ends)
    if not calendar:
        ms_f[j, M_TTF] = ttf
    return t


@kernel()
def _produce(j, st_i, st_f, values, pos, ms_f, ms_i, out_f, out_i, counted, status):
    """Tool.produce: the part's deviation (bias + wear + noise + correction), the controller's
    measurement and whether the machine must stop for a tool change after the part."""
    since = ms_i[j, M_SINCE_CHANGE]
    noise = _draw(values, pos, st_i[j, S_NOISE_S], status)
    # the order of the SimPy engine's sum, so the floats agree exactly
    dev = st_f[j, T_BIAS] + st_f[j, T_DRIFT] * since + st_f[j, T_SIGMA] * noise + ms_f[j, M_CORRECTION]
    ms_i[j, M_SINCE_CHANGE] = since + 1
    if counted:
        out_i[j, O_PRODUCED] += 1
        out_f[j, O_CHAR_TOTAL] += dev
        out_f[j, O_CHAR_SQ] += dev * dev
        if not (st_f[j, T_LOW] <= dev <= st_f[j, T_HIGH]):
            out_i[j, O_DEFECTS] += 1
    stop = False
    measured = 0.0
    has_measured = False
    control = st_i[j, S_CONTROL]
    if control != NO_CONTROL:
        measured = dev + st_f[j, T_GAUGE_SIGMA] * _draw(values, pos, st_i[j, S_GAUGE_S], status)
        has_measured = True
        if control == CLOSED_LOOP:
            ms_f[j, M_CORRECTION] -= st_f[j, T_GAIN] * measured
        else:
            if control == EWMA:
                lam = st_f[j, T_LAMBDA]
                ms_f[j, M_EWMA] = lam * measured + (1 - lam) * ms_f[j, M_EWMA]
                signal = abs(ms_f[j, M_EWMA]) > st_f[j, T_LIMIT]
            else:
                signal = abs(measured) > st_f[j, T_LIMIT]
            if signal and counted:
                out_i[j, O_SIGNALS] += 1
            stop = signal
    life = st_i[j, S_TOOL_LIFE]
    if life > 0 and since + 1 >= life:
        stop = True
    return dev, stop, measured, has_measured


# after every helper: the copy's globals are a snapshot of the module's
def _with_constants(function, name: str, **constants):
    """A copy of `function` named `name` whose globals give `constants` other values: numba
    freezes globals when it compiles, so each copy is compiled (and cached, under its own name)
    with its constants folded in."""
    copy = types.FunctionType(function.__code__, {**function.__globals__, **constants}, name,
                              function.__defaults__, function.__closure__)
    copy.__qualname__, copy.__doc__, copy.__module__ = name, function.__doc__, function.__module__
    return copy


run_plain = kernel()(_with_constants(run_parts, "run_plain", PLAIN=True))
run_parts = kernel()(run_parts)
"""`run_parts` for a line `is_plain` accepts, with the features it lacks compiled out: on the
reference line it runs about half the kernel's instructions per part (1,750 → 860 under valgrind)."""
