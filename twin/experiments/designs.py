"""Designs: the points of an experiment, drawn from its factors, as scenarios.

Every design first draws points in the unit cube (one coordinate per factor), then maps each
coordinate to a factor value: a range `low..high` linearly (an `int` factor onto its whole numbers,
each equally likely), a list of `values` by position. Sobol and Morris designs keep their unit
points, which their analyses (SALib, `twin.experiments.analysis`) read back with the responses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.errors import ConfigError
from twin.experiments.scenarios import Scenario
from twin.experiments.spec import Design, Factor
from twin.limits import MAX_EXPERIMENT_POINTS

GRID_LEVELS = 3
"""Levels of a range factor in a grid design when `samples` is not given."""


@dataclass(frozen=True)
class DesignPoints:
    """The scenarios of a design, and for sobol/morris the unit-cube points and SALib problem."""

    kind: str
    factors: list[Factor]
    scenarios: list[Scenario]
    unit: np.ndarray | None = None
    """(points × factors) coordinates in [0, 1] the scenarios were mapped from (sobol, morris)."""
    levels: int = 4
    """Levels of a Morris grid."""

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.factors]

    def problem(self) -> dict[str, Any]:
        """The SALib problem of the unit cube (analyses are per unit of each factor's range)."""
        return {"num_vars": len(self.factors), "names": self.paths,
                "bounds": [[0.0, 1.0]] * len(self.factors)}


def value_at(factor: Factor, u: float) -> Any:
    """The factor's value at unit coordinate `u` in [0, 1]."""
    if factor.values is not None:
        return factor.values[min(int(u * len(factor.values)), len(factor.values) - 1)]
    low, high = factor.bounds
    if factor.type == "int":
        return int(min(low + math.floor(u * (high - low + 1)), high))
    return float(low + u * (high - low))


def levels(factor: Factor, count: int) -> list[Any]:
    """A factor's values in a grid: its `values`, or `count` evenly spaced levels of its range."""
    if factor.values is not None:
        return list(factor.values)
    low, high = factor.bounds
    points = np.linspace(low, high, count)
    if factor.type == "int":
        return list(dict.fromkeys(round(p) for p in points))
    return [float(p) for p in points]


def points(design: Design, factors: Sequence[Factor], seed: int) -> DesignPoints:
    """The design's points as scenarios named `point 1`, `point 2`, ...; a design with more than
    `MAX_EXPERIMENT_POINTS` points is refused before any is built."""
    factors = list(factors)
    count = planned_points(design, factors)
    if count > MAX_EXPERIMENT_POINTS:
        raise ConfigError(f"design: {design.kind} over {len(factors)} factors makes {count} points, "
                          f"over the limit of {MAX_EXPERIMENT_POINTS} (see docs/security.md)",
                          field="design")
    unit: np.ndarray | None = None
    if design.kind == "grid":
        grid = itertools.product(*(levels(f, design.samples or GRID_LEVELS) for f in factors))
        rows = [list(row) for row in grid]
    else:
        unit = _unit_points(design, len(factors), seed)
        rows = [[value_at(f, float(u)) for f, u in zip(factors, row, strict=True)] for row in unit]
    scenarios = [Scenario(f"point {i}", dict(zip([f.path for f in factors], row, strict=True)))
                 for i, row in enumerate(rows, start=1)]
    return DesignPoints(design.kind, factors, scenarios, None if design.kind == "lhs" else unit,
                        design.levels)


def planned_points(design: Design, factors: Sequence[Factor]) -> int:
    """How many points the design will have, computed without drawing them."""
    d = len(factors)
    if design.kind == "grid":
        return math.prod(len(levels(f, design.samples or GRID_LEVELS)) if f.values is None
                         else len(f.values) for f in factors)
    samples = design.samples or _default_samples(design.kind)
    if design.kind == "lhs":
        return samples
    if design.kind == "sobol":
        return samples * (d + 2)
    return samples * (d + 1)


def _default_samples(kind: str) -> int:
    return {"lhs": 20, "sobol": 64, "morris": 10}[kind]


def _unit_points(design: Design, d: int, seed: int) -> np.ndarray:
    samples = design.samples or _default_samples(design.kind)
    if design.kind == "lhs":
        from scipy.stats import qmc

        return np.asarray(qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(samples))
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if design.kind == "sobol":
        from SALib.sample import sobol

        if samples & (samples - 1):
            raise ConfigError(f"design.samples: a sobol design needs a power of 2 (such as 64), got "
                              f"{samples}", field="design.samples")
        return np.asarray(sobol.sample(problem, samples, calc_second_order=False, seed=seed % 2**32))
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, samples, num_levels=design.levels,
                                    seed=seed % 2**32))
