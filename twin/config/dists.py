"""Distribution specs as they appear in YAML (`{dist: lognormal, mean: 1.2min, cv: 0.3}`).

These are pure data. The engine turns them into samplers (`twin.engine.sampling`) that map uniform
random numbers through the inverse CDF, so a lever that changes a mean or a cv keeps the same
randomness (common random numbers).

Where a distribution is expected, a bare duration (`5min`, or a number of minutes) means a
deterministic time of that length.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from twin.config.base import NonNegativeDuration, PositiveDuration, StrictModel, field_error
from twin.units import format_minutes

MAX_CV = 3.0
MAX_NORMAL_CV = 0.5
MIN_CV = 1e-4
"""Below this (and above 0) a gamma's shape 1/cv² leaves floating point; 0 means deterministic."""
MIN_WEIBULL_SHAPE = 0.3
"""A cv of about 5.4; below it Γ(1 + 1/shape) leaves floating point (shape 0.005: Γ(201))."""


def _zero_or_at_least_min_cv(cv: float) -> float:
    if 0 < cv < MIN_CV:
        raise PydanticCustomError("cv_range", f"must be 0 or >= {MIN_CV:g}, got {cv!r}")
    return cv


ShapeCv = Annotated[float, Field(ge=0, le=MAX_CV), AfterValidator(_zero_or_at_least_min_cv)]


class Deterministic(StrictModel):
    dist: Literal["deterministic"] = "deterministic"
    mean: NonNegativeDuration


class Exponential(StrictModel):
    dist: Literal["exponential"] = "exponential"
    mean: PositiveDuration


class Normal(StrictModel):
    """Normal, truncated at zero; cv is capped at 0.5 so the truncation barely moves the mean."""

    dist: Literal["normal"] = "normal"
    mean: PositiveDuration
    cv: float = Field(ge=0, le=MAX_NORMAL_CV)


class Lognormal(StrictModel):
    dist: Literal["lognormal"] = "lognormal"
    mean: PositiveDuration
    cv: ShapeCv


class Gamma(StrictModel):
    dist: Literal["gamma"] = "gamma"
    mean: PositiveDuration
    cv: ShapeCv


class Weibull(StrictModel):
    """Weibull by mean and shape (shape < 1: infant mortality, > 1: wear-out)."""

    dist: Literal["weibull"] = "weibull"
    mean: PositiveDuration
    shape: float = Field(ge=MIN_WEIBULL_SHAPE, le=20)


class Uniform(StrictModel):
    dist: Literal["uniform"] = "uniform"
    min: NonNegativeDuration
    max: NonNegativeDuration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.max <= self.min:
            raise field_error("max", f"must be > min ({format_minutes(self.min)}), "
                                     f"got {format_minutes(self.max)}")
        return self


class Triangular(StrictModel):
    dist: Literal["triangular"] = "triangular"
    min: NonNegativeDuration
    mode: NonNegativeDuration
    max: NonNegativeDuration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if self.max <= self.min:
            raise field_error("max", f"must be > min ({format_minutes(self.min)}), "
                                     f"got {format_minutes(self.max)}")
        if not self.min <= self.mode <= self.max:
            raise field_error("mode", f"must lie between min ({format_minutes(self.min)}) and max "
                                      f"({format_minutes(self.max)}), got {format_minutes(self.mode)}")
        return self


class Empirical(StrictModel):
    """Observed values, drawn at random with replacement (bootstrap of shop-floor data)."""

    dist: Literal["empirical"] = "empirical"
    values: list[NonNegativeDuration] = Field(min_length=1)


class Trace(StrictModel):
    """Observed values replayed in order (and cycled), for replaying real data and exact tests."""

    dist: Literal["trace"] = "trace"
    values: list[NonNegativeDuration] = Field(min_length=1)


DIST_NAMES = (
    "deterministic", "exponential", "normal", "lognormal", "gamma", "weibull",
    "uniform", "triangular", "empirical", "trace",
)


_DistUnion = Annotated[
    Deterministic | Exponential | Normal | Lognormal | Gamma | Weibull | Uniform | Triangular
    | Empirical | Trace,
    Field(discriminator="dist"),
]


def _dist_or_duration(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A bare duration means a deterministic time; anything else must be a distribution mapping.

    A bad bare duration is reported at the field the user wrote (`process: -2min` is
    `stations[0].process: must be >= 0`), not at the `mean` of a mapping they never wrote.
    """
    if isinstance(value, bool) or value is None or isinstance(value, list | tuple):
        raise PydanticCustomError(
            "dist_type", "expected a distribution such as {dist: exponential, mean: 5min} "
                         "or a duration such as 90s")
    if not isinstance(value, int | float | str):
        return handler(value)
    try:
        return handler({"dist": "deterministic", "mean": value})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise PydanticCustomError(first["type"], first["msg"], first.get("ctx")) from None


DistSpec = Annotated[
    _DistUnion,
    WrapValidator(_dist_or_duration, json_schema_input_type=float | str | _DistUnion),
]
"""Any time distribution; a bare duration (minutes, or a string such as `"90s"`) is deterministic."""


def dist_mean(spec: DistSpec) -> float:
    """The mean of a distribution spec, in minutes (used for capacities and closed forms)."""
    match spec:
        case Uniform():
            return (spec.min + spec.max) / 2
        case Triangular():
            return (spec.min + spec.mode + spec.max) / 3
        case Empirical() | Trace():
            return sum(spec.values) / len(spec.values)
        case _:
            return spec.mean


def dist_cv(spec: DistSpec) -> float:
    """The coefficient of variation of a distribution spec (for closed forms and reports)."""
    import statistics

    match spec:
        case Deterministic():
            return 0.0
        case Exponential():
            return 1.0
        case Normal() | Lognormal() | Gamma():
            return spec.cv
        case Weibull():
            from math import gamma

            g1 = gamma(1 + 1 / spec.shape)
            g2 = gamma(1 + 2 / spec.shape)
            return (g2 / g1**2 - 1) ** 0.5
        case Uniform():
            return (spec.max - spec.min) / (12**0.5) / dist_mean(spec)
        case Triangular():
            a, c, b = spec.min, spec.mode, spec.max
            var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
            return var**0.5 / dist_mean(spec)
        case Empirical() | Trace():
            mean = dist_mean(spec)
            return statistics.pstdev(spec.values) / mean if mean > 0 else 0.0
    raise TypeError(spec)


def weibull_shape_for_cv(cv: float) -> float:
    """The Weibull shape whose coefficient of variation is `cv` (cv falls as the shape grows)."""
    from math import exp, gamma, log

    from scipy.optimize import brentq

    def excess(log_shape: float) -> float:
        k = exp(log_shape)
        return (gamma(1 + 2 / k) / gamma(1 + 1 / k) ** 2 - 1) ** 0.5 - cv

    return float(exp(brentq(excess, log(0.05), log(20.0))))


def scaled(spec: DistSpec, mean_factor: float = 1.0, cv_factor: float = 1.0) -> DistSpec:
    """The same distribution with its mean and/or cv scaled (what levers like automation do).

    Shapes without a cv (uniform, triangular, empirical, trace) scale about their mean.
    """
    match spec:
        case Weibull():
            update = {"mean": spec.mean * mean_factor}
            if cv_factor != 1.0:
                update["shape"] = weibull_shape_for_cv(dist_cv(spec) * cv_factor)
            return spec.model_copy(update=update)
        case Deterministic() | Exponential():
            if cv_factor != 1.0 and isinstance(spec, Exponential):
                return Gamma(mean=spec.mean * mean_factor, cv=cv_factor)
            return spec.model_copy(update={"mean": spec.mean * mean_factor})
        case Normal() | Lognormal() | Gamma():
            return spec.model_copy(update={"mean": spec.mean * mean_factor, "cv": spec.cv * cv_factor})
        case Uniform() | Triangular():
            mean = dist_mean(spec)
            fields = ("min", "mode", "max") if isinstance(spec, Triangular) else ("min", "max")
            update = {
                f: max(0.0, mean * mean_factor + (getattr(spec, f) - mean) * cv_factor * mean_factor)
                for f in fields
            }
            return spec.model_copy(update=update)
        case Empirical() | Trace():
            mean = dist_mean(spec)
            values = [
                max(0.0, mean * mean_factor + (v - mean) * cv_factor * mean_factor)
                for v in spec.values
            ]
            return spec.model_copy(update={"values": values})
    raise TypeError(spec)
