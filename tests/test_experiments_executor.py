"""The executor: one pool or Dask client for the whole experiment, and the same numbers wherever
a replication runs (its streams are keyed by seed and replication alone)."""

from __future__ import annotations

import pytest

import twin
from twin import experiment
from twin.experiments.executor import Executor
from twin.experiments.runner import extend, run_experiment
from twin.experiments.scenarios import Scenario

LINE = twin.line_from_text("""
name: executor check
horizon: 12h
replications: 3
stations:
  - {name: A, process: {dist: gamma, mean: 1.0, cv: 0.7}, failures: {mtbf: 3h, mttr: 9min}}
  - {name: B, buffer: 3, process: {dist: lognormal, mean: 0.9, cv: 0.5}}
""")
SCENARIOS = [Scenario("b2"), Scenario("b5", {"stations[B].buffer": 5})]


def test_two_workers_give_the_serial_numbers_and_one_pool_serves_every_batch(monkeypatch) -> None:
    serial = run_experiment(LINE, SCENARIOS, workers=1)
    opened = []
    real = experiment.process_pool

    def counting(workers: int):
        opened.append(workers)
        return real(workers)

    monkeypatch.setattr("twin.experiments.executor.process_pool", counting)
    ticks: list[tuple[int, int]] = []
    with Executor(workers=2, progress=lambda done, total: ticks.append((done, total)),
                  planned=12) as executor:
        first = run_experiment(LINE, SCENARIOS, executor=executor)
        more = run_experiment(LINE, SCENARIOS, executor=executor, first_replication=3)
    assert opened == [2]
    assert first.table.frame.equals(serial.table.frame)
    both = extend(first, more)
    assert both.replications == 6 and len(both.table.frame) == 12
    assert ticks[-1] == (12, 12)
    assert list(both.table.frame["replication"][:6]) == list(range(6))


def test_dask_gives_the_serial_numbers() -> None:
    distributed = pytest.importorskip("distributed")
    serial = run_experiment(LINE, SCENARIOS, workers=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        on_dask = run_experiment(LINE, SCENARIOS, dask=cluster.scheduler_address)
    assert on_dask.table.frame.equals(serial.table.frame)
