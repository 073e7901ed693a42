"""The Compare tab: KPI cards, the charts, the business case and, on demand, the lever attribution."""

from __future__ import annotations

import streamlit as st

import twin
from ui import charts, escape, kpis, report, results, sidebar
from ui.jobs import Store
from ui.units import duration_text

PLOTLY_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def chart(fig, key: str) -> None:
    st.plotly_chart(fig, width="stretch", config=PLOTLY_CONFIG, key=key)


def stamp(bundle: results.ComparisonBundle) -> str:
    line = bundle.comparison.conventional.line
    levers = ", ".join(twin.LEVER_LABELS[n] for n in bundle.levers) or "none"
    return (f"{line.replications} replications × {duration_text(line.horizon)} (warm-up "
            f"{duration_text(line.warmup)}) · seed {bundle.comparison.conventional.seed} · config "
            f"`{bundle.config_hash}` · levers: {levers} · computed in {bundle.seconds:.1f} s")


def money(value: float, currency: str) -> str:
    """720000 → '720 k EUR', 2129721 → '2.13 M EUR' (cards are narrow)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.2f} M {currency}"
    if abs(value) >= 1e4:
        return f"{value / 1e3:,.0f} k {currency}"
    return f"{value:,.0f} {currency}"


def payback_card(business: twin.BusinessCase) -> None:
    low, high = business.payback_months_range
    value = "never" if business.payback_months is None else f"{business.payback_months:.1f} months"
    if business.capex == 0:
        value = "no investment"
    span = f"{low:.1f}–{high:.1f} months" if low is not None and high is not None else "open"
    st.metric("Payback of the levers", value, border=True,
              help="Capex over the net annual benefit (savings + extra output − opex)")
    st.caption(f"capex {money(business.capex, escape.markdown(business.currency))}  \n95% CI {span}")


def kpi_cards(bundle: results.ComparisonBundle) -> None:
    cards = kpis.cards(bundle.difference, escape.markdown(bundle.currency))
    columns = [c for _ in range(2) for c in st.columns(4)]
    if bundle.business is not None:
        with columns[len(cards)]:
            payback_card(bundle.business)
    for column, card in zip(columns, cards, strict=False):
        with column:
            st.metric(card.label, card.value, card.delta_label, border=True,
                      delta_color="normal" if card.higher_is_better else "inverse",
                      help=f"{kpis.label(card.kpi)}: Industry 4.0 (big) vs conventional; the change is "
                           f"the paired difference over replications on common random numbers.")
            note = "" if card.significant else " · not significant"
            st.caption(f"conventional {card.conventional_text}  \n95% CI of Δ {card.ci_text}{note}")


def business_section(bundle: results.ComparisonBundle) -> None:
    business = bundle.business
    cur = escape.markdown(business.currency)  # metric values render Markdown
    a, b, d, e = st.columns(4)
    a.metric("Investment (capex)", money(business.capex, cur), border=True)
    net = business.net_benefit_per_year
    b.metric("Net benefit a year", money(net.mean, cur), border=True,
             help=f"95% CI [{net.low:,.0f}, {net.high:,.0f}]; savings + extra output − lever opex")
    d.metric(f"ROI over {business.horizon_years} years", f"{business.roi.mean:.0%}", border=True,
             help=f"95% CI [{business.roi.low:.0%}, {business.roi.high:.0%}]")
    e.metric(f"NPV at {business.discount_rate:.0%}", money(business.npv.mean, cur), border=True,
             help=f"95% CI [{business.npv.low:,.0f}, {business.npv.high:,.0f}]")
    left, right = st.columns(2)
    with left:
        chart(bundle.figure("cash"), "chart-cash-flow")
    with right:
        chart(bundle.figure("savings"), "chart-savings")


def attribution_section(study: twin.Study | None, store: Store, key: str) -> results.AttributionBundle | None:
    st.markdown("#### What each lever buys")
    if study is None or not results.enabled_levers(study):
        st.info("Switch on at least one lever (and fix any error) to see what each one buys.")
        return None
    attribution = store.result(key)
    if attribution is None:
        job = store.job(key)
        n = len(results.enabled_levers(study))
        if job is not None and job.status == "running":
            st.info("Running the lever attribution… (progress in the sidebar)")
        elif st.button(f"Compute lever attribution ({2 + 2 * n} scenarios × {study.line.replications} "
                       "replications)", key="attribution", icon=":material/waterfall_chart:"):
            job = store.submit(key, "attribution", "Lever attribution",
                               lambda job: results.run_attribution(study, key, job))
            sidebar.watch(job)
            st.rerun()  # so the progress panel, drawn earlier in this run, starts polling
        else:
            st.caption("Runs every lever alone and the full package without each lever, on the same "
                       "random numbers, so each bar is a paired difference.")
        return None
    cur = study.line.costs.currency if study.line.costs is not None else ""
    left, right = st.columns(2)
    with left:
        chart(charts.attribution_waterfall(attribution.table, attribution.full, "throughput_per_hour",
                                           "Throughput: each lever alone, then together"), "chart-attr-tp")
    if "cost_per_good_part" in attribution.full:
        with right:
            chart(charts.attribution_waterfall(attribution.table, attribution.full, "cost_per_good_part",
                                               "Cost per good part: each lever alone, then together", cur),
                  "chart-attr-cost")
    st.caption("Each bar is the lever switched on alone against the conventional line (hover for its 95% "
               "CI); 'Interactions' is what the levers do together beyond the sum of their parts "
               f"(computed in {attribution.seconds:.1f} s).")
    return attribution


def render(bundle: results.ComparisonBundle | None, *, stale: bool, study: twin.Study | None,
           key: str | None, store: Store, attribution_key: str, tour=None) -> None:
    if bundle is None:
        st.info("No results yet. Press **Run comparison** in the sidebar (or switch on automatic runs); "
                "the progress shows there.", icon=":material/hourglass_empty:")
        return
    if stale:
        st.warning("These results are for an earlier setting (config "
                   f"`{bundle.config_hash}`); the current one has not run yet.", icon=":material/history:")
    top_left, top_right = st.columns([5, 1], vertical_alignment="center")
    top_left.caption(stamp(bundle))
    attribution = store.result(attribution_key) if not stale else None
    name = escape.file_stem(bundle.study.line.name)
    top_right.download_button("Export HTML report", icon=":material/description:",
                              data=lambda: report.build(bundle, attribution, tour),
                              file_name=f"{name}_report.html", mime="text/html", on_click="ignore",
                              width="stretch", key="export_html",
                              help="One self-contained HTML file with the cards and every chart, for slides")
    if not bundle.levers:
        st.info("No lever is switched on, so the Industry 4.0 line is the conventional line. Switch "
                "levers on in the Levers tab to see what they buy.", icon=":material/info:")
    kpi_cards(bundle)

    st.markdown("#### Flow: where time goes and what comes out")
    fig = bundle.figure
    chart(fig("states"), "chart-states")
    left, right = st.columns([3, 2])
    with left:
        chart(fig("throughput"), "chart-throughput")
    with right:
        if bundle.currency:
            chart(fig("cost"), "chart-cost")
        else:
            st.info("This line has no `costs:` block, so there is no cost breakdown.")

    st.markdown("#### Precision")
    names = charts.quality_stations(bundle.study.line)
    if bundle.part_logs and names:
        station = st.selectbox("Characteristic at station", names, key="quality_station") \
            if len(names) > 1 else names[0]
        chart(fig(f"quality:{station}"), "chart-quality")
    else:
        st.info("No station of this line shapes a quality characteristic.")

    st.markdown("#### OEE: from conventional to Industry 4.0")
    left, right = st.columns(2)
    with left:
        chart(fig("oee"), "chart-oee-bridge")
    with right:
        chart(fig("losses"), "chart-losses")

    st.markdown("#### Business case")
    if bundle.business is not None:
        business_section(bundle)
    else:
        st.info("This line has no `costs:` block, so there is no business case.")

    if not stale:
        attribution_section(study, store, attribution_key)
    with st.expander("All KPIs, conventional vs Industry 4.0"):
        st.dataframe(kpis.comparison_table(bundle.difference, bundle.currency), hide_index=True,
                     width="stretch")
