"""The Explore tab: what-if runs of the current setting on common random numbers: named scenarios,
one value swept with its 95% CI band (or two as a heatmap), a tornado of the values that matter
most, and an optimisation (twin.optimize: a search, then KN on the finalists). Each result
downloads as CSV, and the HTML report at the foot of the tab holds every one that has run."""

from __future__ import annotations

import re

import streamlit as st

import twin
from twin.display import spreadsheet_safe
from ui.computing import explore
from ui.computing.jobs import Store
from ui.presenting import escape, kpis
from ui.presenting import explore as figures
from ui.presenting.units import MISSING_CELL
from ui.shell import progress
from ui.views.context import Context
from ui.views.line_results import chart


def show(ctx: Context) -> None:
    study = ctx.study
    if study is None:
        st.info("Fix the setting's errors (see the Line and Levers tabs) to explore it.",
                icon=":material/edit_note:")
        return
    st.caption("Every run here uses the current setting (the line with its enabled levers) and the "
               "same random numbers for every point, so differences between points are paired.")
    shown = explore.Shown()
    shown.scenarios = scenarios_section(ctx.store, study)
    st.divider()
    shown.sweep = sweep_section(ctx.store, study)
    shown.sweep_kpi = st.session_state.get("explore-sweep-kpi")
    st.divider()
    shown.tornado = tornado_section(ctx.store, study)
    shown.tornado_kpi = st.session_state.get("explore-tornado-kpi")
    st.divider()
    shown.optimisation = optimisation_section(ctx.store, study)
    st.divider()
    report_section(ctx, shown)


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


def _bounds(choice: explore.Choice, prefix: str, left, middle) -> tuple[float, float]:
    """A value's From and To inputs, within what the schema takes (a buffer from 0, machines from 1)."""
    if choice.kind == "int":
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
    return float(low), float(high)


def _range_inputs(choice: explore.Choice, prefix: str = "explore") -> tuple[float, float, int]:
    left, middle, right = st.columns(3)
    low, high = _bounds(choice, prefix, left, middle)
    count = right.number_input("Points", min_value=2, max_value=12, value=5 if prefix == "explore" else 3,
                               step=1, key=f"{prefix}-count-{choice.path}")
    return low, high, int(count)


MAX_WHAT_IFS = 6


def scenarios_section(store: Store, study: twin.Study) -> explore.ScenariosBundle | None:
    st.markdown("#### What-if scenarios")
    st.caption("One row per what-if: a name, a path into the setting (`stations[Grinding].buffer`, "
               "`stations[0].process.mean`, `maintenance_crew`, `levers.predictive_maintenance.recall`) "
               "and its new value (a number, or a duration such as 90s). Each is compared with the "
               "setting as it is, on the same random numbers.")
    last = study.line.stations[-1].name
    where = last if re.fullmatch(r"[^\[\]\"'.]+", last) else str(len(study.line.stations) - 1)
    rows = st.data_editor(
        [{"name": "bigger buffer", "path": f"stations[{where}].buffer", "value": "8"}],
        num_rows="dynamic", key="explore-what-ifs", width="stretch", placeholder="",
        column_config={"name": st.column_config.TextColumn("name", max_chars=60),
                       "path": st.column_config.TextColumn("path", max_chars=200),
                       "value": st.column_config.TextColumn("value", max_chars=200)})
    what_ifs = [explore.WhatIf(str(r.get("name") or ""), str(r.get("path") or "").strip(),
                               str(r.get("value") or "")) for r in rows if r.get("path")]
    if not what_ifs:
        st.caption("Add a row with a path to compare.")
        return None
    if len(what_ifs) > MAX_WHAT_IFS:
        st.warning(f"At most {MAX_WHAT_IFS} what-ifs at once; the first {MAX_WHAT_IFS} run.")
        what_ifs = what_ifs[:MAX_WHAT_IFS]
    key = explore.key("scenarios", study, [[w.name, w.path, w.value] for w in what_ifs])
    if not _running_or_button(store, key, "scenarios", f"Run the scenarios ({len(what_ifs) + 1} × "
                              f"{study.line.replications} replications)",
                              lambda job: explore.run_scenarios(study, what_ifs, key, job)):
        return None
    bundle: explore.ScenariosBundle = store.result(key)
    for point in bundle.result.experiment.failed:
        st.warning(escape.markdown(f"{point.scenario} did not run: {point.reason}"),
                   icon=":material/warning:")
    table = bundle.table()
    st.dataframe(figures.scenarios_table(table), width="stretch", placeholder=MISSING_CELL)
    st.caption("Mean [95% CI]; Δ: the paired difference to the setting as it is, with its 95% CI.")
    st.download_button("Download the scenarios (CSV)", data=spreadsheet_safe(table).to_csv(index=False),
                       file_name=f"{escape.file_stem(study.line.name)}_scenarios.csv", mime="text/csv",
                       on_click="ignore", key="explore-scenarios-csv", icon=":material/download:")
    return bundle


def sweep_section(store: Store, study: twin.Study) -> explore.SweepBundle | None:
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
        return None
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
    return bundle


def tornado_section(store: Store, study: twin.Study) -> explore.TornadoBundle | None:
    st.markdown("#### Which value matters most? (tornado)")
    options = explore.choices(study)
    labels = [c.label for c in options]
    default = [c.label for c in options if c.path.endswith((".buffer", ".process.mean"))][:4]
    chosen = st.multiselect("Values", labels, default=default, key="explore-tornado-choices",
                            format_func=escape.markdown)
    spread = st.slider("Each value low and high: ± (%)", 5, 50, 20, step=5, key="explore-tornado-spread")
    if not chosen:
        st.caption("Pick at least one value.")
        return None
    picked = [options[labels.index(label)] for label in chosen]
    key = explore.key("tornado", study, [[c.path for c in picked], spread])
    runs = 1 + 2 * len(picked)
    if not _running_or_button(store, key, "tornado", f"Run the tornado ({runs} scenarios × "
                              f"{study.line.replications} replications)",
                              lambda job: explore.run_tornado(study, picked, spread / 100, key, job)):
        return None
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
    return bundle


MAX_EVALUATIONS = 500
"""Designs the app's search may evaluate at most (twin's bound on the run's events applies too)."""


def optimisation_section(store: Store, study: twin.Study) -> explore.OptimizeBundle | None:
    st.markdown("#### Optimise (search, then select the best with confidence)")
    st.caption("Pick the values to decide and their ranges, the KPI to aim at and how many designs "
               "the search may run. The best few designs then run again on fresh replications until "
               "the best one, or one within δ of it, is known with 95% confidence (KN ranking and "
               "selection, as `twin optimize` does).")
    options = [c for c in explore.choices(study) if c.kind == "int"]
    labels = [c.label for c in options]
    default = [c.label for c in options if c.path.endswith(".buffer")][1:4]
    chosen = st.multiselect("Decisions", labels, default=default, key="explore-opt-decisions",
                            format_func=escape.markdown)
    if not chosen:
        st.caption("Pick at least one value to decide.")
        return None
    ranges = []
    for label in chosen:
        choice = options[labels.index(label)]
        name, left, middle = st.columns([2, 1, 1], vertical_alignment="bottom")
        name.markdown(escape.markdown(label))
        ranges.append(explore.Range(choice, *_bounds(choice, "explore-opt", left, middle)))
    total = None
    if len(ranges) > 1 and st.checkbox("These values add up to a total", value=True, key="explore-opt-sum"):
        total = int(st.number_input("Total", min_value=0, value=int(sum(r.choice.value for r in ranges)),
                                    step=1, key="explore-opt-total"))
    names = explore.objectives(study)
    left, middle, right = st.columns(3)
    objective = left.selectbox("Objective", names, format_func=kpis.label, key="explore-opt-objective",
                               help="Maximised when higher is better, else minimised")
    evaluations = int(middle.number_input("Designs to evaluate", min_value=1, max_value=MAX_EVALUATIONS,
                                          value=20, step=1, key="explore-opt-evaluations"))
    delta = right.number_input(f"δ ({escape.markdown(kpis.unit(objective)) or 'as shown'})",
                               min_value=0.001, value=0.5, key="explore-opt-delta",
                               help="Indifference: a design within δ of the best is as good")
    try:
        spec = explore.optimize_spec(study, ranges, objective, evaluations,
                                     float(delta) / kpis.scale(objective), total)
    except twin.ConfigError as exc:
        st.error(escape.markdown(str(exc)), icon=":material/block:")
        return None
    key = explore.key("optimize", study, [[[r.choice.path, r.low, r.high] for r in ranges], objective,
                                          evaluations, float(delta), total])
    decisions = {r.choice.path: r.choice.label for r in ranges}
    reps = study.line.replications
    if not _running_or_button(store, key, "optimisation",
                              f"Run the optimisation (up to {evaluations} designs × {reps} replications, "
                              f"then {explore.FINALISTS} finalists)",
                              lambda job: explore.run_optimize(study, spec, decisions, key, job)):
        return None
    bundle: explore.OptimizeBundle = store.result(key)
    result = bundle.result
    frame = bundle.finalists()
    shown = list(decisions.values())
    st.success(escape.markdown(figures.best_sentence(frame, bundle.objective, shown,
                                                     result.probability_correct_selection)),
               icon=":material/emoji_events:")
    st.dataframe(figures.finalists_table(frame, result.reported, shown), width="stretch", hide_index=True,
                 placeholder=MISSING_CELL)
    how = "every design (exhaustive)" if result.search.exhaustive else "optuna's TPE sampler"
    st.caption(f"{result.evaluations} designs evaluated by {how}, {result.replications} replications "
               f"each; the finalists ran again on fresh replications (common random numbers), mean "
               f"[95% CI]. Engine: {'+'.join(sorted(result.engines)) or 'none'}.")
    failed = [e for e in result.search.evaluations if e.failed]
    if failed:
        st.warning(escape.markdown(f"{len(failed)} design(s) could not run; the first: {failed[0].failed}"),
                   icon=":material/warning:")
    st.download_button("Download the finalists (CSV)", data=spreadsheet_safe(frame).to_csv(index=False),
                       file_name=f"{escape.file_stem(study.line.name)}_optimisation.csv", mime="text/csv",
                       on_click="ignore", key="explore-opt-csv", icon=":material/download:")
    return bundle


def report_section(ctx: Context, shown: explore.Shown) -> None:
    """The HTML report of the current setting with the Explore results on the page."""
    st.markdown("#### Report")
    if not shown.any():
        st.caption("Run a scenario table, a sweep, a tornado or an optimisation to add it to the report.")
        return
    bundle = ctx.bundle
    if bundle is None:
        st.caption(f"The report needs the setting's own results first. {ctx.status.sentence()}")
        return

    def build() -> str:
        from ui.presenting import report

        return report.build(bundle, ctx.store.result(ctx.attribution_key), ctx.store.result(ctx.tour_key),
                            explore=shown)

    st.download_button("Export the HTML report with these results", icon=":material/description:",
                       data=build, file_name=f"{escape.file_stem(bundle.study.line.name)}_explore.html",
                       mime="text/html", on_click="ignore", width="content", key="explore-report-html",
                       help="The setting's report, then every Explore result on this page")
