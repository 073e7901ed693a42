"""The decision space of an optimisation: decisions, constraints and objectives (the file's
`decisions:`, `constraints:` and `objective:`; `twin.experiments.optimize_file` holds the rest).

    base: machining_line.yaml
    objective: {maximize: throughput_per_hour}      # or a list of two for a Pareto front
    decisions:
      - {path: stations[Milling].buffer, type: int, low: 0, high: 10}
      - {path: stations[Grinding].machines, values: [1, 2, 3]}
      - {path: levers.automation.enabled, type: bool}
    constraints:
      - {sum: [stations[Milling].buffer, stations[Grinding].buffer], equals: 10}
      - {kpi: lead_time_min, at_most: 30}
    budget: {evaluations: 40}
    selection: {indifference: 0.5, confidence: 0.95}

KPI names and directions come from the registry (`twin.kpi_registry`); `npv` (the business case of
a study's enabled levers against its conventional line) is the one quantity beyond the line KPIs.
The indifference δ is in the objective KPI's stored unit (the unit of `--format json`: a share is a
fraction, 0.01 for one point of OEE).
"""

from __future__ import annotations

import difflib
import math
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from twin.config.base import StrictModel, field_error

NPV = "npv"
"""The business case's NPV of a design's levers against the conventional line (a study base)."""


def objective_kpis() -> list[str]:
    """What an objective or a KPI constraint may name: every line KPI, and `npv`."""
    from twin.kpi_registry import LINE

    return [*LINE, NPV]


def check_kpi(name: str, key: str) -> None:
    known = objective_kpis()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else " (twin.kpi_registry lists them)"
        raise field_error(key, f"unknown KPI {name!r}{hint}")


class Decision(StrictModel):
    """One decision: a path and either its `values` or a `type` (`int`/`float` with `low` and
    `high`; `bool` needs neither)."""

    path: str = Field(min_length=1, max_length=300)
    type: Literal["int", "float", "bool"] | None = None
    low: float | None = None
    high: float | None = None
    values: list[Any] | None = Field(default=None, min_length=1, max_length=1000)

    @model_validator(mode="after")
    def _shape(self) -> Decision:
        if self.values is not None:
            if self.type is not None or self.low is not None or self.high is not None:
                raise field_error("values", "give either values, or a type with low and high, not both")
            return self
        if self.type is None:
            raise field_error("type", "a decision needs values, or a type (int, float or bool)")
        if self.type == "bool":
            if self.low is not None or self.high is not None:
                raise field_error("low", "a bool decision takes no low or high")
            return self
        if self.low is None or self.high is None:
            raise field_error("low" if self.low is None else "high",
                              f"an {self.type} decision needs both low and high")
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or not self.low <= self.high:
            raise field_error("high", f"must be >= low ({self.low:g}), got {self.high:g}")
        if self.type == "int" and not (self.low.is_integer() and self.high.is_integer()):
            raise field_error("low", f"an int decision needs whole bounds, got {self.low:g} and "
                                     f"{self.high:g}")
        return self


class SumConstraint(StrictModel):
    """The decisions named in `sum` add up to `equals`, or to at most `at_most`; with `weights`
    (one per path) the weighted sum does, e.g. machines × price under a capital budget (a bool
    decision counts 1 when true)."""

    sum: list[str] = Field(min_length=1, max_length=100)
    weights: list[float] | None = None
    equals: float | None = Field(default=None, allow_inf_nan=False)
    at_most: float | None = Field(default=None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_bound(self) -> SumConstraint:
        if (self.equals is None) == (self.at_most is None):
            raise field_error("equals", "a sum constraint needs exactly one of equals or at_most")
        if self.weights is not None:
            if len(self.weights) != len(self.sum):
                raise field_error("weights", f"one weight per path of sum ({len(self.sum)}), got "
                                             f"{len(self.weights)}")
            if not all(math.isfinite(w) and w != 0 for w in self.weights):
                raise field_error("weights", "weights must be finite and non-zero")
        return self

    def total(self, design: dict[str, Any], paths: list[str] | None = None) -> float:
        """The (weighted) sum of the design's values on `paths` (all of the constraint's)."""
        weights = dict(zip(self.sum, self.weights or [1.0] * len(self.sum), strict=True))
        return sum(weights[p] * float(design[p]) for p in (paths if paths is not None else self.sum))

    def weight(self, path: str) -> float:
        return 1.0 if self.weights is None else self.weights[self.sum.index(path)]


class KPIConstraint(StrictModel):
    """A KPI's 95% CI lies wholly at or below `at_most`, or at or above `at_least`."""

    kpi: str = Field(min_length=1, max_length=100)
    at_most: float | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> KPIConstraint:
        check_kpi(self.kpi, "kpi")
        if (self.at_most is None) == (self.at_least is None):
            raise field_error("at_most", "a KPI constraint needs exactly one of at_most or at_least")
        return self


def _constraint_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        return "SumConstraint" if "sum" in value else "KPIConstraint" if "kpi" in value else None
    return None


Constraint = Annotated[
    # tags are the class names, which the error messages leave out of the field path
    Annotated[SumConstraint, Tag("SumConstraint")] | Annotated[KPIConstraint, Tag("KPIConstraint")],
    Discriminator(_constraint_kind, custom_error_type="constraint_kind",
                  custom_error_message="a constraint needs a sum or a kpi key"),
]


class Objective(StrictModel):
    """`{maximize: KPI}` or `{minimize: KPI}`."""

    maximize: str | None = None
    minimize: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Objective:
        if (self.maximize is None) == (self.minimize is None):
            raise field_error("maximize", "an objective needs exactly one of maximize or minimize")
        check_kpi(self.kpi, "maximize" if self.maximize is not None else "minimize")
        return self

    @property
    def kpi(self) -> str:
        return self.maximize if self.maximize is not None else str(self.minimize)

    @property
    def maximizing(self) -> bool:
        return self.maximize is not None


