"""How the line is operated: products and lots, changeovers, shifts, operators, energy draw."""

from __future__ import annotations

from pydantic import Field, model_validator

from twin.config.base import NonNegativeDuration, PositiveDuration, StrictModel, field_error
from twin.config.dists import DistSpec
from twin.limits import MAX_PARTS_IN_LINE


class Product(StrictModel):
    """A product of the mix: its share of released lots and its lot size."""

    name: str = Field(min_length=1)
    share: float = Field(default=1.0, gt=0)
    lot_size: int = Field(default=1, ge=1, le=MAX_PARTS_IN_LINE)


class SetupPair(StrictModel):
    """A changeover time for one ordered pair of products (overrides the station's `setup`)."""

    from_: str = Field(alias="from")
    to: str
    time: DistSpec

    model_config = StrictModel.model_config | {"populate_by_name": True}


class Shift(StrictModel):
    """One working shift of a day, from `start` to `end` (time of day; end may pass midnight)."""

    start: NonNegativeDuration = 0.0
    end: PositiveDuration


class WorkCalendar(StrictModel):
    """Working time: shifts each working day; outside them machines are `off`.

    Days run Monday to Sunday from time 0; the first `days_per_week` days of each week work.
    """

    shifts: list[Shift] = Field(min_length=1)
    days_per_week: int = Field(default=5, ge=1, le=7)

    @model_validator(mode="after")
    def _shifts_fit_a_day(self) -> WorkCalendar:
        day = 24 * 60.0
        previous_end = 0.0
        for index, shift in enumerate(self.shifts):
            if shift.end <= shift.start:
                raise field_error(f"shifts[{index}].end",
                                  f"must be after start ({shift.start:g} min), got {shift.end:g}")
            if shift.end > day:
                raise field_error(f"shifts[{index}].end", f"must be within the day (<= 24h), "
                                  f"got {shift.end:g} min")
            if shift.start < previous_end:
                raise field_error(f"shifts[{index}].start",
                                  f"shifts must be in order and not overlap, got {shift.start:g} min")
            previous_end = shift.end
        return self

    def working_windows(self, horizon: float) -> list[tuple[float, float]]:
        """Working (start, end) windows in minutes from time 0 up to `horizon`, merged."""
        day = 24 * 60.0
        windows: list[tuple[float, float]] = []
        day_index = 0
        while day_index * day < horizon:
            if day_index % 7 < self.days_per_week:
                for shift in self.shifts:
                    start, end = day_index * day + shift.start, day_index * day + shift.end
                    if windows and abs(windows[-1][1] - start) < 1e-9:
                        windows[-1] = (windows[-1][0], end)
                    else:
                        windows.append((start, end))
            day_index += 1
        return [(s, min(e, horizon)) for s, e in windows if s < horizon]


class Operators(StrictModel):
    """A pool of operators shared by the stations that need one."""

    count: int = Field(ge=1, le=100_000)


class OperatorNeed(StrictModel):
    """What a station needs an operator for: to process each part, and/or to set up."""

    process: bool = True
    setup: bool = True


class Energy(StrictModel):
    """Power draw of one machine per state, kW (`idle` covers starved, blocked and waiting)."""

    busy: float = Field(ge=0)
    idle: float = Field(default=0.0, ge=0)
    down: float = Field(default=0.0, ge=0)
    setup: float | None = Field(default=None, ge=0)
    """Defaults to `idle`; also used for tool changes and planned maintenance."""
    off: float = Field(default=0.0, ge=0)
