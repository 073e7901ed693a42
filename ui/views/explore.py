"""The Explore tab: what-if runs of the current setting on common random numbers: one value swept
with its 95% CI band, and a tornado of the values that matter most. Each table downloads as CSV."""

from __future__ import annotations

import re

import streamlit as st

import twin
from twin.display import spreadsheet_safe
from ui.computing import explore
from ui.computing.jobs import Store
from ui.presenting import escape, kpis
from ui.presenting import explore as figures
from ui.shell import progress
from ui.views.context import Context
from ui.views.line_results import chart

TAB = ":material/explore: Explore"


def show(ctx: Context) -> None:
    study = ctx.study
    if study is None:
        st.info("Fix the setting's errors (see the Line and Levers tabs) to explore it.",
                icon=":material/edit_note:")
        return
    st.caption("Every run here uses the current setting (the line with its enabled levers) and the "
               "same random numbers for every point, so differences between points are paired.")
    scenarios_section(ctx.store, study)
    st.divider()
    sweep_section(ctx.store, study)
    st.divider()
    tornado_section(ctx.store, study)


def _running_or_button(store: Store, key: str, label: str, button: str, start) -> bool:
    """Whether the result is there; otherwise the run's state, or the button that starts it."""
    if store.result(key) is not None:
        return True
    job = store.job(key)
    if job is not None and job.status == "running":
        st.info(f"Running the {label}… (progress at the top of the page)", icon=":material/hourglass_top:")
    elif st.button(button, key=f"{key}-run", icon=":material/play_arrow:"):
        job = store.submit(key, "explore", label.capitalize(), start)
        progress.watch(store, job)
        st.rerun()
    elif job is not None and job.status == "failed":
        st.error(escape.markdown(f"The {label} failed: {job.error}"), icon=":material/error:")
    return False


def _range_inputs(choice: explore.Choice, prefix: str = "explore") -> tuple[float, float, int]:
    left, middle, right = st.columns(3)
    whole = choice.kind == "int"
    if whole:
        floor = 0 if choice.path.endswith("buffer") else 1
        low = left.number_input("From", min_value=floor, value=max(floor, int(choice.value) - 2), step=1,
                                key=f"{prefix}-low-{choice.path}")
        high = middle.number_input("To", min_value=floor, value=int(choice.value) + 2, step=1,
                                   key=f"{prefix}-high-{choice.path}")
    else:
        low = left.number_input("From", min_value=0.001, value=round(choice.value * 0.8, 3),
                                key=f"{prefix}-low-{choice.path}")
        high = middle.number_input("To", min_value=0.001, value=round(choice.value * 1.2, 3),
                                   key=f"{prefix}-high-{choice.path}")
    count = right.number_input("Points", min_value=2, max_value=12, value=5 if prefix == "explore" else 3,
                               step=1, key=f"{prefix}-count-{choice.path}")
    return float(low), float(high), int(count)


MAX_WHAT_IFS = 6


def scenarios_section(store: Store, study: twin.Study) -> None:
    st.markdown("#### What-if scenarios")
    st.caption("One row per what-if: a name, a path into the setting (`stations[Grinding].buffer`, "
               "`stations[0].process.mean`, `maintenance_crew`, `levers.predictive_maintenance.recall`) "
               "and its new value (a number, or a duration such as 90s). Each is compared with the "
               "setting as it is, on the same random numbers.")
    last = study.line.stations[-1].name
    where = last if re.fullmatch(r"[^\[\]\"'.]+", last) else str(len(study.line.stations) - 1)
    rows = st.data_editor(
        [{"name": "bigger buffer", "path": f"stations[{where}].buffer", "value": "8"}],
        num_rows="dynamic", key="explore-what-ifs", width="stretch",
        column_config={"name": st.column_config.TextColumn("name", max_chars=60),
                       "path": st.column_config.TextColumn("path", max_chars=200),
                       "value": st.column_config.TextColumn("value", max_chars=200)})
    what_ifs = [explore.WhatIf(str(r.get("name") or ""), str(r.get("path") or "").strip(),
                               str(r.get("value") or "")) for r in rows if r.get("path")]
    if not what_ifs:
        st.caption("Add a row with a path to compare.")
        return
    if len(what_ifs) > MAX_WHAT_IFS:
        st.warning(f"At most {MAX_WHAT_IFS} what-ifs at once; the first {MAX_WHAT_IFS} run.")
        what_ifs = what_ifs[:MAX_WHAT_IFS]
    key = explore.key("scenarios", study, [[w.name, w.path, w.value] for w in what_ifs])
    if not _running_or_button(store, key, "scenarios", f"Run the scenarios ({len(what_ifs) + 1} × "
                              f"{study.line.replications} replications)",
                              lambda job: explore.run_scenarios(study, what_ifs, key, job)):
        return
    bundle: explore.ScenariosBundle = store.result(key)
    for point in bundle.result.experiment.failed:
        st.warning(escape.markdown(f"{point.scenario} did not run: {point.reason}"),
                   icon=":material/warning:")
    table = bundle.table()
    st.dataframe(figures.scenarios_table(table), width="stretch")
    st.caption("Mean [95% CI]; Δ: the paired difference to the setting as it is, with its 95% CI.")
    st.download_button("Download the scenarios (CSV)", data=spreadsheet_safe(table).to_csv(index=False),
                       file_name=f"{escape.file_stem(study.line.name)}_scenarios.csv", mime="text/csv",
                       on_click="ignore", key="explore-scenarios-csv", icon=":material/download:")


def sweep_section(store: Store, study: twin.Study) -> None:
    st.markdown("#### Sweep one value (or two)")
    options = explore.choices(study)
    labels = [escape.markdown(c.label) for c in options]
    picked = st.selectbox("Value to vary", range(len(options)), format_func=lambda i: labels[i],
                          key="explore-sweep-choice")
    choice = options[picked]
    low, high, count = _range_inputs(choice)
    values = explore.levels(choice, low, high, count)
    second, second_values = None, None
    if st.checkbox("And a second value (a heatmap)", key="explore-sweep-two"):
        others = [i for i in range(len(options)) if i != picked]
        other = st.selectbox("Second value", others, format_func=lambda i: labels[i],
                             key="explore-sweep-second")
        second = options[other]
        second_values = explore.levels(second, *_range_inputs(second, "explore-second"))
    points = len(values) * (len(second_values) if second_values else 1)
    key = explore.key("sweep", study, [choice.path, values, second.path if second else None,
                                       second_values])
    reps = study.line.replications
    if not _running_or_button(store, key, "sweep", f"Run the sweep ({points} points × {reps} "
                              "replications)",
                              lambda job: explore.run_sweep(study, choice, values, key, job, second,
                                                            second_values)):
        return
    bundle: explore.SweepBundle = store.result(key)
    for point in bundle.result.experiment.failed:
        st.warning(escape.markdown(f"{point.scenario} did not run: {point.reason}"),
                   icon=":material/warning:")
    names = bundle.result.experiment.responses
    kpi = st.selectbox("KPI", names, format_func=kpis.label, key="explore-sweep-kpi")
    if bundle.second is None:
        chart(figures.sweep_band(bundle.summary, kpi, choice.label), "chart-explore-sweep")
    else:
        chart(figures.heatmap(bundle.summary, kpi, choice.label, bundle.second.label),
              "chart-explore-heatmap")
    frame = spreadsheet_safe(bundle.result.experiment.table.frame)
    st.download_button("Download the sweep (CSV)", data=frame.to_csv(index=False),
                       file_name=f"{escape.file_stem(study.line.name)}_sweep.csv", mime="text/csv",
                       on_click="ignore", key="explore-sweep-csv", icon=":material/download:",
                       help="One row per point × replication: the values beside every KPI")


def tornado_section(store: Store, study: twin.Study) -> None:
    st.markdown("#### Which value matters most? (tornado)")
    options = explore.choices(study)
    labels = [c.label for c in options]
    default = [c.label for c in options if c.path.endswith((".buffer", ".process.mean"))][:4]
    chosen = st.multiselect("Values", labels, default=default, key="explore-tornado-choices",
                            format_func=escape.markdown)
    spread = st.slider("Each value low and high: ± (%)", 5, 50, 20, step=5, key="explore-tornado-spread")
    if not chosen:
        st.caption("Pick at least one value.")
        return
    picked = [options[labels.index(label)] for label in chosen]
    key = explore.key("tornado", study, [[c.path for c in picked], spread])
    runs = 1 + 2 * len(picked)
    if not _running_or_button(store, key, "tornado", f"Run the tornado ({runs} scenarios × "
                              f"{study.line.replications} replications)",
                              lambda job: explore.run_tornado(study, picked, spread / 100, key, job)):
        return
    bundle: explore.TornadoBundle = store.result(key)
    names = bundle.result.tornado_run.responses
    kpi = st.selectbox("KPI", names, format_func=kpis.label, key="explore-tornado-kpi")
    bars = bundle.bars(kpi)
    chart(figures.tornado(bars, kpi), "chart-explore-tornado")
    st.caption("Each bar: the KPI with the value at its high end minus at its low end, the others "
               "as set, paired over replications; grey bars are not significant (their 95% CI holds 0).")
    st.download_button("Download the tornado (CSV)", data=spreadsheet_safe(bars).to_csv(index=False),
                       file_name=f"{escape.file_stem(study.line.name)}_tornado.csv", mime="text/csv",
                       on_click="ignore", key="explore-tornado-csv", icon=":material/download:")
