"""The Compare tab: the KPI cards, the OEE bridge and the business case's figures first; the flow,
precision, losses and cash-flow charts and the table of every KPI in sections drawn when opened;
the lever attribution on request."""

from __future__ import annotations

import math

import streamlit as st

import twin
from ui.computing import results
from ui.computing.jobs import Store
from ui.computing.progress import Status
from ui.presenting import escape, kpis
from ui.presenting.units import MISSING_CELL
from ui.shell import progress
from ui.views import line_results
from ui.views.context import Context
from ui.views.line_results import CARD_WIDTH, cards_row, chart, export_button, on_demand, stamp

HELD = line_results.HELD
"""What the tab keeps while it is not drawn (`ui.views.context.Page.hold`): its open sections."""


def percent(estimate) -> str:
    """An estimate's mean as a percentage, '–' when it is not a number (ROI without investment)."""
    return f"{estimate.mean:.0%}" if math.isfinite(estimate.mean) else "–"


def interval(estimate, spec: str = ",.0f") -> str:
    if not (math.isfinite(estimate.low) and math.isfinite(estimate.high)):
        return "–"
    return f"95% CI [{estimate.low:{spec}}, {estimate.high:{spec}}]"


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
    span = f"95% CI {low:.1f}–{high:.1f} months" if low is not None and high is not None else "95% CI open"
    if business.capex == 0:
        value, span = "no investment", "nothing to pay back"
    st.metric("Payback of the levers", value, border=True,
              help="Capex over the net annual benefit (savings + extra output − opex)")
    st.caption(f"capex {money(business.capex, escape.markdown(business.currency))}  \n{span}")


def kpi_cards(bundle: results.ComparisonBundle) -> None:
    """The cards in a row that wraps (three a row at 800 px, seven or eight on a wide screen)."""
    cards = kpis.cards(bundle.difference, escape.markdown(bundle.currency))
    with cards_row():
        for card in cards:
            with st.container(width=CARD_WIDTH):
                st.metric(card.label, card.value, card.delta_label, border=True,
                          delta_color="normal" if card.higher_is_better else "inverse",
                          help=f"{kpis.label(card.kpi)}: Industry 4.0 (big) vs conventional; the change is "
                               f"the paired difference over replications on common random numbers.")
                note = "" if card.significant else " · not significant"
                st.caption(f"conventional {card.conventional_text}  \n95% CI of Δ {card.ci_text}{note}")
        with st.container(width=CARD_WIDTH):
            line_results.bottleneck_card(bundle.bottlenecks, "industry40", "conventional")
        if bundle.business is not None:
            with st.container(width=CARD_WIDTH):
                payback_card(bundle.business)


def business_cards(business: twin.BusinessCase) -> None:
    cur = escape.markdown(business.currency)  # metric values render Markdown
    net = business.net_benefit_per_year
    metrics = [
        ("Investment (capex)", money(business.capex, cur), None),
        ("Net benefit a year", money(net.mean, cur), f"{interval(net)}; savings + extra output − lever opex"),
        (f"ROI over {business.horizon_years} years", percent(business.roi),
         interval(business.roi, ".0%") if business.capex else "No investment, so no return on it"),
        (f"NPV at {business.discount_rate:.0%}", money(business.npv.mean, cur), interval(business.npv)),
    ]
    with cards_row():
        for label, value, help in metrics:
            st.metric(label, value, border=True, help=help, width=CARD_WIDTH)


def business_charts(bundle: results.ComparisonBundle) -> None:
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
            progress.watch(store, job)
            st.rerun()  # so the progress panel, drawn earlier in this run, starts polling
        else:
            st.caption("Runs every lever alone and the full package without each lever, on the same "
                       "random numbers, so each bar is a paired difference.")
        return None
    from ui.presenting import charts

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


def render(bundle: results.Bundle | None, status: Status, *, study: twin.Study | None,
           key: str | None, store: Store, attribution_key: str, tour=None) -> None:
    """The results of the current setting, else (marked so) those of an earlier setting of the same
    study, else a sentence saying where the run stands: never numbers under another study's title."""
    stale = bundle is not None and bundle.key != key
    if status.refusal() is not None:
        st.error(f"**This setting is refused before running:** {escape.markdown(status.refusal() or '')}",
                 icon=":material/block:")
        return
    if bundle is None:
        st.info(f"No results yet. {status.sentence()}", icon=":material/hourglass_empty:")
        return
    if stale:
        st.warning(f"These results are for an earlier setting ({bundle.hashes.text}). {status.sentence()}",
                   icon=":material/history:")
    if isinstance(bundle, results.LineBundle):
        line_results.render(bundle, tour, stale, status.running)
        return
    st.caption(stamp(bundle))
    if bundle.first_look:
        line_results.first_look_note(bundle)
        kpi_cards(bundle)
        return
    attribution = store.result(attribution_key) if not stale else None
    export_button(bundle, lambda: line_results.report_html(bundle, attribution, tour), stale, status.running)
    kpi_cards(bundle)

    st.markdown("#### OEE: from conventional to Industry 4.0")
    chart(bundle.figure("oee"), "chart-oee-bridge")
    if bundle.business is not None:
        st.markdown("#### Business case")
        business_cards(bundle.business)

    st.markdown("#### More, drawn when opened")
    line_results.flow_section(bundle)
    line_results.precision_section(bundle)
    line_results.losses_section(bundle)
    if bundle.business is not None:
        with on_demand(":material/payments: Business case: cash flow and where the benefit comes from",
                       line_results.BUSINESS) as open_:
            if open_:
                business_charts(bundle)
    else:
        st.info("This line has no `costs:` block, so there is no business case.")
    with on_demand(":material/table: All KPIs, conventional vs Industry 4.0", line_results.TABLE) as open_:
        if open_:
            table = kpis.comparison_table(bundle.difference, bundle.currency, line_results.period(bundle))
            st.dataframe(table, hide_index=True, width="stretch", placeholder=MISSING_CELL)
    if not stale:
        attribution_section(study, store, attribution_key)


def show(ctx: Context) -> None:
    """The Compare tab of this pass (registered in ui/views/registry.py): the current setting's
    results, else its first look while its run refines it, else an earlier setting's (marked)."""
    tour = ctx.store.result(ctx.tour_key) if ctx.study else None
    render(ctx.bundle or ctx.status.first_look or ctx.shown, ctx.status, study=ctx.study, key=ctx.key,
           store=ctx.store, attribution_key=ctx.attribution_key, tour=tour)
