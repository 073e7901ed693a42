"""Random streams and samplers: uniforms through inverse CDFs, drawn in batches.

Every draw starts as a uniform from a stream dedicated to one `StreamKey` (station, purpose,
machine, product, changeover) of one replication. The sampler maps it through the inverse CDF of
the configured distribution, so two lines that differ only in a mean or a cv see the *same*
uniforms: common random numbers, for paired comparisons with small variance. Uniforms are drawn
1,024 at a time and mapped with vectorised numpy/scipy, because the per-part path is hot and a
numpy call per draw is slow.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from enum import IntEnum
from typing import NamedTuple

import numpy as np
from scipy import special

from twin.config.dists import (
    Deterministic,
    DistSpec,
    Empirical,
    Exponential,
    Gamma,
    Lognormal,
    Normal,
    Trace,
    Triangular,
    Uniform,
    Weibull,
    dist_mean,
)

BATCH = 1024

Sampler = Callable[[], float]
"""A zero-argument callable returning the next value (minutes)."""


class Purpose(IntEnum):
    """What a stream is for; part of its seed key, so adding a purpose never shifts the others."""

    PROCESS = 0
    FAILURE = 1
    REPAIR = 2
    MAINTENANCE = 3
    ARRIVAL = 4
    PREDICTION = 5
    FALSE_ALARM = 6
    QUALITY = 7
    MEASUREMENT = 8
    SETUP = 9
    ROUTING = 10
    PRODUCT = 11
    INSPECTION = 12
    FALSE_ALARM_REPAIR = 13
    RESIDUAL = 14
    """Remaining times of what a start state has in progress (`residual_sampler`)."""


class StreamKey(NamedTuple):
    """Which stream a draw comes from, one named field per thing it can belong to.

    `station` is 0 for the source, 1.. for the stations. `machine`, `product`, `setup_from` and
    `setup_to` are indices (machine of the station, product of the line's `products`), or None when
    the stream is not tied to one: a station's process stream is shared by its machines, a default
    changeover time serves every pair without its own. Each field has one meaning, so no two
    streams can collide and no field is reused for another purpose.
    """

    station: int
    purpose: Purpose
    machine: int | None = None
    product: int | None = None
    setup_from: int | None = None
    setup_to: int | None = None

    def spawn_key(self, replication: int) -> tuple[int, ...]:
        """The `SeedSequence` spawn key: (replication, station, purpose, then each optional field
        as index + 1, 0 for None)."""
        optional = (self.machine, self.product, self.setup_from, self.setup_to)
        return (replication, self.station, int(self.purpose),
                *(0 if field is None else field + 1 for field in optional))


class Streams:
    """Independent generators, one per (replication, `StreamKey`).

    Spawn keys go into `SeedSequence(seed, spawn_key=...)`, which is what `SeedSequence.spawn`
    does internally, so a stream never depends on how many others exist.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication

    def generator(self, station: int, purpose: Purpose, machine: int | None = None, *,
                  product: int | None = None,
                  setup: tuple[int | None, int | None] = (None, None)) -> np.random.Generator:
        """The generator of `StreamKey(station, purpose, machine, product, *setup)`."""
        key = StreamKey(station, purpose, machine, product, *setup).spawn_key(self.replication)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.seed, spawn_key=key)))

    def uniforms(self, station: int, purpose: Purpose, machine: int | None = None) -> Iterator[float]:
        """An endless iterator of uniforms in [0, 1)."""
        return _batched(self.generator(station, purpose, machine), _identity)

    def sampler(self, spec: DistSpec, station: int, purpose: Purpose, machine: int | None = None, *,
                product: int | None = None,
                setup: tuple[int | None, int | None] = (None, None)) -> Sampler:
        return make_sampler(spec, lambda: self.generator(station, purpose, machine, product=product,
                                                         setup=setup))


def _identity(u: np.ndarray) -> np.ndarray:
    return u


def _batched(rng: np.random.Generator, transform: Callable[[np.ndarray], np.ndarray]) -> Iterator[float]:
    """Endless values, BATCH uniforms at a time through `transform`; a chain of list iterators, so
    `next()` runs in C between batches."""
    return itertools.chain.from_iterable(
        transform(rng.random(BATCH)).tolist() for _ in itertools.repeat(None))


def unit_exponential(u: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """-ln(1 - u), the unit exponential's inverse CDF, into `out` when given (the fast engine's
    draw table fills its rows in place). It is computed as the log of 1 - u, not as log1p(-u):
    the values agree to an ulp or two (1 - u is exact for u >= 1/2 and loses nothing that matters
    below), and numpy's log costs a third of its log1p, which was the largest single cost of both
    engines' draws. Every exponential and Weibull draw goes through here, so the engines agree."""
    out = np.subtract(1.0, u, out=out)
    np.log(out, out=out)
    return np.negative(out, out=out)


def inverse_cdf(spec: DistSpec) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised inverse CDF of `spec`: uniforms in [0, 1) → values in minutes."""
    match spec:
        case Deterministic():
            mean = spec.mean
            return lambda u: np.full_like(u, mean)
        case Exponential():
            mean = spec.mean
            return lambda u: mean * unit_exponential(u)
        case Normal():
            mean, sd = spec.mean, spec.mean * spec.cv
            return lambda u: np.maximum(0.0, mean + sd * special.ndtri(u))
        case Lognormal():
            s2 = math.log1p(spec.cv**2)
            mu, s = math.log(spec.mean) - s2 / 2, math.sqrt(s2)
            return lambda u: np.exp(mu + s * special.ndtri(u))
        case Gamma():
            if spec.cv == 0:
                return inverse_cdf(Deterministic(mean=spec.mean))
            shape, scale = 1 / spec.cv**2, spec.mean * spec.cv**2
            return lambda u: scale * special.gammaincinv(shape, u)
        case Weibull():
            k = spec.shape
            scale = spec.mean / math.gamma(1 + 1 / k)
            return lambda u: scale * unit_exponential(u) ** (1 / k)
        case Uniform():
            low, width = spec.min, spec.max - spec.min
            return lambda u: low + width * u
        case Triangular():
            a, c, b = spec.min, spec.mode, spec.max
            split = (c - a) / (b - a)

            def triangular(u: np.ndarray) -> np.ndarray:
                left = a + np.sqrt(u * (b - a) * (c - a))
                right = b - np.sqrt((1 - u) * (b - a) * (b - c))
                return np.where(u < split, left, right)

            return triangular
        case Empirical():
            values = np.asarray(spec.values, dtype=float)
            n = len(values)
            return lambda u: values[np.minimum((u * n).astype(np.int64), n - 1)]
    raise TypeError(f"no inverse CDF for {type(spec).__name__}")


def make_sampler(spec: DistSpec, generator: Callable[[], np.random.Generator]) -> Sampler:
    """A fast `next()`-style sampler for `spec`; `generator` is called only if randomness is used."""
    if isinstance(spec, Deterministic):
        return itertools.repeat(spec.mean).__next__
    if isinstance(spec, Trace):
        return itertools.cycle(spec.values).__next__
    if isinstance(spec, Normal | Lognormal) and spec.cv == 0:
        return itertools.repeat(spec.mean).__next__
    return _batched(generator(), inverse_cdf(spec)).__next__


# --- residual times: what is left of a duration already under way (runs from a `LineState`) ------


def scipy_distribution(spec: DistSpec):  # -> scipy.stats frozen distribution
    """The distribution the engine draws from `spec`, as a frozen `scipy.stats` distribution (for
    survival functions and moments); None for the kinds without one (deterministic, empirical,
    trace, and a normal, lognormal or gamma of cv 0, which the engine draws as deterministic).

    A normal is truncated at zero by `max(0, x)`: its survival function for t > 0 is the normal's.
    (scipy.stats is imported here, not with the module: it costs every run ~40 MiB and ~0.5 s.)
    """
    from scipy import stats

    match spec:
        case Exponential():
            return stats.expon(scale=spec.mean)
        case Normal() if spec.cv > 0:
            return stats.norm(loc=spec.mean, scale=spec.mean * spec.cv)
        case Lognormal() if spec.cv > 0:
            s2 = math.log1p(spec.cv**2)
            return stats.lognorm(s=math.sqrt(s2), scale=math.exp(math.log(spec.mean) - s2 / 2))
        case Gamma() if spec.cv > 0:
            return stats.gamma(a=1 / spec.cv**2, scale=spec.mean * spec.cv**2)
        case Weibull():
            return stats.weibull_min(c=spec.shape, scale=spec.mean / math.gamma(1 + 1 / spec.shape))
        case Uniform():
            return stats.uniform(loc=spec.min, scale=spec.max - spec.min)
        case Triangular():
            width = spec.max - spec.min
            return stats.triang(c=(spec.mode - spec.min) / width, loc=spec.min, scale=width)
    return None


def residual_inverse(spec: DistSpec, elapsed: float) -> Callable[[np.ndarray], np.ndarray]:
    """The vectorised inverse CDF of the *remaining* time R = X - e given X > e (e = `elapsed`):
    uniforms in [0, 1) → minutes still to go.

    P(R > r) = S(e + r) / S(e), so with U uniform, e + R = S⁻¹((1 - U) S(e)): the survival function
    and its inverse of `scipy_distribution(spec)`. An exponential is memoryless (R is drawn as X);
    a Weibull has the closed form e + R = λ((e/λ)^k - ln(1 - U))^(1/k); a deterministic time has
    mean - e left; an empirical sample draws among its values above e. With nothing elapsed this is
    `inverse_cdf(spec)` itself, so a run from an empty state draws what a plain run draws. A time
    already past everything the distribution allows (S(e) = 0) has nothing left: R = 0.
    """
    e = max(0.0, float(elapsed))
    if (e == 0 and not isinstance(spec, Trace)) or isinstance(spec, Exponential):
        return inverse_cdf(spec)
    if isinstance(spec, Weibull):
        k = spec.shape
        scale = spec.mean / math.gamma(1 + 1 / k)
        base = (e / scale) ** k
        return lambda u: scale * (base + unit_exponential(u)) ** (1 / k) - e
    if isinstance(spec, Empirical | Trace):
        # a trace's order is lost once a part is under way: its values count as a sample
        above = np.sort(np.asarray([v for v in spec.values if v > e], dtype=float)) - e
        if len(above) == 0:
            return lambda u: np.zeros_like(u)
        n = len(above)
        return lambda u: above[np.minimum((u * n).astype(np.int64), n - 1)]
    dist = scipy_distribution(spec)
    if dist is None:  # deterministic (or a cv of 0)
        left = max(0.0, dist_mean(spec) - e)
        return lambda u: np.full_like(u, left)
    survival = float(dist.sf(e))
    if survival <= 0.0:
        return lambda u: np.zeros_like(u)
    return lambda u: np.maximum(0.0, dist.isf((1.0 - u) * survival) - e)


def residual_sampler(spec: DistSpec, elapsed: float, generator: np.random.Generator) -> float:
    """One remaining time of `spec` given `elapsed` already spent, from one uniform of `generator`."""
    return float(residual_inverse(spec, elapsed)(np.array([generator.random()]))[0])
