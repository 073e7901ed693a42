"""Readable tables of results (rich), shared by the CLI and anything printing to a terminal."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.table import Table

from twin.display import markup

if TYPE_CHECKING:
    from twin.experiment import Results

LABELS: dict[str, tuple[str, str, float]] = {
    # kpi: (label, unit, scale)
    "throughput_per_hour": ("Throughput (good parts)", "/h", 1.0),
    "lead_time_min": ("Lead time", "min", 1.0),
    "wip": ("WIP (time average)", "parts", 1.0),
    "availability": ("Availability (constraint)", "%", 100.0),
    "performance": ("Performance (constraint)", "%", 100.0),
    "quality_rate": ("Quality rate", "%", 100.0),
    "oee": ("OEE (line)", "%", 100.0),
    "bottleneck_share": ("Bottleneck active share", "%", 100.0),
    "first_pass_yield": ("First-pass yield", "%", 100.0),
    "scrap_rate": ("Scrap rate", "%", 100.0),
    "escaped_ppm": ("Escaped defects", "ppm", 1.0),
    "false_reject_rate": ("False rejects (of good parts)", "%", 100.0),
    "cp": ("Cp", "", 1.0),
    "cpk": ("Cpk", "", 1.0),
    "characteristic_mean": ("Characteristic mean", "", 1.0),
    "characteristic_sigma": ("Characteristic sigma", "", 1.0),
    "defect_ppm": ("Defects as produced", "ppm", 1.0),
    "unplanned_downtime_share": ("Unplanned downtime", "% of machine time", 100.0),
    "changeover_share": ("Changeovers and tool changes", "% of machine time", 100.0),
    "changeover_min": ("Changeover time (per setup)", "min", 1.0),
    "energy_kwh": ("Energy", "kWh/period", 1.0),
    "energy_kwh_per_good_part": ("Energy per good part", "kWh", 1.0),
    "co2_kg_per_good_part": ("CO2 per good part", "kg", 1.0),
    "cost_per_good_part": ("Cost per good part", "", 1.0),
    "cost_per_period": ("Cost per period", "", 1.0),
}


DETAIL_KPIS = frozenset(
    [f"cost_{item}_per_{scope}" for item in ("machine", "labour", "energy", "maintenance", "material",
                                             "scrap", "escapes", "levers")
     for scope in ("good_part", "period")] + ["co2_kg", "characteristic_mean", "characteristic_sigma"]
)
"""KPIs kept out of the headline tables (they are in the JSON and CSV, and the breakdown table)."""
QUALITY_KPIS = frozenset({"first_pass_yield", "scrap_rate", "escaped_ppm", "false_reject_rate",
                          "cp", "cpk", "defect_ppm"})
CHANGEOVER_KPIS = frozenset({"changeover_share", "changeover_min"})


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


def fmt(value: float, digits: int = 3) -> str:
    """`value` to about `digits` significant figures, with thousands separators; – when undefined."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -2:
        return f"{value:.{digits}g}"
    return f"{value:,.{max(0, digits - 1 - magnitude)}f}"


STATE_COLUMNS = [("busy", "share_busy"), ("starved", "share_starved"), ("blocked", "share_blocked"),
                 ("down", "share_down"), ("maint.", "share_maintenance"), ("setup", "share_setup"),
                 ("tool", "share_tool_change"), ("wait op.", "share_waiting_operator"), ("off", "share_off")]
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
    states = [(label, kpi) for label, kpi in STATE_COLUMNS
              if any((n, kpi) in stations.index and float(stations.loc[(n, kpi)]) > 0 for n in names)]
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
             f"observed (warm-up {line.warmup:g}) · seed {results.seed} · line {results.config_hash}")
    table = Table(title=title, title_justify="left")
    for column in ("KPI", "mean", "95% CI", "unit"):
        table.add_column(column, justify="left" if column in ("KPI", "unit") else "right")
    has_quality = any(spec.quality is not None for spec in line.stations)
    has_changeovers = any(spec.setup is not None or spec.setup_pairs or spec.quality is not None
                          for spec in line.stations)
    for kpi, row in summary.iterrows():
        if not math.isfinite(row["mean"]) or str(kpi) in DETAIL_KPIS:
            continue  # undefined for this line (no costs, no characteristic) or detail only
        if (str(kpi) in QUALITY_KPIS and not has_quality) or (
                str(kpi) in CHANGEOVER_KPIS and not has_changeovers):
            continue  # the model has nothing to say about it for this line
        label, unit, scale = LABELS.get(str(kpi), (str(kpi), "", 1.0))
        ci = f"[{fmt(row['ci_low'] * scale)}, {fmt(row['ci_high'] * scale)}]"
        table.add_row(label, fmt(row["mean"] * scale), ci, unit)
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
