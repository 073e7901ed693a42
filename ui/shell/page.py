"""The page: one pass of the Streamlit script (ui/app.py runs `safe_main`).

Read the study as loaded, draw every input with the user's edits, rebuild the config from them and let
twin validate it (its one-line message goes next to the field), then show the cached results for that
exact config, or start a background run and poll its progress. The editing tabs are ui/views/line.py
and levers.py; every later tab is a page of ui/views/registry.py, drawn with this pass's Context."""

from __future__ import annotations

import logging
import re

import streamlit as st

import twin
from twin.io import validate_as
from ui.computing import results, timing
from ui.presenting import diagram, escape
from ui.shell import heap, layout, progress, sidebar, state
from ui.views import levers as levers_view
from ui.views import line as line_view
from ui.views import registry
from ui.views.context import Context

log = logging.getLogger("lighthouse_twin.ui")


def route(field: str | None, stations: list[dict]) -> str:
    """Which input an error's field belongs to (the slot its message is shown in)."""
    path = (field or "").removeprefix("line.")
    if match := re.match(r"stations\[(\d+)\]\.(quality|inspection|energy|operator)", path):
        return f"station:{match.group(1)}"
    if path.startswith("stations"):
        return "stations"
    if match := re.match(r"costs\.stations\.(.+?)(?:\.machine_rate_per_hour)?$", path):
        names = [s.get("name") for s in stations]
        return f"station:{names.index(match.group(1))}" if match.group(1) in names else "costs"
    if path.startswith("costs"):
        return "costs"
    if match := re.match(r"levers\.(\w+)", path):
        return f"lever:{match.group(1)}"
    if path.startswith("investment"):
        return "investment"
    if re.match(r"(horizon|warmup|replications|seed)\b", path):
        return "run"
    if path.startswith(("products", "release_sequence")):
        return "products"
    return "line"


def validate(data: dict, plain: bool, row_error: twin.ConfigError | None):
    """(study, None) or (None, error): twin's own validation, worded as the CLI words it."""
    try:
        if row_error is not None:
            raise row_error
        if plain:
            return twin.Study(line=validate_as(twin.Line, data["line"])), None
        study = validate_as(twin.Study, data)
        results.comparison_key(study)  # applying the levers validates the upgraded line too
        return study, None
    except twin.ConfigError as exc:
        if plain and str(exc).startswith("line."):
            field = (exc.field or "").removeprefix("line.")
            exc = twin.ConfigError(str(exc).removeprefix("line."), field=field)
        return None, exc


RUN_CLICKED = "run_clicked"
"""Session key: Run comparison was pressed and the run it asks for has not been started yet."""


def _clicked_run() -> None:
    st.session_state[RUN_CLICKED] = True


def start_comparison(store, study: twin.Study, key: str) -> None:
    ss = st.session_state
    for other, kind in list(ss.watch.items()):  # a newer setting supersedes this session's older run
        job = store.job(other)
        if kind == "compare" and other != key and job is not None and job.status == "running":
            job.cancel()
    progress.watch(store, results.submit_comparison(store, study, key))


STATION_FIELD = re.compile(r"(?:line\.)?stations\[(\d+)\]\.")


def worded(error: twin.ConfigError, stations: list[dict]) -> str:
    """twin's message with a station's 0-based path replaced by its name, as a person says it:
    `line.stations[0].process.mean: must be > 0, got -2min` → `Turning: process.mean must be > 0, got
    -2min`. Anything else is twin's message unchanged."""
    text, field = str(error), error.field or ""
    match = STATION_FIELD.match(field)
    if match is None or int(match.group(1)) >= len(stations) or not stations[int(match.group(1))].get("name"):
        return text
    name, rest = stations[int(match.group(1))]["name"], field[match.end():]
    if not text.startswith(f"{field}: "):
        return text
    message = text[len(field) + 2:]
    joint = " " if message.startswith(("must", "expected")) else ": "
    return f"{name}: {rest}{joint}{message}"


def shown_results(store, bundle, version: int):
    """The results to show: the current setting's, else the last ones shown for this same study
    (marked as an earlier setting); never those of the study loaded before (another title)."""
    ss = st.session_state
    if bundle is not None:
        ss["shown"] = (version, bundle.key)
        return bundle
    earlier = ss.get("shown")
    if earlier is None or earlier[0] != version:
        return None
    return store.result(earlier[1])


def main() -> None:
    # an emoji icon is drawn in the page; a :material/…: one would be fetched from fonts.gstatic.com
    st.set_page_config(page_title="Lighthouse Twin", page_icon="🏭", layout="wide")
    heap.freeze_imports()  # once per process (the warm-up has done it under `make run`)
    with timing.phase("page"):
        _page()


def _page() -> None:
    state.init()
    progress.init()
    layout.narrow_screens()
    ss = st.session_state
    version, base = ss.version, ss.base
    store = state.store()
    slots: dict = {}
    base_data = base.model_dump(mode="json", by_alias=True)
    currency = base.line.costs.currency if base.line.costs is not None else ""

    with st.sidebar:
        st.markdown("## :material/factory: Lighthouse Twin")
        st.caption("A digital twin of a production line: the conventional line against the same line "
                   "with Industry 4.0 levers, on throughput, precision and cost.")
        sidebar.source()
        st.divider()
        st.markdown("#### Run")
        run_box = st.container()
        run = sidebar.run_settings(base.line, version, slots)
        autorun = st.toggle("Run automatically on every change", value=sidebar.autorun_default(),
                            key="autorun")
        download_box = st.container()

    header = st.container()
    progress_box = st.container()
    banner = st.empty()
    tab_line, tab_levers, *page_tabs = st.tabs(registry.tabs(), key="tab", on_change="rerun",
                                               default=registry.OPENING_TAB)
    with tab_line:
        line_data, edit, diagram_box = line_view.render(base_data, version, slots)
    with tab_levers:
        levers, invest = levers_view.render(base_data, edit, line_data["stations"], version, slots, currency)

    line_data.update(run)
    data = {"line": line_data, "levers": levers, "investment": invest}
    plain = all(v is None for v in levers.values()) and invest == base_data["investment"] and \
        state.is_plain(base)
    study, error = validate(data, plain, edit.error)
    if error is not None:
        message = escape.markdown(worded(error, line_data["stations"]))
        slot = slots.get(route(error.field, line_data["stations"])) or slots["line"]
        slot.error(message, icon=":material/error:")
        banner.error(f"**The configuration is not valid**, so nothing runs until it is fixed: {message}",
                     icon=":material/error:")
    else:
        ss["last_valid"] = study
    current = study or ss.get("last_valid") or base
    key = results.comparison_key(study) if study is not None else None
    attribution_key = f"{key}:attribution" if study else ""
    tour_key = f"{twin.config_hash(study)}:tour" if study else ""
    progress.sync_watch(store, {key, attribution_key, tour_key})

    bundle = store.result(key) if key else None
    now = progress.status(store, key, study is not None, autorun)
    clicked = ss.pop(RUN_CLICKED, False) and not now.running
    automatic = autorun and not now.cancelled and (now.job is None or now.job.status == "cancelled")
    if study is not None and bundle is None and (clicked or automatic):
        start_comparison(store, study, key)
        now = progress.status(store, key, True, autorun)
    elif now.job is not None and now.job.status == "running" and key not in ss.watch:
        progress.watch(store, now.job)  # started by another session (or at server start): follow it

    hashes = results.ConfigHashes.of(current)
    with run_box:
        # the click is kept by its callback (RUN_CLICKED) and acted on above, where this run's setting
        # is known: a rerun cut short by the next click (a tab a moment later) would lose the
        # button's own value, never its callback
        st.button("Run comparison", icon=":material/play_arrow:", type="primary", width="stretch",
                  key="run", disabled=study is None or bundle is not None or now.running,
                  on_click=_clicked_run)
        if bundle is not None:
            st.caption(":material/check_circle: Results for this setting: "
                       f"{bundle.runs[next(iter(bundle.runs))].replications} "
                       f"replications, computed in {bundle.seconds:.1f} s (cached)")
    with download_box:
        st.download_button("Download YAML", icon=":material/download:", data=lambda: state.yaml_text(current),
                           on_click="ignore",
                           file_name=escape.file_stem(current.line.name) + ".yaml",
                           mime="application/x-yaml", disabled=study is None, width="stretch",
                           help="The study as edited; `twin compare` and this app reload it to the same "
                                "config hashes", key="download_yaml")
        st.caption(f"Config hashes: {hashes.text}" + ("" if study else " (last valid)"))
    with progress_box:
        progress.panel(store)

    enabled = results.enabled_levers(current)
    with header:
        st.markdown(f"### {escape.markdown(current.line.name)}")
        st.caption(f"{len(current.line.stations)} stations · levers on: "
                   f"{', '.join(twin.LEVER_LABELS[n] for n in enabled) or 'none'} · "
                   f"{hashes.text} · twin {twin.__version__}")

    shown = shown_results(store, bundle, version)
    if tab_line.open is not False:  # the diagram is drawn (and laid out by the browser) only in view
        with diagram_box:
            upgraded = twin.apply_levers(current.line, current.levers, enabled)
            necks = bundle.bottlenecks if bundle is not None else None
            st.graphviz_chart(diagram.dot(current.line, upgraded, necks, enabled), width="stretch")
            st.caption("Amber: buffers and their capacity · diamonds: inspections · dashed: scrap and rework "
                       "loops · blue: what the levers that are on change · red: how often each station was "
                       "the bottleneck (the runs of this setting).")
    context = Context(study=study, current=current, version=version, store=store, key=key, bundle=bundle,
                      shown=shown, status=now, attribution_key=attribution_key, tour_key=tour_key)
    for page, tab in zip(registry.PAGES, page_tabs, strict=True):
        if page.lazy and tab.open is False:
            page.hold()  # drawn when its tab is opened (a tab switch reruns the page)
            continue
        with tab:
            page.show(context)


def safe_main() -> None:
    """Never a traceback on the page: a bug is logged and shown as one line."""
    try:
        main()
    except Exception as exc:
        if type(exc).__name__ in ("RerunException", "StopException"):
            raise
        log.exception("the app failed")
        st.error(escape.markdown(f"Something went wrong ({type(exc).__name__}: {exc}). The details are in "
                                 "the server log."), icon=":material/bug_report:")
