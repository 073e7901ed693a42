"""Ranking and selection on synthetic normal designs whose best is known.

Each design's replication r is μ_i + σ_i(√ρ Z_r + √(1 − ρ) ε_ir): Z_r is shared by every design on
replication r, as common random numbers share a stream. The probability of correct selection of
KN is measured over seeded macro-repetitions in the slippage configuration (the best exactly δ
ahead, the hardest case of its guarantee): the 99% Clopper-Pearson interval of the measured
frequency must reach the stated confidence.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from twin.experiments.selection import kn, kn_eta, ocba, ocba_allocation

CAP = 3000


def designs(means, sigmas, rho: float, seed: int):
    """A sampler for normal designs on common random numbers, and a counter of its replications."""
    rng = np.random.default_rng(seed)
    k = len(means)
    common = rng.standard_normal(CAP)
    own = rng.standard_normal((k, CAP))
    table = (np.asarray(means)[:, None]
             + np.asarray(sigmas)[:, None] * (np.sqrt(rho) * common + np.sqrt(1 - rho) * own))
    used = [0]

    def sample(which, start, stop):
        used[0] += len(which) * (stop - start)
        return table[list(which), start:stop]

    return sample, used


def slippage(k: int, delta: float, best: int = 0) -> list[float]:
    return [delta if i == best else 0.0 for i in range(k)]


def correct_frequency(procedure, repetitions: int, **kwargs) -> tuple[int, int]:
    hits = 0
    for seed in range(repetitions):
        sample, _ = designs(**kwargs, seed=seed)
        hits += procedure(sample) == 0
    return hits, repetitions


def test_eta_matches_the_published_constant():
    """Kim and Nelson's η for k = 2, α = 0.05, n0 = 10: 0.5[(0.1)^(−2/9) − 1] ≈ 0.33405."""
    assert kn_eta(2, 0.95, 10) == pytest.approx(0.5 * (0.1 ** (-2 / 9) - 1))
    assert kn_eta(2, 0.95, 10) == pytest.approx(0.33405, abs=1e-5)


@pytest.mark.parametrize(("rho", "maximize"), [(0.0, True), (0.6, False)])
def test_kn_correct_selection_at_least_its_confidence(rho, maximize):
    k, delta, confidence = 5, 0.5, 0.9
    sign = 1 if maximize else -1

    def procedure(sample):
        return kn(sample, k, indifference=delta, confidence=confidence, first=10,
                  maximize=maximize, max_replications=CAP).best

    hits, n = correct_frequency(procedure, 300, means=[sign * m for m in slippage(k, delta)],
                                sigmas=[1.0, 1.5, 1.0, 0.7, 1.2], rho=rho)
    ci = binomtest(hits, n).proportion_ci(0.99, method="exact")
    assert ci.high >= confidence, (hits, n, ci)


def test_kn_spends_less_on_common_random_numbers():
    """Positive correlation shrinks the paired variances and the replications KN needs."""
    spent = {}
    for rho in (0.0, 0.8):
        total = 0
        for seed in range(20):
            sample, used = designs(slippage(4, 0.5), [1.0] * 4, rho, seed)
            kn(sample, 4, indifference=0.5, confidence=0.95, max_replications=CAP)
            total += used[0]
        spent[rho] = total
    assert spent[0.8] < 0.5 * spent[0.0], spent


def test_kn_obvious_best_stops_early_and_batches_keep_its_decisions():
    sample, used = designs([5.0, 0.0, 0.0, 1.0], [1.0] * 4, 0.3, seed=1)
    one = kn(sample, 4, indifference=0.5, first=10)
    assert one.best == 0 and one.survivors == [0]
    assert used[0] < 4 * 30
    batched = kn(sample, 4, indifference=0.5, first=10, batch=7)
    assert batched.best == one.best and batched.eliminated_at == one.eliminated_at
    assert one.probability_correct_selection > 0.99


def test_kn_capped_and_deterministic_designs():
    sample, _ = designs([0.0, 0.0, 0.0], [1.0] * 3, 0.0, seed=2)
    capped = kn(sample, 3, indifference=0.01, first=5, max_replications=40)
    assert capped.capped and max(capped.replications) == 40
    flat = kn(lambda which, a, b: np.tile(np.array([[1.0], [3.0], [2.0]])[list(which)], (1, b - a)),
              3, indifference=0.1, first=3)
    assert flat.best == 1 and not flat.capped and flat.probability_correct_selection == 1.0


def test_kn_all_within_delta_any_choice_is_good():
    """When every design is within δ of the best, any answer is correct: KN must still stop."""
    sample, _ = designs([0.0, 0.05, 0.1], [1.0] * 3, 0.5, seed=3)
    result = kn(sample, 3, indifference=0.5, max_replications=CAP)
    assert not result.capped


def test_kn_refuses_bad_settings():
    sample, _ = designs([0.0, 1.0], [1.0, 1.0], 0.0, seed=0)
    for bad in ({"indifference": 0.0}, {"indifference": 1.0, "confidence": 1.0},
                {"indifference": 1.0, "first": 1}):
        with pytest.raises(ValueError):
            kn(sample, 2, **bad)


def test_ocba_allocation_formula():
    """Two non-best designs with equal σ: the one twice as close gets four times the replications;
    the best gets σ_b √(Σ N_i²/σ_i²)."""
    counts = ocba_allocation(np.array([2.0, 1.0, 0.0]), np.array([1.0, 1.0, 1.0]), 10_000)
    n_best, n_near, n_far = counts
    assert n_near / n_far == pytest.approx(4.0, rel=0.01)
    assert n_best / n_near == pytest.approx(np.sqrt(1 + 1 / 16), rel=0.01)
    assert counts.sum() == 10_000


def test_ocba_finds_the_best_most_of_the_time():
    k, delta = 5, 0.5

    def procedure(sample):
        return ocba(sample, k, budget=400, indifference=delta, first=10).best

    hits, n = correct_frequency(procedure, 100, means=slippage(k, 2 * delta), sigmas=[1.0] * k, rho=0.0)
    assert hits / n >= 0.9, hits


def test_kn_refuses_undefined_observations():
    with pytest.raises(ValueError, match="finite"):
        kn(lambda which, a, b: np.full((len(which), b - a), np.nan), 2, indifference=1.0)
