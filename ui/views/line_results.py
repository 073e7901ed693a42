"""A line's own results, when no lever is on (a comparison of the line with itself says nothing):
KPI cards with their 95% CIs, how often each station was the bottleneck, the station and product
tables and the flow charts. The pieces both views share (the cards' row, the stamp, the export,
the flow and precision sections) live here too, so the Compare tab shows them the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

import twin
from twin.energy import period_name
from ui.computing import results
from ui.editing.widgets import held
from ui.presenting import escape, kpis
from ui.presenting.units import MISSING_CELL, duration_text

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}
CARD_WIDTH = 200
"""Pixels of a KPI card: its value fits on one line, and the row wraps (three cards at 800 px)."""
FLOW, PRECISION, LOSSES, BUSINESS, TABLE = (f"results.{name}" for name in
                                             ("flow", "precision", "losses", "business", "table"))
"""The widget keys of the sections drawn on demand (their expanders' open state)."""
QUALITY_STATION = "quality_station"
HELD = (FLOW, PRECISION, LOSSES, BUSINESS, TABLE, QUALITY_STATION)
"""What the results keep while their tab is not drawn: which sections are open, the station picked."""
SCENARIO_NAMES = {"conventional": "conventional", "industry40": "Industry 4.0", "line": "this line"}


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)


@contextmanager
def on_demand(title: str, key: str) -> Iterator[bool]:
    """A section of the results drawn only while its expander is open (yields whether it is).

    Folded, it costs nothing: no chart for the server to send nor for the browser to lay out and
    draw (without a GPU, eight Plotly charts cost the browser as much CPU as the server spends on
    an edit). So the first screen is the cards and one chart, and each section is drawn when it is
    opened (the toggle reruns the page); opened, it stays open from one setting to the next."""
    box = st.expander(title, key=key, on_change="rerun")
    with box:
        yield bool(box.open)


def cards_row():
    return st.container(horizontal=True, gap="small")


def period(bundle: results.Bundle) -> str:
    return period_name(bundle.study.line)


def stamp(bundle: results.Bundle) -> str:
    line = bundle.study.line
    levers = ", ".join(twin.LEVER_LABELS[n] for n in bundle.levers) or "none"
    seed = next(iter(bundle.runs.values())).seed
    return (f"{bundle.replications} replications × {duration_text(line.horizon)} (warm-up "
            f"{duration_text(line.warmup)}) · seed {seed} · {bundle.hashes.text} · levers: {levers} · "
            f"computed in {bundle.seconds:.1f} s")


def report_html(bundle: results.Bundle, attribution=None, tour=None) -> str:
    """The HTML report (ui.presenting.report, with Plotly, imported when a report is asked for)."""
    from ui.presenting import report

    return report.build(bundle, attribution, tour)


def export_button(bundle: results.Bundle, build: Callable[[], str], stale: bool = False,
                  drawing: bool = False) -> None:
    """On its own row, as wide as its label (in a narrow column it was cut to "E…"). Offered only
    for the current setting's results once their job has ended: an earlier setting's button (shown
    with its results while the new ones ran), clicked a moment after an edit, exported the earlier
    report under the same file name, or nothing; and a click while the job was drawing its charts
    met the job's last rerun, which lost the download's file name. Its key names the result, so a
    click on a button the page is replacing cannot build another one's."""
    if stale:
        return
    if drawing:
        st.caption(":material/hourglass_top: Export HTML report: offered once the charts are drawn, "
                   "in a moment.")
        return
    st.download_button("Export HTML report", icon=":material/description:", data=build,
                       file_name=f"{escape.file_stem(bundle.study.line.name)}_report.html", mime="text/html",
                       on_click="ignore", width="content", key=f"export_html-{bundle.key}",
                       help="One self-contained HTML file with the cards and every chart, for slides")


def bottleneck_card(bottlenecks: dict[str, dict[str, float]], big: str, other: str | None = None) -> None:
    """The station most often the bottleneck of line `big` and how often; the others below, and
    line `other`'s when there is one. A shifting bottleneck is shown as shifting."""
    shares = bottlenecks[big]
    name, share = next(iter(shares.items()))
    st.metric("Bottleneck (most often)", escape.markdown(name), f"in {share:.0%} of runs", border=True,
              delta_color="off", delta_arrow="off",
              help="The station whose active share is highest, replication by replication: it shifts "
                   "between replications when stations are close.")
    lines = [", ".join(f"{escape.markdown(n)} {s:.0%}" for n, s in list(shares.items())[1:])]
    if other is not None:
        lines.append(f"{SCENARIO_NAMES[other]}: " + ", ".join(
            f"{escape.markdown(n)} {s:.0%}" for n, s in bottlenecks[other].items()))
    st.caption("  \n".join(text for text in lines if text) or "the same station in every run")


def estimate_cards(bundle: results.LineBundle) -> None:
    summary = bundle.summary
    with cards_row():
        for estimate in kpis.estimates(summary, escape.markdown(bundle.currency), period=period(bundle)):
            with st.container(width=CARD_WIDTH):
                st.metric(estimate.label, estimate.value, border=True,
                          help=f"{kpis.label(estimate.kpi)}: the mean over replications")
                st.caption(f"95% CI {estimate.ci_text}")
        with st.container(width=CARD_WIDTH):
            bottleneck_card(bundle.bottlenecks, "line")


def states_chart(bundle: results.Bundle) -> None:
    chart(bundle.figure("states"), "chart-states")


def output_charts(bundle: results.Bundle) -> None:
    """What comes out (throughput and WIP over time) and, with costs, what it costs."""
    left, right = st.columns([3, 2])
    with left:
        chart(bundle.figure("throughput"), "chart-throughput")
    with right:
        if bundle.currency:
            chart(bundle.figure("cost"), "chart-cost")
        else:
            st.info("This line has no `costs:` block, so there is no cost breakdown.")


def flow_section(bundle: results.Bundle, states: bool = True) -> None:
    """The flow charts, on demand; `states=False` when the states chart is already on the first screen."""
    title = "Flow: where time goes and what comes out" if states else "Flow: what comes out and what it costs"
    with on_demand(f":material/timeline: {title}", FLOW) as open_:
        if open_:
            if states:
                states_chart(bundle)
            output_charts(bundle)


def precision_section(bundle: results.Bundle) -> None:
    names = results.quality_stations(bundle.study.line)
    with on_demand(":material/straighten: Precision: the quality characteristic over time",
                   PRECISION) as open_:
        if not open_:
            held(QUALITY_STATION, names[0] if names else None)  # the station picked stays picked
        elif not names:
            st.info("No station of this line shapes a quality characteristic.")
        elif bundle.part_logs is None:
            st.info("Logging the parts of one replication for the precision charts… (they appear when "
                    "the run at the top is done)", icon=":material/hourglass_top:")
        else:
            station = st.selectbox("Characteristic at station", names, key=QUALITY_STATION) \
                if len(names) > 1 else names[0]
            chart(bundle.figure(f"quality:{station}"), "chart-quality")


def losses_section(bundle: results.Bundle) -> None:
    with on_demand(":material/trending_down: Six big losses at the constraint", LOSSES) as open_:
        if open_:
            chart(bundle.figure("losses"), "chart-losses")


def first_look_note(bundle: results.Bundle) -> None:
    """The mark of a first look: how many replications it has of how many, and that it is refined."""
    text = bundle.first_look or ""
    st.info(f"**{text[0].upper()}{text[1:]}.** The cards are the first {bundle.replications} replications "
            "of every line, so their 95% CIs are wider; the full result replaces them, with the charts, "
            "when the run at the top is done.", icon=":material/hourglass_top:")


def render(bundle: results.LineBundle, tour=None, stale: bool = False, drawing: bool = False) -> None:
    st.caption(stamp(bundle))
    if bundle.first_look:
        first_look_note(bundle)
        estimate_cards(bundle)
        return
    st.info("No lever is switched on, so these are the line's own results. Switch levers on in the "
            "Levers tab to compare the line with its Industry 4.0 upgrade.", icon=":material/info:")
    export_button(bundle, lambda: report_html(bundle, None, tour), stale, drawing)
    estimate_cards(bundle)
    st.markdown("#### Stations")
    names = [s.name for s in bundle.study.line.stations]
    st.dataframe(kpis.station_table(bundle.results.stations, names, bundle.bottlenecks["line"]),
                 hide_index=True, width="stretch", placeholder=MISSING_CELL)
    st.caption("Shares of on-shift machine time and OEE, means over replications; 'bottleneck in' is "
               "the share of replications in which the station had the highest active share.")
    products = kpis.product_table(bundle.results.product_summary())
    if not products.empty:
        st.markdown("#### Products")
        st.dataframe(products, hide_index=True, width="stretch", placeholder=MISSING_CELL)
    st.markdown("#### Where machine time goes")
    states_chart(bundle)
    st.markdown("#### More, drawn when opened")
    flow_section(bundle, states=False)
    precision_section(bundle)
    losses_section(bundle)
    with on_demand(":material/table: All KPIs of the line", TABLE) as open_:
        if open_:
            st.dataframe(kpis.line_table(bundle.summary, bundle.currency, period(bundle)),
                         hide_index=True, width="stretch", placeholder=MISSING_CELL)
