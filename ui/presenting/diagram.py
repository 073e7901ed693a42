"""The line as a Graphviz diagram (DOT text): source, buffers with their capacity, stations with their
machines and cycle, inspections, scrap and rework loops as back edges. Every name in it goes through
`escape.dot`, so it stays text inside its label or tooltip."""

from __future__ import annotations

import twin
from ui.presenting import escape
from ui.presenting.units import duration_text

LEVER_BADGES = {
    "predictive_maintenance": "predictive", "closed_loop_quality": "closed loop", "automation": "automated",
}
INK, BLUE, RED, AMBER = "#334155", "#2563eb", "#dc2626", "#b45309"


def _mean(spec) -> float:
    if hasattr(spec, "mean"):
        return float(spec.mean)
    values = getattr(spec, "values", None)
    if values:
        return sum(values) / len(values)
    if hasattr(spec, "mode"):
        return (spec.min + spec.mode + spec.max) / 3
    return (spec.min + spec.max) / 2


def _source_label(line: twin.Line) -> str:
    source = line.source
    if source.kind == "arrivals":
        return f"arrivals<br/>every {duration_text(_mean(source.interarrival))}"
    if source.kind == "conwip":
        return f"CONWIP<br/>cap {source.wip_cap}"
    return "raw<br/>material"


SCENARIO_TAGS = {"conventional": "conventional", "industry40": "Industry 4.0", "line": ""}


def bottleneck_text(name: str, bottlenecks: dict[str, dict[str, float]]) -> str | None:
    """`bottleneck in 40% of runs` (one line), or `bottleneck: 40% conventional, 70% Industry 4.0`;
    None for a station that never was one."""
    shares = {tag: necks.get(name, 0.0) for tag, necks in bottlenecks.items()}
    if not any(shares.values()):
        return None
    if len(shares) == 1:
        return f"bottleneck in {next(iter(shares.values())):.0%} of runs"
    return "bottleneck: " + ", ".join(f"{share:.0%} {SCENARIO_TAGS.get(tag, tag)}"
                                      for tag, share in shares.items())


def _station_label(station, badges: list[str], bottleneck: str | None) -> str:
    rows = [f'<b><font point-size="15">{escape.dot(station.name)}</font></b>']
    machines = f"{station.machines} × " if station.machines > 1 else ""
    rows.append(f"{machines}{duration_text(_mean(station.process))}/part")
    if station.failures is not None:
        rows.append(f"MTBF {duration_text(_mean(station.failures.mtbf))}")
        rows.append(f"MTTR {duration_text(_mean(station.failures.mttr))}")
    if station.setup is not None:
        rows.append(f"setup {duration_text(_mean(station.setup))}")
    if station.quality is not None:
        rows.append(f"◎ {escape.dot(station.quality.characteristic.name)}")
    rows += [f'<font color="{BLUE}"><b>{badge}</b></font>' for badge in badges]
    if bottleneck:
        rows.append(f'<font color="{RED}"><b>{bottleneck}</b></font>')
    return "<br/>".join(rows)


def _badges(station, after, levers: list[str]) -> list[str]:
    badges = []
    if "predictive_maintenance" in levers and after.maintenance != station.maintenance:
        badges.append(LEVER_BADGES["predictive_maintenance"])
    if "closed_loop_quality" in levers and after.quality != station.quality:
        badges.append(LEVER_BADGES["closed_loop_quality"])
    if "automation" in levers and after.process != station.process:
        badges.append(LEVER_BADGES["automation"])
    return badges


def dot(line: twin.Line, upgraded: twin.Line | None = None,
        bottlenecks: dict[str, dict[str, float]] | None = None, levers: list[str] | None = None) -> str:
    """DOT text of `line`; with `upgraded` and `levers`, stations a lever changes carry a badge; with
    `bottlenecks` (per line, how often each station was its bottleneck), every station that was one
    says how often, the line width growing with it."""
    levers = levers or []
    bottlenecks = bottlenecks or {}
    first = next(iter(bottlenecks.values()), {})
    out = [
        "digraph line {",
        '  rankdir=LR; bgcolor="transparent"; nodesep=0.2; ranksep=0.15; pad=0.1;',
        f'  node [fontname="Helvetica" fontsize=12 fontcolor="{INK}"];',
        '  edge [color="#64748b" arrowsize=0.6 penwidth=1.2];',
        f'  source [shape=cds style=filled fillcolor="#e2e8f0" color="#94a3b8" fontsize=11 '
        f'label=<{_source_label(line)}>];',
    ]
    previous = "source"
    end_of_line = []
    for index, station in enumerate(line.stations):
        buffer = "∞" if station.buffer is None else str(station.buffer)
        out.append(f'  b{index} [shape=box style="rounded,filled" fillcolor="#fef3c7" color="#d97706" '
                   f'width=0.32 height=0.32 fixedsize=true fontsize=12 fontcolor="{AMBER}" label="{buffer}" '
                   f'tooltip="buffer: {buffer} parts"];')
        badges = _badges(station, upgraded.stations[index], levers) if upgraded is not None else []
        neck = bottleneck_text(station.name, bottlenecks)
        width = 1.2 + 2.8 * max((necks.get(station.name, 0.0) for necks in bottlenecks.values()), default=0)
        colour = RED if neck else INK
        if neck and first and station.name == next(iter(first)):
            width = max(width, 3.0)
        out.append(f'  s{index} [shape=box style="rounded,filled" fillcolor="#ffffff" '
                   f'color="{colour}" penwidth={width:.1f} margin="0.12,0.06" '
                   f'label=<{_station_label(station, badges, neck)}>];')
        out.append(f"  {previous} -> b{index} [arrowhead=none]; b{index} -> s{index};")
        previous = f"s{index}"
        inspection = station.inspection
        if inspection is None or inspection.where == "none":
            continue
        if inspection.where == "end_of_line":
            end_of_line.append(inspection)
            continue
        node = f"i{index}"
        what = "sample" if inspection.where == "sampling" else "check"
        out.append(f'  {node} [shape=diamond style=filled fillcolor="#dbeafe" color="{BLUE}" fontsize=10 '
                   f'width=0.5 height=0.5 fixedsize=true label="{what}" '
                   f'tooltip="{escape.dot(station.quality.characteristic.name)} checked after '
                   f'{escape.dot(station.name)}"];')
        out.append(f"  {previous} -> {node};")
        _reject(out, node, inspection, line)
        previous = node
    if end_of_line:
        out.append(f'  eol [shape=diamond style=filled fillcolor="#dbeafe" color="{BLUE}" fontsize=10 '
                   f'width=0.75 height=0.6 fixedsize=true label="final\\ncheck" '
                   f'tooltip="end-of-line inspection"];')
        out.append(f"  {previous} -> eol;")
        for inspection in end_of_line:
            _reject(out, "eol", inspection, line)
        previous = "eol"
    out.append('  sink [shape=doublecircle style=filled fillcolor="#dcfce7" color="#16a34a" fontsize=10 '
               'width=0.55 fixedsize=true label="good"];')
    out.append(f"  {previous} -> sink;")
    out.append("}")
    return "\n".join(dict.fromkeys(out))


def _reject(out: list[str], node: str, inspection, line: twin.Line) -> None:
    if inspection.action == "rework" and inspection.to:
        target = next(i for i, s in enumerate(line.stations) if s.name == inspection.to)
        out.append(f'  {node} -> s{target} [style=dashed color="{AMBER}" fontcolor="{AMBER}" fontsize=10 '
                   f'label="rework" constraint=false];')
    else:
        out.append(f'  scrap [shape=box style="rounded,filled" fillcolor="#fee2e2" color="{RED}" fontsize=10 '
                   f'fontcolor="{RED}" height=0.3 label="scrap"];')
        out.append(f'  {node} -> scrap [style=dashed color="{RED}"];')
