"""The sidebar: where the study comes from (preset or upload), the run settings (replications, horizon,
warm-up, seed) and the progress of whatever is running."""

from __future__ import annotations

import hashlib
import math
from typing import Any

import streamlit as st

import twin
import twin.limits
from ui import escape, state
from ui import widgets as w
from ui.jobs import Job, Store

UPLOAD_MB = max(1, math.ceil(twin.limits.MAX_FILE_BYTES / 2**20))
"""The uploader's limit in whole MiB, as Streamlit counts it (its browser check; the server's is
server.maxUploadSize in .streamlit/config.toml, and ui.state checks the bytes against the exact limit)."""


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


def job_line(job: Job) -> str:
    return f"{job.label}: {job.done}/{job.total} runs · {job.elapsed:.1f} s"


def sync_watch(store: Store, keep: set[str]) -> None:
    """At the start of a full run: note the status of every watched job as the page shows it, and
    forget the jobs that ended (their results are in the store) or failed for an older setting."""
    ss = st.session_state
    for key in list(ss.watch):
        job = store.job(key)
        status = job.status if job is not None else None
        if status in (None, "done", "cancelled") or (status == "failed" and key not in keep):
            ss.watch.pop(key, None)
            ss.seen.pop(key, None)
        else:
            ss.seen[key] = status


def watch(job: Job) -> None:
    st.session_state.watch[job.key] = job.kind
    st.session_state.seen[job.key] = job.status


def progress_panel(store: Store) -> None:
    """Progress bars of the jobs this session waits for; reruns the page when one of them ends.

    A fragment polls while something runs, so the rest of the page stays usable meanwhile."""
    ss = st.session_state
    running = any((job := store.job(key)) is not None and job.status == "running" for key in ss.watch)

    @st.fragment(run_every=0.3 if running else None)
    def panel() -> None:
        changed = False
        for key in list(ss.watch):
            job = store.job(key)
            if job is None:
                ss.watch.pop(key, None)
                continue
            if job.status == "running":
                st.progress(job.fraction, text=job_line(job))
                if st.button("Cancel", key=f"cancel-{key}", type="tertiary"):
                    job.cancel()
            elif job.status == "failed":
                st.error(escape.markdown(f"{job.label} failed: {job.error}"), icon=":material/error:")
            if ss.seen.get(key) != job.status:
                changed = True
        if changed:
            st.rerun(scope="app")

    panel()
