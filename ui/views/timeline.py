"""The Timeline page: a Gantt of machine states per station, buffer levels over time and one part's
path, for one replication of the current line or for an uploaded shop-floor log.

The run is one replication with its part and state logs, in the background like every run (its
cost checked by twin/workload.py before it starts). An upload goes through twin.eventlog's reader,
with its size, row and column limits; a file it refuses is one error line. What is drawn is bounded
by twin/timeline.py (a few hundred intervals per machine), and the figures of a window are kept,
so the page's other tabs do not wait for them to be drawn again."""

from __future__ import annotations

from collections import OrderedDict

import streamlit as st

import twin
from twin import timeline
from twin.eventlog import parse_mapping, read_events, read_states
from ui.computing.jobs import Job, Store
from ui.presenting import escape
from ui.presenting.units import TIME_UNITS, duration_text
from ui.shell import progress
from ui.views.context import Context
from ui.views.log_uploads import log_uploaders

CURRENT, UPLOAD = "the current line", "an uploaded log"
KEPT_FIGURES = 6
"""Windows whose figures a session keeps (going back to one is instant)."""


def show(ctx: Context) -> None:
    st.markdown("### :material/view_timeline: Timeline")
    st.caption("What each machine did, how full each buffer was, and where one part went: for one "
               "replication of the current line, or for a log of the real line (docs/event-logs.md).")
    source = st.radio("Show", (CURRENT, UPLOAD), horizontal=True, key="timeline.source")
    logs, name = (_current(ctx) if source == CURRENT else _uploaded())
    if logs is not None:
        _draw(logs, name)


# --- where the logs come from -----------------------------------------------------------------

def run_logs(line: twin.Line, job: Job) -> timeline.Logs:
    """One replication of `line` with its part and state logs (what `twin run --events-out
    --states-out` writes), as the timeline's `Logs`."""
    one = line.model_copy(update={"replications": 1})
    results = twin.run(one, workers=1, keep_part_log=True, keep_state_log=True, progress=job.progress)
    job.note = "reading its logs"
    return timeline.logs(results.part_events(), results.machine_states(),
                         order=[s.name for s in line.stations],
                         capacities={s.name: s.buffer for s in line.stations}, end=line.horizon)


def _current(ctx: Context) -> tuple[timeline.Logs | None, str]:
    if ctx.study is None:
        st.info("Fix the configuration error first.", icon=":material/error:")
        return None, ""
    line = ctx.study.line
    key = f"{twin.config_hash(line)}:timeline"
    store: Store = ctx.store
    logs = store.result(key)
    if logs is not None:
        return logs, key
    job = store.job(key)
    if job is not None and job.status == "running":
        st.info("Running one replication with its logs… (progress at the top)",
                icon=":material/hourglass_empty:")
        return None, ""
    if job is not None and job.status == "failed":
        st.error(escape.markdown(job.error), icon=":material/error:")
    if st.button(f"Run one replication with its logs ({duration_text(line.horizon)})",
                 type="primary", key="timeline.run", icon=":material/play_arrow:"):
        job = store.submit(key, "timeline", "Timeline run", lambda job: run_logs(line, job))
        progress.watch(store, job)
        st.rerun()  # so the progress panel, drawn earlier in this run, starts polling
    return None, ""


def _uploaded() -> tuple[timeline.Logs | None, str]:
    events_file, states_file = log_uploaders("timeline")
    unit_box, map_box = st.columns([1, 3])
    unit = unit_box.selectbox("Unit of numeric times", ("min", "s", "ms", "h"), key="timeline.unit")
    columns = map_box.text_input("Column names, if the log's differ", key="timeline.map",
                                 placeholder="time=ts,station=resource,part=case_id")
    if events_file is None:
        st.info("Upload a part-event log (and, for the Gantt, its machine-state log).",
                icon=":material/upload_file:")
        return None, ""
    key = f"upload:{events_file.file_id}:{states_file.file_id if states_file else ''}:{unit}:{columns}"
    kept = st.session_state.get("timeline.upload")
    if kept is not None and kept[0] == key:
        return kept[1], key
    try:
        logs = read_logs(events_file, states_file, unit, columns)
    except twin.ConfigError as exc:
        st.error(escape.markdown(str(exc)), icon=":material/error:")
        return None, ""
    st.session_state["timeline.upload"] = (key, logs)
    return logs, key


def read_logs(events_file, states_file, unit: str, columns: str) -> timeline.Logs:
    """The uploaded logs through twin.eventlog's reader (its limits and its one-line errors)."""
    mapping = parse_mapping(columns)
    notes: list[str] = []
    events = read_events(events_file.getvalue(), mapping=mapping, time_unit=unit, notes=notes,
                         label=events_file.name, parquet=_is_parquet(events_file.name))
    states = None
    if states_file is not None:
        states = read_states(states_file.getvalue(), mapping=mapping, time_unit=unit, notes=notes,
                             origin=events.attrs.get("origin"), label=states_file.name,
                             parquet=_is_parquet(states_file.name))
    return timeline.logs(events, states, notes=tuple(notes))


def _is_parquet(name: str) -> bool:
    return name.lower().endswith((".parquet", ".pq"))


# --- the charts -------------------------------------------------------------------------------

def _draw(logs: timeline.Logs, name: str) -> None:
    from ui.presenting import timeline_charts as charts  # Plotly: once there is something to draw

    for note in logs.notes:
        st.caption(escape.markdown(note))
    origin = logs.events.attrs.get("origin")
    if origin is not None:  # a log on a wall clock: times count from its first timestamp
        st.caption(escape.markdown(f"Time 0 is {origin.isoformat()} (the log's first timestamp)."))
    whole = logs.whole
    unit = charts.time_unit(whole.width)
    scale = TIME_UNITS[unit]
    lo, hi = whole.start / scale, whole.end / scale
    window_box, part_box = st.columns([3, 1])
    chosen = window_box.slider(f"Time window ({unit})", min_value=lo, max_value=hi, value=(lo, hi),
                               step=max((hi - lo) / 1000, 1e-6), key=f"timeline.window@{name}")
    stations = st.multiselect("Stations", logs.order, default=logs.order, format_func=escape.plain,
                              key=f"timeline.stations@{name}")
    names = logs.parts
    part = part_box.text_input("Part id (its path)", value=names[0] if names else "",
                               key=f"timeline.part@{name}").strip()
    try:
        window = timeline.checked_window(timeline.Window(chosen[0] * scale, chosen[1] * scale), whole)
    except twin.ConfigError as exc:
        st.error(escape.markdown(str(exc)), icon=":material/error:")
        return
    gantt, buffers = _figures(logs, name, window, stations)
    if gantt is None:
        st.info("No machine-state log: upload one to see what the machines did.", icon=":material/info:")
    else:
        st.plotly_chart(gantt, width="stretch", key="timeline.gantt")
        st.caption(f"At most {timeline.MAX_INTERVALS} intervals per machine are drawn: where a machine "
                   "changed state more often in the window, the short intervals are pooled into their "
                   "dominant state (paler); narrow the window to see each of them.")
    st.plotly_chart(buffers, width="stretch", key="timeline.buffers")
    if part:
        try:
            path = _kept((name, "path", part), lambda: charts.part_path(
                timeline.part_path(logs.visits, part), part, logs.order))
        except twin.ConfigError as exc:
            st.error(escape.markdown(str(exc)), icon=":material/error:")
            return
        st.plotly_chart(path, width="stretch", key="timeline.path")


def _kept(key: tuple, draw):
    """`draw()`, once per key for this session (the last `KEPT_FIGURES` keys)."""
    kept: OrderedDict = st.session_state.setdefault("timeline.figures", OrderedDict())
    if key not in kept:
        kept[key] = draw()
        while len(kept) > KEPT_FIGURES:
            kept.popitem(last=False)
    kept.move_to_end(key)
    return kept[key]


def _figures(logs: timeline.Logs, name: str, window: timeline.Window, stations: list[str]):
    """The Gantt (None without a state log) and the buffer chart of a window, drawn once."""
    return _kept((name, window, tuple(stations)), lambda: _draw_window(logs, window, stations))


def _draw_window(logs: timeline.Logs, window: timeline.Window, stations: list[str]):
    from ui.presenting import timeline_charts as charts

    order = [s for s in logs.order if s in stations]
    gantt = None
    if logs.states is not None:
        states = logs.states[logs.states["station"].isin(stations)]
        gantt = charts.gantt(timeline.state_intervals(states, logs.whole.end, window), order)
    visits = logs.visits[logs.visits.index.get_level_values("station").isin(stations)]
    levels = timeline.buffer_levels(visits, logs.whole.end, window, start=logs.whole.start)
    return gantt, charts.buffer_chart(levels, order, logs.capacities)
