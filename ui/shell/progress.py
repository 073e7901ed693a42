"""The runs this session waits for: the status of the current setting's run as this session sees it
(its words are in ui/computing/progress.py), and the progress panel at the top of the page, in view
without scrolling at any window size, with its Cancel button.

A run the user cancelled stays cancelled, automatic runs or not, until they press Run again."""

from __future__ import annotations

import streamlit as st

from ui.computing.jobs import Job, Store
from ui.computing.progress import Status, job_line
from ui.presenting import escape


def status(store: Store, key: str | None, valid: bool, autorun: bool) -> Status:
    job = store.job(key) if key else None
    return Status(valid=valid, autorun=autorun, job=job, cancelled=key in st.session_state.cancelled)


def init() -> None:
    ss = st.session_state
    ss.setdefault("watch", {})
    ss.setdefault("seen", {})
    ss.setdefault("cancelled", set())


def _seen(store: Store, key: str, job: Job | None) -> tuple[str | None, bool, bool]:
    """What the page has shown of a job: its status, whether its result was there yet (a
    comparison publishes its cards before its charts are done) and whether its first look was."""
    return ((job.status if job is not None else None), store.result(key) is not None,
            job is not None and job.first_look is not None)


def sync_watch(store: Store, keep: set[str]) -> None:
    """At the start of a full run: note the state of every watched job as the page shows it, and
    forget the jobs that ended (their results are in the store) or failed for an older setting."""
    ss = st.session_state
    for key in list(ss.watch):
        job = store.job(key)
        status = job.status if job is not None else None
        if status in (None, "done", "cancelled") or (status == "failed" and key not in keep):
            ss.watch.pop(key, None)
            ss.seen.pop(key, None)
        else:
            ss.seen[key] = _seen(store, key, job)


def watch(store: Store, job: Job) -> None:
    st.session_state.watch[job.key] = job.kind
    st.session_state.seen[job.key] = _seen(store, job.key, job)
    st.session_state.cancelled.discard(job.key)


POLL_SECONDS = 0.3
"""How often the panel looks at a run before it has shown anything (its first look or its cards)."""
REFINE_POLL_SECONDS = 1.0
"""How often once every run it follows has shown its first look or its cards: only the bar moves,
and the full result (or the end) is seen within a second. Each poll costs the server a fragment
run (on the simulation's interpreter lock) and the browser a redraw: at 0.3 s, about 0.4 s of
browser CPU a second, at 1 s about 0.25 (measured on the demo)."""


def poll_seconds(store: Store, keys: list[str]) -> float | None:
    """The panel's polling interval: None when nothing runs, fast until each run has shown something."""
    jobs = [job for key in keys if (job := store.job(key)) is not None and job.status == "running"]
    if not jobs:
        return None
    shown = all(job.first_look is not None or store.result(job.key) is not None for job in jobs)
    return REFINE_POLL_SECONDS if shown else POLL_SECONDS


def panel(store: Store) -> None:
    """Progress bars of the jobs this session waits for; reruns the page when one of them ends or
    publishes its result. A fragment polls while something runs (`poll_seconds`), so the rest of
    the page stays usable meanwhile."""
    ss = st.session_state

    @st.fragment(run_every=poll_seconds(store, list(ss.watch)))
    def bars() -> None:
        changed = False
        for key in list(ss.watch):
            job = store.job(key)
            if job is None:
                ss.watch.pop(key, None)
                continue
            if job.status == "running":
                with st.container(horizontal=True, vertical_alignment="center"):
                    st.progress(job.fraction, text=escape.markdown(job_line(job)))
                    if job.cancel_event.is_set():
                        st.caption("cancelling…", width="content")
                    elif job.done < job.total and st.button("Cancel", key=f"cancel-{key}", width="content",
                                                            icon=":material/cancel:"):
                        job.cancel()
                        ss.cancelled.add(key)
            elif job.status == "failed":
                verb = "refused before running" if job.refused else "failed"
                st.error(escape.markdown(f"{job.label} {verb}: {job.error}"), icon=":material/error:")
            if ss.seen.get(key) != _seen(store, key, job):
                changed = True
        if changed:
            st.rerun(scope="app")

    bars()
