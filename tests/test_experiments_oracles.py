"""The experiment core against exact answers: a buffer sweep of a two-station exponential line and
its closed form at every point, the tornado's order against the exact effects on such a line,
common random numbers (paired intervals narrower than unpaired ones), and Sobol indices of an
additive function against their known values.

The closed form is the one tests/test_oracles_lines.py checks against the Markov chain."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import CONFIDENCE, assert_covers, make_line, t_interval
from test_oracles_lines import two_station_formula

import twin
from twin.experiments import analysis
from twin.experiments.designs import points
from twin.experiments.spec import Design, Factor

SEED = 2027
REPLICATIONS = 8
SWEEP_REPLICATIONS = 20
"""Five points at a family-wise 99%: enough replications for each interval to stay under 1%."""


def two_station_line(mean1: float, mean2: float, buffer: int) -> twin.Line:
    """Saturated M1 → buffer → M2, exponential times, long enough for a tight interval."""
    return make_line([{"name": "M1", "process": {"dist": "exponential", "mean": mean1}},
                      {"name": "M2", "process": {"dist": "exponential", "mean": mean2},
                       "buffer": buffer}], horizon=10_000, warmup=500,
                     replications=REPLICATIONS, seed=SEED)


def per_minute(values: np.ndarray) -> np.ndarray:
    return values / 60.0


def test_a_buffer_sweep_matches_the_closed_form_at_every_point() -> None:
    line = two_station_line(1.0, 0.8, 0)
    buffers = [0, 1, 2, 4, 8]
    result = twin.sweep(line, [{"path": "stations[M2].buffer", "values": buffers}], workers=1,
                        replications=SWEEP_REPLICATIONS)
    assert result.experiment.engine == "fast"
    table = result.experiment.table
    assert [s.overrides["stations[M2].buffer"] for s in result.experiment.scenarios] == buffers
    family = 1 - (1 - CONFIDENCE) / len(buffers)  # Bonferroni: 1% for the five points together
    for scenario, b in zip(result.experiment.scenarios, buffers, strict=True):
        exact = two_station_formula(1.0, 1.25, b)
        values = per_minute(table.values(scenario.name, "throughput_per_hour"))
        assert_covers(values, exact, max_rel_half_width=0.01, what=f"buffer {b}", confidence=family)
        rows = table.frame[table.frame["scenario"] == scenario.name]
        assert (rows["stations[M2].buffer"] == b).all() and len(rows) == SWEEP_REPLICATIONS


def test_common_random_numbers_make_the_paired_interval_narrower() -> None:
    line = two_station_line(1.0, 1.0, 1)
    result = twin.scenarios(line, [{"name": "b1"}, {"name": "b3", "set": {"stations[M2].buffer": 3}}],
                            workers=1, responses=["throughput_per_hour"])
    table = result.experiment.table
    a, b = table.values("b1", "throughput_per_hour"), table.values("b3", "throughput_per_hour")
    paired = t_interval(b - a)
    unpaired_half = paired.half_width * math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / (b - a).var(ddof=1))
    assert paired.half_width * 2 < unpaired_half, (paired, unpaired_half)
    exact = (two_station_formula(1.0, 1.0, 3) - two_station_formula(1.0, 1.0, 1)) * 60
    assert exact in paired, (exact, paired)
    difference = table.differences("b1", ["throughput_per_hour"]).loc[("b3", "throughput_per_hour")]
    assert difference["variance_reduction"] > 4
    assert result.to_json()["scenarios"][1]["difference"]["throughput_per_hour"]["mean"] == \
        pytest.approx(float((b - a).mean()))


def test_the_tornado_orders_factors_as_the_exact_effects() -> None:
    """Base M1 mean 1.0, M2 mean 0.8, buffer 2; each factor's exact effect high − low comes from
    the closed form, and the tornado must rank them the same and cover each one."""
    base = two_station_line(1.0, 0.8, 2)
    factors = [Factor(path="stations[M2].buffer", low=0, high=4, type="int"),
               Factor(path="stations[M1].process.mean", low=0.9, high=1.1),
               Factor(path="stations[M2].process.mean", low=0.75, high=0.85)]

    def exact(mean1: float = 1.0, mean2: float = 0.8, b: int = 2) -> float:
        return two_station_formula(1 / mean1, 1 / mean2, b) * 60

    effects = {"stations[M2].buffer": exact(b=4) - exact(b=0),
               "stations[M1].process.mean": exact(mean1=1.1) - exact(mean1=0.9),
               "stations[M2].process.mean": exact(mean2=0.85) - exact(mean2=0.75)}
    ranked = sorted(effects, key=lambda p: -abs(effects[p]))
    magnitudes = [abs(effects[p]) for p in ranked]
    assert magnitudes[0] > 1.3 * magnitudes[1] and magnitudes[1] > 1.3 * magnitudes[2]  # well apart
    result = twin.sensitivity(base, factors, workers=1, responses=["throughput_per_hour"])
    bars = result.tornado("throughput_per_hour")
    assert [bar.path for bar in bars] == ranked
    table = result.tornado_run.table
    for bar in bars:
        paired = table.values(f"{bar.path} high", "throughput_per_hour") - table.values(
            f"{bar.path} low", "throughput_per_hour")
        assert effects[bar.path] in t_interval(paired), (bar.path, effects[bar.path], t_interval(paired))
        assert bar.significant
    document = result.to_json()
    assert set(document["tornado"]["throughput_per_hour"]) == {"base", "seed_noise", "bars"}
    assert document["indices"] is None


def additive(values: dict[str, float], weights: dict[str, float]) -> float:
    return sum(weights[p] * values[p] for p in weights)


def test_sobol_indices_of_an_additive_function_match_their_known_values() -> None:
    """f = Σ a_i x_i with x_i uniform on [0, 1]: S1_i = ST_i = a_i² / Σ a_j² (no interactions)."""
    weights = {"a": 1.0, "b": 2.0, "c": 3.0}
    factors = [Factor(path=p, low=0.0, high=1.0) for p in weights]
    design = points(Design(kind="sobol", samples=1024), factors, seed=SEED)
    y = np.array([additive(dict(s.overrides), weights) for s in design.scenarios])
    indices = analysis.global_indices(design, y, seed=SEED, resamples=300)
    total = sum(w * w for w in weights.values())
    for path, w in weights.items():
        known = w * w / total
        for name in ("S1", "ST"):
            index = indices.indices[path][name]
            assert index.conf < 0.08, (path, name, index)
            assert abs(index.value - known) <= index.conf, (path, name, index, known)
    assert indices.seed_noise == 0.0


def test_the_seed_share_is_the_noise_in_the_point_means() -> None:
    """y_ij = f(x_i) + ε_ij, ε ~ N(0, σ²), R replications: the seed holds σ²/R of Var(mean_i)."""
    rng = np.random.default_rng(SEED)
    signal = rng.uniform(0, 1, 4000)
    sigma, reps = 0.5, 4
    y = signal[:, None] + rng.normal(0, sigma, (len(signal), reps))
    expected = sigma**2 / reps / (1 / 12 + sigma**2 / reps)
    assert analysis.seed_noise_share(y) == pytest.approx(expected, rel=0.1)


def test_morris_ranks_an_additive_function() -> None:
    weights = {"a": 1.0, "b": 2.0, "c": 4.0}
    factors = [Factor(path=p, low=0.0, high=1.0) for p in weights]
    design = points(Design(kind="morris", samples=40, levels=4), factors, seed=SEED)
    y = np.array([additive(dict(s.overrides), weights) for s in design.scenarios])
    indices = analysis.global_indices(design, y, seed=SEED)
    mu_star = {p: indices.indices[p]["mu_star"].value for p in weights}
    assert mu_star == pytest.approx(weights, rel=1e-9)  # a linear function: every step is a_i
