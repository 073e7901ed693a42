"""What the log says about the line's shape: its stations in order, their machines and buffers, and
the source.

- Order: each part's route is the stations of its visits in time order; a station's place is its
  median position in the routes. A route that is not a run of consecutive stations of that order
  (once rework loops, a station seen again, are set aside) is ambiguous: a warning names its rows.
- Machines: the most parts a station held at once between START and EXIT (a finished part that
  waits for room downstream still occupies its machine), or the machines the log names, whichever
  is more.
- Buffer: the most parts waiting at once between ENTER and START. It is the capacity only where
  the log shows the buffer full: the upstream station held finished parts (an EXIT after its END)
  while this queue was at that level. Elsewhere the buffer is assumed unbounded (or `--buffer`).
- Source: saturated when the first station never waits for a part (each part ENTERs at the
  instant its machine let the previous part go); otherwise arrivals, with the interarrival times
  between ENTERs at the first station.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twin.eventlog.reader import name_rows
from twin.eventlog.schema import END, ENTER, EXIT, START

EPS = 1e-6
"""Two times closer than this (minutes) are the same instant (a log's clock resolution)."""

SATURATED_SHARE = 0.95
"""Share of first-station starts at the instant its machine got free that makes a source saturated."""


@dataclass
class Shape:
    stations: list[str]
    machines: dict[str, int]
    concurrency: dict[str, int]
    buffers: dict[str, int | None]
    queues: dict[str, int]
    """Most parts seen waiting at once in front of each station."""
    saturated: bool
    interarrivals: np.ndarray
    rework_visits: int
    warnings: list[str]


def station_order(table: pd.DataFrame) -> tuple[list[str], list[str], int]:
    """(stations in order, warnings, visits that repeat a station: rework)."""
    first = table[[ENTER, START, END, EXIT]].min(axis=1)
    ordered = table.assign(_t=first.to_numpy()).reset_index().sort_values(["part", "_t", "visit"],
                                                                            kind="stable")
    repeat = ordered.duplicated(["part", "station"])
    plain = ordered[~repeat].copy()
    plain["_position"] = plain.groupby("part", sort=False).cumcount()
    median = plain.groupby("station")["_position"].median()
    order = sorted(median.index, key=lambda station: (float(median[station]), station))
    plain["_place"] = plain["station"].map({station: i for i, station in enumerate(order)})
    step = plain.groupby("part", sort=False)["_place"].diff()
    odd_parts = plain.loc[step.notna() & (step != 1), "part"].unique()
    warnings = []
    if len(odd_parts):
        odd = plain[plain["part"].isin(odd_parts)]
        rows = odd["row_" + START].fillna(odd["row_" + ENTER]).dropna()
        warnings.append(f"{len(odd_parts):,} part(s) take a route that is not a run of the stations "
                        f"in order {' > '.join(order)} (e.g. part {odd_parts[0]}, {name_rows(rows)}); "
                        f"the line is taken as serial in that order")
    return [str(station) for station in order], warnings, int(repeat.sum())


def most_at_once(starts: np.ndarray, ends: np.ndarray) -> int:
    """The most intervals [start, end) open at one instant (an end at t frees room before a start
    at t takes it)."""
    if len(starts) == 0:
        return 0
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(len(starts)), -np.ones(len(ends))])
    order = np.lexsort((steps, times))
    return int(np.max(np.cumsum(steps[order])))


def shape(table: pd.DataFrame, buffer: int | None) -> Shape:
    stations, warnings, rework = station_order(table)
    by_station = {s: table.xs(s, level="station") for s in stations}
    machines: dict[str, int] = {}
    concurrency: dict[str, int] = {}
    queues: dict[str, int] = {}
    buffers: dict[str, int | None] = {}
    for station, own in by_station.items():
        start = own[START].fillna(own[ENTER])
        leave = own[EXIT].fillna(own[END])
        held = start.notna() & leave.notna()
        concurrency[station] = max(1, most_at_once(start[held].to_numpy(), leave[held].to_numpy()))
        named = own["machine"].nunique() if "machine" in own else 1
        machines[station] = max(concurrency[station], int(named))
        waiting = own[ENTER].notna() & own[START].notna()
        queues[station] = most_at_once(own.loc[waiting, ENTER].to_numpy(),
                                       own.loc[waiting, START].to_numpy())
    saturated, interarrivals = _source(by_station[stations[0]])
    for index, station in enumerate(stations):
        if index == 0 and saturated:
            buffers[station] = None
            continue
        upstream = by_station[stations[index - 1]] if index > 0 else None
        if upstream is not None:
            blocked = bool(((upstream[EXIT] - upstream[END]) > EPS).any())
        else:
            blocked = _held_at_source(by_station[station], queues[station])
            if blocked:
                warnings.append(f"{station}: parts entered it the instant another started, with "
                                f"{queues[station]} waiting: its buffer was full and parts waited "
                                f"at the source; the interarrival times are those of releases into "
                                f"the line, not of arrivals")
        if blocked:
            buffers[station] = queues[station]
        else:
            buffers[station] = buffer
            if buffer is None and index > 0 and by_station[station][ENTER].notna().any():
                warnings.append(f"{station}: buffer never seen full (at most {queues[station]} "
                                f"waiting, no part held upstream); assumed unbounded (or give "
                                f"--buffer N)")
    return Shape(stations, machines, concurrency, buffers, queues, saturated, interarrivals, rework,
                 warnings)


def _held_at_source(first: pd.DataFrame, most: int) -> bool:
    """Whether the first station's buffer was seen full: more than one ENTER in twenty at the
    instant a part started (the freed place taken at once by a part waiting at the source)."""
    enter = first[ENTER].dropna().to_numpy()
    start = np.sort(first[START].dropna().to_numpy())
    if len(enter) == 0 or len(start) == 0 or most == 0:
        return False
    at = np.searchsorted(start, enter - EPS)
    near = (at < len(start)) & (np.abs(start[np.minimum(at, len(start) - 1)] - enter) <= EPS)
    same_part = np.abs(first[START].reindex(first[ENTER].dropna().index).to_numpy() - enter) <= EPS
    return bool(np.mean(near & ~same_part) > 0.05)


def _source(first: pd.DataFrame) -> tuple[bool, np.ndarray]:
    """Whether the first station is saturated, and the interarrival times between its ENTERs."""
    enter = first[ENTER].fillna(first[START]).dropna().sort_values().to_numpy()
    gaps = np.diff(enter)
    if "machine" not in first or first[START].isna().all():
        return False, gaps
    pulls, taken = 0, 0
    for _, own in first.groupby("machine"):
        own = own.sort_values(START)
        free = own[EXIT].fillna(own[END]).to_numpy()[:-1]
        entered = own[ENTER].fillna(own[START]).to_numpy()[1:]
        pulls += len(entered)
        taken += int(np.sum(np.abs(entered - free) <= EPS))
    return pulls > 0 and taken >= SATURATED_SHARE * pulls, gaps
