"""A study: one line, the Industry 4.0 levers to compare it with, and the investment frame.

Lever defaults come from published figures (docs/levers.md cites each one).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from twin.config.base import NonNegativeDuration, StrictModel, field_error
from twin.config.line import Line


class LeverBase(StrictModel):
    enabled: bool = True
    capex: float = Field(default=0.0, ge=0)
    """One-off investment (currency of the line's costs)."""
    life_years: float = Field(default=5.0, gt=0)
    """Years the investment is written off over (straight line)."""
    opex_per_year: float = Field(default=0.0, ge=0)


class PredictiveMaintenanceLever(LeverBase):
    """Condition monitoring turns most failures into shorter planned interventions.

    Defaults (docs/levers.md): recall 0.5 removes about half of the breakdowns, between the
    fact-checked realistic range (unplanned downtime −10 to −35%) and the DOE FEMP O&M guide's
    "breakdowns eliminated 70-75%"; planned repairs take half the reactive repair time (parts and
    people ready), within McKinsey's MTTR −30 to −50%.
    """

    recall: float = Field(default=0.5, ge=0, le=1)
    lead_time: NonNegativeDuration = 60.0
    planned_repair_factor: float = Field(default=0.5, gt=0, le=1)
    false_alarms_per_week: float = Field(default=0.5, ge=0)
    capex: float = Field(default=120_000.0, ge=0)
    opex_per_year: float = Field(default=15_000.0, ge=0)


class ClosedLoopQualityLever(LeverBase):
    """In-line metrology with closed-loop offset correction on stations with a characteristic."""

    stations: list[str] | None = None
    """Stations to equip; absent means every station with a quality block."""
    gain: float = Field(default=0.5, gt=0, le=1)
    measurement_sigma: float | None = Field(default=None, ge=0)
    """Gauge error of the in-line probe; absent keeps the station's."""
    sigma_factor: float = Field(default=0.8, gt=0, le=1)
    """Short-term sigma × factor (thermal compensation, better fixturing)."""
    inline_inspection: bool = True
    """Also sort every part in-line (the probe measures each one anyway)."""
    capex: float = Field(default=200_000.0, ge=0)
    opex_per_year: float = Field(default=10_000.0, ge=0)


class AutomationLever(LeverBase):
    """Automated handling at named stations: steadier and somewhat faster cycles, fewer operators."""

    stations: list[str] = Field(default_factory=list)
    cv_factor: float = Field(default=0.5, gt=0, le=1)
    mean_factor: float = Field(default=0.9, gt=0, le=1)
    operators_saved: int = Field(default=0, ge=0, le=100_000)
    capex: float = Field(default=350_000.0, ge=0)
    opex_per_year: float = Field(default=20_000.0, ge=0)


class QuickChangeoverLever(LeverBase):
    """SMED and digital setup sheets: changeover and tool-change times × factor."""

    setup_factor: float = Field(default=0.4, gt=0, le=1)
    capex: float = Field(default=30_000.0, ge=0)
    opex_per_year: float = Field(default=0.0, ge=0)


class EnergyManagementLever(LeverBase):
    """Machines sleep when starved or blocked: idle power × factor."""

    idle_power_factor: float = Field(default=0.4, ge=0, le=1)
    capex: float = Field(default=20_000.0, ge=0)
    opex_per_year: float = Field(default=2_000.0, ge=0)


class Levers(StrictModel):
    predictive_maintenance: PredictiveMaintenanceLever | None = None
    closed_loop_quality: ClosedLoopQualityLever | None = None
    automation: AutomationLever | None = None
    quick_changeover: QuickChangeoverLever | None = None
    energy_management: EnergyManagementLever | None = None


class Investment(StrictModel):
    discount_rate: float = Field(default=0.08, ge=0, le=1)
    horizon_years: int = Field(default=5, ge=1, le=50)


class Study(StrictModel):
    line: Line
    levers: Levers = Levers()
    investment: Investment = Investment()

    @model_validator(mode="after")
    def _lever_stations_exist(self) -> Study:
        names = {s.name for s in self.line.stations}
        for lever_name in ("closed_loop_quality", "automation"):
            lever = getattr(self.levers, lever_name)
            for index, name in enumerate((lever.stations or []) if lever else []):
                if name not in names:
                    raise field_error(f"levers.{lever_name}.stations[{index}]",
                                      f"no station of that name, got {name!r}")
                if lever_name == "closed_loop_quality" and self.line.stations[
                        self.line.station_index(name)].quality is None:
                    raise field_error(f"levers.{lever_name}.stations[{index}]",
                                      f"that station has no quality block to control, got {name!r}")
        return self
