"""The Theory tab: the twin beside the exact answers of queueing and line theory, for the current
line or a simplification each table names (`twin check --theory` in the app, docs/validation.md)."""

from __future__ import annotations

import streamlit as st

from ui.computing import theory
from ui.presenting import escape
from ui.presenting.theory import case_tables
from ui.presenting.units import MISSING_CELL
from ui.shell import progress
from ui.views.context import Context


def show(ctx: Context) -> None:
    st.markdown("### :material/functions: Twin vs theory")
    st.markdown("Where the line, or a simplification named above each table, has an exact answer "
                "(M/M/c, M/G/1, a Jackson tandem, the Markov chain of a small saturated line, an "
                "unreliable machine), the twin's estimate with its 95% confidence interval stands "
                "beside the exact value. It is how to convince yourself that the engine is right.")
    study = ctx.study
    if study is None:
        st.info("Fix the configuration error first.")
        return
    key = theory.theory_key(study)
    check = ctx.store.result(key)
    if check is None:
        job = ctx.store.job(key)
        if job is not None and job.status == "running":
            st.info("Checking against theory… (progress in the sidebar)")
        elif job is not None and job.status == "failed":
            st.error(escape.markdown(job.error))
        else:
            cases = theory.case_count(study)
            if st.button(f"Check against theory ({cases} exact model{'s' if cases != 1 else ''} × "
                         f"{max(2, study.line.replications)} replications)", key="theory_run",
                         icon=":material/play_arrow:", type="primary"):
                job = ctx.store.submit(key, "theory", "Twin vs theory",
                                       lambda job: theory.run_theory(study, job))
                progress.watch(ctx.store, job)
                st.rerun()
        return
    for subject, model, table in case_tables(check):
        st.markdown(f"**{escape.markdown(subject)}** · exact: {escape.markdown(model)}")
        st.dataframe(table, hide_index=True, placeholder=MISSING_CELL)
    if check.not_applicable:
        st.caption("Not covered by an exact model: " + "; ".join(escape.markdown(r) for r in
                                                                  check.not_applicable))
    for note in check.notes:
        st.caption(escape.markdown(note))
    st.caption(f"{check.replications} replications, seed {check.seed}. About 1 in 20 values may "
               "fall outside its 95% interval by chance.")
