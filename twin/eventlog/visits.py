"""A part-event log as visits: one row per stay of a part at a station, its four times side by side.

The k-th ENTER of a part at a station pairs with its k-th START, END and EXIT there (a part sent
back for rework visits a station again), so each visit's times read across one row. The reader
checks them (a START without END, times running backwards) and calibration measures them (waits,
processing times, parts in process at once).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twin.eventlog.schema import END, EVENTS

KEYS = ["part", "station", "visit"]


def visits(events: pd.DataFrame) -> pd.DataFrame:
    """Columns ENTER, START, END, EXIT (times, NaN where the log has no such event) and
    `row_ENTER` ... `row_EXIT` (their rows), plus `machine`, `product`, `outcome` and `value` of the
    visit (from its END row when there is one), indexed by (part, station, visit number from 0)."""
    keyed = events.assign(visit=events.groupby(["part", "station", "event"], sort=False).cumcount())
    times = keyed.pivot_table(index=KEYS, columns="event", values="time", aggfunc="first")
    rows = keyed.pivot_table(index=KEYS, columns="event", values="row", aggfunc="first")
    table = pd.DataFrame(index=times.index)
    for event in EVENTS:
        table[event] = times.get(event, np.nan)
        table[f"row_{event}"] = rows.get(event, np.nan)
    extra = [c for c in ("machine", "product", "outcome", "value") if c in keyed]
    if extra:
        ranked = keyed.assign(_end=(keyed["event"] != END).astype(int))
        first = ranked.sort_values("_end", kind="stable").groupby(KEYS)[extra].first()
        table = table.join(first)
    return table
