"""The Live page's pictures, as pure functions of what the live twin reports: the line's state on
its diagram (machines coloured by state, buffer levels) and the shift forecast's fan chart."""

from __future__ import annotations

import plotly.graph_objects as go

import twin
from twin.live.watch import Update
from twin.state import LineState
from ui.presenting import escape

STATE_COLOURS = {
    "busy": "#22c55e", "starved": "#cbd5e1", "blocked": "#f59e0b", "down": "#ef4444",
    "maintenance": "#a855f7", "setup": "#3b82f6", "tool_change": "#93c5fd",
    "waiting_operator": "#a16207", "off": "#64748b",
}
"""The colours of the station charts (ui/presenting/charts.py STATES), for one machine now."""
INK, AMBER = "#334155", "#b45309"


def state_dot(line: twin.Line, state: LineState | None) -> str:
    """DOT text of the line now: each station with one coloured cell per machine (its state, its
    part), each buffer with its level out of its capacity."""
    out = [
        "digraph live {",
        '  rankdir=LR; bgcolor="transparent"; nodesep=0.2; ranksep=0.15; pad=0.1;',
        f'  node [fontname="Helvetica" fontsize=12 fontcolor="{INK}"];',
        '  edge [color="#64748b" arrowsize=0.6 penwidth=1.2];',
        '  source [shape=cds style=filled fillcolor="#e2e8f0" color="#94a3b8" fontsize=11 label="in"];',
    ]
    previous = "source"
    stations = state.stations if state is not None else [None] * len(line.stations)
    for index, (spec, now) in enumerate(zip(line.stations, stations, strict=True)):
        capacity = "∞" if spec.buffer is None else str(spec.buffer)
        level = "?" if now is None else str(len(now.buffer))
        out.append(f'  b{index} [shape=box style="rounded,filled" fillcolor="#fef3c7" color="#d97706" '
                   f'fontsize=11 fontcolor="{AMBER}" label="{level}/{capacity}" '
                   f'tooltip="buffer: {level} of {capacity} parts"];')
        cells = []
        for number in range(spec.machines):
            machine = now.machines[number] if now is not None else None
            name = machine.state if machine is not None else "unknown"
            colour = STATE_COLOURS.get(name, "#ffffff")
            part = f" · part {machine.part.id}" if machine is not None and machine.part is not None else ""
            cells.append(f'<td bgcolor="{colour}" title="{number + 1}: {name}{part}">{number + 1}</td>')
        machines = "".join(cells[:12]) + (f"<td>+{len(cells) - 12}</td>" if len(cells) > 12 else "")
        label = (f'<table border="0" cellborder="1" cellspacing="2"><tr><td colspan="{min(len(cells), 13)}">'
                 f"<b>{escape.dot(spec.name)}</b></td></tr><tr>{machines}</tr></table>")
        out.append(f'  s{index} [shape=plain label=<{label}>];')
        out.append(f"  {previous} -> b{index} [arrowhead=none]; b{index} -> s{index};")
        previous = f"s{index}"
    out.append('  sink [shape=doublecircle style=filled fillcolor="#dcfce7" color="#16a34a" fontsize=10 '
               'width=0.55 fixedsize=true label="good"];')
    out.append(f"  {previous} -> sink;")
    out.append("}")
    return "\n".join(out)


def fan_chart(updates: list[Update], target: int | None) -> go.Figure:
    """Good parts by the end of the shift, forecast after forecast: the 95% and 80% bands, the
    mean, the parts made so far, and the target."""
    clocks = [u.forecast.clock for u in updates]
    good = [u.forecast.good_parts for u in updates]
    fig = go.Figure()
    for low, high, name, colour in (("p025", "p975", "95% interval", "rgba(37,99,235,0.15)"),
                                    ("p10", "p90", "80% interval", "rgba(37,99,235,0.3)")):
        fig.add_trace(go.Scatter(x=clocks, y=[g[high] for g in good], mode="lines", line={"width": 0},
                                 showlegend=False, hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=clocks, y=[g[low] for g in good], mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=colour, name=name))
    fig.add_trace(go.Scatter(x=clocks, y=[g["mean"] for g in good], mode="lines+markers",
                             line={"color": "#2563eb"}, name="forecast (mean)"))
    fig.add_trace(go.Scatter(x=clocks, y=[u.forecast.good_so_far for u in updates], mode="lines",
                             line={"color": "#334155", "dash": "dot"}, name="made so far"))
    if target is not None:
        fig.add_hline(y=target, line={"color": "#dc2626", "dash": "dash"},
                      annotation_text=f"target {target:,}", annotation_position="top left")
    fig.update_layout(title="Good parts by the end of the shift", height=360,
                      xaxis_title="clock (min)", yaxis_title="good parts",
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0})
    return fig
