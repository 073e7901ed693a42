"""The twin-vs-reality report as one HTML file: the KPI verdicts and the ECDFs of lead times and of
each station's processing times, the log's beside the twin's (Plotly, inline: the file opens
offline). Every text the user wrote (line and station names) is HTML-escaped, in tables and in the
figures' titles and legends alike (Plotly renders its text as HTML)."""

from __future__ import annotations

import html
import math

import numpy as np

from twin.checks.reality_run import RealityCheck, kpi_text, thinned
from twin.display import plain
from twin.kpi_registry import fmt
from twin.page_policy import script_policy

MAX_STATION_FIGURES = 20
POINTS = 2_000
"""Points per ECDF curve: evenly spaced order statistics draw the same curve at a fraction of the size."""

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}
table{border-collapse:collapse;font-size:14px}td,th{padding:4px 10px;border-bottom:1px solid #ddd}
td.num{text-align:right}.inside{color:#1a7f37}.outside{color:#cf222e;font-weight:bold}
.figures{display:flex;flex-wrap:wrap;gap:8px}"""


def _e(text: object) -> str:
    return html.escape(plain(text), quote=True)


def _ecdf(figure, values: np.ndarray, name: str, dash: str = "solid") -> None:
    import plotly.graph_objects as go

    if len(values) == 0:
        return
    ordered = thinned(values, POINTS)
    y = np.linspace(1 / len(ordered), 1.0, len(ordered))
    figure.add_trace(go.Scatter(x=ordered, y=y, mode="lines", line={"shape": "hv", "dash": dash},
                                name=_e(name)))


def _figure(title: str, observed: np.ndarray, twin: np.ndarray, x_title: str) -> str | None:
    import plotly.graph_objects as go

    if len(observed) == 0 and len(twin) == 0:
        return None
    figure = go.Figure()
    _ecdf(figure, observed, "the log")
    _ecdf(figure, twin, "the twin (all replications)", "dash")
    figure.update_layout(title=_e(title), xaxis_title=_e(x_title), yaxis_title="share of parts ≤ x",
                         width=540, height=360, margin={"l": 50, "r": 10, "t": 50, "b": 40},
                         legend={"orientation": "h", "y": -0.25})
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _rows(check: RealityCheck) -> str:
    out = []
    for item in check.checks:
        label, unit, scale = kpi_text(item.kpi, item.station, check.line)
        where = item.station or "line"
        twin, pi = item.twin, item.predicted
        error = item.relative_error
        verdict = "inside" if item.inside else "outside"
        out.append(
            f"<tr><td>{_e(where)}</td><td>{_e(label)}{' (' + _e(unit) + ')' if unit else ''}</td>"
            f"<td class=num>{_e(fmt(item.observed * scale))}</td>"
            f"<td class=num>{_e(fmt(twin.mean * scale))} [{_e(fmt(twin.low * scale))}, "
            f"{_e(fmt(twin.high * scale))}]</td>"
            f"<td class=num>[{_e(fmt(pi.low * scale))}, {_e(fmt(pi.high * scale))}]</td>"
            f"<td class=num>{_e(f'{error:+.1%}') if math.isfinite(error) else '–'}</td>"
            f"<td class={verdict}>{verdict}</td></tr>")
    return "".join(out)


def report_html(check: RealityCheck) -> str:
    """The whole report (a complete HTML document)."""
    page = _body(check)
    policy = html.escape(script_policy(page), quote=True)
    meta = f"<meta http-equiv='Content-Security-Policy' content=\"{policy}\">"
    return page.replace("<head>", f"<head>{meta}", 1)


def _body(check: RealityCheck) -> str:
    from plotly.offline import get_plotlyjs

    t0, t1 = check.observed.window
    figures = [_figure("Lead time (release to exit)", check.observed.lead_times, check.twin_lead_times,
                       "minutes")]
    for station in [s.name for s in check.line.stations][:MAX_STATION_FIGURES]:
        figures.append(_figure(f"Processing time at {station}", check.observed.processing.get(
            station, np.empty(0)), check.twin_processing.get(station, np.empty(0)), "minutes"))
    shown = "".join(f"<div>{f}</div>" for f in figures if f)
    notes = "".join(f"<li>{_e(n)}</li>" for n in check.notes)
    inside = sum(c.inside for c in check.checks)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Twin vs reality: {_e(check.line.name)}</title><style>{STYLE}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
        f"<h1>Twin vs reality: {_e(check.line.name)}</h1>"
        f"<p>The log covers {_e(fmt(t1 - t0))} min ({_e(fmt(t0))} to {_e(fmt(t1))}); the twin ran "
        f"{check.replications} periods of that length after a warm-up of {_e(fmt(check.line.warmup))} "
        f"min (seed {check.seed}, engine {_e(check.engine)}). <b>{inside} of {len(check.checks)}</b> "
        "observed values lie inside the twin's 95% prediction interval for one period.</p>"
        f"{'<ul>' + notes + '</ul>' if notes else ''}"
        "<table><tr><th>where</th><th>KPI</th><th>observed</th><th>twin mean [95% CI]</th>"
        "<th>95% prediction interval</th><th>rel. error</th><th>verdict</th></tr>"
        f"{_rows(check)}</table><h2>Distributions</h2><div class=figures>{shown}</div>"
        "</body></html>")
