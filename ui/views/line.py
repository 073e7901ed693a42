"""The Line tab: the station grid, each station's details, the line's settings, products and cost
rates. It returns the line as edited (the shell validates it) and the box the diagram is drawn into
once the setting is known."""

from __future__ import annotations

import streamlit as st

from ui.editing import line_editor, station_forms

TAB = ":material/precision_manufacturing: Line"


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
    with st.expander("Line settings: source, repair crew, operators, products"):
        slots["line"] = st.empty()
        line_data = station_forms.line_settings(line_data, f"line@{version}")
        st.markdown("**Products** (empty: one product)")
        slots["products"] = st.empty()
        line_data["products"] = station_forms.products(line_data, f"products@{version}")
    with st.expander("Cost rates"):
        slots["costs"] = st.empty()
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
