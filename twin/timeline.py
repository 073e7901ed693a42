"""What a timeline draws, from a run's or a shop floor's logs: machine states as intervals, buffer
levels as step functions, and one part's path through the line.

Inputs are the canonical frames of `twin.eventlog` (what `read_events`/`read_states` return, or
`Results.part_events()`/`machine_states()` for a run), the part events as visits (`visit_table`,
computed once per log: it is the costly step); times are minutes. Everything here is a pure
function of those frames and a time window, so a chart of a week of a ten-station line is drawn
from a bounded number of intervals and points whatever the log's size.

Bounding a long horizon (`state_intervals`): with a budget of N intervals per machine over a
window of width W, the resolution is r = W / N. An interval at least r long is kept exactly (there
are at most N of them). The shorter ones between two such intervals are pooled per bin of width r
(bins start at the window's start) and each pool becomes one interval in its dominant state (the
state it spends most time in), marked inexact with that state's share of it. Pools and exact
intervals together are at most 3N + 1 per machine; equal neighbours are merged again. Zooming the
window in brings the exact intervals back.

Buffer levels (`buffer_levels`) are bounded the same way: more than N changes of level in the
window become N bins, each with the highest and lowest level it reached (a buffer that filled up
for a moment still shows full).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from twin.errors import ConfigError, show
from twin.eventlog.schema import END, ENTER, EVENTS, EXIT, START

MAX_INTERVALS = 400
"""Intervals per machine a Gantt gets by default (a chart is about 1,000 pixels wide: finer
detail than that is not seen until one zooms in, and zooming in narrows the window)."""

MAX_POINTS = 1_000
"""Changes of level per station a buffer chart gets by default."""

INTERVAL_COLUMNS = ["station", "machine", "state", "start", "end", "exact", "share", "changes"]
"""`exact`: the interval is as logged; otherwise `share` is the dominant state's share of it and
`changes` how many logged intervals it pools."""

LEVEL_COLUMNS = ["station", "time", "level", "low", "counts"]
"""A step function per station: `level` from `time` on (the highest level in a bin once bounded),
`low` the lowest (equal to `level` where exact); `counts` says what is counted (`COUNTS`)."""

COUNTS = {"buffer": "parts waiting (ENTER to START)",
          "station": "parts at the station (ENTER to EXIT: the log has no START there)"}

PATH_COLUMNS = ["station", "visit", "machine", *EVENTS, "outcome"]


@dataclass(frozen=True)
class Window:
    """A closed stretch of time in minutes, `start < end`."""

    start: float
    end: float

    @property
    def width(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Logs:
    """One history of a line, ready to draw: its part events (and their visits, computed once), its
    state log if there is one, the stations in order, the time it covers."""

    events: pd.DataFrame
    states: pd.DataFrame | None
    visits: pd.DataFrame
    order: list[str]
    whole: Window
    capacities: dict[str, int | None]
    """Buffer capacities where known (the line's config; a log does not say)."""
    notes: tuple[str, ...] = ()
    """What the reader found and fixed (one line each)."""

    @cached_property
    def parts(self) -> list[str]:
        """The parts in the order they appear, those that completed their route first (`parts`)."""
        return parts(self.visits, self.order)


def logs(events: pd.DataFrame, states: pd.DataFrame | None = None, order: list[str] | None = None,
         capacities: dict[str, int | None] | None = None, notes: tuple[str, ...] = (),
         end: float | None = None) -> Logs:
    """The `Logs` of a part-event frame and an optional state frame; `order` (a line's stations)
    overrides the route order, stations the logs add come after it. `end` (a run's horizon) is when
    the history ends, if later than its last row (a weekend off shift writes no rows)."""
    table = visit_table(events)
    found = station_order(table, states)
    order = [*order, *(s for s in found if s not in order)] if order is not None else found
    whole = span(events, states)
    if end is not None and end > whole.end:
        whole = Window(whole.start, float(end))
    return Logs(events=events, states=states, visits=table, order=order, whole=whole,
                capacities=dict(capacities or {}), notes=tuple(notes))


def span(events: pd.DataFrame, states: pd.DataFrame | None = None) -> Window:
    """The stretch of time both logs cover: from their first row to their last (at least a minute)."""
    times = [frame["time"].to_numpy(dtype=float) for frame in (events, states)
             if frame is not None and len(frame)]
    if not times:
        return Window(0.0, 1.0)
    first = min(float(t.min()) for t in times)
    last = max(float(t.max()) for t in times)
    return Window(first, max(last, first + 1.0))


def checked_window(window: Window | None, whole: Window) -> Window:
    """`window` within `whole` (the whole log when None); an empty one is a ConfigError."""
    if window is None:
        return whole
    start, end = max(window.start, whole.start), min(window.end, whole.end)
    if not (np.isfinite(start) and np.isfinite(end)) or end <= start:
        raise ConfigError(f"window: {window.start:g} to {window.end:g} min does not overlap the log "
                          f"({whole.start:g} to {whole.end:g} min)", field="window")
    return Window(float(start), float(end))


def station_order(visits: pd.DataFrame, states: pd.DataFrame | None = None) -> list[str]:
    """The stations in the order parts visit them (the calibration's rule: each station's median
    place in the parts' routes), then stations only the state log names, in its order."""
    from twin.calibration.structure import station_order as ordered

    order = ordered(visits)[0] if len(visits) else []
    if states is not None:
        order += [s for s in pd.unique(states["station"].astype(str)) if s not in order]
    return order


# --- machine states ---------------------------------------------------------------------------

def state_intervals(states: pd.DataFrame, end: float, window: Window | None = None,
                    max_per_machine: int = MAX_INTERVALS) -> pd.DataFrame:
    """Each machine's states as intervals `[start, end)` (columns `INTERVAL_COLUMNS`), in time order
    per machine: a state lasts from its row to the machine's next row, the last one until `end`
    (the log's end). Consecutive rows of one state are one interval, instants are dropped; within
    `window` and at most 3 × `max_per_machine` + 1 intervals per machine (the module's rule)."""
    if max_per_machine < 1:
        raise ValueError("max_per_machine must be >= 1")
    table = _raw_intervals(states, end)
    if window is not None:
        table = table[(table["end"] > window.start) & (table["start"] < window.end)].copy()
        table["start"] = table["start"].clip(lower=window.start)
        table["end"] = table["end"].clip(upper=window.end)
    else:
        window = Window(float(table["start"].min()), float(table["end"].max())) if len(table) \
            else Window(0.0, 1.0)
    table["exact"], table["share"], table["changes"] = True, 1.0, 1
    table = _merged(table)
    counts = table.groupby(["station", "machine"])["start"].transform("size")
    over = (counts > max_per_machine).to_numpy()
    if over.any():  # only the machines over the budget are pooled; the others stay exact
        pooled = _pooled(table[over].reset_index(drop=True), window.start,
                         window.width / max_per_machine)
        table = _merged(pd.concat([table[~over], pooled], ignore_index=True).sort_values(
            ["station", "machine", "start"], kind="stable").reset_index(drop=True))
    return table[INTERVAL_COLUMNS].reset_index(drop=True)


def _raw_intervals(states: pd.DataFrame, end: float) -> pd.DataFrame:
    table = pd.DataFrame({"station": states["station"].astype(str).to_numpy(),
                          "machine": states["machine"].astype(str).to_numpy(),
                          "state": states["state"].astype(str).to_numpy(),
                          "start": states["time"].to_numpy(dtype=float)})
    table = table.sort_values(["station", "machine", "start"], kind="stable").reset_index(drop=True)
    following = table.groupby(["station", "machine"], sort=False)["start"].shift(-1)
    table["end"] = following.fillna(max(end, float(table["start"].max()) if len(table) else end))
    return table[table["end"] > table["start"]]


def _merged(table: pd.DataFrame) -> pd.DataFrame:
    """Neighbouring intervals of one machine in one state as one (they touch: each ends where the
    next starts); the merged one is exact when all its parts were, its share weighted by time."""
    if table.empty:
        return table.assign(dominant=pd.Series(dtype=float))
    keys = ["station", "machine"]
    machine = (table[keys] != table[keys].shift()).any(axis=1)
    run = (machine | (table["state"] != table["state"].shift())).cumsum()
    length = table["end"] - table["start"]
    merged = table.assign(dominant=length * table["share"], run=run.to_numpy()).groupby(
        "run", sort=False).agg(station=("station", "first"), machine=("machine", "first"),
                               state=("state", "first"), start=("start", "min"), end=("end", "max"),
                               exact=("exact", "all"), dominant=("dominant", "sum"),
                               changes=("changes", "sum"))
    merged["share"] = (merged["dominant"] / (merged["end"] - merged["start"])).clip(upper=1.0)
    return merged.reset_index(drop=True)


def _pooled(table: pd.DataFrame, origin: float, resolution: float) -> pd.DataFrame:
    """Intervals shorter than `resolution` pooled per bin (and per stretch between two long ones)
    into one interval each, in the state they spend most time in."""
    keys = ["station", "machine"]
    length = (table["end"] - table["start"]).to_numpy()
    long = length >= resolution
    bin_ = np.floor((table["start"].to_numpy() - origin) / resolution).astype(np.int64)
    new = (table[keys] != table[keys].shift()).any(axis=1).to_numpy().copy()  # a machine's first interval
    new[1:] |= long[1:] | long[:-1] | (bin_[1:] != bin_[:-1])  # a long one, the one after, a new bin
    table = table.assign(group=np.cumsum(new), length=length)
    by_state = table.groupby(["group", "state"], sort=False)["length"].sum().reset_index()
    top = by_state.sort_values(["group", "length"], ascending=[True, False], kind="stable")
    dominant = top.drop_duplicates("group").set_index("group")
    pooled = table.groupby("group", sort=True).agg(
        station=("station", "first"), machine=("machine", "first"), start=("start", "min"),
        end=("end", "max"), exact=("exact", "all"), changes=("changes", "sum"))
    pooled["state"] = dominant["state"]
    pooled["exact"] &= pooled["changes"] == 1
    span = pooled["end"] - pooled["start"]
    pooled["share"] = np.where(pooled["changes"] == 1, 1.0, dominant["length"] / span)
    return pooled.reset_index(drop=True)


# --- buffer levels ----------------------------------------------------------------------------

def buffer_levels(visits: pd.DataFrame, end: float, window: Window | None = None,
                  max_points: int = MAX_POINTS, start: float | None = None) -> pd.DataFrame:
    """Per station the parts waiting in its buffer over time, a step function (columns
    `LEVEL_COLUMNS`, one row per change, the last row at the window's end): a part waits from its
    ENTER to its START. At a station whose log has no START (an ENTER/EXIT log) the count is the
    parts at the station, ENTER to EXIT. A visit whose START (or EXIT) is missing waits until `end`;
    one whose ENTER is missing (the log began with the part there) waits from `start` (the log's
    first time). At most `max_points` changes per station in `window` (the module's rule)."""
    if max_points < 1:
        raise ValueError("max_points must be >= 1")
    table = visits.reset_index()
    first = float(np.nanmin(table[list(EVENTS)].to_numpy())) if start is None else start
    window = window or Window(first, max(end, first + 1.0))
    frames = []
    for station, own in table.groupby("station", sort=False):
        counts = "buffer" if own[START].notna().any() else "station"
        if counts == "buffer":  # past the buffer when the log began: not waiting
            own = own[own[ENTER].notna() | own[START].notna()]
            leave = own[START].fillna(own[END]).fillna(own[EXIT])
        else:
            leave = own[EXIT]
        steps = _steps(own[ENTER].fillna(first).to_numpy(), leave.fillna(end).to_numpy(), window)
        steps = _bounded(steps, window, max_points)
        frames.append(steps.assign(station=str(station), counts=counts))
    if not frames:
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    return pd.concat(frames, ignore_index=True)[LEVEL_COLUMNS]


def _steps(arrive: np.ndarray, leave: np.ndarray, window: Window) -> pd.DataFrame:
    """The number of intervals [arrive, leave) open over `window`: one row per change within it,
    the level at its start first and its end last."""
    keep = leave > arrive
    times = np.concatenate([arrive[keep], leave[keep]])
    delta = np.concatenate([np.ones(int(keep.sum())), -np.ones(int(keep.sum()))])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(delta[order])
    last_of_instant = np.append(times[1:] != times[:-1], True) if len(times) else np.zeros(0, bool)
    times, level = times[last_of_instant], level[last_of_instant]
    before = np.searchsorted(times, window.start, side="right")
    at_start = level[before - 1] if before else 0.0
    inside = (times > window.start) & (times < window.end)
    t = np.concatenate([[window.start], times[inside], [window.end]])
    v = np.concatenate([[at_start], level[inside], [level[inside][-1] if inside.any() else at_start]])
    changed = np.append(True, v[1:] != v[:-1])
    changed[-1] = True
    return pd.DataFrame({"time": t[changed], "level": v[changed], "low": v[changed]})


def _bounded(steps: pd.DataFrame, window: Window, max_points: int) -> pd.DataFrame:
    """At most `max_points` + 1 rows: bins of the window with the highest and lowest level each
    reached (a bin without a change keeps the level it started with)."""
    if len(steps) <= max_points + 1:
        return steps
    edges = window.start + window.width * np.arange(max_points) / max_points
    t, v = steps["time"].to_numpy(), steps["level"].to_numpy()
    bins = np.minimum(((t - window.start) / window.width * max_points).astype(np.int64), max_points - 1)
    carried = v[np.searchsorted(t, edges, side="right") - 1]  # the level each bin starts with
    high, low = carried.copy(), carried.copy()
    np.maximum.at(high, bins, v)
    np.minimum.at(low, bins, v)
    return pd.DataFrame({"time": np.append(edges, window.end), "level": np.append(high, high[-1]),
                         "low": np.append(low, low[-1])})


# --- one part's path ---------------------------------------------------------------------------

def part_path(visits: pd.DataFrame, part: str) -> pd.DataFrame:
    """The visits of `part` in time order (columns `PATH_COLUMNS`: its ENTER, START, END and EXIT
    time at each station, NaN where the log has no such event). A part the log does not have is a
    ConfigError naming it."""
    part = str(part).strip()
    own = visits[visits.index.get_level_values("part") == part]
    if own.empty:
        known = ", ".join(map(show, parts(visits)[:3]))
        raise ConfigError(f"part: no part {show(part)} in the log (e.g. {known})", field="part")
    table = own.reset_index()
    table["outcome"] = table["outcome"].fillna("") if "outcome" in table else ""
    table["_first"] = table[list(EVENTS)].min(axis=1)
    table = table.sort_values(["_first", "visit"], kind="stable")
    return table[PATH_COLUMNS].reset_index(drop=True)


def parts(visits: pd.DataFrame, order: list[str] | None = None) -> list[str]:
    """The parts of the log in the order they first appear, the ones that completed their route
    (an EXIT at the last station of `order`, the route order by default) first."""
    table = visits.reset_index()
    first = table[list(EVENTS)].min(axis=1)
    table = table.assign(_first=first.to_numpy()).sort_values("_first", kind="stable")
    names = list(pd.unique(table["part"]))
    last = (order if order is not None else station_order(visits))[-1:]
    done = set(table.loc[table[EXIT].notna() & table["station"].isin(last), "part"])
    return [p for p in names if p in done] + [p for p in names if p not in done]


def visit_table(events: pd.DataFrame) -> pd.DataFrame:
    """The part events as visits (`twin.eventlog.visits`: one row per stay of a part at a station),
    for frames with or without the reader's `row`; part and station names as text."""
    from twin.eventlog.visits import visits

    if "row" not in events:
        events = events.assign(row=np.arange(1, len(events) + 1))
    return visits(events.assign(part=events["part"].astype(str), station=events["station"].astype(str)))


__all__ = ["COUNTS", "INTERVAL_COLUMNS", "LEVEL_COLUMNS", "MAX_INTERVALS", "MAX_POINTS", "PATH_COLUMNS",
           "Logs", "Window", "buffer_levels", "checked_window", "logs", "part_path", "parts", "span",
           "state_intervals", "station_order", "visit_table"]
