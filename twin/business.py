"""The business case of an Industry 4.0 upgrade, from a `Comparison` (the OEE losses are in
`twin.losses`).

Business case (per year, paired per replication so every figure has a 95% CI). The line keeps its
hours and machines and makes more good parts, so costs split in two kinds, and nothing is counted
twice:
- fixed costs (machine, labour, maintenance) are saved by what they cost less per year
  (automation's operators saved, fewer repairs);
- variable costs (material, scrap, escapes, energy) are saved per good part, at the conventional
  volume: (conventional − Industry 4.0 cost per good part) × conventional good parts per year;
- the extra good output per year is valued at `costs.contribution_margin_per_part` (price minus the
  variable cost of a part), which pays for its own material and energy;
- the levers' opex per year and capex; net annual benefit = savings + extra output value − opex;
- payback (months) = capex / net annual benefit × 12; ROI over the horizon =
  (net × years − capex) / capex; NPV = −capex + Σ_{t=1..years} net / (1 + r)^t.
Depreciation is not a cash flow, so it is left out of the net benefit (capex counts once).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from twin.comparison import Comparison
from twin.config.costs import PERIOD_MINUTES
from twin.costs import COST_ITEMS
from twin.levers import annual_cost
from twin.stats import Estimate, estimate

YEAR_MIN = PERIOD_MINUTES["year"]
FIXED_ITEMS = frozenset({"machine", "labour", "maintenance"})
"""Cost items that do not grow with output (saved per year); the others are saved per part."""


@dataclass
class BusinessCase:
    currency: str
    capex: float
    opex_per_year: float
    horizon_years: int
    discount_rate: float
    savings_by_item: dict[str, Estimate]
    extra_good_parts_per_year: Estimate
    extra_output_value_per_year: Estimate
    net_benefit_per_year: Estimate
    npv: Estimate
    roi: Estimate
    payback_months: float | None
    payback_months_range: tuple[float | None, float | None]
    npv_per_replication: np.ndarray = field(default_factory=lambda: np.array([]), repr=False)
    """The NPV of each paired replication (what `npv` estimates; an optimiser ranks designs on it)."""

    def to_json(self) -> dict[str, object]:
        return {
            "currency": self.currency, "capex": self.capex, "opex_per_year": self.opex_per_year,
            "horizon_years": self.horizon_years, "discount_rate": self.discount_rate,
            "savings_per_year": {k: v.to_json() for k, v in self.savings_by_item.items()},
            "extra_good_parts_per_year": self.extra_good_parts_per_year.to_json(),
            "extra_output_value_per_year": self.extra_output_value_per_year.to_json(),
            "net_benefit_per_year": self.net_benefit_per_year.to_json(),
            "npv": self.npv.to_json(), "roi": self.roi.to_json(),
            "payback_months": self.payback_months,
            "payback_months_ci95": list(self.payback_months_range),
        }


def annuity_factor(rate: float, years: int) -> float:
    """Σ_{t=1..years} 1/(1+rate)^t (present value of 1 a year)."""
    return years if rate == 0 else (1 - (1 + rate) ** -years) / rate


def business_case(comparison: Comparison) -> BusinessCase | None:
    """The annual business case; None when the line has no `costs:` block."""
    line = comparison.study.line
    if line.costs is None:
        return None
    conv, i40 = comparison.conventional.kpis, comparison.industry40.kpis
    hours_per_year = YEAR_MIN / 60
    good_conv = conv["throughput_per_hour"].to_numpy() * hours_per_year
    good_i40 = i40["throughput_per_hour"].to_numpy() * hours_per_year
    savings = {}
    year_per_period = YEAR_MIN / PERIOD_MINUTES[line.costs.period]
    for item in COST_ITEMS:
        if item in FIXED_ITEMS:
            column = f"cost_{item}_per_period"
            savings[item] = (conv[column].to_numpy() - i40[column].to_numpy()) * year_per_period
        else:
            column = f"cost_{item}_per_good_part"
            savings[item] = (conv[column].to_numpy() - i40[column].to_numpy()) * good_conv
    total_savings = sum(savings.values()) if savings else np.zeros_like(good_conv)
    extra = good_i40 - good_conv
    extra_value = extra * line.costs.contribution_margin_per_part
    invest = annual_cost(comparison.study.levers, comparison.levers)
    capex, opex = invest["capex"], invest["opex_per_year"]
    net = total_savings + extra_value - opex
    frame = comparison.study.investment
    factor = annuity_factor(frame.discount_rate, frame.horizon_years)
    npv = -capex + net * factor
    roi = (net * frame.horizon_years - capex) / capex if capex > 0 else np.full_like(net, np.nan)
    net_estimate = estimate(net)

    def payback(value: float) -> float | None:
        if capex == 0:
            return 0.0
        return capex / value * 12 if value > 0 and math.isfinite(value) else None

    return BusinessCase(
        currency=line.costs.currency, capex=capex, opex_per_year=opex,
        horizon_years=frame.horizon_years, discount_rate=frame.discount_rate,
        savings_by_item={k: estimate(v) for k, v in savings.items()},
        extra_good_parts_per_year=estimate(extra),
        extra_output_value_per_year=estimate(extra_value),
        net_benefit_per_year=net_estimate, npv=estimate(npv), roi=estimate(roi),
        payback_months=payback(net_estimate.mean),
        payback_months_range=(payback(net_estimate.high), payback(net_estimate.low)),
        npv_per_replication=npv,
    )
