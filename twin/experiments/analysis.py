"""Sensitivity: the tornado (one factor at a time, low vs high) and global indices (Sobol, Morris).

A simulated response is noisy: part of its spread between points is the seed, not the factors. The
tornado's effects are paired differences on common random numbers with their CI, and an effect
whose CI holds zero is marked as not significant. The global indices are computed on the mean over
replications of each point, and `seed_noise` says which share of the variance they analyse is still
the seed's (the within-point variance of the mean), so that no factor is credited with randomness.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.experiments.designs import DesignPoints
from twin.experiments.scenarios import Scenario
from twin.experiments.spec import Factor
from twin.experiments.table import ExperimentTable
from twin.stats import Estimate, estimate

BASE = "base"
SALIB_SEED_MOD = 2**32
"""SALib's samplers and bootstrap take a seed below 2**32."""


def tornado_scenarios(factors: Sequence[Factor]) -> list[Scenario]:
    """The base, then each factor at its low and at its high end with the others at base."""
    scenarios = [Scenario(BASE)]
    for factor in factors:
        low, high = factor.bounds
        scenarios.append(Scenario(f"{factor.path} low", {factor.path: low}))
        scenarios.append(Scenario(f"{factor.path} high", {factor.path: high}))
    return scenarios


@dataclass(frozen=True)
class Bar:
    """One factor's bar of the tornado for one KPI."""

    path: str
    low: Any
    high: Any
    effect: Estimate
    """High minus low, paired over replications."""
    at_low: Estimate
    """Low minus base."""
    at_high: Estimate
    """High minus base."""

    @property
    def significant(self) -> bool:
        """Whether the effect's 95% CI excludes zero."""
        e = self.effect
        return math.isfinite(e.low) and math.isfinite(e.high) and (e.low > 0 or e.high < 0)

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "low": self.low, "high": self.high, **self.effect.to_json(),
                "low_vs_base": self.at_low.to_json(), "high_vs_base": self.at_high.to_json(),
                "significant": self.significant}


def tornado(table: ExperimentTable, factors: Sequence[Factor], kpi: str) -> list[Bar]:
    """The bars of a KPI, largest effect first (from a table run on `tornado_scenarios`)."""
    bars = []
    for factor in factors:
        low, high = factor.bounds
        lo, hi = f"{factor.path} low", f"{factor.path} high"
        if lo not in table.scenarios or hi not in table.scenarios:
            continue
        bars.append(Bar(factor.path, low, high, table.paired(hi, lo, kpi),
                        table.paired(lo, BASE, kpi), table.paired(hi, BASE, kpi)))
    return sorted(bars, key=lambda b: -abs(b.effect.mean) if math.isfinite(b.effect.mean) else 0)


def seed_spread(table: ExperimentTable, kpi: str) -> Estimate:
    """The seed's own spread at the base: the base mean with ± t·sd of ONE replication (what a
    single run could show from randomness alone, for the tornado's noise bar)."""
    values = table.values(BASE, kpi)
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return Estimate(math.nan, math.nan, math.nan, len(values))
    mean = estimate(values)
    sd = float(values.std(ddof=1))
    scale = mean.half_width * math.sqrt(len(values)) if sd else 0.0
    return Estimate(mean.mean, mean.mean - scale, mean.mean + scale, len(values))


@dataclass(frozen=True)
class Index:
    """A global sensitivity index with its bootstrap 95% CI."""

    value: float
    conf: float

    def to_json(self) -> dict[str, object]:
        finite = math.isfinite(self.value)
        return {"value": float(self.value) if finite else None,
                "ci95": [float(self.value - self.conf), float(self.value + self.conf)]
                if finite and math.isfinite(self.conf) else [None, None]}


@dataclass(frozen=True)
class GlobalIndices:
    """Per factor: Sobol first-order and total indices, or Morris mu* and sigma; plus the seed's
    share of the variance analysed."""

    kind: str
    indices: dict[str, dict[str, Index]]
    seed_noise: float

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind,
                "factors": {path: {name: index.to_json() for name, index in values.items()}
                            for path, values in self.indices.items()},
                "seed_noise": self.seed_noise if math.isfinite(self.seed_noise) else None}


def responses_by_point(table: ExperimentTable, design: DesignPoints, kpi: str) -> np.ndarray:
    """(points × replications) values of a KPI, in the design's order (NaN for a failed point)."""
    rows = []
    width = max((len(table.values(s, kpi)) for s in table.scenarios), default=0)
    for scenario in design.scenarios:
        ran = scenario.name in table.scenarios
        rows.append(table.values(scenario.name, kpi) if ran else np.full(width, np.nan))
    return np.vstack(rows) if rows else np.empty((0, 0))


def seed_noise_share(y: np.ndarray) -> float:
    """The share of the variance of the point means that the seed still holds: mean within-point
    variance / replications, over the variance of the means (capped at 1)."""
    if y.ndim == 1 or y.shape[1] < 2:
        return 0.0 if y.ndim == 1 else math.nan
    means = y.mean(axis=1)
    total = float(np.var(means, ddof=1))
    noise = float(np.mean(np.var(y, axis=1, ddof=1))) / y.shape[1]
    if total == 0:
        return math.nan if noise == 0 else 1.0
    return min(1.0, noise / total)


def global_indices(design: DesignPoints, y: np.ndarray, seed: int,
                   resamples: int = 200) -> GlobalIndices:
    """Sobol (first-order `S1`, total `ST`) or Morris (`mu_star`, `sigma`) indices of the response
    `y` (one value per point, or points × replications, averaged) through SALib."""
    if design.unit is None or design.kind not in ("sobol", "morris"):
        raise ValueError("global indices need a sobol or morris design")
    values = np.asarray(y, dtype=float)
    means = values if values.ndim == 1 else values.mean(axis=1)
    if not np.isfinite(means).all():
        raise ValueError("every point of a sobol or morris design needs a finite response")
    problem = design.problem()
    salib_seed = seed % SALIB_SEED_MOD
    indices: dict[str, dict[str, Index]] = {}
    if design.kind == "sobol":
        from SALib.analyze import sobol

        result = sobol.analyze(problem, means, calc_second_order=False, num_resamples=resamples,
                               conf_level=0.95, seed=salib_seed)
        for i, path in enumerate(design.paths):
            indices[path] = {"S1": Index(float(result["S1"][i]), float(result["S1_conf"][i])),
                             "ST": Index(float(result["ST"][i]), float(result["ST_conf"][i]))}
    else:
        from SALib.analyze import morris

        result = morris.analyze(problem, design.unit, means, num_resamples=resamples,
                                conf_level=0.95, num_levels=design.levels, seed=salib_seed)
        for i, path in enumerate(design.paths):
            indices[path] = {"mu_star": Index(float(result["mu_star"][i]),
                                              float(result["mu_star_conf"][i])),
                             "sigma": Index(float(result["sigma"][i]), math.nan)}
    return GlobalIndices(design.kind, indices, seed_noise_share(values))

