"""`twin compare`: conventional vs Industry 4.0 on common random numbers, from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from twin import kpi_registry as registry
from twin.cli.shell import (
    ENGINE_HELP,
    Engine,
    Format,
    app,
    err,
    guarded,
    print_tables,
    progress_bar,
    say_note,
    warn,
)
from twin.diagnostics import Notice
from twin.display import markup, spreadsheet_safe
from twin.errors import ConfigError
from twin.io import config_hash, load_study
from twin.kpi_registry import fmt
from twin.levers import LEVER_LABELS


def _precision(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise ConfigError(f"--precision: expected a relative half-width such as 1% or 0.01, "
                          f"got {value!r}") from None
    if not 0 < number < 1:
        raise ConfigError(f"--precision: must be between 0 and 100%, got {value!r}")
    return number


def precision_shortfall(result, asked: str | None) -> str | None:
    """The warning when `--precision` stopped at its replication cap without reaching the target."""
    from twin.comparison import MAX_REPLICATIONS, worst_precision

    if result.precision_met is not False:
        return None
    worst = worst_precision(result)
    widest = "" if worst is None else (
        f"; the widest is {registry.line_kpi(worst[1]).label} "
        f"({'Industry 4.0' if worst[0] == 'industry40' else 'conventional'}) at ±{worst[2]:.1%}")
    return (f"--precision {asked}: not met after {result.conventional.replications} replications "
            f"(the cap is {MAX_REPLICATIONS}){widest}")


@app.command()
def compare(
    study_file: Annotated[Path, typer.Argument(metavar="STUDY", help="A study (or line) YAML file.")],
    replications: Annotated[int | None, typer.Option(min=2, help="Replications (default: file).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Base seed (default: file).")] = None,
    levers: Annotated[str | None, typer.Option(help="Comma-separated levers to switch on "
                                               "(default: those enabled in the study).")] = None,
    precision: Annotated[str | None, typer.Option(help="Add replications until headline KPIs' "
                                                  "95% CI half-width is within this, e.g. 1%.")] = None,
    attribution: Annotated[bool, typer.Option("--attribution", help="Also attribute the "
                                              "difference to each lever.")] = False,
    format: Annotated[Format, typer.Option("--format", "-f", help="table or json.")] = Format.table,
    workers: Annotated[int | None, typer.Option(min=1, help="Local processes (default: all cores).")] = None,
    dask: Annotated[str | None, typer.Option(help="Run replications on this Dask scheduler, "
                                             "e.g. tcp://10.0.0.5:8786.")] = None,
    engine: Annotated[Engine, typer.Option(help=ENGINE_HELP)] = Engine.auto,
) -> None:
    """Compare the conventional line with the same line with Industry 4.0 levers."""
    from twin.attribution import attribute
    from twin.business import business_case
    from twin.comparison import compare as run_comparison
    from twin.losses import oee_bridge

    study = guarded(lambda: load_study(study_file))
    names = [n.strip() for n in levers.split(",") if n.strip()] if levers else None
    target = guarded(lambda: _precision(precision))
    total = 2 * (replications or study.line.replications)
    with progress_bar(total, "Comparing") as bar:
        task = bar.add_task("compare", total=total)

        def tick(done: int, of: int) -> None:
            bar.update(task, completed=done, total=of)

        result = guarded(lambda: run_comparison(study, replications=replications, seed=seed,
                                                levers=names, workers=workers, precision=target,
                                                progress=tick, dask=dask, engine=engine.value))
        attributed = None
        if attribution:
            attributed = guarded(lambda: attribute(study, replications=result.conventional.replications,
                                                   seed=seed, levers=names, workers=workers,
                                                   progress=tick, dask=dask, engine=engine.value))
    case = business_case(result)
    shortfall = precision_shortfall(result, precision)
    notices = [Notice(f"{label} line: {n.field}", n.message) for label, results in
               (("conventional", result.conventional), ("Industry 4.0", result.industry40))
               for n in results.warnings()]
    if format is Format.json:
        document = result.to_json()
        document["business_case"] = case.to_json() if case is not None else None
        document["oee_bridge"] = {step: float(v) for step, v in oee_bridge(result)["value"].items()}
        if attributed is not None:
            document["attribution"] = attributed.to_json()
        sys.stdout.write(json.dumps(document, indent=2, allow_nan=False) + "\n")
        if shortfall:
            say_note(shortfall, "warning")
        warn(notices)
        return
    if format is Format.csv:
        sys.stdout.write(spreadsheet_safe(result.difference()).to_csv())
        return
    tables = [comparison_table(result), bridge_table(result)]
    if case is not None:
        tables.append(business_table(case))
    if attributed is not None:
        tables.append(attribution_table(attributed))
    print_tables(tables)
    if shortfall:
        say_note(shortfall, "warning")
    warn(notices)
    if not result.levers:
        err.print("note: no lever is enabled in this study; both lines are the same.")


def comparison_row_shown(line, name: str, conventional: float, industry40: float) -> bool:
    """Whether `twin compare` prints a KPI's row: a headline KPI the line models, not zero in both."""
    kpi = registry.line_kpi(name)
    return not kpi.detail and registry.shown_for(line, kpi) and (abs(conventional) > 0 or abs(industry40) > 0)


def comparison_table(result) -> Table:
    table = Table(title=f"{markup(result.study.line.name)}: conventional vs Industry 4.0 "
                  f"({', '.join(LEVER_LABELS[n] for n in result.levers) or 'no levers'}) · "
                  f"{result.conventional.replications} paired replications · engine {result.engine} · "
                  f"study {config_hash(result.study)} · lines {result.conventional.config_hash} "
                  f"(conventional), {result.industry40.config_hash} (Industry 4.0)",
                  title_justify="left")
    for column in ("KPI", "conventional", "Industry 4.0", "difference (95% CI)", "change"):
        table.add_column(column, justify="left" if column == "KPI" else "right")
    line = result.study.line
    for name, row in result.difference().iterrows():
        if not comparison_row_shown(line, str(name), row["conventional"], row["industry40"]):
            continue
        kpi = registry.line_kpi(str(name))
        scale, unit = kpi.scale, markup(kpi.unit_for(line))
        change = f"{row['relative']:+.1%}" if abs(row["relative"]) < 1e6 else "–"
        table.add_row(
            f"{kpi.label} ({unit})" if unit else kpi.label,
            fmt(row["conventional"] * scale), fmt(row["industry40"] * scale),
            f"{fmt(row['mean'] * scale)} [{fmt(row['ci_low'] * scale)}, {fmt(row['ci_high'] * scale)}]",
            change,
        )
    table.caption = "Paired differences on common random numbers; CIs are Student t over replications."
    if result.precision_met is not None:
        table.caption += (f"\nPrecision target {result.precision_target:.1%} "
                          f"{'met' if result.precision_met else 'NOT met (replication cap reached)'}.")
    return table


def bridge_table(result) -> Table:
    from twin.losses import oee_bridge

    table = Table(title="OEE bridge, conventional → Industry 4.0 (points)", title_justify="left")
    table.add_column("step")
    table.add_column("OEE points", justify="right")
    for step, row in oee_bridge(result).iterrows():
        value = row["value"] * 100
        table.add_row(str(step), f"{value:.1f}" if "OEE" in str(step) else f"{value:+.1f}")
    return table


def business_table(case) -> Table:
    table = Table(title=f"Business case ({markup(case.currency)} per year unless stated; "
                  f"{case.horizon_years} years at {case.discount_rate:.0%})", title_justify="left")
    table.add_column("item")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    for item, value in case.savings_by_item.items():
        table.add_row(f"saving: {item}", fmt(value.mean), f"[{fmt(value.low)}, {fmt(value.high)}]")
    rows = [("extra good parts", case.extra_good_parts_per_year),
            ("value of extra output", case.extra_output_value_per_year),
            ("net benefit (after lever opex)", case.net_benefit_per_year),
            ("NPV", case.npv), ("ROI over the horizon", case.roi)]
    for label, value in rows:
        table.add_row(label, fmt(value.mean), f"[{fmt(value.low)}, {fmt(value.high)}]")
    table.add_row("capex", fmt(case.capex), "")
    table.add_row("lever opex", fmt(case.opex_per_year), "")
    low, high = case.payback_months_range
    table.add_row("payback (months)", fmt(case.payback_months) if case.payback_months else "never",
                  f"[{fmt(low) if low else '–'}, {fmt(high) if high else 'never'}]")
    return table


def attribution_table(attributed) -> Table:
    frame = attributed.one_at_a_time()
    table = Table(title="What each lever buys (alone, vs conventional; relative change)",
                  title_justify="left")
    kpis = ["throughput_per_hour", "oee", "cpk", "scrap_rate", "cost_per_good_part"]
    table.add_column("Lever")
    for kpi in kpis:
        table.add_column(registry.line_kpi(kpi).card_label, justify="right")
    for lever in attributed.levers:
        cells = [LEVER_LABELS[lever]]
        for kpi in kpis:
            row = frame[(frame["lever"] == lever) & (frame["kpi"] == kpi)]
            if row.empty or not abs(row["baseline"].iloc[0]) > 0:
                cells.append("–")
                continue
            r = row.iloc[0]
            cells.append(f"{r['alone_relative']:+.1%} [{r['alone_low'] / r['baseline']:+.1%}, "
                         f"{r['alone_high'] / r['baseline']:+.1%}]")
        table.add_row(*cells)
    return table
