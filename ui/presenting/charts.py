"""Plotly figures as pure functions of `twin` results: the app draws them and the HTML report embeds
the very same figures."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import twin
from twin.engine.states import STATE_COLOURS
from ui.computing.results import quality_stations
from ui.presenting import escape, kpis

CONV = "#64748b"
I40 = "#2563eb"
GOOD = "#16a34a"
BAD = "#dc2626"
SCENARIOS = {"conventional": ("Conventional", CONV), "industry40": ("Industry 4.0", I40),
             "line": ("This line", I40)}

STATES: list[tuple[str, str, str]] = [
    # column, label, colour
    ("share_busy", "busy", STATE_COLOURS["busy"]),
    ("share_setup", "setup", STATE_COLOURS["setup"]),
    ("share_tool_change", "tool change", STATE_COLOURS["tool_change"]),
    ("share_maintenance", "planned maintenance", STATE_COLOURS["maintenance"]),
    ("share_down", "down (failure)", STATE_COLOURS["down"]),
    ("share_waiting_operator", "waiting for operator", STATE_COLOURS["waiting_operator"]),
    ("share_blocked", "blocked", STATE_COLOURS["blocked"]),
    ("share_starved", "starved", STATE_COLOURS["starved"]),
]
COST_COLOURS = {
    "machine": "#475569", "labour": "#f59e0b", "energy": "#14b8a6", "maintenance": "#ef4444",
    "material": "#94a3b8", "scrap": "#b91c1c", "escapes": "#7c3aed", "levers": "#2563eb",
}


LEGENDS = {
    "top": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    "bottom": {"orientation": "h", "yanchor": "top", "xanchor": "left", "x": 0},
    "right": {"orientation": "v", "yanchor": "top", "y": 1, "xanchor": "left", "x": 1.02},
}
TOP, BOTTOM, BELOW_AXIS, TITLE_CHARS = 80, 120, 58, 44
"""Margins in pixels, and how far below the plot the x axis's ticks and title reach: a legend at the
bottom starts there, whatever the chart's height (a fraction of the plot would overlap the axis
title on a short chart and leave a gap on a tall one)."""


def _layout(fig: go.Figure, title: str, height: int = 380, legend: str = "top") -> go.Figure:
    """House style: title top left, legend where it hides nothing, subplot titles in grey, the
    toolbar upright at the right edge so it never covers the title."""
    subtitle = ""
    if len(title) > TITLE_CHARS and " (" in title and title.endswith(")"):
        # a half-width chart at 800 px would cut it: its parenthesis becomes the subtitle (a title
        # folded with <br> rose past the figure's top edge and lost its first line)
        title, subtitle = title[:-1].split(" (", 1)
    place = dict(LEGENDS[legend])
    bottom = BOTTOM if legend == "bottom" else 10
    if legend == "bottom":
        place["y"] = -BELOW_AXIS / max(height - TOP - bottom, 1)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top", "font": {"size": 16},
               "subtitle": {"text": subtitle, "font": {"size": 13, "color": "#475569"}}},
        height=height, template="plotly_white", legend=place, modebar={"orientation": "v"},
        margin={"l": 10, "r": 30, "t": TOP, "b": bottom},
        font={"family": "Source Sans Pro, Helvetica, Arial, sans-serif", "size": 12},
    )
    fig.update_annotations(selector={"xref": "paper", "yref": "paper"}, font={"size": 13, "color": "#475569"})
    return fig


# ----------------------------------------------------------------------------------------------
# Station states


def station_states(runs: dict[str, twin.Results]) -> go.Figure:
    """Share of on-shift machine time in each state, per station, one panel per line; each line's
    stations are named with how often they were its bottleneck, the most frequent outlined. Rows are
    positions, not names, so the panels share them even when their bottlenecks differ (and two names
    that look alike once escaped stay two rows)."""
    first = next(iter(runs.values()))
    fig = make_subplots(rows=1, cols=len(runs), shared_yaxes=True, horizontal_spacing=0.07,
                        subplot_titles=[SCENARIOS[k][0] for k in runs] if len(runs) > 1 else None)
    names = [s.name for s in first.line.stations]
    labels = [escape.plotly(n) for n in names]
    rows = list(range(len(names)))
    for col, results in enumerate(runs.values(), start=1):
        means = results.stations.groupby("station").mean(numeric_only=True).reindex(names)
        shares = kpis.bottleneck_shares(results)
        index = names.index(next(iter(shares)))
        off = means["share_off"].fillna(0.0).to_numpy() if "share_off" in means else np.zeros(len(names))
        on_shift = 1.0 - off
        on_shift[on_shift <= 0] = 1.0
        for column, text, colour in STATES:
            if column not in means:
                continue
            values = means[column].fillna(0.0).to_numpy() / on_shift
            if col == 1 and not values.any() and column not in ("share_busy", "share_down"):
                continue
            fig.add_trace(go.Bar(
                y=rows, x=values * 100, orientation="h", name=text, marker_color=colour,
                legendgroup=text, showlegend=col == 1, customdata=labels,
                hovertemplate=f"%{{customdata}}<br>{text}: %{{x:.1f}}% of on-shift time<extra></extra>",
            ), row=1, col=col)
        fig.add_shape(type="rect", x0=0, x1=100, y0=index - 0.45, y1=index + 0.45,
                      line={"color": BAD, "width": 3}, row=1, col=col)
        if col == 1:
            ticks = [f'<b><span style="color:{BAD}">{label} ◀ bottleneck {shares[name]:.0%}</span></b>'
                     if name in shares else label for name, label in zip(names, labels, strict=True)]
            fig.update_yaxes(ticktext=ticks, tickvals=rows, row=1, col=col)
    fig.update_layout(barmode="stack")
    # no tick at 0 and the axis title once: side by side on a narrow screen the
    # panels' "100%" and "0%" ran into each other, and so did two axis titles
    fig.update_xaxes(range=[0, 100], tickvals=[0, 25, 50, 75, 100], ticktext=["", "", "50%", "", "100%"])
    fig.update_xaxes(title_text="% of on-shift time", row=1, col=1)
    fig.update_yaxes(autorange="reversed")
    neck = "bottleneck: how often each station was, in red" if len(runs) > 1 or len(shares) > 1 else \
        "bottleneck outlined in red"
    return _layout(fig, f"Where machine time goes ({neck})", 200 + 48 * len(names), "bottom")


# ----------------------------------------------------------------------------------------------
# Throughput and WIP over time


def _rates(series: pd.DataFrame, window_min: float) -> pd.DataFrame:
    """Good parts per hour over a trailing window, and WIP: mean and 10–90% band over replications."""
    good = series.pivot_table(index="time_min", columns="replication", values="good").sort_index()
    wip = series.pivot_table(index="time_min", columns="replication", values="wip").sort_index()
    t = good.index.to_numpy(dtype=float)
    values = good.to_numpy(dtype=float)
    back = np.column_stack([np.interp(t - window_min, t, column, left=column[0]) for column in values.T])
    span = np.minimum(window_min, t - t[0])[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(span > 0, (values - back) / span * 60, np.nan)
    w = wip.to_numpy(dtype=float)

    def band(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        filled = np.where(np.isfinite(a), a, 0.0)  # only the first instant has no window yet
        lo, hi = np.percentile(filled, [10, 90], axis=1)
        return filled.mean(axis=1), lo, hi

    (r, r_lo, r_hi), (m, m_lo, m_hi) = band(rate), band(w)
    return pd.DataFrame({"time_min": t, "rate": r, "rate_lo": r_lo, "rate_hi": r_hi,
                         "wip": m, "wip_lo": m_lo, "wip_hi": m_hi})


def _band(fig: go.Figure, x, lo, hi, colour: str, row: int) -> None:
    fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                             fill="toself", fillcolor=colour, opacity=0.15, line={"width": 0},
                             hoverinfo="skip", showlegend=False), row=row, col=1)


def throughput_wip(runs: dict[str, twin.Results]) -> go.Figure:
    line = next(iter(runs.values())).line
    window = max(60.0, line.observed_minutes / 40)
    days = line.horizon >= 2 * 24 * 60
    div, axis = (24 * 60, "time (days)") if days else (60, "time (hours)")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[f"Good parts per hour (trailing {window / 60:.3g} h)",
                                        "Work in process (parts)"])
    for key, results in runs.items():
        name, colour = SCENARIOS[key]
        data = _rates(results.series(), window)
        x = data["time_min"].to_numpy() / div
        _band(fig, x, data["rate_lo"].to_numpy(), data["rate_hi"].to_numpy(), colour, 1)
        fig.add_trace(go.Scatter(x=x, y=data["rate"], name=name, line={"color": colour, "width": 2},
                                 legendgroup=key, hovertemplate="%{y:.1f} parts/h<extra>" + name
                                 + "</extra>"), row=1, col=1)
        _band(fig, x, data["wip_lo"].to_numpy(), data["wip_hi"].to_numpy(), colour, 2)
        fig.add_trace(go.Scatter(x=x, y=data["wip"], name=name, line={"color": colour, "width": 2},
                                 legendgroup=key, showlegend=False,
                                 hovertemplate="%{y:.1f} parts<extra>" + name + "</extra>"),
                      row=2, col=1)
    fig.update_xaxes(title_text=axis, row=2, col=1)
    return _layout(fig, "Throughput and WIP over time (mean; band: 10–90% of replications)", 560, "bottom")


# ----------------------------------------------------------------------------------------------
# Precision


def _characteristic(part_log: pd.DataFrame, station: str) -> pd.DataFrame:
    table = part_log[(part_log["station"] == station) & part_log["characteristic"].notna()]
    return table.sort_values("end_min")


def quality_over_time(part_logs: dict[str, pd.DataFrame], line: twin.Line, station: str,
                      max_points: int = 2500) -> go.Figure:
    spec = line.stations[line.station_index(station)].quality.characteristic
    unit = f" ({escape.plotly(spec.unit)})" if spec.unit else ""
    characteristic = escape.plotly(spec.name)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.68, 0.32], shared_yaxes=True,
                        horizontal_spacing=0.02,
                        subplot_titles=["Each part as made (one replication)", "Distribution"])
    for key, log in part_logs.items():
        name, colour = SCENARIOS[key]
        data = _characteristic(log, station)
        if len(data) > max_points:
            data = data.iloc[np.linspace(0, len(data) - 1, max_points).astype(int)]
        rejected = data["outcome"] != "passed"
        fig.add_trace(go.Scatter(
            x=data["end_min"] / 60, y=data["characteristic"], mode="markers", name=name,
            marker={"color": colour, "size": 4, "opacity": 0.55}, legendgroup=key,
            hovertemplate="%{y:.4g}" + unit + " at %{x:.1f} h<extra>" + name + "</extra>"),
            row=1, col=1)
        if rejected.any():
            fig.add_trace(go.Scatter(
                x=data.loc[rejected, "end_min"] / 60, y=data.loc[rejected, "characteristic"],
                mode="markers", name=f"{name}: rejected", legendgroup=key,
                marker={"color": BAD, "size": 7, "symbol": "x"}), row=1, col=1)
        fig.add_trace(go.Histogram(y=data["characteristic"], name=name, marker_color=colour,
                                   opacity=0.55, showlegend=False, legendgroup=key, nbinsy=40,
                                   histnorm="probability"), row=1, col=2)
    for value, text, dash in ((spec.lsl, "LSL", "dash"), (spec.usl, "USL", "dash"),
                              (spec.nominal, "nominal", "dot")):
        colour = BAD if text != "nominal" else "#0f172a"
        for col in (1, 2):
            fig.add_hline(y=value, line={"color": colour, "dash": dash, "width": 1.5}, row=1, col=col)
        fig.add_annotation(text=f"{text} {value:g}", xref="x domain", x=0.0, y=value, yref="y",
                           showarrow=False, yshift=8, xanchor="left", font={"color": colour, "size": 11},
                           row=1, col=1)
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text="time (hours)", row=1, col=1)
    fig.update_xaxes(title_text="share of parts", tickformat=".0%", row=1, col=2)
    fig.update_yaxes(title_text=f"{characteristic}{unit}", row=1, col=1)
    return _layout(fig, f"{characteristic} at {escape.plotly(station)}: against the spec limits", 460,
                   "bottom")


# ----------------------------------------------------------------------------------------------
# Cost per good part


def cost_items(table: pd.DataFrame) -> list[str]:
    return [c.removeprefix("cost_").removesuffix("_per_good_part") for c in table.columns
            if c.startswith("cost_") and c.endswith("_per_good_part") and c != "cost_per_good_part"]


def cost_breakdown(runs: dict[str, twin.Results], currency: str) -> go.Figure:
    currency = escape.plotly(currency)
    tables = [r.kpis for r in runs.values()]
    x = [SCENARIOS[k][0] for k in runs]
    fig = go.Figure()
    for item in cost_items(tables[0]):
        column = f"cost_{item}_per_good_part"
        values = [float(t[column].mean()) for t in tables]
        if not any(values):
            continue
        fig.add_trace(go.Bar(x=x, y=values, name=item, marker_color=COST_COLOURS.get(item, "#999"),
                             hovertemplate=f"{item}: %{{y:.2f}} {currency}<extra></extra>"))
    totals = [float(t["cost_per_good_part"].mean()) for t in tables]
    # the totals drawn over the plot's edge (cliponaxis off), without the currency the axis names:
    # in a half-width column at 800 px "41.86 EUR" was wider than its bar and was cut
    fig.add_trace(go.Scatter(x=x, y=totals, mode="text", text=[f"<b>{t:,.2f}</b>" for t in totals],
                             textposition="top center", showlegend=False, hoverinfo="skip", cliponaxis=False))
    fig.update_layout(barmode="stack", yaxis_title=f"{currency} per good part",
                      yaxis_range=[0, max(totals) * 1.15 if all(map(math.isfinite, totals)) else None])
    return _layout(fig, "Cost per good part, item by item", 560, "right")


# ----------------------------------------------------------------------------------------------
# Lever attribution and OEE bridge


def _waterfall(labels: list[str], values: list[float], measures: list[str], hover: list[str],
               higher_is_better: bool, number: str) -> go.Waterfall:
    up, down = (GOOD, BAD) if higher_is_better else (BAD, GOOD)
    return go.Waterfall(
        x=labels, y=values, measure=measures,
        text=[("{:+" + number[2:]).format(v) if m == "relative" else number.format(v)
              for v, m in zip(values, measures, strict=True)],
        textposition="outside", hovertext=hover, hoverinfo="text+x",
        increasing={"marker": {"color": up}}, decreasing={"marker": {"color": down}},
        totals={"marker": {"color": I40}}, connector={"line": {"color": "#94a3b8", "dash": "dot"}},
    )


def attribution_waterfall(table: pd.DataFrame, full: dict[str, float], kpi: str, title: str,
                          currency: str = "") -> go.Figure:
    """Conventional → each lever alone → interactions → all levers, for one KPI."""
    currency = escape.plotly(currency)
    rows = table[table["kpi"] == kpi]
    base = float(rows["baseline"].iloc[0])
    labels, values, measures, hover = ["Conventional"], [base], ["absolute"], [""]
    for _, row in rows.iterrows():
        labels.append(twin.LEVER_LABELS.get(row["lever"], row["lever"]))
        values.append(float(row["alone"]))
        measures.append("relative")
        hover.append(f"alone: {kpis.delta_text(kpi, row['alone'], currency)}, 95% CI "
                     f"[{kpis.delta_text(kpi, row['alone_low'], currency)}, "
                     f"{kpis.delta_text(kpi, row['alone_high'], currency)}]")
    rest = full[kpi] - float(rows["alone"].sum())
    labels += ["Interactions", "Industry 4.0"]
    values += [rest, base + full[kpi]]
    measures += ["relative", "total"]
    hover += ["all levers together minus the sum of each alone", ""]
    number = "{:,.2f}" if abs(base) < 1000 else "{:,.0f}"
    fig = go.Figure(_waterfall(labels, values, measures, hover, kpis.higher_is_better(kpi) is not False,
                               number))
    unit = kpis.unit(kpi, currency)
    fig.update_yaxes(title_text=f"{kpis.label(kpi)}, {unit}" if unit else kpis.label(kpi))
    low = min(0.0, np.cumsum(values[:-1]).min(), values[-1])  # bars from zero: no exaggeration
    high = max(0.0, np.cumsum(values[:-1]).max(), values[-1])
    pad = (high - low) * 0.15 or 1
    fig.update_yaxes(range=[low - pad if low < 0 else 0, high + pad])
    fig.update_layout(showlegend=False)
    return _layout(fig, title, 400)


def oee_bridge(bridge: pd.DataFrame) -> go.Figure:
    steps = list(bridge.index)
    values = [float(v) * 100 for v in bridge["value"]]
    measures = ["absolute", "relative", "relative", "relative", "total"]
    labels = [s[:1].upper() + s[1:] for s in steps]
    hover = [f"{v:+.1f} OEE points" if m == "relative" else f"{v:.1f}%" for v, m in zip(values, measures,
                                                                                      strict=True)]
    fig = go.Figure(_waterfall(labels, values, measures, hover, True, "{:.1f}"))
    fig.update_yaxes(title_text="OEE (%)", range=[0, 105])
    fig.update_layout(showlegend=False)
    return _layout(fig, "OEE loss bridge: A × P × Q, step by step", 400)


def six_big_losses(losses: pd.DataFrame) -> go.Figure:
    table = losses.drop(index=["start-up rejects"], errors="ignore")
    fig = go.Figure()
    for key in losses.columns:
        name, colour = SCENARIOS[key]
        fig.add_trace(go.Bar(y=[i[:1].upper() + i[1:] for i in table.index], x=table[key] * 100,
                             orientation="h", name=name, marker_color=colour,
                             hovertemplate="%{y}: %{x:.1f}% of planned time<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", xaxis_title="% of the constraint's planned time")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Six big losses at the constraint", 400)


# ----------------------------------------------------------------------------------------------
# Business case


def cash_flow(business: twin.BusinessCase) -> go.Figure:
    """Cumulative discounted cash flow: −capex, then the net annual benefit each year."""
    currency = escape.plotly(business.currency)
    years = list(range(business.horizon_years + 1))
    rate = business.discount_rate
    cumulative, total = [], -business.capex
    for year in years:
        if year > 0:
            total += business.net_benefit_per_year.mean / (1 + rate) ** year
        cumulative.append(total)
    colours = [GOOD if v >= 0 else BAD for v in cumulative]
    fig = go.Figure(go.Bar(x=years, y=cumulative, marker_color=colours,
                           text=[f"{v / 1000:,.0f}k" for v in cumulative], textposition="outside",
                           hovertemplate="year %{x}: %{y:,.0f} " + currency + "<extra></extra>"))
    fig.add_hline(y=0, line={"color": "#0f172a", "width": 1})
    fig.update_xaxes(title_text="year", dtick=1)
    fig.update_yaxes(title_text=f"cumulative discounted cash flow ({currency})")
    pad = (max(cumulative) - min(cumulative)) * 0.15
    fig.update_yaxes(range=[min(cumulative) - pad, max(cumulative) + pad])
    return _layout(fig, f"Cash flow over {business.horizon_years} years at {rate:.0%} "
                        f"(NPV {business.npv.mean:,.0f} {currency})", 380)


def savings(business: twin.BusinessCase) -> go.Figure:
    currency = escape.plotly(business.currency)
    items = {k: v.mean for k, v in business.savings_by_item.items() if abs(v.mean) > 0}
    items["extra output"] = business.extra_output_value_per_year.mean
    items["lever opex"] = -business.opex_per_year
    names = list(items)
    values = [items[n] for n in names]
    fig = go.Figure(go.Bar(y=names, x=values, orientation="h",
                           marker_color=[GOOD if v >= 0 else BAD for v in values],
                           hovertemplate="%{y}: %{x:,.0f} " + currency + " a year<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=f"{currency} per year")
    return _layout(fig, f"Where the net benefit comes from ({business.net_benefit_per_year.mean:,.0f} "
                        f"{currency} a year)", 380)


# ----------------------------------------------------------------------------------------------
# The standard set


def _flow_figures(bundle) -> dict[str, Callable[[], go.Figure]]:
    """The charts of one or two lines' own results: states, flow, cost, losses, precision."""
    runs, currency = bundle.runs, bundle.currency
    out: dict[str, Callable[[], go.Figure]] = {
        "states": lambda: station_states(runs),
        "throughput": lambda: throughput_wip(runs),
        "losses": lambda: six_big_losses(bundle.losses),
    }
    if currency:
        out["cost"] = lambda: cost_breakdown(runs, currency)
    line = bundle.study.line
    if bundle.part_logs:
        for name in quality_stations(line):
            out[f"quality:{name}"] = lambda n=name: quality_over_time(bundle.part_logs, line, n)
    return out


def line_figures(bundle) -> dict[str, Callable[[], go.Figure]]:
    """How to draw each chart of a line alone (a `ui.computing.results.LineBundle`), by name."""
    return _flow_figures(bundle)


def comparison_figures(bundle) -> dict[str, Callable[[], go.Figure]]:
    """How to draw each chart of a comparison (a `ui.computing.results.ComparisonBundle`), by name: the page
    and the report draw from here, and a finished run draws them all once, off the page's thread."""
    out = _flow_figures(bundle)
    out["oee"] = lambda: oee_bridge(bundle.bridge)
    if bundle.business is not None:
        out["cash"] = lambda: cash_flow(bundle.business)
        out["savings"] = lambda: savings(bundle.business)
    return out


# ----------------------------------------------------------------------------------------------
# Trainer tour


def tour_path(results: list[twin.Results], steps: list[str], current: int, currency: str) -> go.Figure:
    """Throughput (bars) and cost per good part (line) as the levers come on one by one. Labels are
    slanted so they do not collide in a side column, and each axis keeps its own round ticks."""
    currency = escape.plotly(currency)
    labels = ["Conventional"] + [f"+ {twin.LEVER_LABELS.get(s, s)}" for s in steps[1:]]
    throughput = [float(r.kpis["throughput_per_hour"].mean()) for r in results]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    colours = [I40 if i == current else "#bfdbfe" for i in range(len(labels))]
    fig.add_trace(go.Bar(x=labels, y=throughput, name="Throughput (good parts/h)", marker_color=colours,
                         text=[f"{v:.2f}" for v in throughput], textposition="inside", textangle=0,
                         insidetextanchor="end", textfont={"color": "#0f172a", "size": 10}))
    if "cost_per_good_part" in results[0].kpis:
        cost = [float(r.kpis["cost_per_good_part"].mean()) for r in results]
        fig.add_trace(go.Scatter(x=labels, y=cost, name=f"Cost per good part ({currency})",
                                 mode="lines+markers", line={"color": "#f59e0b", "width": 3},
                                 marker={"size": [14 if i == current else 8 for i in range(len(labels))]}),
                      secondary_y=True)
        fig.update_yaxes(title_text=f"{currency} per good part", secondary_y=True, tickmode="auto", nticks=5,
                         range=[0, max(cost) * 1.25], showgrid=False)
    fig.update_yaxes(title_text="good parts per hour", secondary_y=False, tickmode="auto", nticks=6,
                     range=[0, max(throughput) * 1.25])
    fig.update_xaxes(tickangle=-35, automargin=True, tickfont={"size": 11})  # a side column is narrow
    _layout(fig, "The levers, one at a time", 440)
    # the legend under the title (slanted labels take the bottom), room for the cost axis beside
    # the upright toolbar
    fig.update_layout(margin={"r": 70, "t": 100}, legend={"x": 0, "xanchor": "left", "y": 1.03})
    return fig
