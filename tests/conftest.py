"""Shared helpers of the oracle and invariant tests: lines from dicts, t-intervals, comparisons.

Every statistical check in the oracle suites has the same shape: run R independent replications
(fixed seed, warm-up cut), take one number per replication, and require the exact value to lie
inside the Student-t confidence interval at `CONFIDENCE` (99%). So that a wide interval cannot make a
check pass by default, each check also states the largest half-width it accepts, set well below the
error a broken feature would make (a buffer off by one, a lost failure, a missing queue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import pytest
from scipy.stats import t as student_t
from warm_kernels import pytest_configure, pytest_xdist_node_collection_finished  # noqa: F401  (hooks)

import twin
from twin.engine import STATES as STATE_NAMES
from twin.theory import erlang_c, serial_line_throughput  # noqa: F401  (the oracles' exact values)

CONFIDENCE = 0.99
"""Confidence level of every interval a statistical check uses."""


def make_line(stations: list[dict[str, Any]], **settings: Any) -> twin.Line:
    """A validated line from plain dicts (the same path YAML takes)."""
    return twin.Line.model_validate({"stations": stations, **settings})


def poisson(rate: float) -> dict[str, Any]:
    """An arrival source with exponential interarrival times of the given rate (per minute)."""
    return {"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": 1.0 / rate}}


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    half_width: float
    n: int

    def __contains__(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.5g} ± {self.half_width:.3g} (n={self.n}, {CONFIDENCE:.0%} CI)"


def t_interval(values: Any, confidence: float = CONFIDENCE) -> Interval:
    """Student-t interval of the mean of independent replications."""
    data = np.asarray(values, dtype=float)
    n = len(data)
    assert n >= 5, "a statistical check needs several replications"
    assert np.all(np.isfinite(data)), data
    mean = float(data.mean())
    se = float(data.std(ddof=1)) / math.sqrt(n)
    half = float(student_t.ppf(0.5 + confidence / 2, n - 1)) * se
    return Interval(mean, mean - half, mean + half, half, n)


def assert_covers(values: Any, exact: float, *, max_rel_half_width: float, what: str = "",
                  confidence: float = CONFIDENCE) -> Interval:
    """The exact value lies in the 99% t-interval (or the `confidence` given: Bonferroni's when one
    test checks several points), and the interval is tight enough to matter."""
    ci = t_interval(values, confidence)
    label = f"{what}: " if what else ""
    assert exact in ci, f"{label}exact {exact:.6g} outside {ci}"
    assert ci.half_width <= max_rel_half_width * abs(exact), (
        f"{label}interval too wide to test anything: {ci} vs exact {exact:.6g}"
    )
    return ci


def per_minute(results: twin.Results, kpi: str) -> np.ndarray:
    """A line KPI per replication; throughput converted to parts per minute."""
    values = results.kpis[kpi].to_numpy(dtype=float)
    return values / 60.0 if kpi == "throughput_per_hour" else values


def assert_same(a: Any, b: Any, where: str = "run") -> None:
    """Two recorded results are identical, field by field (dataclasses, arrays, lists, dicts)."""
    if is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for f in fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, np.ndarray):
        assert np.array_equal(a, b), where
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def support(spec: Any) -> tuple[float, float]:
    """Smallest and largest value a process-time distribution can draw (minutes)."""
    match spec.dist:
        case "deterministic":
            return spec.mean, spec.mean
        case "uniform" | "triangular":
            return spec.min, spec.max
        case "empirical" | "trace":
            return min(spec.values), max(spec.values)
    return 0.0, math.inf


def check_invariants(line: twin.Line, stats: Any) -> None:
    """What must hold on every run, whatever the line: exact accounting, no statistics.

    - every machine's state minutes are non-negative and sum to the observed window;
    - conservation: parts in at the start + released = departed + scrapped + parts in at the end
      (in the window and since t = 0), and at the source: waiting at the start + arrived =
      released + waiting at the end;
    - Little's law as an exact sandwich: WIP area − Σ lead times of departed parts lies between
      −(parts in at warm-up) × warm-up and (parts in at the end) × window;
    - flow: no station completes more parts than were in or entered the line, no part departs that
      did not pass every station, started and completed differ by at most the machines' count;
    - capacity: busy time is at least (completed − machines) × the shortest process time, so
      throughput never exceeds machines / shortest time (+ boundary), and at most
      (completed + machines) × the longest.
    """
    window = line.horizon - line.warmup
    assert stats.observed_min == window
    scrapped = getattr(stats, "scrapped", 0)
    scrapped_total = getattr(stats, "scrapped_total", 0)
    assert stats.wip_start + stats.released == stats.departed + scrapped + stats.wip_end
    # the source: every part that reached it is released or still waits there (none on saturated)
    assert stats.backlog_start + stats.arrived == stats.released + stats.backlog_end
    assert line.source.kind != "saturated" or stats.backlog_end == stats.backlog_area == 0
    assert stats.released_total == stats.departed_total + scrapped_total + stats.wip_end
    assert min(stats.released, stats.departed, stats.wip_start, stats.wip_end) >= 0
    assert stats.departed_total >= stats.departed and stats.released_total >= stats.released

    eps = 1e-7 * (1.0 + stats.wip_area + stats.lead_time_sum)
    gap = stats.wip_area - stats.lead_time_sum
    assert -stats.wip_start * line.warmup - eps <= gap <= stats.wip_end * window + eps, (
        "Little's law sandwich", gap, stats.wip_start, stats.wip_end)

    for spec, station in zip(line.stations, stats.stations, strict=True):
        minutes = station.state_minutes
        assert minutes.shape == (spec.machines, len(STATE_NAMES))
        assert np.all(minutes >= -1e-9), (spec.name, minutes)
        np.testing.assert_allclose(minutes.sum(axis=1), window, rtol=1e-6, err_msg=spec.name)
        if spec.failures is None:
            assert station.failures == 0 and np.all(minutes[:, STATE_NAMES.index("down")] == 0)
        if spec.maintenance.policy == "reactive":
            assert station.planned_stops == 0
            assert np.all(minutes[:, STATE_NAMES.index("maintenance")] == 0)
        for unused in ("setup", "off"):  # no changeovers or shifts in these lines
            assert np.all(minutes[:, STATE_NAMES.index(unused)] == 0), unused
        assert station.buffer_area >= -1e-9
        if spec.buffer is not None:
            assert station.buffer_area <= spec.buffer * window * (1 + 1e-9) + 1e-9

        assert station.completed <= stats.released + stats.wip_start
        assert stats.departed <= station.completed + stats.wip_start
        assert abs(station.started - station.completed) <= spec.machines
        low, high = support(spec.process)
        busy = minutes[:, STATE_NAMES.index("busy")].sum()
        assert busy >= (station.completed - spec.machines) * low - 1e-6 * (1 + busy)
        if low > 0:  # throughput ≤ capacity, exactly: machines/low per minute plus one part each
            assert stats.departed <= spec.machines * (window / low + 1) + stats.wip_start
        if high < math.inf:
            assert busy <= (station.completed + spec.machines) * high + 1e-6 * (1 + busy)

    first, last = stats.stations[0].state_minutes, stats.stations[-1].state_minutes
    if line.source.kind == "saturated":  # raw material is always there
        assert np.all(first[:, STATE_NAMES.index("starved")] == 0)
    assert np.all(last[:, STATE_NAMES.index("blocked")] == 0)  # the sink takes every part


def run_checked(line: twin.Line, replications: int, seed: int) -> twin.Results:
    """`twin.run` on one worker, with `check_invariants` on every replication."""
    results = twin.run(line, replications=replications, seed=seed, workers=1)
    assert len(results.runs) == replications
    for stats in results.runs:
        check_invariants(line, stats)
    return results


@pytest.fixture(autouse=True)
def _replication_memo_off():
    """The app turns on twin's process-wide memo of replications; a test that follows in the same
    worker must not be served another test's results (a patched engine, a counted run)."""
    yield
    from twin.experiments import memo

    memo.disable()
