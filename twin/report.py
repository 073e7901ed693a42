"""Readable tables of results (rich), shared by the CLI and anything printing to a terminal."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table

from twin import kpi_registry as registry
from twin.display import markup
from twin.engine.states import STATE_SHORT_LABELS, STATES
from twin.kpi_registry import fmt

if TYPE_CHECKING:
    from twin.experiment import Results

def cost_table(summary, currency: str, title: str) -> Table:
    """Cost per good part by item (mean and CI), the explainable breakdown."""
    table = Table(title=title, title_justify="left")
    money = markup(currency)
    for column in ("cost item", f"{money} per good part", "95% CI", f"{money} per period"):
        table.add_column(column, justify="left" if column == "cost item" else "right")
    for item in ("machine", "labour", "energy", "maintenance", "material", "scrap", "escapes",
                 "levers"):
        key = f"cost_{item}_per_good_part"
        if key not in summary.index or not math.isfinite(summary.loc[key, "mean"]):
            continue
        row = summary.loc[key]
        if item == "levers" and row["mean"] == 0:
            continue
        table.add_row(item, fmt(row["mean"]), f"[{fmt(row['ci_low'])}, {fmt(row['ci_high'])}]",
                      fmt(summary.loc[f"cost_{item}_per_period", "mean"]))
    total = summary.loc["cost_per_good_part"]
    table.add_row("[b]total[/b]", f"[b]{fmt(total['mean'])}[/b]",
                  f"[{fmt(total['ci_low'])}, {fmt(total['ci_high'])}]",
                  fmt(summary.loc["cost_per_period", "mean"]))
    return table


STATE_COLUMNS = [(STATE_SHORT_LABELS[state], f"share_{state}") for state in STATES]
RESULT_COLUMNS = [("avail.", "availability"), ("OEE", "oee"), ("buffer", "buffer_mean"),
                  ("parts/h", "throughput_per_hour")]
_CELL = 10
"""Width a numeric column takes in a rich table ("100.0%", padding and border)."""


def station_tables(results: Results, bottleneck: str, width: int | None = None) -> list[Table]:
    """Where each station's time goes and what it delivers. States no station ever was in are left
    out; when the rest does not fit `width` columns, shares lose their decimal and then the
    columns are spread over as many tables as it takes (states first, then results)."""
    line = results.line
    stations = results.station_summary()["mean"]
    names = [spec.name for spec in line.stations]
    states = [(label, kpi) for label, kpi in STATE_COLUMNS if kpi == "share_busy" or
              any((n, kpi) in stations.index and float(stations.loc[(n, kpi)]) > 0 for n in names)]
    name_width = max(len(n) for n in names) + 6
    columns_wanted = states + RESULT_COLUMNS
    decimals, cell = 1, _CELL
    if width is not None and name_width + cell * len(columns_wanted) > width:
        decimals, cell = 0, _CELL - 2
    per_table = len(columns_wanted) if width is None else max(2, (width - name_width) // cell)
    groups = [columns_wanted[i:i + per_table] for i in range(0, len(columns_wanted), per_table)]
    tables = []
    for number, columns in enumerate(groups):
        title = "Stations (means over replications)" + (", continued" if number else "")
        table = Table(title=title, title_justify="left")
        table.add_column("Station", no_wrap=True)
        for label, _ in columns:
            table.add_column(label, justify="right", no_wrap=True)
        for name in names:
            cells = [markup(name) + (" ◀" if name == bottleneck else "")]
            for _, kpi in columns:
                value = float(stations.loc[(name, kpi)]) if (name, kpi) in stations.index else math.nan
                cells.append(fmt(value) if kpi in ("buffer_mean", "throughput_per_hour")
                             else ("–" if not math.isfinite(value) else f"{value:.{decimals}%}"))
            table.add_row(*cells)
        tables.append(table)
    return tables


def line_tables(results: Results, width: int | None = None) -> list[Table]:
    """The tables `twin run` prints; `width` (the terminal's columns) decides how the station table
    is laid out so that it reads at 80 columns."""
    line = results.line
    summary = results.summary()
    title = (f"{markup(line.name)} · {results.replications} replications × {line.observed_minutes:g} min "
             f"observed (warm-up {line.warmup:g}) · seed {results.seed} · line {results.config_hash} "
             f"· engine {results.engine}")
    table = Table(title=title, title_justify="left")
    for column in ("KPI", "mean", "95% CI", "unit"):
        table.add_column(column, justify="left" if column in ("KPI", "unit") else "right")
    for name, row in summary.iterrows():
        kpi = registry.line_kpi(str(name))
        if not math.isfinite(row["mean"]) or kpi.detail or not registry.shown_for(line, kpi):
            continue  # undefined or unmodelled for this line (no costs, no characteristic), or detail
        scale = kpi.scale
        ci = f"[{fmt(row['ci_low'] * scale)}, {fmt(row['ci_high'] * scale)}]"
        table.add_row(kpi.label, fmt(row["mean"] * scale), ci, markup(kpi.unit_for(line)))
    neck = results.bottleneck()
    table.caption = (f"Bottleneck: {markup(str(neck['station']))} "
                     f"(in {neck['frequency']:.0%} of replications). "
                     "Throughput counts good parts leaving the line; OEE = A × P × Q of the "
                     "constraint station.")

    tables = [table, *station_tables(results, str(neck["station"]), width)]
    if line.products:
        products = results.product_summary()
        by_product = Table(title="Products (good parts)", title_justify="left")
        for column in ("Product", "parts/h", "95% CI", "lead time (min)", "95% CI "):
            by_product.add_column(column, justify="left" if column == "Product" else "right")
        for product in line.products:
            th = products.loc[(product.name, "throughput_per_hour")]
            lt = products.loc[(product.name, "lead_time_min")]
            by_product.add_row(markup(product.name), fmt(th["mean"]),
                               f"[{fmt(th['ci_low'])}, {fmt(th['ci_high'])}]", fmt(lt["mean"]),
                               f"[{fmt(lt['ci_low'])}, {fmt(lt['ci_high'])}]")
        tables.append(by_product)
    if line.costs is not None:
        tables.append(cost_table(summary, line.costs.currency,
                                 f"Cost breakdown (per good part; per {line.costs.period})"))
    return tables
