"""The forecast of the rest of a shift from the line's current state: how many good parts by its
end (mean, 80% and 95% prediction intervals), the chance of making the target, the bottleneck.

It is `twin.run(line, initial_state=state, horizon=until - clock)` (the fast engine when the line
is in its scope), each replication one possible rest of the shift; the intervals are the empirical
quantiles of the replications' totals (parts made so far + parts made from the state on), so they
are prediction intervals for this shift's count, not confidence intervals of a mean.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from twin.config import Line
from twin.errors import ConfigError
from twin.limits import MAX_REPLICATIONS
from twin.state import LineState

DEFAULT_REPLICATIONS = 200
MIN_REPLICATIONS = 200
"""Fewer replications than this make the 95% interval's ends (the 2.5% and 97.5% quantiles)
rest on a handful of runs each; `--replications` may not go below it."""
QUANTILES = {"p10": 0.10, "p90": 0.90, "p025": 0.025, "p975": 0.975}


def check_replications(replications: int) -> int:
    if not MIN_REPLICATIONS <= replications <= MAX_REPLICATIONS:
        raise ConfigError(f"--replications: must be between {MIN_REPLICATIONS} (for the 95% interval) "
                          f"and {MAX_REPLICATIONS:,}, got {replications}", field="replications")
    return replications


@dataclass(frozen=True)
class Forecast:
    """Good parts by the end of the shift, as a distribution over replications."""

    clock: float
    until: float
    good_so_far: int
    totals: np.ndarray
    """Good parts by `until`, one per replication (so far + made from the state on)."""
    target: int | None
    bottleneck: str | None
    """The station most often the bottleneck over the rest of the shift (None: nothing left)."""
    engine: str
    seconds: float

    @property
    def good_parts(self) -> dict[str, float]:
        totals = self.totals.astype(float)
        out = {"mean": float(totals.mean())}
        out.update({name: float(np.quantile(totals, q)) for name, q in QUANTILES.items()})
        return out

    @property
    def probability_target(self) -> float | None:
        if self.target is None:
            return None
        return float(np.mean(self.totals >= self.target))

    def to_json(self) -> dict[str, object]:
        """The `forecast` object of a `twin live --format json` line (keys are a contract)."""
        return {"good_parts": self.good_parts, "probability_target": self.probability_target,
                "bottleneck": self.bottleneck}


def forecast_line(line: Line) -> Line:
    """The line as forecasts run it: nothing cut as warm-up (the state is the line as it is)."""
    return line.model_copy(update={"warmup": 0.0})


def forecast(line: Line, state: LineState, good_so_far: int, until: float, *,
             replications: int = DEFAULT_REPLICATIONS, seed: int | None = None,
             target: int | None = None, engine: str = "auto") -> Forecast:
    """Forecast the shift's good parts from `state` up to clock `until`, on one core."""
    from twin.experiment import run

    started = time.perf_counter()
    remaining = until - state.clock
    if remaining <= 1e-9:
        totals = np.full(replications, good_so_far)
        return Forecast(state.clock, until, good_so_far, totals, target, None, engine,
                        time.perf_counter() - started)
    results = run(forecast_line(line), replications=replications, seed=seed, workers=1,
                  engine=engine, initial_state=state, horizon=remaining)
    totals = np.array([good_so_far + r.good for r in results.runs])
    return Forecast(state.clock, until, good_so_far, totals, target, str(results.bottleneck()["station"]),
                    results.engine, time.perf_counter() - started)
