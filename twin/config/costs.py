"""Cost rates of the line (the `costs:` block)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from twin.config.base import StrictModel

PERIOD_MINUTES: dict[str, float] = {
    "hour": 60.0, "shift": 8 * 60.0, "day": 24 * 60.0, "week": 7 * 24 * 60.0,
    "month": 365.25 / 12 * 24 * 60.0, "year": 365.25 * 24 * 60.0,
}


class StationCosts(StrictModel):
    machine_rate_per_hour: float = Field(default=0.0, ge=0)
    """Depreciation and overhead of one machine, charged for planned (on-shift) time."""


class LeverInvestment(StrictModel):
    """An investment carried by the line (added by a lever): written off straight-line over
    `life_years`, plus its running cost."""

    name: str
    capex: float = Field(default=0.0, ge=0)
    life_years: float = Field(default=5.0, gt=0)
    opex_per_year: float = Field(default=0.0, ge=0)

    @property
    def per_year(self) -> float:
        return self.capex / self.life_years + self.opex_per_year


class Costs(StrictModel):
    currency: str = Field(default="EUR", min_length=1, max_length=80)
    period: Literal["hour", "shift", "day", "week", "month", "year"] = "year"
    """The period that per-period figures (and annual savings) are stated in."""
    material_per_part: float = Field(default=0.0, ge=0)
    scrap_cost_per_part: float = Field(default=0.0, ge=0)
    escape_cost_per_part: float = Field(default=0.0, ge=0)
    labour_rate_per_hour: float = Field(default=0.0, ge=0)
    energy_price_per_kwh: float = Field(default=0.0, ge=0)
    co2_kg_per_kwh: float | None = Field(default=None, ge=0)
    maintenance_rate_per_hour: float = Field(default=0.0, ge=0)
    spare_parts_per_repair: float = Field(default=0.0, ge=0)
    contribution_margin_per_part: float = Field(default=0.0, ge=0)
    """Price minus variable cost of one more good part: values extra output in the business case."""
    stations: dict[str, StationCosts] = Field(default_factory=dict)
    investments: list[LeverInvestment] = Field(default_factory=list)
    """Investments of levers applied to this line; they add the cost item `levers`."""
