"""KPI cards as plain data: label, unit, values and deltas formatted the same way everywhere (the app's
cards, the trainer's sentences and the HTML report), from a `twin.Comparison`'s paired differences."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from twin import kpi_registry as registry
from twin.kpi_registry import fmt

HEADLINE: tuple[str, ...] = registry.HEADLINE
"""The seven cards, in reading order (the same KPIs the CLI's `--precision` watches)."""


def _entry(kpi: str) -> registry.KPI | None:
    return registry.LINE.get(kpi) or registry.STATION.get(kpi)


def higher_is_better(kpi: str) -> bool | None:
    """Which way the KPI improves, from the registry; a KPI it does not know is an error."""
    return registry.line_kpi(kpi).higher_is_better


PER_PERIOD: dict[str, tuple[str, str]] = {"energy_kwh": ("Energy", "kWh"), "co2_kg": ("CO2", "kg"),
                                          "cost_per_period": ("Cost", "")}
"""KPIs stated per cost period (a week without a `costs:` block): their label names the period."""


def label(kpi: str, period: str = "period") -> str:
    if kpi in PER_PERIOD:
        return f"{PER_PERIOD[kpi][0]} per {period}"
    entry = _entry(kpi)
    return entry.label if entry else kpi.replace("_", " ")


def unit(kpi: str, currency: str = "") -> str:
    if kpi in PER_PERIOD:
        return PER_PERIOD[kpi][1] or currency
    entry = _entry(kpi)
    return entry.unit.format(currency=currency, period="period").strip() if entry else ""


def scale(kpi: str) -> float:
    entry = _entry(kpi)
    return entry.scale if entry else 1.0


def is_percent(kpi: str) -> bool:
    return unit(kpi).startswith("%")


def value_text(kpi: str, value: float, currency: str = "") -> str:
    """`value` in the KPI's display unit: 0.651 → '65.1 %', 8.65 → '8.65 /h'."""
    if value is None or not math.isfinite(value):
        return "–"
    shown = fmt(value * scale(kpi))
    suffix = unit(kpi, currency)
    if suffix.startswith("%"):
        return f"{shown} %"
    return f"{shown} {suffix}".strip()


def delta_text(kpi: str, delta: float, currency: str = "") -> str:
    """A signed difference: percentage points for shares, the KPI's unit otherwise."""
    if delta is None or not math.isfinite(delta):
        return "–"
    if abs(delta) < 1e-12:  # float noise of a difference that is really zero
        delta = 0.0
    shown = fmt(abs(delta) * scale(kpi))
    sign = "+" if delta > 0 else "-" if delta < 0 else "±"
    if is_percent(kpi):
        return f"{sign}{shown} pp"
    suffix = unit(kpi, currency)
    return f"{sign}{shown} {suffix}".strip()


def relative_text(relative: float) -> str:
    if relative is None or not math.isfinite(relative):
        return ""
    return f"{relative:+.1%}"


@dataclass(frozen=True)
class Card:
    """One KPI, conventional vs Industry 4.0, with the paired difference and its 95% CI."""

    kpi: str
    label: str
    conventional: float
    industry40: float
    delta: float
    ci_low: float
    ci_high: float
    relative: float
    currency: str = ""

    @property
    def higher_is_better(self) -> bool | None:
        return higher_is_better(self.kpi)

    @property
    def significant(self) -> bool:
        """The 95% CI of the paired difference excludes zero."""
        lo, hi = self.ci_low, self.ci_high
        return math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)

    @property
    def improved(self) -> bool | None:
        if not self.significant or self.higher_is_better is None:
            return None
        return (self.delta > 0) == self.higher_is_better

    @property
    def value(self) -> str:
        return value_text(self.kpi, self.industry40, self.currency)

    @property
    def conventional_text(self) -> str:
        return value_text(self.kpi, self.conventional, self.currency)

    @property
    def delta_label(self) -> str:
        rel = relative_text(self.relative)
        text = delta_text(self.kpi, self.delta, self.currency)
        return f"{text} ({rel})" if rel else text

    @property
    def ci_text(self) -> str:
        lo = delta_text(self.kpi, self.ci_low, self.currency)
        hi = delta_text(self.kpi, self.ci_high, self.currency)
        return f"[{lo}, {hi}]"


def cards(difference: pd.DataFrame, currency: str = "", kpis: tuple[str, ...] = HEADLINE) -> list[Card]:
    """Cards for `kpis` from `Comparison.difference()` (KPIs the line does not define are skipped)."""
    out = []
    for kpi in kpis:
        if kpi not in difference.index:
            continue
        row = difference.loc[kpi]
        out.append(Card(
            kpi=kpi, label=registry.line_kpi(kpi).card_label,
            conventional=float(row["conventional"]), industry40=float(row["industry40"]),
            delta=float(row["mean"]), ci_low=float(row["ci_low"]), ci_high=float(row["ci_high"]),
            relative=float(row["relative"]), currency=currency,
        ))
    return out


def bottleneck_shares(results) -> dict[str, float]:
    """How often each station was the bottleneck of a `twin.Results` (share of replications), most
    often first; a station that never was is absent. The bottleneck shifts between replications of
    most lines, so one name alone would overstate what the model knows."""
    counts = results.kpis["bottleneck"].value_counts(normalize=True)
    return {str(name): float(share) for name, share in counts.items()}


def shown_in_tables(kpi: str) -> bool:
    """The cost items per part and period are in the cost chart, not the KPI tables."""
    return not kpi.startswith("cost_") or kpi in ("cost_per_good_part", "cost_per_period")


def comparison_table(difference: pd.DataFrame, currency: str = "", period: str = "period") -> pd.DataFrame:
    """Every line KPI as display text: conventional, Industry 4.0, paired Δ with its CI, relative."""
    rows = []
    for kpi, row in difference.iterrows():
        kpi = str(kpi)
        if not shown_in_tables(kpi):
            continue
        rows.append({
            "KPI": label(kpi, period),
            "Conventional": value_text(kpi, row["conventional"], currency),
            "Industry 4.0": value_text(kpi, row["industry40"], currency),
            "Δ (paired)": delta_text(kpi, row["mean"], currency),
            "95% CI of Δ": (f"[{delta_text(kpi, row['ci_low'], currency)}, "
                            f"{delta_text(kpi, row['ci_high'], currency)}]"),
            "Relative": relative_text(row["relative"]),
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# One line alone (no lever on): its own estimates, nothing to compare them with


@dataclass(frozen=True)
class Estimate:
    """One KPI of one line: the mean over replications and its 95% CI."""

    kpi: str
    label: str
    mean: float
    low: float
    high: float
    currency: str = ""

    @property
    def value(self) -> str:
        return value_text(self.kpi, self.mean, self.currency)

    @property
    def ci_text(self) -> str:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return "–"
        low, high = (value_text(self.kpi, v, self.currency) for v in (self.low, self.high))
        return f"[{low}, {high}]"


def estimates(summary: pd.DataFrame, currency: str = "", kpis: tuple[str, ...] = HEADLINE,
              period: str = "period") -> list[Estimate]:
    """`Results.summary()` rows as estimates, for `kpis` the line defines (a KPI whose mean is not a
    number, such as Cpk on a line without a characteristic, is left out)."""
    out = []
    for kpi in kpis:
        if kpi not in summary.index or not math.isfinite(float(summary.loc[kpi, "mean"])):
            continue
        row = summary.loc[kpi]
        out.append(Estimate(kpi, registry.line_kpi(kpi).short_label or label(kpi, period), float(row["mean"]),
                            float(row["ci_low"]), float(row["ci_high"]), currency))
    return out


def line_table(summary: pd.DataFrame, currency: str = "", period: str = "period") -> pd.DataFrame:
    """Every KPI of one line as display text: the mean and its 95% CI."""
    kpis = tuple(str(k) for k in summary.index if shown_in_tables(str(k)))
    return pd.DataFrame([{"KPI": label(e.kpi, period), "Mean": e.value, "95% CI": e.ci_text}
                         for e in estimates(summary, currency, kpis, period)])


STATION_COLUMNS: dict[str, str] = {
    "utilisation": "Utilisation", "share_busy": "Busy", "share_down": "Down", "share_blocked": "Blocked",
    "share_starved": "Starved", "availability": "Availability", "oee": "OEE",
}


def station_table(stations: pd.DataFrame, names: list[str], bottlenecks: dict[str, float]) -> pd.DataFrame:
    """One row per station (flow order): how often it was the bottleneck, then the mean of its state
    shares and OEE over replications, as display text."""
    means = stations.groupby("station").mean(numeric_only=True).reindex(names)
    rows = []
    for name in names:
        row = {"Station": name, "Bottleneck in": f"{bottlenecks.get(name, 0.0):.0%} of runs"}
        for column, title in STATION_COLUMNS.items():
            if column in means:
                row[title] = value_text("oee", float(means.loc[name, column]))
        rows.append(row)
    return pd.DataFrame(rows)


def product_table(products: pd.DataFrame) -> pd.DataFrame:
    """Throughput and lead time per product (`Results.product_summary()`), with CIs; empty for a
    single-product line."""
    if products.empty:
        return pd.DataFrame()
    rows = []
    for product in dict.fromkeys(products.index.get_level_values("product")):
        row = {"Product": product}
        for kpi in ("throughput_per_hour", "lead_time_min"):
            e = products.loc[(product, kpi)]
            estimate = Estimate(kpi, label(kpi), float(e["mean"]), float(e["ci_low"]), float(e["ci_high"]))
            row[label(kpi)] = estimate.value
            row[f"{label(kpi)}, 95% CI"] = estimate.ci_text
        rows.append(row)
    return pd.DataFrame(rows)
