"""The line as YAML describes it: source, stations, failures, maintenance, run settings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from twin.config.base import NonNegativeDuration, PositiveDuration, StrictModel, field_error
from twin.config.costs import Costs
from twin.config.dists import DistSpec, dist_mean
from twin.config.operations import Energy, OperatorNeed, Operators, Product, SetupPair, WorkCalendar
from twin.config.quality import Inspection, Quality
from twin.limits import MAX_PARTS_IN_LINE, MAX_REPLICATIONS, MAX_SEED
from twin.units import format_minutes


def _require_positive_mean(spec: DistSpec, field: str) -> None:
    """A time whose mean is zero (`0`, `empirical: [0, 0]`) would stall the simulation clock."""
    mean = dist_mean(spec)
    if mean <= 0:
        raise field_error(field, f"must have a mean > 0, got {format_minutes(mean) if mean else 0}")


class SaturatedSource(StrictModel):
    """Raw material is always there: the first station is never starved."""

    kind: Literal["saturated"] = "saturated"


class ArrivalSource(StrictModel):
    """Parts arrive by an interarrival distribution; when the first buffer is full they wait at
    the source (a backlog outside the line), so no part is lost."""

    kind: Literal["arrivals"] = "arrivals"
    interarrival: DistSpec

    @model_validator(mode="after")
    def _arrivals_take_time(self) -> ArrivalSource:
        _require_positive_mean(self.interarrival, "interarrival")
        return self


class ConwipSource(StrictModel):
    """Constant WIP: a new part is released whenever one leaves, keeping `wip_cap` in the line."""

    kind: Literal["conwip"] = "conwip"
    wip_cap: int = Field(ge=1, le=MAX_PARTS_IN_LINE)


SourceSpec = Annotated[
    SaturatedSource | ArrivalSource | ConwipSource, Field(discriminator="kind")
]


class Failures(StrictModel):
    """Unplanned failures: time between failures and time to repair.

    `operating`: the failure clock runs only while the machine is busy (the default, as in most line
    models); `calendar`: it runs all the time, so an idle or blocked machine can fail too.
    """

    mtbf: DistSpec
    mttr: DistSpec
    mode: Literal["operating", "calendar"] = "operating"

    @model_validator(mode="after")
    def _failures_take_time(self) -> Failures:
        _require_positive_mean(self.mtbf, "mtbf")
        return self


class ReactiveMaintenance(StrictModel):
    """Repair on failure only."""

    policy: Literal["reactive"] = "reactive"


class PreventiveMaintenance(StrictModel):
    """A planned intervention every `interval` of operating (busy) time, taken at the end of the
    part in progress; it renews the machine (the failure clock restarts)."""

    policy: Literal["preventive"] = "preventive"
    interval: PositiveDuration
    duration: DistSpec


class PredictiveMaintenance(StrictModel):
    """A condition monitor sees a coming failure and turns it into a shorter planned intervention.

    A failure is seen coming with probability `recall`, provided the machine has run at least
    `lead_time` (on its failure clock) since its last renewal: the degradation must be visible for
    that long, so an early failure (an infant or a random one, a jam) is never predicted. A seen
    failure is pre-empted just in time: at the moment it would have struck, the machine stops for a
    planned intervention of `planned_repair_factor` × the repair time the failure would have
    needed (parts and people are ready), with the crew's planned priority. A missed failure happens
    as usual. False alarms (`false_alarms_per_week`, per machine, calendar time) stop the machine
    for a planned inspection of the same kind at the end of its part.
    """

    policy: Literal["predictive"] = "predictive"
    recall: float = Field(default=0.8, ge=0, le=1)
    lead_time: NonNegativeDuration = 4 * 60.0
    planned_repair_factor: float = Field(default=0.5, gt=0, le=1)
    false_alarms_per_week: float = Field(default=0.5, ge=0)


MaintenanceSpec = Annotated[
    ReactiveMaintenance | PreventiveMaintenance | PredictiveMaintenance,
    Field(discriminator="policy"),
]


class Station(StrictModel):
    name: str = Field(min_length=1)
    machines: int = Field(default=1, ge=1, le=1000)
    buffer: int | None = Field(default=None, ge=0, le=MAX_PARTS_IN_LINE)
    """Capacity of the buffer in front of the station, machines excluded; None is unbounded."""
    process: DistSpec
    failures: Failures | None = None
    maintenance: MaintenanceSpec = ReactiveMaintenance()
    quality: Quality | None = None
    """A critical-to-quality characteristic this station shapes (precision model)."""
    inspection: Inspection | None = None
    """How this station's characteristic is inspected; needs `quality`."""
    process_by_product: dict[str, DistSpec] = Field(default_factory=dict)
    """Process time per product where it differs from `process`."""
    setup: DistSpec | None = None
    """Changeover time paid when the product changes (a machine state of its own)."""
    setup_pairs: list[SetupPair] = Field(default_factory=list)
    """Changeover times for particular (from, to) product pairs, overriding `setup`."""
    operator: OperatorNeed | None = None
    """What this station needs an operator from the pool for (absent: none)."""
    energy: Energy | None = None

    @model_validator(mode="after")
    def _process_takes_time(self) -> Station:
        _require_positive_mean(self.process, "process")
        for product, spec in self.process_by_product.items():
            _require_positive_mean(spec, f"process_by_product.{product}")
        return self


class Line(StrictModel):
    name: str = "Unnamed line"
    horizon: PositiveDuration = 7 * 24 * 60.0
    warmup: NonNegativeDuration = 0.0
    replications: int = Field(default=10, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(default=42, ge=0, le=MAX_SEED)
    source: SourceSpec = SaturatedSource()
    maintenance_crew: int | None = Field(default=None, ge=1, le=100_000)
    """Size of the shared repair crew; None means a repairer is always at hand."""
    stations: list[Station] = Field(min_length=1)
    products: list[Product] = Field(default_factory=list)
    """The product mix; absent means one product."""
    release_sequence: list[str] | None = None
    """Product names in release order (cycled); when absent, each lot is drawn by share."""
    calendar: WorkCalendar | None = None
    """Working shifts; absent means the line works around the clock."""
    operators: Operators | None = None
    costs: Costs | None = None

    @field_validator("stations")
    @classmethod
    def _unique_names(cls, stations: list[Station]) -> list[Station]:
        seen: set[str] = set()
        for index, station in enumerate(stations):
            if station.name in seen:
                raise field_error(
                    f"[{index}].name", f"duplicate station name, got {station.name!r}"
                )
            seen.add(station.name)
        return stations

    @model_validator(mode="after")
    def _products_are_known(self) -> Line:
        names = [p.name for p in self.products]
        for index, product in enumerate(self.products):
            if names.index(product.name) != index:
                raise field_error(f"products[{index}].name",
                                  f"duplicate product name, got {product.name!r}")
        for index, name in enumerate(self.release_sequence or []):
            if name not in names:
                raise field_error(f"release_sequence[{index}]",
                                  f"no product of that name, got {name!r}")
        for index, station in enumerate(self.stations):
            for name in station.process_by_product:
                if name not in names:
                    raise field_error(f"stations[{index}].process_by_product.{name}",
                                      f"no product of that name, got {name!r}")
            for pair_index, pair in enumerate(station.setup_pairs):
                for field, name in (("from", pair.from_), ("to", pair.to)):
                    if name not in names:
                        raise field_error(f"stations[{index}].setup_pairs[{pair_index}].{field}",
                                          f"no product of that name, got {name!r}")
            if station.operator is not None and self.operators is None:
                raise field_error(f"stations[{index}].operator",
                                  "needs an `operators:` pool on the line, got none")
        if self.costs is not None:
            station_names = {s.name for s in self.stations}
            for name in self.costs.stations:
                if name not in station_names:
                    raise field_error(f"costs.stations.{name}", f"no station of that name, got {name!r}")
        return self

    @model_validator(mode="after")
    def _inspections_are_sound(self) -> Line:
        names = [s.name for s in self.stations]
        for index, station in enumerate(self.stations):
            inspection = station.inspection
            if inspection is None:
                continue
            if station.quality is None:
                raise field_error(f"stations[{index}].inspection",
                                  "needs a quality block on the same station, got no quality")
            if inspection.to is not None:
                if inspection.to not in names:
                    raise field_error(f"stations[{index}].inspection.to",
                                      f"no station of that name, got {inspection.to!r}")
                if names.index(inspection.to) > index and inspection.where != "end_of_line":
                    raise field_error(f"stations[{index}].inspection.to",
                                      f"rework must go back to this or an earlier station, "
                                      f"got {inspection.to!r}")
        return self

    @model_validator(mode="after")
    def _warmup_inside_horizon(self) -> Line:
        if self.warmup >= self.horizon:
            raise field_error(
                "warmup", f"must be < horizon ({format_minutes(self.horizon)}), "
                          f"got {format_minutes(self.warmup)}"
            )
        return self

    @property
    def observed_minutes(self) -> float:
        """The window every statistic is taken over: horizon minus warm-up."""
        return self.horizon - self.warmup

    def station_index(self, name: str) -> int:
        for index, station in enumerate(self.stations):
            if station.name == name:
                return index
        raise KeyError(name)
