"""The Data page: upload a shop floor's part-event log (and machine-state log), see the line the
twin fits to it with the quality of every fit, and open it as the current line."""

from __future__ import annotations

import hashlib

import streamlit as st

import twin
from twin.eventlog.schema import TIME_UNITS
from ui.computing.calibration import Calibrated, Upload, calibrate_uploads
from ui.presenting import escape
from ui.presenting.units import MISSING_CELL
from ui.shell import state
from ui.views.context import Context
from ui.views.log_uploads import log_uploaders


def show(ctx: Context) -> None:
    st.markdown("### :material/dataset: From shop-floor data to a line")
    st.markdown("Upload a **part-event log** (one row per ENTER, START, END or EXIT of a part at a "
                "station) and, if you have it, the **machine-state log**. The twin infers the "
                "stations, machines, buffers, source and every time distribution, with how well "
                "each fits; the schema is in docs/event-logs.md, and `twin calibrate` does the same "
                "on the command line.")
    events, states = log_uploaders("data")
    left, right = st.columns([3, 1])
    mapping = left.text_input("Your log's column names", key="data.map",
                              placeholder="time=ts,station=resource,part=case_id",
                              help="Schema column = your column, comma-separated (as `--map`).")
    unit = right.selectbox("Unit of numeric times", list(TIME_UNITS), index=list(TIME_UNITS).index("min"),
                           key="data.time_unit", help="ISO 8601 timestamps are read as such.")
    if events is None:
        st.info("No log uploaded yet.")
        return
    uploads = (Upload(state.upload_label(events.name), events.getvalue()),
               Upload(state.upload_label(states.name), states.getvalue()) if states is not None else None)
    result = _calibrated(uploads[0], uploads[1], mapping, unit)
    if isinstance(result, str):
        st.error(escape.markdown(result), icon=":material/error:")
        return
    _present(result, uploads[0].label)


def _calibrated(events: Upload, states: Upload | None, mapping: str, unit: str) -> Calibrated | str:
    """The calibration of these uploads (kept in the session: a rerun does not fit again), or the
    one-line message of what is wrong with them."""
    digest = hashlib.sha256()
    for part in (events.data, states.data if states else b"", mapping.encode(), unit.encode()):
        digest.update(hashlib.sha256(part).digest())
    kept = st.session_state.get("data.result")
    if kept is not None and kept[0] == digest.hexdigest():
        return kept[1]
    try:
        with st.spinner("Fitting the line to the log…"):
            result: Calibrated | str = calibrate_uploads(events, states, mapping, unit)
    except twin.ConfigError as exc:
        result = str(exc)
    st.session_state["data.result"] = (digest.hexdigest(), result)
    return result


def _present(result: Calibrated, label: str) -> None:
    calibration = result.calibration
    line = calibration.line
    st.success(f"{len(line.stations)} stations over {calibration.span / 60:.1f} h of log: "
               f"{escape.markdown(' → '.join(s.name for s in line.stations))}",
               icon=":material/check_circle:")
    for warning in calibration.warnings:
        st.warning(escape.markdown(warning), icon=":material/warning:")
    for note in calibration.notes:
        st.caption(escape.markdown(note))
    st.markdown("#### Fitted distributions")
    st.caption("Family chosen by AIC among the line schema's; the mean's 95% CI; the KS p-value of "
               "the fit (a low one is a real misfit).")
    st.dataframe(result.fits, hide_index=True, width="stretch", placeholder=MISSING_CELL, column_config={
        "mean": st.column_config.NumberColumn(format="%.4g"),
        "ci_low": st.column_config.NumberColumn("95% CI low", format="%.4g"),
        "ci_high": st.column_config.NumberColumn("95% CI high", format="%.4g"),
        "cv": st.column_config.NumberColumn(format="%.3g"),
        "ks_p": st.column_config.NumberColumn("KS p", format="%.2f"),
    })
    with st.expander("The line file", icon=":material/description:"):
        st.code(result.yaml, language="yaml")
    left, right = st.columns(2)
    if left.button("Open as the current line", key="data.open", type="primary",
                   icon=":material/open_in_new:"):
        state.set_base(twin.Study(line=line), f"calibrated from {label}")
        st.rerun()
    right.download_button("Download the line file", result.yaml, file_name="calibrated_line.yaml",
                          mime="application/x-yaml", key="data.download", icon=":material/download:")
