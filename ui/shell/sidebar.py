"""The sidebar: where the study comes from (preset or upload), the run settings (replications, horizon,
warm-up, seed). The progress of a run is shown at the top of the page (ui/shell/progress.py), where it is
in view without scrolling."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import streamlit as st

import twin
import twin.limits
from ui.editing import widgets as w
from ui.presenting import escape
from ui.shell import state

UPLOAD_MB = max(1, math.ceil(twin.limits.MAX_FILE_BYTES / 2**20))
"""The uploader's limit in whole MiB, as Streamlit counts it (its browser check; the server's is
server.maxUploadSize in .streamlit/config.toml, and ui.shell.state checks the bytes against the exact
limit)."""


def source() -> None:
    ss = st.session_state
    st.selectbox("Preset", state.presets(), key="preset", on_change=state.on_preset_change,
                 help="Study files in configs/; the demo compares a machining line with its "
                      "Industry 4.0 upgrade")
    upload = st.file_uploader("…or upload a YAML file", type=["yaml", "yml"], key=f"upload@{ss.version}",
                              max_upload_size=UPLOAD_MB,
                              help="A study (line + levers) or a plain line file, as the CLI reads them; "
                                   "its `line:` may name a preset or be written out, not a path")
    if upload is None:
        ss["upload_digest"] = None  # the same file may be uploaded again later
    else:
        data = upload.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        if ss.get("upload_digest") != digest:
            ss["upload_digest"] = digest
            state.load_upload(upload.name, data)
            if ss.get("source_error") is None:
                st.rerun()
    if ss.get("source_error"):
        st.error(escape.markdown(ss["source_error"]), icon=":material/error:")
    st.caption(f"Loaded: {escape.markdown(ss.base_label)}")
    if st.button("Discard my edits", icon=":material/undo:", type="tertiary", key="discard",
                 help="Back to the study as loaded"):
        state.set_base(ss.base, ss.base_label)
        st.rerun()


def run_settings(line: twin.Line, version: int, slots: dict) -> dict[str, Any]:
    """The line's run fields as edited here (they are part of the config: the YAML reproduces a run)."""
    slots["run"] = st.empty()
    a, b = st.columns(2)
    with a:
        replications = w.number("Replications", line.replications, f"run.replications@{version}",
                                integer=True, help="Independent runs; CIs come from their spread")
        horizon = w.duration("Horizon", line.horizon, f"run.horizon@{version}",
                             help="Simulated time per replication, e.g. 1w, 3d, 8h")
    with b:
        seed = w.number("Seed", line.seed, f"run.seed@{version}", integer=True,
                        help="Same seed, same numbers: both lines share the random streams")
        warmup = w.duration("Warm-up", line.warmup, f"run.warmup@{version}",
                            help="Cut from every statistic, e.g. 8h")
    return {"replications": replications, "horizon": horizon, "seed": seed, "warmup": warmup}


def autorun_default() -> bool:
    return st.query_params.get("autorun", "1") not in ("0", "false", "no")
