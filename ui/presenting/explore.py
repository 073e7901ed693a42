"""The Explore tab's figures as pure functions of its results: a sweep's mean with its 95% CI band,
and the tornado (paired effects with their CIs, the not significant ones greyed)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui.presenting import escape, kpis

BAND = "rgba(37, 99, 235, 0.18)"
LINE = "#2563eb"
MUTED = "#94a3b8"


def sweep_band(summary: pd.DataFrame, kpi: str, factor: str) -> go.Figure:
    """A KPI's mean over the swept values, with its 95% CI as a band."""
    rows = summary[summary["kpi"] == kpi].sort_values("value")
    scale = kpis.scale(kpi)
    x = rows["value"].tolist()
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x + x[::-1], y=[v * scale for v in rows["ci_high"]] +
                             [v * scale for v in rows["ci_low"][::-1]], fill="toself",
                             fillcolor=BAND, line={"width": 0}, hoverinfo="skip", name="95% CI"))
    fig.add_trace(go.Scatter(x=x, y=[v * scale for v in rows["mean"]], mode="lines+markers",
                             line={"color": LINE}, name="mean"))
    fig.update_layout(title=escape.plotly(f"{kpis.label(kpi)} vs {factor}"), showlegend=False,
                      xaxis_title=escape.plotly(factor), yaxis_title=escape.plotly(kpis.label(kpi)),
                      margin={"t": 50, "l": 10, "r": 10, "b": 10}, height=320)
    return fig


def heatmap(summary: pd.DataFrame, kpi: str, factor: str, second: str) -> go.Figure:
    """A KPI's mean over every combination of two values (hover: its 95% CI)."""
    rows = summary[summary["kpi"] == kpi]
    scale = kpis.scale(kpi)
    xs, ys = sorted(set(rows["value"])), sorted(set(rows["second"]))
    means = {(r["value"], r["second"]): r for r in rows.to_dict("records")}
    z = [[means[(x, y)]["mean"] * scale if (x, y) in means else None for x in xs] for y in ys]
    text = [[f"[{means[(x, y)]['ci_low'] * scale:.3g}, {means[(x, y)]['ci_high'] * scale:.3g}]"
             if (x, y) in means else "" for x in xs] for y in ys]
    fig = go.Figure(go.Heatmap(x=[str(x) for x in xs], y=[str(y) for y in ys], z=z, text=text,
                               colorscale="Blues", texttemplate="%{z:.3g}",
                               hovertemplate="%{x}, %{y}: %{z:.3g} (95% CI %{text})<extra></extra>"))
    fig.update_layout(title=escape.plotly(f"{kpis.label(kpi)}: {factor} × {second}"),
                      xaxis_title=escape.plotly(factor), yaxis_title=escape.plotly(second),
                      margin={"t": 50, "l": 10, "r": 10, "b": 10}, height=360)
    return fig


def tornado(bars: pd.DataFrame, kpi: str) -> go.Figure:
    """Each factor's effect high − low, largest on top, with its paired 95% CI."""
    scale = kpis.scale(kpi)
    rows = bars.iloc[::-1]
    effect = rows["effect"] * scale
    fig = go.Figure(go.Bar(
        x=effect, y=[escape.plotly(name) for name in rows["factor"]], orientation="h",
        marker_color=[LINE if significant else MUTED for significant in rows["significant"]],
        error_x={"type": "data", "symmetric": False, "array": rows["ci_high"] * scale - effect,
                 "arrayminus": effect - rows["ci_low"] * scale},
        hovertemplate="%{y}: %{x:.3g}<extra></extra>"))
    fig.update_layout(title=escape.plotly(f"Tornado: {kpis.label(kpi)}, high − low (grey: not "
                                          "significant)"),
                      margin={"t": 50, "l": 10, "r": 10, "b": 10}, height=120 + 40 * len(rows))
    return fig


def scenarios_table(table: pd.DataFrame) -> pd.DataFrame:
    """The scenarios side by side for display: one row per KPI, one column per scenario, each cell
    the mean [95% CI] and, for a what-if, its paired difference to the setting as it is."""
    rows: dict[str, dict[str, str]] = {}
    for record in table.to_dict("records"):
        kpi = str(record["kpi"])
        scale = kpis.scale(kpi)
        text = (f"{kpis.value_text(kpi, record['mean'])} "
                f"[{record['ci_low'] * scale:.3g}, {record['ci_high'] * scale:.3g}]")
        if "difference" in record and record["difference"] == record["difference"]:
            text += (f" · Δ {kpis.delta_text(kpi, record['difference'])} "
                     f"[{record['difference_low'] * scale:+.3g}, {record['difference_high'] * scale:+.3g}]")
        rows.setdefault(kpis.label(kpi), {})[escape.plain(record["scenario"])] = text
    return pd.DataFrame.from_dict(rows, orient="index")


def ci_text(kpi: str, mean: float, low: float, high: float) -> str:
    """Mean [95% CI] in the KPI's display unit."""
    scale = kpis.scale(kpi)
    return f"{kpis.value_text(kpi, mean)} [{low * scale:.3g}, {high * scale:.3g}]"


def finalists_table(frame: pd.DataFrame, reported: list[str], decisions: list[str]) -> pd.DataFrame:
    """The optimisation's finalists for display: their decisions, each KPI as mean [95% CI] under
    its label, the replications of the selection and the status."""
    out = pd.DataFrame({escape.plain(name): frame[name] for name in decisions})
    for kpi in reported:
        if kpi in frame:
            out[kpis.label(kpi)] = [ci_text(kpi, m, lo, hi) for m, lo, hi in
                                    zip(frame[kpi], frame[f"{kpi}_ci_low"], frame[f"{kpi}_ci_high"],
                                        strict=True)]
    out["replications"] = frame["replications"]
    out["status"] = frame["status"]
    return out


def best_sentence(frame: pd.DataFrame, objective: str, decisions: list[str],
                  probability: float | None) -> str:
    """The answer in one line (plain text: the caller escapes it for where it is shown)."""
    best = frame[frame["status"] == "best"].iloc[0]
    design = ", ".join(f"{name} = {best[name]:g}" for name in decisions)
    chance = "–" if probability is None else f"{probability:.3f}"
    value = ci_text(objective, best[objective], best[f"{objective}_ci_low"], best[f"{objective}_ci_high"])
    return f"Best: {design} · {kpis.label(objective)} {value} (95% CI) · P(best within δ) = {chance}"
