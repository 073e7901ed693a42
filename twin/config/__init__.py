"""The validated, typed description of a line (pydantic). YAML in, `Line` out."""

from twin.config.base import StrictModel
from twin.config.dists import DIST_NAMES, DistSpec, Exponential, dist_cv, dist_mean, scaled
from twin.config.line import (
    ArrivalSource,
    ConwipSource,
    Failures,
    Line,
    PredictiveMaintenance,
    PreventiveMaintenance,
    ReactiveMaintenance,
    SaturatedSource,
    Station,
)

__all__ = [
    "DIST_NAMES",
    "ArrivalSource",
    "ConwipSource",
    "DistSpec",
    "Exponential",
    "Failures",
    "Line",
    "PredictiveMaintenance",
    "PreventiveMaintenance",
    "ReactiveMaintenance",
    "SaturatedSource",
    "Station",
    "StrictModel",
    "dist_cv",
    "dist_mean",
    "scaled",
]
