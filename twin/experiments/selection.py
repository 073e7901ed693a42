"""Ranking and selection on common random numbers: which of k designs is best, with a guarantee.

A search ranks designs on a few replications each; the top of that ranking is noisy. Ranking and
selection spends further replications only where they decide something, and stops when the answer
is the best design, or one within the indifference zone δ of it, with probability ≥ 1 − α.

Two procedures, both pure functions of a `Sampler` (a callable that returns more replications of
the designs it is asked about, replication r of every design on the same random streams r):

- `kn`: Kim and Nelson's fully sequential procedure (2001), with the *paired* variances of the
  differences, so that common random numbers shrink the work: positive correlation between designs
  lowers Var(X_i − X_l) and the elimination boundary with it. Each stage adds one replication to
  every surviving design and drops a design as soon as its sum of differences to any other falls
  below the triangular continuation region. Guarantee: P(correct selection) ≥ 1 − α when the best
  is at least δ better than the rest (normal data, any variances and correlations).
- `ocba`: Chen et al.'s optimal computing budget allocation (2000) for a fixed budget: replications
  go where they raise the approximate probability of correct selection most. No guarantee; it
  reports that approximate probability.

Both report `probability_correct_selection`: a Bonferroni lower estimate, from the paired
differences, of the probability that the chosen design is within δ of the true best (1 − Σ over the
others of P(other beats chosen by more than δ), normal approximation). KN also states the
confidence it was run at, which holds by construction unless the replication cap stopped it.

Kim, S.-H., Nelson, B. L. (2001). A fully sequential procedure for indifference-zone selection in
simulation. ACM TOMACS 11(3), 251–273. Chen, C.-H., Lin, J., Yücesan, E., Chick, S. E. (2000).
Simulation budget allocation for further enhancing the efficiency of ordinal optimization.
Discrete Event Dynamic Systems 10, 251–270.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import special

Sampler = Callable[[Sequence[int], int, int], np.ndarray]
"""sample(designs, start, stop) → array (len(designs), stop − start): replications start … stop − 1
of each design named by its index, replication r of every design on the same streams r."""


@dataclass
class Selection:
    """What a procedure chose, from which data, and how sure it is."""

    best: int
    """Index of the chosen design."""
    samples: list[np.ndarray]
    """Every replication of every design, in replication order (design i has len(samples[i]))."""
    maximize: bool
    indifference: float
    confidence: float
    """The 1 − α the procedure was run at."""
    procedure: str
    eliminated_at: dict[int, int] = field(default_factory=dict)
    """Design → number of replications it had when KN eliminated it."""
    capped: bool = False
    """True when the replication cap ended KN before its own stopping rule (no guarantee then)."""
    probability_correct_selection: float = float("nan")

    @property
    def means(self) -> np.ndarray:
        return np.array([s.mean() if len(s) else math.nan for s in self.samples])

    @property
    def replications(self) -> list[int]:
        return [len(s) for s in self.samples]

    @property
    def survivors(self) -> list[int]:
        return [i for i in range(len(self.samples)) if i not in self.eliminated_at]

    @property
    def total_replications(self) -> int:
        return sum(self.replications)


def _check(k: int, indifference: float, confidence: float, first: int) -> None:
    if k < 1:
        raise ValueError("selection needs at least one design")
    if not indifference > 0 or not math.isfinite(indifference):
        raise ValueError(f"indifference: must be > 0, got {indifference!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be between 0 and 1, got {confidence!r}")
    if first < 2:
        raise ValueError(f"first-stage replications: must be >= 2, got {first!r}")


def kn_eta(k: int, confidence: float, first: int) -> float:
    """η of KN: 0.5[(2α/(k − 1))^(−2/(n0 − 1)) − 1]."""
    alpha = 1 - confidence
    return 0.5 * ((2 * alpha / max(1, k - 1)) ** (-2 / (first - 1)) - 1)


def kn(sample: Sampler, k: int, *, indifference: float, confidence: float = 0.95, first: int = 10,
       maximize: bool = True, batch: int = 1, max_replications: int = 1000,
       progress: Callable[[int], None] | None = None) -> Selection:
    """Kim–Nelson fully sequential selection of the best of `k` designs (KN, c = 1).

    `first` replications of each design estimate the paired variances S²_il; then each stage adds a
    replication to every survivor, and design i is eliminated at stage r when
    Σ(X_i − X_l) < −max(0, (h² S²_il/δ − δ r)/2) for some survivor l (maximising). `batch` asks the
    sampler for that many replications at once (to keep a pool busy); the eliminations are still
    judged stage by stage, so the decisions are exactly those of the one-at-a-time procedure.
    `max_replications` per design caps the work: reaching it ends the procedure with the best mean
    of the survivors and `capped=True`. `progress(replications_so_far)` after each sampling call."""
    _check(k, indifference, confidence, first)
    sign = 1.0 if maximize else -1.0
    delta = indifference
    first = max(2, min(first, max_replications))
    data = _finite(np.asarray(sample(list(range(k)), 0, first), dtype=float).reshape(k, first))
    if progress:
        progress(k * first)
    selection = Selection(best=0, samples=[], maximize=maximize, indifference=delta,
                          confidence=confidence, procedure="kn")
    if k == 1:
        selection.samples = [data[0]]
        selection.probability_correct_selection = 1.0
        return selection
    h2 = 2 * kn_eta(k, confidence, first) * (first - 1)
    x = sign * data
    s2 = (x[:, None, :] - x[None, :, :]).var(axis=2, ddof=1)
    # the last stage KN can need: N_il = floor(h² S²_il / δ²); at r = N + 1 the region has closed
    horizon = int(np.floor(h2 * s2 / delta**2).max()) + 1
    signed = list(x)
    sums = np.array([row.sum() for row in signed])
    alive, r = list(range(k)), first
    while True:
        alive = _screen(alive, sums, s2, h2, delta, r, selection.eliminated_at)
        if len(alive) == 1 or r >= horizon:
            break
        if r >= max_replications:
            selection.capped = True
            break
        have = len(signed[alive[0]])  # every survivor has had the same replications
        if have <= r:
            stop = min(have + batch, max_replications)
            batch_data = np.asarray(sample(alive, have, stop), dtype=float).reshape(len(alive), -1)
            more = sign * _finite(batch_data)
            for row, values in zip(alive, more, strict=True):
                signed[row] = np.concatenate([signed[row], values])
            if progress:
                progress(sum(len(row) for row in signed))
        for i in alive:
            sums[i] += signed[i][r]
        r += 1
    selection.samples = [sign * row for row in signed]
    # the survivor with the largest sum over the r stages judged (a batch may hold a few more)
    selection.best = max(selection.survivors, key=lambda i: sums[i])
    selection.probability_correct_selection = within_indifference(selection)
    return selection


def _finite(values: np.ndarray) -> np.ndarray:
    if not np.isfinite(values).all():
        raise ValueError("selection needs finite observations, the sampler returned NaN or inf")
    return values


def _screen(alive: list[int], sums: np.ndarray, s2: np.ndarray, h2: float, delta: float, r: int,
            eliminated: dict[int, int]) -> list[int]:
    """KN's screening at stage r: i survives when Σ(X_i − X_l) ≥ −W_il(r) for every other survivor
    l, W_il(r) = max(0, (h² S²_il/δ − δ r)/2) (sums over the first r replications, maximising)."""
    for i in alive:
        for other in alive:
            if other != i and sums[i] - sums[other] < -max(0.0, (h2 * s2[i, other] / delta - delta * r) / 2):
                eliminated[i] = r
                break
    return [i for i in alive if i not in eliminated]


def within_indifference(selection: Selection) -> float:
    """Bonferroni estimate of P(the chosen design is within δ of the best): 1 − Σ_i P(μ_i − μ_b > δ)
    with each term from the paired differences over the replications both designs have (normal
    approximation; a zero-variance difference counts 0 or 1)."""
    b, sign, delta = selection.best, (1.0 if selection.maximize else -1.0), selection.indifference
    miss = 0.0
    for i, other in enumerate(selection.samples):
        if i == b:
            continue
        n = min(len(other), len(selection.samples[b]))
        d = sign * (other[:n] - selection.samples[b][:n])
        if n < 2:
            miss += 0.5
            continue
        se = d.std(ddof=1) / math.sqrt(n)
        gap = d.mean() - delta
        miss += float(special.ndtr(gap / se)) if se > 0 else float(gap > 0)
    return max(0.0, 1.0 - miss)


def ocba_allocation(means: np.ndarray, stds: np.ndarray, total: int, maximize: bool = True) -> np.ndarray:
    """OCBA's asymptotically optimal split of `total` replications (Chen et al. 2000):
    N_i/N_j = (σ_i/Δ_i)² / (σ_j/Δ_j)² for non-best i, j (Δ_i = gap to the best mean) and
    N_b = σ_b √(Σ_{i≠b} N_i²/σ_i²). Rounded to whole replications summing to `total`."""
    values = means if maximize else -means
    k = len(values)
    b = int(np.argmax(values))
    sd = np.maximum(np.asarray(stds, dtype=float), 1e-12)
    gap = np.maximum(values[b] - values, 1e-12 * (1 + abs(values[b])))
    weight = (sd / gap) ** 2
    weight[b] = 0.0
    others = [i for i in range(k) if i != b]
    weight[b] = sd[b] * math.sqrt(sum(weight[i] ** 2 / sd[i] ** 2 for i in others)) if others else 1.0
    share = weight / weight.sum()
    counts = np.floor(share * total).astype(int)
    for i in np.argsort(-(share * total - counts))[: total - counts.sum()]:
        counts[i] += 1
    return counts


def ocba(sample: Sampler, k: int, *, budget: int, indifference: float, first: int = 10,
         increment: int | None = None, maximize: bool = True,
         progress: Callable[[int], None] | None = None) -> Selection:
    """Sequential OCBA: `first` replications each, then rounds of `increment` replications spread
    by `ocba_allocation` over the running means and standard deviations until `budget` replications
    in all are spent. Replications are added in replication order, so designs stay paired (CRN)
    on the replications they share."""
    _check(k, indifference, 0.5, first)
    if budget < k * first:
        raise ValueError(f"budget: {budget} replications cannot give {k} designs {first} each")
    increment = increment or max(k, budget // 20)
    data = [np.asarray(row, dtype=float) for row in np.asarray(sample(list(range(k)), 0, first))]
    spent = k * first
    if progress:
        progress(spent)
    while spent < budget:
        step = min(increment, budget - spent)
        means = np.array([row.mean() for row in data])
        stds = np.array([row.std(ddof=1) for row in data])
        target = ocba_allocation(means, stds, spent + step, maximize)
        extra = {i: int(target[i] - len(data[i])) for i in range(k) if target[i] > len(data[i])}
        if not extra:  # the target already holds: give the step to the design it favours most
            extra = {int(np.argmax(target - np.array([len(r) for r in data]))): step}
        for i, n in extra.items():
            n = min(n, budget - spent)
            if n <= 0:
                continue
            data[i] = np.concatenate([data[i], np.asarray(sample([i], len(data[i]), len(data[i]) + n),
                                                            dtype=float)[0]])
            spent += n
        if progress:
            progress(spent)
    means = np.array([row.mean() for row in data])
    best = int(np.argmax(means if maximize else -means))
    selection = Selection(best=best, samples=data, maximize=maximize, indifference=indifference,
                          confidence=float("nan"), procedure="ocba")
    selection.probability_correct_selection = within_indifference(selection)
    return selection
