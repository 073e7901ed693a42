"""The Timeline's Plotly figures, from the frames of `twin.timeline`: a Gantt of machine states per
station, the buffer levels over time, and one part's path through the line.

The Gantt and the buffer chart are WebGL traces (`go.Scattergl`): each interval is a thick line
segment, one trace per state, so a week of a ten-station line (bounded to a few hundred intervals
per machine by `twin.timeline`) draws in well under a second and its JSON stays a few hundred KB.
Numbers go out as float32 arrays, which Plotly encodes as compact binary. Every user-written name
(stations, machines, parts, products) goes through `escape.plotly`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from twin.engine.states import STATE_COLOURS, STATE_LABELS, STATES
from twin.eventlog.schema import END, ENTER, EXIT, START
from twin.timeline import COUNTS
from ui.presenting import escape
from ui.presenting.charts import _layout
from ui.presenting.units import TIME_UNITS, pick_unit

ROW_PX = 26
"""Height of one machine's row in the Gantt."""
BUFFERS_TITLE = "Buffer levels (capacity dashed red)"
POOLED_OPACITY = 0.55
"""Pooled intervals (many short ones shown in their dominant state) are drawn paler."""


def time_unit(width_minutes: float) -> str:
    """The unit of the time axis for a window this wide (min, h or d)."""
    return pick_unit(width_minutes, ("min", "h", "d"))


def _rows(intervals: pd.DataFrame, order: list[str]) -> tuple[pd.Series, list[str]]:
    """Each interval's row (0 = bottom) and the rows' labels, top first: a station's machines in turn, named
    `station · machine` where a station has more than one."""
    machines = intervals[["station", "machine"]].drop_duplicates()
    place = {name: i for i, name in enumerate(order)}
    machines = machines.assign(_s=machines["station"].map(place).fillna(len(order)),
                               _m=pd.to_numeric(machines["machine"], errors="coerce"))
    machines = machines.sort_values(["_s", "_m", "machine"], kind="stable")
    several = machines.groupby("station")["machine"].transform("size") > 1
    labels = [escape.plotly(s) + (f" · {escape.plotly(m)}" if many else "")
              for s, m, many in zip(machines["station"], machines["machine"], several, strict=True)]
    # the first row on top, counted from the bottom: a reversed axis hides WebGL traces in the app's
    # Plotly (every row but the bottom one stays empty)
    top = len(machines) - 1
    index = {key: top - i for i, key in enumerate(zip(machines["station"], machines["machine"], strict=True))}
    rows = pd.Series([index[key] for key in zip(intervals["station"], intervals["machine"], strict=True)],
                     index=intervals.index, dtype=float)
    return rows, labels


def _segments(start: np.ndarray, end: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y of line segments [start, end] at height `row`, separated by gaps (NaN)."""
    x = np.column_stack([start, end, np.full(len(start), np.nan)]).ravel().astype(np.float32)
    y = np.column_stack([row, row, np.full(len(row), np.nan)]).ravel().astype(np.float32)
    return x, y


def gantt(intervals: pd.DataFrame, order: list[str], title: str = "Machine states") -> go.Figure:
    """One row per machine (stations in `order`), one WebGL trace per state; pooled intervals
    (inexact) paler, their hover naming the dominant state's share and how many they pool."""
    fig = go.Figure()
    if intervals.empty:
        return _layout(fig, f"{title}: no state changes in this window", 200)
    rows, labels = _rows(intervals, order)
    lo, hi = float(intervals["start"].min()), float(intervals["end"].max())
    unit = time_unit(hi - lo)
    scale = TIME_UNITS[unit]
    width = max(6, min(20, ROW_PX - 6))
    for state in STATES:
        own = intervals[intervals["state"] == state]
        if own.empty:
            continue
        for exact in (True, False):
            part = own[own["exact"] == exact]
            if part.empty:
                continue
            x, y = _segments(part["start"].to_numpy() / scale, part["end"].to_numpy() / scale,
                             rows[part.index].to_numpy())
            fig.add_trace(go.Scattergl(
                x=x, y=y, mode="lines", name=STATE_LABELS[state], legendgroup=state,
                showlegend=bool(exact or not own["exact"].any()), opacity=1.0 if exact else POOLED_OPACITY,
                line={"color": STATE_COLOURS[state], "width": width}, hoverinfo="skip"))
            mid = ((part["start"] + part["end"]) / 2 / scale).to_numpy(dtype=np.float32)
            fig.add_trace(go.Scattergl(
                x=mid, y=rows[part.index].to_numpy(dtype=np.float32), mode="markers",
                marker={"size": width, "opacity": 0, "color": STATE_COLOURS[state]},
                legendgroup=state, showlegend=False, name=STATE_LABELS[state],
                customdata=np.column_stack([part["start"] / scale, part["end"] / scale,
                                            part["share"] * 100, part["changes"]]).astype(np.float32),
                hovertemplate=(f"{STATE_LABELS[state]}<br>%{{customdata[0]:.4g}} to "
                               f"%{{customdata[1]:.4g}} {unit}" if exact else
                               f"mostly {STATE_LABELS[state]} (%{{customdata[2]:.0f}}%)<br>"
                               f"%{{customdata[0]:.4g}} to %{{customdata[1]:.4g}} {unit}, "
                               f"%{{customdata[3]:.0f}} changes pooled") + "<extra></extra>"))
    fig.update_yaxes(tickvals=[len(labels) - 1 - i for i in range(len(labels))], ticktext=labels,
                     range=[-0.6, len(labels) - 0.4], showgrid=False, zeroline=False)
    fig.update_xaxes(title_text=f"time ({unit})", range=[lo / scale, hi / scale])
    return _layout(fig, title, 150 + ROW_PX * len(labels), "top")


def buffer_chart(levels: pd.DataFrame, order: list[str],
                 capacities: dict[str, int | None] | None = None) -> go.Figure:
    """One small panel per station: its level as a step function (a band from the lowest to the
    highest level where bins were pooled), the buffer's capacity dashed where it is known."""
    present = [str(s) for s in pd.unique(levels["station"])]
    stations = [s for s in order if s in present] + [s for s in present if s not in order]
    if not stations:
        return _layout(go.Figure(), "Buffer levels: no parts in this window", 200)
    titles = [f"{escape.plotly(s)}: {COUNTS[_counts(levels, s)]}" for s in stations]
    fig = make_subplots(rows=len(stations), cols=1, shared_xaxes=True,
                        vertical_spacing=0.25 / len(stations), subplot_titles=titles)
    lo, hi = float(levels["time"].min()), float(levels["time"].max())
    unit = time_unit(hi - lo)
    scale = TIME_UNITS[unit]
    for row, station in enumerate(stations, start=1):
        own = levels[levels["station"] == station]
        x = (own["time"] / scale).to_numpy(dtype=np.float32)
        if (own["low"] != own["level"]).any():
            fig.add_trace(go.Scattergl(x=x, y=own["low"].to_numpy(dtype=np.float32), mode="lines",
                                       line={"shape": "hv", "width": 0, "color": "#94a3b8"},
                                       hoverinfo="skip", showlegend=False), row=row, col=1)
        fig.add_trace(go.Scattergl(
            x=x, y=own["level"].to_numpy(dtype=np.float32), mode="lines", name=escape.plotly(station),
            line={"shape": "hv", "width": 1.5, "color": "#2563eb"}, showlegend=False,
            fill="tonexty" if (own["low"] != own["level"]).any() else None,
            fillcolor="rgba(37, 99, 235, 0.2)",
            hovertemplate=f"{escape.plotly(station)}<br>%{{y:.0f}} parts from %{{x:.4g}} {unit}"
                          "<extra></extra>",
        ), row=row, col=1)
        capacity = (capacities or {}).get(station)
        if capacity is not None and _counts(levels, station) == "buffer":  # a trace: add_hline is slow
            fig.add_trace(go.Scattergl(x=[lo / scale, hi / scale], y=[capacity, capacity], mode="lines",
                                       line={"dash": "dash", "color": "#dc2626", "width": 1},
                                       hoverinfo="skip", showlegend=False), row=row, col=1)
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(title_text=f"time ({unit})", row=len(stations), col=1)
    return _layout(fig, BUFFERS_TITLE, 120 + 110 * len(stations),
                   "top")


def _counts(levels: pd.DataFrame, station: str) -> str:
    return str(levels.loc[levels["station"] == station, "counts"].iloc[0])


PHASES = ((ENTER, START, "waiting", STATE_COLOURS["starved"]),
          (START, END, "processing", STATE_COLOURS["busy"]),
          (END, EXIT, "done, waiting to leave", STATE_COLOURS["blocked"]))


def part_path(path: pd.DataFrame, part: str, order: list[str]) -> go.Figure:
    """One part's visits: a row per station of the line, a bar per phase of each visit (waiting,
    processing, waiting to leave), in the states' colours."""
    stations = order + [s for s in pd.unique(path["station"]) if s not in order]
    place = {s: i for i, s in enumerate(stations)}
    times = path[[ENTER, START, END, EXIT]].to_numpy(dtype=float)
    span = np.nanmax(times) - np.nanmin(times) if np.isfinite(times).any() else 1.0
    unit = time_unit(max(span, 1.0))
    scale = TIME_UNITS[unit]
    fig = go.Figure()
    rows = path["station"].map(place).to_numpy(dtype=float)
    for first, last, label, colour in PHASES:
        if first not in path or last not in path:
            continue
        ok = path[first].notna() & path[last].notna()
        if first == ENTER and path[START].isna().all():  # an ENTER/EXIT log: the whole stay
            ok, last = path[ENTER].notna() & path[EXIT].notna(), EXIT
        if not ok.any():
            continue
        start, end = path.loc[ok, first].to_numpy() / scale, path.loc[ok, last].to_numpy() / scale
        fig.add_trace(go.Bar(
            y=rows[ok.to_numpy()], x=end - start, base=start, orientation="h", name=label,
            marker_color=colour, customdata=np.column_stack([
                [escape.plotly(s) for s in path.loc[ok, "station"]],
                [escape.plotly(m) for m in path.loc[ok, "machine"]], start, end]),
            hovertemplate=f"%{{customdata[0]}} (machine %{{customdata[1]}})<br>{label}: "
                          f"%{{customdata[2]:.4g}} to %{{customdata[3]:.4g}} {unit}<extra></extra>"))
    for outcome, symbol in (("scrap", "x"), ("rework", "circle-open")):
        hit = path["outcome"] == outcome
        if hit.any():
            fig.add_trace(go.Scatter(x=path.loc[hit, END].fillna(path.loc[hit, EXIT]) / scale,
                                     y=rows[hit.to_numpy()], mode="markers", name=outcome,
                                     marker={"symbol": symbol, "size": 14, "color": "#dc2626"}))
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(tickvals=list(range(len(stations))), ticktext=[escape.plotly(s) for s in stations],
                     autorange="reversed")
    fig.update_xaxes(title_text=f"time ({unit})")
    return _layout(fig, f"Path of part {escape.plotly(part)}", 150 + 30 * len(stations), "top")
