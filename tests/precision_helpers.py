"""Closed forms and confidence intervals for the precision-model tests (tests/test_precision.py).

Everything here is exact (normal probabilities, a Markov-chain ARL, numerical integrals) or a
standard interval (Student t over replications, Clopper-Pearson on pooled binomial counts). Every
interval is at `CONFIDENCE` = 99 % (two-sided), so a correct model fails a given check with
probability about 1 %; with fixed seeds the outcome is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate, stats
from scipy.special import ndtr

import twin

CONFIDENCE = 0.99
"""Two-sided confidence level of every interval in the precision tests."""
Z = float(stats.norm.ppf(0.5 + CONFIDENCE / 2))
"""The matching normal quantile, 2.576."""


# ---------------------------------------------------------------- lines


def quality_station(name: str = "Cell", *, process: float = 1.0, **quality: Any) -> dict[str, Any]:
    """A one-machine station with a deterministic cycle shaping characteristic `d` (nominal 0).

    `quality` holds the `quality:` block fields; `lsl`/`usl` go into the characteristic.
    """
    lsl, usl = quality.pop("lsl"), quality.pop("usl")
    inspection = quality.pop("inspection", None)
    station: dict[str, Any] = {
        "name": name,
        "process": {"dist": "deterministic", "mean": process},
        "quality": {"characteristic": {"name": "d", "unit": "mm", "nominal": 0.0, "lsl": lsl,
                                       "usl": usl}, **quality},
    }
    if inspection is not None:
        station["inspection"] = inspection
    return station


def make_line(stations: list[dict[str, Any]], **settings: Any) -> twin.Line:
    """A validated line from plain dicts (what `twin.line_from_text` builds from YAML)."""
    return twin.Line.model_validate({"stations": stations, **settings})


def parts_horizon(parts: int) -> float:
    """Horizon (min) in which a saturated 1-min deterministic station completes exactly `parts`."""
    return parts + 0.5


# ---------------------------------------------------------------- closed forms


def normal_defect_fraction(mean: float, sigma: float, lsl: float, usl: float) -> float:
    """P(X outside [lsl, usl]) for X ~ N(mean, sigma²)."""
    return float(ndtr((lsl - mean) / sigma) + ndtr((mean - usl) / sigma))


def cp(sigma: float, lsl: float, usl: float) -> float:
    return (usl - lsl) / (6 * sigma)


def cpk(mean: float, sigma: float, lsl: float, usl: float) -> float:
    return min(usl - mean, mean - lsl) / (3 * sigma)


def drifting_defect_fraction(bias: float, drift: float, tool_life: int, sigma: float,
                             lsl: float, usl: float) -> float:
    """Mean defect fraction over one tool life of a linearly drifting mean bias + n·drift."""
    means = bias + drift * np.arange(tool_life)
    return float(np.mean(ndtr((lsl - means) / sigma) + ndtr((means - usl) / sigma)))


def shewhart_arl(shift: float, k: float) -> float:
    """Average run length of a two-sided Shewhart chart at ±k sd with the mean `shift` sd off."""
    return 1.0 / float(ndtr(-k - shift) + ndtr(shift - k))


def ewma_arl(lam: float, L: float, shift: float = 0.0, states: int = 201) -> float:
    """Zero-state ARL of a two-sided EWMA chart with asymptotic limits ±L·sqrt(λ/(2−λ)) (in sd
    units of the charted value), by the Brook & Evans (1972) Markov chain with `states` cells."""
    h = L * math.sqrt(lam / (2 - lam))
    width = 2 * h / states
    centres = -h + width * (np.arange(states) + 0.5)
    start = (1 - lam) * centres[:, None]
    upper = (centres[None, :] + width / 2 - start) / lam - shift
    lower = (centres[None, :] - width / 2 - start) / lam - shift
    q = ndtr(upper) - ndtr(lower)
    arl = np.linalg.solve(np.eye(states) - q, np.ones(states))
    return float(arl[states // 2])


@dataclass(frozen=True)
class GaugeRates:
    """Sorting by one measurement M = X + E, X ~ N(mean, sigma), E ~ N(0, gauge)."""

    defective: float
    """P(X out of spec)."""
    false_reject: float
    """P(M out of spec | X in spec)."""
    escaped: float
    """P(X out of spec | M in spec): the defect fraction among accepted (shipped) parts."""
    rejected: float
    """P(M out of spec): the scrap rate."""


def gauge_rates(mean: float, sigma: float, gauge: float, lsl: float, usl: float) -> GaugeRates:
    """Joint probabilities of the bivariate normal (X, M) over the spec rectangle, integrated over
    the true value x: P(X∈A, M∈[lsl,usl]) = ∫_A φ(x) P(lsl ≤ x+E ≤ usl) dx."""

    def accepted_at(x: float) -> float:
        return float(ndtr((usl - x) / gauge) - ndtr((lsl - x) / gauge))

    def density(x: float) -> float:
        return float(stats.norm.pdf(x, mean, sigma))

    far = 12 * sigma
    conforming = 1 - normal_defect_fraction(mean, sigma, lsl, usl)
    ok_accepted = integrate.quad(lambda x: density(x) * accepted_at(x), lsl, usl,
                                 epsabs=1e-13, epsrel=1e-11)[0]
    bad_accepted = sum(
        integrate.quad(lambda x: density(x) * accepted_at(x), a, b, epsabs=1e-13, epsrel=1e-11)[0]
        for a, b in ((mean - far, lsl), (usl, mean + far))
    )
    accepted = ok_accepted + bad_accepted
    return GaugeRates(
        defective=1 - conforming,
        false_reject=(conforming - ok_accepted) / conforming,
        escaped=bad_accepted / accepted,
        rejected=1 - accepted,
    )


# ---------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    label: str

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.6g} [{self.low:.6g}, {self.high:.6g}] ({self.label})"


def t_interval(values: Sequence[float] | np.ndarray) -> Interval:
    """99 % Student-t interval of the mean of independent replications."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    assert n >= 5, "a statistical check needs several replications"
    assert np.all(np.isfinite(data)), data
    mean = float(data.mean())
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1)) * float(data.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, f"99% t, n={n}")


def binomial_interval(successes: int, trials: int) -> Interval:
    """99 % Clopper-Pearson (exact) interval of a proportion from pooled counts."""
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=CONFIDENCE, method="exact")
    return Interval(successes / trials, float(ci.low), float(ci.high),
                    f"99% Clopper-Pearson, {successes}/{trials}")


def assert_in(interval: Interval, exact: float, *, max_rel_half_width: float, what: str) -> None:
    """The exact value lies in the interval, and the interval is narrow enough to mean something:
    its half-width is at most `max_rel_half_width` × the exact value."""
    assert exact in interval, f"{what}: exact {exact:.6g} outside {interval}"
    assert interval.half_width <= max_rel_half_width * abs(exact), (
        f"{what}: interval too wide to test anything: {interval} vs exact {exact:.6g}")


def ewma_arl_drift(lam: float, L: float, drift: float, start: float = 0.0, states: int = 201,
                   max_parts: int = 100_000) -> float:
    """Zero-state ARL of the same EWMA chart when the charted mean moves linearly: `start` + n·drift
    (sd units) at the n-th part after a restart. The Brook & Evans chain becomes time-inhomogeneous;
    ARL = Σ_n P(no signal in the first n parts), summed until that probability is negligible."""
    h = L * math.sqrt(lam / (2 - lam))
    width = 2 * h / states
    centres = -h + width * (np.arange(states) + 0.5)
    previous = (1 - lam) * centres[:, None]
    upper = (centres[None, :] + width / 2 - previous) / lam
    lower = (centres[None, :] - width / 2 - previous) / lam
    alive = np.zeros(states)
    alive[states // 2] = 1.0
    arl = 0.0
    steady = ndtr(upper - start) - ndtr(lower - start) if drift == 0 else None
    for n in range(max_parts):
        shift = start + drift * n
        alive = alive @ (steady if steady is not None else ndtr(upper - shift) - ndtr(lower - shift))
        arl += alive.sum()  # P(run length > n + 1)
        if alive.sum() < 1e-12:
            break
    return 1.0 + arl
