"""How `twin live` shows a forecast: a rich table of the line now and the shift's forecast."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table

from twin.display import markup
from twin.live.watch import Update
from twin.state import MachineState
from twin.units import format_minutes


def _interval(low: float, high: float) -> str:
    return f"[{low:,.0f}, {high:,.0f}]"


def _holding(machine: MachineState) -> str:
    if machine.part is None:
        return ""
    if machine.state == "blocked":
        return f" (part {machine.part.id}, finished)"
    return f" (part {machine.part.id}, {machine.elapsed:.1f} min in)"


def live_view(update: Update) -> Group:
    """The forecast (good parts by the end of the shift) over the line's state (station by station)."""
    result = update.forecast
    good = result.good_parts
    head = Table(title=f"Forecast at clock {result.clock:.1f} min to {result.until:g} min "
                       f"({format_minutes(round(result.until - result.clock, 1))} to go) · "
                       f"{len(result.totals)} replications · "
                       f"engine {result.engine} · {result.seconds:.2f} s", title_justify="left")
    for column in ("good so far", "mean", "80% interval", "95% interval", "P(target)", "bottleneck"):
        head.add_column(column, justify="left" if column == "bottleneck" else "right")
    probability = result.probability_target
    head.add_row(f"{result.good_so_far:,}", f"{good['mean']:,.1f}", _interval(good["p10"], good["p90"]),
                 _interval(good["p025"], good["p975"]),
                 "-" if probability is None else f"{probability:.0%} of {result.target:,}",
                 markup(result.bottleneck or "-"))
    stations = Table(title="Line now", title_justify="left")
    for column in ("station", "buffer", "machines"):
        stations.add_column(column, justify="right" if column == "buffer" else "left")
    for station in update.state.stations:
        machines = ", ".join(f"{m.state}{_holding(m)}" for m in station.machines)
        stations.add_row(markup(station.name), str(len(station.buffer)), markup(machines))
    return Group(head, stations)
