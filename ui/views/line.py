"""The Line tab: the station grid, each station's details, the line's settings, products and cost
rates. It returns the line as edited (the shell validates it) and the box the diagram is drawn into
once the setting is known."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from ui.editing import line_editor, station_forms, widgets

TAB = ":material/precision_manufacturing: Line"


@contextmanager
def folded(title: str, key: str) -> Iterator[None]:
    """An expander whose form is drawn only while it is open; folded, its inputs (of
    ui.editing.widgets) hand back their held values, so edits made in it still count."""
    box = st.expander(title, key=key, on_change="rerun")
    with box, widgets.hidden(not box.open):
        yield


def render(base_data: dict, version: int, slots: dict):
    diagram_box = st.container()
    st.markdown("#### Stations")
    st.caption("One row per station, in flow order. Times carry their unit; empty MTBF/MTTR means no "
               "failures, an empty buffer is unbounded. Add a row at the bottom, delete with the row's "
               "checkbox.")
    edit = line_editor.edit_stations(base_data["line"]["stations"], key=f"stations@{version}")
    slots["stations"] = st.empty()
    for station in edit.stations:  # rework targets follow renamed stations
        inspection = station.get("inspection")
        if inspection and inspection.get("to") in edit.renames:
            station["inspection"] = {**inspection, "to": edit.renames[inspection["to"]]}
    details_box = st.container()
    line_data = dict(base_data["line"])
    slots["line"] = st.empty()  # the line's errors, in view whether its settings are open or folded
    with folded("Line settings: name, source, repair crew, operators", f"line@{version}.open"):
        line_data = station_forms.line_settings(line_data, f"line@{version}")
    with st.expander("Products"):
        st.caption("One row per product (empty: one product).")
        slots["products"] = st.empty()
        line_data["products"] = station_forms.products(line_data, f"products@{version}")
    slots["costs"] = st.empty()
    with folded("Cost rates", f"costs@{version}.open"):
        costs = station_forms.costs(line_data, f"costs@{version}")
    if costs is not None:
        original = costs.get("stations") or {}
        costs["stations"] = {edit.renames.get(n, n): v for n, v in original.items() if n not in edit.deleted}
    line_data["costs"] = costs
    names = [s.get("name") for s in edit.stations]
    stations = []
    with details_box:
        st.markdown("#### Station details")
        for position, (station, origin) in enumerate(zip(edit.stations, edit.origin, strict=True)):
            tag = f"s{origin}" if origin is not None else f"n{position}"
            station, rate = station_forms.station_details(station, names, line_data, f"{tag}@{version}",
                                                          f"station:{position}", slots)
            stations.append(station)
            if costs is not None and rate is not None and station.get("name"):
                current = costs["stations"].get(station["name"], {})
                if rate != current.get("machine_rate_per_hour", 0.0):
                    costs["stations"][station["name"]] = {**current, "machine_rate_per_hour": rate}
    line_data["stations"] = stations
    return line_data, edit, diagram_box
