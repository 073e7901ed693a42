"""Precision: a critical-to-quality characteristic shaped at a station, its control and inspection.

A part's deviation from nominal at the station is `bias + wear + N(0, sigma) + correction`, where
`wear` grows by `drift_per_part` since the last tool change or recalibration and `correction` is the
closed-loop controller's offset. Measurements (SPC, closed loop, inspection) add gauge error
`N(0, measurement_sigma)`, so inspection rejects some good parts and lets some defects through.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.config.base import NonNegativeDuration, StrictModel, field_error


class Characteristic(StrictModel):
    name: str = Field(min_length=1)
    unit: str = ""
    nominal: float
    lsl: float
    usl: float

    @property
    def deviation_limits(self) -> tuple[float, float]:
        """(lsl, usl) as deviations from nominal, the form the engine works in."""
        return self.lsl - self.nominal, self.usl - self.nominal

    @model_validator(mode="after")
    def _limits(self) -> Characteristic:
        if self.usl <= self.lsl:
            raise field_error("usl", f"must be > lsl ({self.lsl:g}), got {self.usl:g}")
        if not self.lsl <= self.nominal <= self.usl:
            raise field_error("nominal", f"must lie between lsl and usl, got {self.nominal:g}")
        return self


class NoControl(StrictModel):
    """No in-process control: the tool is changed every `tool_life` parts."""

    policy: Literal["none"] = "none"


class SpcControl(StrictModel):
    """Statistical process control on the in-line measurement of every part.

    `shewhart`: signal when one measurement is beyond `k` standard deviations of nominal.
    `ewma`: signal when the EWMA (weight `lambda`) leaves ±L·σ·sqrt(λ/(2−λ)).
    On a signal the machine stops and recalibrates (wear reset, `tool_change` time).
    """

    policy: Literal["spc"] = "spc"
    chart: Literal["shewhart", "ewma"] = "shewhart"
    k: float = Field(default=3.0, gt=0)
    lambda_: float = Field(default=0.2, gt=0, le=1, alias="lambda")
    L: float = Field(default=3.0, gt=0)

    model_config = StrictModel.model_config | {"populate_by_name": True}


class ClosedLoopControl(StrictModel):
    """In-line metrology feeds back an offset correction after every part: correction −= gain ×
    measured deviation (an integral controller). No stop."""

    policy: Literal["closed_loop"] = "closed_loop"
    gain: float = Field(default=0.5, gt=0, le=1)


ControlSpec = Annotated[NoControl | SpcControl | ClosedLoopControl, Field(discriminator="policy")]


class Quality(StrictModel):
    characteristic: Characteristic
    sigma: float = Field(gt=0)
    bias: float = 0.0
    drift_per_part: float = 0.0
    tool_life: int | None = Field(default=None, ge=1, le=10**12)
    """Parts between scheduled tool changes (every policy; absent = no scheduled change)."""
    tool_change: NonNegativeDuration = 0.0
    control: ControlSpec = NoControl()
    measurement_sigma: float = Field(default=0.0, ge=0)


class Inspection(StrictModel):
    """Where this station's characteristic is measured to sort parts, and what happens to a reject.

    `inline`: every part right after the station; `sampling`: a `fraction` of them; `end_of_line`:
    every part after the last station. `rework` sends a reject back to station `to` (at most
    `max_reworks` times, then it is scrapped).
    """

    where: Literal["none", "inline", "end_of_line", "sampling"] = "end_of_line"
    fraction: float = Field(default=1.0, gt=0, le=1)
    action: Literal["scrap", "rework"] = "scrap"
    to: str | None = None
    max_reworks: int = Field(default=3, ge=0, le=100)

    @model_validator(mode="after")
    def _rework_target(self) -> Inspection:
        if self.action == "rework" and not self.to:
            raise field_error("to", "rework needs a target station, got null")
        if self.action == "scrap" and self.to:
            raise field_error("to", f"only used with action: rework, got {self.to!r}")
        return self
