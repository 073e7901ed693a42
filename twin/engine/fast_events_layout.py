"""Column indices and codes of the fast engine's event kernel (beside `fast_layout`'s, whose
machine columns come first): one place for the kernel, its helpers and `fast_events`.
"""

from __future__ import annotations

# --- the kernel's own columns (beside fast_layout's) --------------------------------------------
# per machine, integers (after fast_layout's M_* columns 0-4)
K_STATION, K_PC, K_PART, K_CAUSE, K_STOP, K_LOGROW, K_INDEX, K_OPEN, K_OFF_SAVED, K_AFTER = range(5, 15)
N_K_I = 15
"""K_OPEN: the open-ended state the machine is in (starved, blocked, off) since K_SINCE, or -1
(the other states' minutes are booked when they are scheduled); K_OFF_SAVED: the idle state an
`off` stands for outside shifts; K_AFTER: where a machine waiting for a shift goes on."""
# per machine, floats (after fast_layout's M_* columns 0-6)
K_SINCE, K_REMAINING, K_CHUNK, K_WORK, K_START, K_SETUP_LEFT = range(7, 13)
N_K_F = 13
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

PC_GOT, PC_START, PC_WORK, PC_AFTER, PC_PM_DONE = range(9, 14)
PC_SHIFT_WAIT, PC_PREPARED, PC_SETUP_LOOP, PC_SETUP_GO, PC_WORK_CHUNK = range(14, 19)
PC_FALSE_ALARM, PC_FALSE_ALARM_DONE = range(19, 21)
"""Points a machine passes without waiting (`_machine_step`'s jumps), and waiting for a shift."""
