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


class Costs(StrictModel):
    currency: str = "EUR"
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
