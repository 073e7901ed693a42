"""The part-event and machine-state log uploaders of the Data and Timeline pages: the same file
types, the same upload limit and the same words on both (the Timeline's had no limit shown and
took `.pq` files the Data page refused)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from twin.limits import MAX_LOG_BYTES
from ui.shell.sidebar import UPLOAD_MB

LOG_TYPES = ["csv", "parquet", "pq"]
"""What twin's log reader takes (a Parquet file is also known by its magic bytes)."""


def log_uploaders(page: str) -> tuple[Any, Any]:
    """The two uploaders side by side, keyed `{page}.events` and `{page}.states`; each upload or
    None."""
    limit = (f"Up to {UPLOAD_MB} MiB here (the app's upload limit); `twin calibrate` reads logs "
             f"up to {MAX_LOG_BYTES >> 20} MiB.")
    left, right = st.columns(2)
    events = left.file_uploader("Part-event log (CSV or Parquet)", type=LOG_TYPES, key=f"{page}.events",
                                max_upload_size=UPLOAD_MB, help=limit)
    states = right.file_uploader("Machine-state log (optional)", type=LOG_TYPES, key=f"{page}.states",
                                 max_upload_size=UPLOAD_MB, help=limit)
    return events, states
