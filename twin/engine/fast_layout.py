"""Column indices of the arrays the fast engine's kernel reads and writes (one place for both sides).

The kernel is compiled, so its inputs, state and outputs are plain numpy arrays; these names say
what each column holds. `fast_kernel` reads them, `fast` fills and unpacks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# cfg_i: the line
(C_STATIONS, C_SOURCE, C_CAP, C_PRODUCT_S, C_ARRIVAL_S, C_LOGGING, C_WARMUP_ZERO, C_SHIFTS,
 C_PLACED, C_ID_OFFSET) = range(10)
N_CFG_I = 10
"""C_PLACED: parts of the start state (the first parts of the recursion); C_ID_OFFSET: added to a
released part's 1-based sequence number to give its id (ids continue from the state's next_part_id)."""
SATURATED, ARRIVALS, CONWIP = 0, 1, 2
# cfg_f
F_WARMUP, F_HORIZON, F_STEP = range(3)
N_CFG_F = 3

# st_i: per station, integers (stream ids are rows of the draw table, -1 for none)
(S_BUFFER, S_RING, S_FAIL, S_TTF_S, S_REPAIR_S, S_PM, S_PM_S, S_SETUP, S_TOOL, S_NOISE_S, S_GAUGE_S,
 S_CONTROL, S_TOOL_LIFE, S_INSPECT, S_INSPECT_GAUGE_S, S_INSPECT_SAMPLE_S, S_PDM, S_DETECT_S, S_FA_S,
 S_FA_REPAIR_S, S_CALENDAR) = range(21)
N_ST_I = 21
"""S_PDM: predictive maintenance (a condition monitor on a machine with failures); its streams:
S_DETECT_S the monitor's uniforms (does it see the next failure coming), S_FA_S the gaps between
false alarms (-1: none), S_FA_REPAIR_S the repair draws a false alarm's inspection is sized by.
S_CALENDAR: the failures run on the calendar clock (the machine's M_TTF is then the instant of its
next failure, not busy time left)."""
UNBOUNDED = -1
NO_CONTROL, SHEWHART, EWMA, CLOSED_LOOP = range(4)
NO_INSPECTION, INLINE, SAMPLING, END_OF_LINE = range(4)
# st_f: per station, floats
(T_PM_INTERVAL, T_BIAS, T_DRIFT, T_SIGMA, T_GAUGE_SIGMA, T_LIMIT, T_LAMBDA, T_GAIN, T_TOOL_CHANGE,
 T_LOW, T_HIGH, T_FRACTION, T_RECALL, T_LEAD, T_FACTOR) = range(15)
N_ST_F = 15
"""T_RECALL, T_LEAD, T_FACTOR: the monitor's recall, lead time and planned repair factor."""

# machine state (one machine per station)
M_FREE, M_AGE, M_TTF, M_CORRECTION, M_EWMA, M_LIFE, M_NEXT_FA = range(7)
N_MS_F = 7
"""M_LIFE: the time to failure drawn at the last renewal (the monitor needs `lead_time` of it);
M_NEXT_FA: when the monitor's next false alarm is due (inf: none)."""
M_ENTRIES, M_PRODUCT, M_SINCE_CHANGE, M_SLOT, M_DETECTED = range(5)
N_MS_I = 5
"""M_DETECTED: 1 when the monitor will see the current life's failure coming."""

# the start state's parts (placed_i, placed_f: one row each, in the order they leave the line)
P_STATION, P_HELD, P_ID, P_PRODUCT, P_DEV_FIRST, P_DEV_END = range(6)
N_PLACED_I = 6
"""P_DEV_FIRST, P_DEV_END: the part's known deviations, rows [first, end) of placed_dev_j (station
from 0) and placed_dev (value): as many rows as the state gives values, whatever the line's size."""
IN_BUFFER, IN_PROCESS, FINISHED = range(3)
"""P_HELD: in the station's buffer, on its machine with work to go, or finished on it (blocked)."""
P_RELEASE, P_START, P_END, P_WORK, P_ELAPSED = range(5)
N_PLACED_F = 5
# the start state's machines (start_i, start_f: one row per station): the stop under way at time 0
A_STOP, A_RENEWS = range(2)
N_START_I = 2
NO_STOP = -1
A_STOP_LEFT = 0
N_START_F = 1

# line state
L_ARRIVAL_CLOCK = 0
N_LS_F = 1
L_NEXT_ID, L_PHASE, L_LOG_N, L_STATUS = range(4)
N_LS_I = 4
PHASE_PARTS, PHASE_BACKLOG, PHASE_DONE = range(3)
DONE, REFILL, LOG_FULL, OVERRUN = range(4)

# out_f: per station floats; the first columns are the state minutes in STATES order
O_BUFFER_AREA, O_REPAIR, O_PLANNED, O_SETUP_MINUTES, O_CHAR_TOTAL, O_CHAR_SQ = range(9, 15)
N_OUT_F = 15
(O_STARTED, O_COMPLETED, O_FAILURES, O_PLANNED_STOPS, O_SETUPS, O_PRODUCED, O_DEFECTS,
 O_TOOL_CHANGES, O_SIGNALS) = range(9)
N_OUT_I = 9

# line_f, line_i
R_LEAD, R_SCRAP_LEAD, R_WIP_AREA, R_LEAD_ARRIVAL, R_BACKLOG_AREA = range(5)
N_LINE_F = 5
(R_RELEASED, R_DEPARTED, R_GOOD, R_ESCAPED, R_SCRAPPED, R_RELEASED_TOTAL, R_DEPARTED_TOTAL,
 R_SCRAPPED_TOTAL, R_WIP_START, R_WIP_END, R_BACKLOG, R_INSPECTED_CONFORMING, R_FALSE_REJECTS,
 R_INSPECTED_DEFECTIVE, R_CAUGHT, R_ARRIVED, R_BACKLOG_START) = range(17)
N_LINE_I = 17

# the part log
G_START, G_END, G_DEPARTURE, G_VALUE, G_RELEASE = range(5)
G_PART, G_STATION, G_REJECTED, G_PRODUCT = range(4)
N_LOG_F, N_LOG_I = 5, 4


def is_plain(cfg_i: np.ndarray, st_i: np.ndarray) -> bool:
    """A line `run_plain` runs: no shifts, no start state, and no station with failures, setups, a
    tool (quality, inspection, scrap) or preventive maintenance. Sources, buffers, products, every
    processing-time distribution and the per-part log stay."""
    if cfg_i[C_SHIFTS] == 1 or cfg_i[C_PLACED] > 0:
        return False
    return not bool((st_i[:, [S_FAIL, S_SETUP, S_TOOL, S_PM]] == 1).any()
                    or (st_i[:, S_INSPECT] != NO_INSPECTION).any())
