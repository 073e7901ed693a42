"""The lean machine loop and the full one give the same numbers, bit for bit.

`Machine.run_lean` is the fast path of lines with none of the optional features; `Machine.run` is
the general loop. Nothing but this test ties them together, so it runs lean-eligible lines (every
source, buffers none/0/finite, parallel machines, calendar failures with and without a crew) once
as built and once with the full loop forced in place of the lean one, and requires every recorded
number to be identical. It also checks that the lean loop really ran in the first run, so the test
cannot pass by comparing the full loop with itself.
"""

from __future__ import annotations

import pytest
from conftest import assert_same, make_line, poisson

from twin.engine import simulate
from twin.engine.machine import Machine

CALENDAR_FAILURES = {"mtbf": {"dist": "exponential", "mean": 40.0},
                     "mttr": {"dist": "gamma", "mean": 4.0, "cv": 0.7}, "mode": "calendar"}

LINES = {
    "saturated tandem": dict(stations=[
        {"name": "a", "process": {"dist": "exponential", "mean": 1.0}, "buffer": 2},
        {"name": "b", "process": {"dist": "lognormal", "mean": 1.1, "cv": 0.5}, "buffer": 0},
        {"name": "c", "process": {"dist": "exponential", "mean": 0.9}}]),
    "parallel machines, calendar failures": dict(stations=[
        {"name": "a", "process": {"dist": "gamma", "mean": 1.0, "cv": 0.4}, "buffer": 3},
        {"name": "b", "process": {"dist": "exponential", "mean": 1.9}, "machines": 2, "buffer": 0,
         "failures": CALENDAR_FAILURES},
        {"name": "c", "process": {"dist": "exponential", "mean": 0.9}, "buffer": 1,
         "failures": CALENDAR_FAILURES}]),
    "arrivals, shared crew": dict(source=poisson(0.8), maintenance_crew=1, stations=[
        {"name": "a", "process": {"dist": "exponential", "mean": 0.9}, "buffer": 4,
         "failures": CALENDAR_FAILURES},
        {"name": "b", "process": {"dist": "uniform", "min": 0.5, "max": 1.5}, "machines": 2,
         "failures": CALENDAR_FAILURES}]),
    "conwip": dict(source={"kind": "conwip", "wip_cap": 6}, stations=[
        {"name": "a", "process": {"dist": "exponential", "mean": 1.0}, "buffer": 2},
        {"name": "b", "process": {"dist": "triangular", "min": 0.5, "mode": 1.0, "max": 2.0},
         "failures": CALENDAR_FAILURES}]),
}


@pytest.mark.parametrize("name", list(LINES))
def test_lean_loop_equals_full_loop(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    line = make_line(horizon=6000, warmup=300, **LINES[name])
    lean_runs = 0
    lean = Machine.run_lean

    def counted(machine: Machine):
        nonlocal lean_runs
        lean_runs += 1
        return lean(machine)

    for replication in range(3):
        monkeypatch.setattr(Machine, "run_lean", counted)
        with_lean = simulate(line, replication)
        monkeypatch.setattr(Machine, "run_lean", Machine.run)
        full = simulate(line, replication)
        assert_same(with_lean, full, f"{name}, replication {replication}")
    machines = sum(s.machines for s in line.stations)
    assert lean_runs == 3 * machines, "the line must run on the lean loop, else nothing is compared"
