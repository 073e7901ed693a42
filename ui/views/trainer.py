"""The Trainer page: the guided tour, one step (one more lever on) at a time, with Previous/Next, the
step's narrative (ui/presenting/narrative.py), its KPI table and the tour's path chart."""

from __future__ import annotations

import streamlit as st

import twin
from ui.computing import results
from ui.computing.jobs import Store
from ui.presenting import escape
from ui.presenting.narrative import explain, label, step_table
from ui.presenting.units import MISSING_CELL
from ui.shell import progress
from ui.views.context import Context


def _go(step: int) -> None:
    st.session_state["tour_step"] = step


def render(study: twin.Study | None, store: Store, key: str, bundle) -> None:
    st.markdown("### :material/school: Guided tour")
    st.markdown("The tour starts from the conventional line and switches the levers on **one at a time**, "
                "in order. At each step it says what the lever does, what changed in the line's numbers "
                "and why, with 95% confidence intervals from paired replications.")
    if study is None:
        st.info("Fix the configuration error first.")
        return
    names = results.enabled_levers(study) or results.configured_levers(study)
    if not names:
        st.info("This study has no levers: switch some on in the Levers tab.")
        return
    tour = store.result(key)
    if tour is None:
        job = store.job(key)
        if job is not None and job.status == "running":
            st.info("Preparing the tour… (progress in the sidebar)")
        elif st.button(f"Start the tour ({len(names) + 1} scenarios × {study.line.replications} "
                       "replications)", type="primary", key="tour_start", icon=":material/play_arrow:"):
            job = store.submit(key, "tour", "Guided tour", lambda job: results.run_tour(study, key, job))
            progress.watch(store, job)
            st.rerun()  # so the progress panel, drawn earlier in this run, starts polling
        return
    currency = study.line.costs.currency if study.line.costs is not None else ""
    last = len(tour.steps) - 1
    step = min(st.session_state.get("tour_step", 1), last)
    st.session_state["tour_step"] = step
    nav = st.columns([1, 1, 6])
    nav[0].button("Previous", icon=":material/chevron_left:", disabled=step <= 1, on_click=_go,
                  args=(step - 1,), key="tour_prev", width="stretch")
    nav[1].button("Next", icon=":material/chevron_right:", disabled=step >= last, on_click=_go,
                  args=(step + 1,), key="tour_next", type="primary", width="stretch")
    chips = " ".join(f":{'blue' if i <= step else 'gray'}-badge[{':material/check: ' if i <= step else ''}"
                     f"{label(s)}]" for i, s in enumerate(tour.steps) if i)
    nav[2].markdown(f"**Step {step} of {last}** &nbsp; {chips}")
    lever = tour.steps[step]
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(f"#### + {label(lever)}")
        for paragraph in explain(lever, tour.results[step - 1], tour.results[step], study):
            st.markdown(paragraph)
        st.dataframe(step_table(tour.results[step - 1], tour.results[step], currency), hide_index=True,
                     width="stretch", placeholder=MISSING_CELL)
    with right:
        from ui.presenting import charts  # Plotly: imported once a tour is there to draw

        st.plotly_chart(charts.tour_path(tour.results, tour.steps, step, currency), width="stretch",
                        key="chart-tour")
        if step == last and bundle is not None and bundle.business is not None:
            b = bundle.business
            payback = "never" if b.payback_months is None else f"{b.payback_months:.0f} months"
            st.success(f"With every lever on, the package pays back in **{payback}** (NPV "
                       f"{b.npv.mean:,.0f} {escape.markdown(b.currency)} over {b.horizon_years} years).")
    st.caption(f"Tour computed in {tour.seconds:.1f} s. Each step changes one lever, so its effect "
               "depends on the levers already on (automation pays more once failures are rarer).")
    if bundle is not None:
        from ui.presenting import report

        name = escape.file_stem(study.line.name)
        st.download_button("Export the comparison and this tour as an HTML report",
                           icon=":material/description:", key="export_html_tour", on_click="ignore",
                           data=lambda: report.build(bundle, None, tour), file_name=f"{name}_tour.html",
                           mime="text/html", help="One self-contained file with every chart, for slides")


def show(ctx: Context) -> None:
    """The Trainer tab of this pass (registered in ui/views/registry.py)."""
    compared = ctx.bundle if isinstance(ctx.bundle, results.ComparisonBundle) else None
    render(ctx.study, ctx.store, ctx.tour_key, compared)
