"""The comparison as one self-contained HTML file (for slides and e-mail): the stamp, the KPI cards,
every chart (plotly.js inlined once, so it opens offline), the business case, the lever attribution
the trainer's narrative and the Explore tab's results (scenarios, sweep, tornado, optimisation) when
they were computed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import markdown_it
import plotly.graph_objects as go

import twin
from twin.energy import period_name
from twin.page_policy import SCRIPT, content_security_policy
from ui.computing import results
from ui.presenting import charts, escape, kpis
from ui.presenting.units import duration_text

if TYPE_CHECKING:
    from ui.computing.explore import Shown

CSS = """
body { font-family: Inter, Helvetica, Arial, sans-serif; color: #0f172a; margin: 2rem auto; max-width: 1200px;
       padding: 0 1.5rem; }
h1 { font-size: 1.8rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #e2e8f0; }
.stamp { color: #64748b; font-size: .9rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .8rem;
         margin: 1rem 0; }
.card { border: 1px solid #e2e8f0; border-radius: .6rem; padding: .8rem; overflow-wrap: anywhere; }
.card .label { color: #475569; font-size: .85rem; } .card .value { font-size: 1.6rem; font-weight: 600; }
.card .delta { font-weight: 600; }
.good { color: #16a34a; } .bad { color: #dc2626; } .flat { color: #64748b; }
.card .note { color: #64748b; font-size: .75rem; }
.row { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.figure { page-break-inside: avoid; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .3rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.step { page-break-inside: avoid; margin-bottom: 1rem; }
"""


def narrative_renderer() -> markdown_it.MarkdownIt:
    """Markdown for the trainer's narrative: paragraphs, emphasis, code spans and backslash escapes
    only. No raw HTML, links or images, whatever the text holds (the narrative escapes names too)."""
    return markdown_it.MarkdownIt("zero").enable(["emphasis", "backticks", "escape", "entity"])


class _Figures:
    """Plotly figures as HTML divs; the first one carries plotly.js inline."""

    def __init__(self) -> None:
        self.first = True
        self.scripts: list[str] = []
        """The text of every script written so far (for the report's CSP)."""

    def __call__(self, fig: go.Figure) -> str:
        include = "inline" if self.first else False
        self.first = False
        div = fig.to_html(full_html=False, include_plotlyjs=include, config={"displaylogo": False})
        self.scripts += SCRIPT.findall(div)
        return f'<div class="figure">{div}</div>'


def _card(label: str, value: str, delta: str, tone: str, note: str) -> str:
    return (f'<div class="card"><div class="label">{escape.html(label)}</div>'
            f'<div class="value">{escape.html(value)}</div>'
            f'<div class="delta {tone}">{escape.html(delta)}</div>'
            f'<div class="note">{note}</div></div>')


def _bottleneck_card(bundle: results.Bundle) -> str:
    necks = bundle.bottlenecks
    big = "industry40" if "industry40" in necks else "line"
    name, share = next(iter(necks[big].items()))
    notes = [", ".join(f"{escape.html(n)} {s:.0%}" for n, s in necks[tag].items()) + f" ({tag})"
             for tag in necks]
    return _card("Bottleneck (most often)", name, f"in {share:.0%} of runs", "flat", "<br>".join(notes))


def _cards(bundle: results.Bundle) -> str:
    out = ['<div class="cards">']
    if isinstance(bundle, results.LineBundle):
        for e in kpis.estimates(bundle.summary, bundle.currency, period=period_name(bundle.study.line)):
            out.append(_card(e.label, e.value, "", "flat", f"95% CI {escape.html(e.ci_text)}"))
        out += [_bottleneck_card(bundle), "</div>"]
        return "".join(out)
    for card in kpis.cards(bundle.difference, bundle.currency):
        tone = "flat" if card.improved is None else ("good" if card.improved else "bad")
        out.append(
            f'<div class="card"><div class="label">{escape.html(card.label)}</div>'
            f'<div class="value">{escape.html(card.value)}</div>'
            f'<div class="delta {tone}">{escape.html(card.delta_label)}</div>'
            f'<div class="note">conventional {escape.html(card.conventional_text)}<br>'
            f'95% CI of Δ {escape.html(card.ci_text)}</div></div>')
    out += [_bottleneck_card(bundle), "</div>"]
    return "".join(out)


def _table(frame) -> str:
    return frame.to_html(index=False, escape=True, border=0)


def _stations(line: twin.Line, bottlenecks: dict[str, dict[str, float]]) -> str:
    tags = {"conventional": "conventional", "industry40": "Industry 4.0", "line": ""}
    heads = "".join(f"<th>Bottleneck in{' (' + tags[t] + ')' if tags[t] else ''}</th>" for t in bottlenecks)
    rows = ["<tr><th>Station</th><th>Machines</th><th>Buffer</th><th>Cycle</th><th>MTBF / MTTR</th>"
            f"<th>Quality</th>{heads}</tr>"]
    for s in line.stations:
        cycle = getattr(s.process, "mean", None)
        failures = (f"{duration_text(getattr(s.failures.mtbf, 'mean', float('nan')))} / "
                    f"{duration_text(getattr(s.failures.mttr, 'mean', float('nan')))}") if s.failures else "–"
        quality = escape.html(s.quality.characteristic.name) if s.quality else "–"
        rows.append(f"<tr><td>{escape.html(s.name)}</td><td>{s.machines}</td>"
                    f"<td>{'∞' if s.buffer is None else s.buffer}</td>"
                    f"<td>{duration_text(cycle) if cycle else s.process.dist}</td><td>{failures}</td>"
                    f"<td>{quality}</td>"
                    + "".join(f"<td>{necks.get(s.name, 0.0):.0%} of runs</td>"
                              for necks in bottlenecks.values())
                    + "</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _sweep_table(summary, kpi: str):
    """The sweep's points for one KPI: the value(s) and the mean [95% CI]."""
    from ui.presenting.explore import ci_text

    rows = summary[summary["kpi"] == kpi]
    out = rows[[c for c in ("value", "second") if c in rows]].copy()
    out[kpis.label(kpi)] = [ci_text(kpi, m, lo, hi) for m, lo, hi in
                            zip(rows["mean"], rows["ci_low"], rows["ci_high"], strict=True)]
    return out


def _explore(shown: Shown, fig: _Figures) -> list[str]:
    """The Explore results that were run: each as its table (and chart), escaped like the rest."""
    from ui.presenting import explore as figures

    parts = ["<h2>Explore</h2>", "<p>What-if runs of this setting, every point on the same random "
             "numbers (paired differences); means with 95% CIs.</p>"]
    if shown.scenarios is not None:
        table = figures.scenarios_table(shown.scenarios.table())
        parts += ["<h3>What-if scenarios</h3>", _table(table.rename_axis("KPI").reset_index()),
                  "<p class='stamp'>Δ: the paired difference to the setting as it is, with its 95% "
                  "CI.</p>"]
    sweep = shown.sweep
    if sweep is not None:
        names = sweep.result.experiment.responses
        kpi = shown.sweep_kpi if shown.sweep_kpi in names else names[0]
        chart = (figures.sweep_band(sweep.summary, kpi, sweep.choice.label) if sweep.second is None else
                 figures.heatmap(sweep.summary, kpi, sweep.choice.label, sweep.second.label))
        columns = {"value": sweep.choice.label} | ({"second": sweep.second.label} if sweep.second else {})
        table = _sweep_table(sweep.summary, kpi).rename(columns=columns)
        parts += [f"<h3>Sweep: {escape.html(sweep.choice.label)}</h3>", fig(chart), _table(table)]
    tornado = shown.tornado
    if tornado is not None:
        names = tornado.result.tornado_run.responses
        kpi = shown.tornado_kpi if shown.tornado_kpi in names else names[0]
        bars = tornado.bars(kpi)
        parts += ["<h3>Tornado</h3>", fig(figures.tornado(bars, kpi)),
                  _table(bars.drop(columns=["path"]))]
    optimisation = shown.optimisation
    if optimisation is not None:
        result = optimisation.result
        frame = optimisation.finalists()
        decisions = list(optimisation.labels.values())
        answer = figures.best_sentence(frame, optimisation.objective, decisions,
                                       result.probability_correct_selection)
        parts += ["<h3>Optimisation</h3>", f"<p><b>{escape.html(answer)}</b></p>",
                  _table(figures.finalists_table(frame, result.reported, decisions)),
                  f"<p class='stamp'>{result.evaluations} designs evaluated, {result.replications} "
                  "replications each; the finalists ran again on fresh replications (KN ranking and "
                  "selection on common random numbers).</p>"]
    return parts


def build(bundle: results.Bundle, attribution: results.AttributionBundle | None = None,
          tour: results.TourBundle | None = None, *, explore: Shown | None = None) -> str:
    fig = _Figures()
    md = narrative_renderer()
    line = bundle.study.line
    levers = ", ".join(twin.LEVER_LABELS[n] for n in bundle.levers) or "none"
    compared = isinstance(bundle, results.ComparisonBundle)
    seed = next(iter(bundle.runs.values())).seed
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "",  # the Content-Security-Policy, once every script is written
        f"<title>{escape.html(line.name)}{': conventional vs Industry 4.0' if compared else ''}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape.html(line.name)}</h1>",
        "<p>Conventional line vs the same line with Industry 4.0 levers "
        f"(<b>{escape.html(levers)}</b>).</p>" if compared else
        "<p>The line's own results (no Industry 4.0 lever is on).</p>",
        f"<p class='stamp'>{line.replications} replications × {duration_text(line.horizon)} (warm-up "
        f"{duration_text(line.warmup)}) · seed {seed} · config hashes: {bundle.hashes.named()} · "
        f"Lighthouse Twin {twin.__version__} · {when}</p>",
        _cards(bundle),
        "<h2>The line</h2>", _stations(line, bundle.bottlenecks),
        "<h2>Flow</h2>", fig(bundle.figure("states")),
        fig(bundle.figure("throughput")),
    ]
    names = results.quality_stations(line)
    if bundle.part_logs and names:
        parts.append("<h2>Precision</h2>")
        parts += [fig(bundle.figure(f"quality:{name}")) for name in names]
    if bundle.currency:
        parts += ["<h2>Cost</h2>", fig(bundle.figure("cost"))]
    if compared:
        parts += ["<h2>OEE</h2>", '<div class="row">', fig(bundle.figure("oee")),
                  fig(bundle.figure("losses")), "</div>"]
    else:
        parts += ["<h2>Six big losses at the constraint</h2>", fig(bundle.figure("losses"))]
    if bundle.business is not None:
        b = bundle.business
        currency = escape.html(b.currency)
        payback = "never" if b.payback_months is None else f"{b.payback_months:.1f} months"
        parts += ["<h2>Business case</h2>",
                  f"<p>Investment <b>{b.capex:,.0f} {currency}</b> · net benefit "
                  f"<b>{b.net_benefit_per_year.mean:,.0f} {currency}</b> a year · "
                  f"payback <b>{payback}</b> · "
                  f"ROI over {b.horizon_years} years <b>{b.roi.mean:.0%}</b> · NPV at {b.discount_rate:.0%} "
                  f"<b>{b.npv.mean:,.0f} {currency}</b></p>",
                  '<div class="row">', fig(bundle.figure("cash")), fig(bundle.figure("savings")), "</div>"]
    if attribution is not None:
        parts += ["<h2>What each lever buys</h2>", '<div class="row">',
                  fig(charts.attribution_waterfall(attribution.table, attribution.full, "throughput_per_hour",
                                                   "Throughput: each lever alone, then together"))]
        if "cost_per_good_part" in attribution.full:
            parts.append(fig(charts.attribution_waterfall(
                attribution.table, attribution.full, "cost_per_good_part",
                "Cost per good part: each lever alone, then together", bundle.currency)))
        parts.append("</div>")
    if tour is not None:
        from ui.presenting.narrative import narrative

        parts += ["<h2>The levers, one at a time</h2>",
                  fig(charts.tour_path(tour.results, tour.steps, len(tour.steps) - 1, bundle.currency))]
        for title, paragraphs in narrative(tour):
            parts.append(f"<div class='step'><h3>{escape.html(title)}</h3>"
                         + "".join(md.render(p) for p in paragraphs) + "</div>")
    if explore is not None and explore.any():
        parts += _explore(explore, fig)
    period = period_name(line)
    table = kpis.comparison_table(bundle.difference, bundle.currency, period) if compared else \
        kpis.line_table(bundle.summary, bundle.currency, period)
    parts += ["<h2>All KPIs</h2>", _table(table),
              "<p class='stamp'>Paired differences over replications on common random numbers; 95% "
              "Student-t confidence intervals.</p></body></html>"]
    parts[1] = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(fig.scripts)}">'
    return "\n".join(parts)
