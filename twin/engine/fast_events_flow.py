"""The event kernel's plumbing: its event heap, the stations' rings, the pool of parts, and the
buffer protocol of `StationSim` (offer, admit, take) and the line's (a part leaving, the log).

The heap orders pending events by (time, scheduling number), as SimPy's queue orders them by
(time, priority, event id): each machine waits on one event at a time. Rings are FIFO, as
`StationSim`'s deques: a part goes to the machine idle longest, a freed place to the machine
blocked longest.
"""

from __future__ import annotations

from twin.engine import fast_layout as L
from twin.engine.fast_events_layout import (
    B_CAP,
    B_HEAD,
    B_LEN,
    B_OFF,
    G_EID,
    G_FREE,
    G_HEAP,
    G_LOG_N,
    G_MACHINE,
    G_NEXT_ID,
    GROW,
    I_CAP,
    I_HEAD,
    I_LEN,
    I_OFF,
    K_INDEX,
    K_PART,
    P_ARRIVAL,
    P_ID,
    P_PRODUCT,
    P_RELEASE,
    P_RELEASED,
    P_USED,
    Q_CAP,
    Q_HEAD,
    Q_LEN,
    Q_LIMIT,
    Q_OFF,
)
from twin.engine.fast_kernel import (
    _draw,
    _inside,
    _inspect,
    _leave,
    _overlap,
    _wait_at_source,
    kernel,
)
from twin.engine.fast_layout import (
    C_PRODUCT_S,
    C_SOURCE,
    C_STATIONS,
    CONWIP,
    END_OF_LINE,
    R_RELEASED,
    R_RELEASED_TOTAL,
    S_INSPECT,
    S_TOOL,
    T_HIGH,
    T_LOW,
    UNBOUNDED,
)

KERNEL_SOURCES = "91b664e8b815d3ca"  # twin.engine.kernel_sources: what the kernels read


@kernel(inline="always")
def _before(t, eid, h_t, h_i, i):
    """Whether the event (t, eid) comes before the heap's entry i (event ids are unique)."""
    return t < h_t[i] or (t == h_t[i] and eid < h_i[i, 0])


@kernel(inline="always")
def _place(h_t, h_i, i, t, eid, entity):
    h_t[i] = t
    h_i[i, 0] = eid
    h_i[i, 1] = entity


@kernel(inline="always")
def _push(h_t, h_i, g_i, t, entity):
    """Schedule `entity` at t, behind every event already scheduled for t (SimPy's event id)."""
    n = g_i[G_HEAP]
    eid = g_i[G_EID]
    g_i[G_EID] = eid + 1
    g_i[G_HEAP] = n + 1
    while n > 0:
        parent = (n - 1) // 2
        if not _before(t, eid, h_t, h_i, parent):
            break
        _place(h_t, h_i, n, h_t[parent], h_i[parent, 0], h_i[parent, 1])
        n = parent
    _place(h_t, h_i, n, t, eid, entity)


@kernel(inline="always")
def _pop(h_t, h_i, g_i):
    """The entity of the earliest event (the heap's root), removed."""
    entity = h_i[0, 1]
    n = g_i[G_HEAP] - 1
    g_i[G_HEAP] = n
    t, eid, last = h_t[n], h_i[n, 0], h_i[n, 1]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and _before(h_t[child + 1], h_i[child + 1, 0], h_t, h_i, child):
            child += 1
        if _before(t, eid, h_t, h_i, child):
            break
        _place(h_t, h_i, i, h_t[child], h_i[child, 0], h_i[child, 1])
        i = child
    _place(h_t, h_i, i, t, eid, last)
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
    log_f[n, L.G_START], log_f[n, L.G_END], log_f[n, L.G_DEPARTURE] = start, end, departure
    log_f[n, L.G_VALUE], log_f[n, L.G_RELEASE] = value, part_f[slot, P_RELEASE]
    log_i[n, L.G_PART], log_i[n, L.G_STATION] = part_i[slot, P_ID], j + 1
    log_i[n, L.G_PRODUCT] = part_i[slot, P_PRODUCT]
    log_i[n, L.G_REJECTED] = 1 if rejected else 0
    log_i[n, G_MACHINE] = ms_i[k, K_INDEX]
    return n
