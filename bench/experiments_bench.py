"""Experiment throughput: scenario-replications per second of a buffer sweep of the reference line,
on 1 and 2 local workers and on a local Dask cluster, with the fast and the SimPy engines.

The sweep is `stations[S4].buffer` over 0..7 (8 points) × R replications of a day of the reference
line (five exponential stations), run through `twin.sweep`, which opens one pool (or one Dask
client) for the whole experiment. Each configuration runs once after a warm-up run (numba's cached
machine code loaded, the pool's fork paid in the timing as a user pays it). Prints wall time,
scenario-replications per second and the ratios to one worker; no assertions (bench/ reports, it
does not test).

    .venv/bin/python bench/experiments_bench.py            # 8 points × 6 replications
    .venv/bin/python bench/experiments_bench.py --quick    # 4 points × 2 replications
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import twin
from twin.experiments.paths import set_values

ROOT = Path(__file__).resolve().parents[1]


def base_line(horizon: str) -> twin.Line:
    line = twin.load(ROOT / "configs" / "reference_line.yaml")
    return set_values(line, {"horizon": horizon, "warmup": "1h"})


@contextlib.contextmanager
def local_dask(workers: int) -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def timed(line: twin.Line, points: int, replications: int, engine: str, workers: int | None = None,
          dask: str | None = None) -> float:
    factors = [{"path": "stations[S4].buffer", "values": list(range(points))}]
    start = time.perf_counter()
    result = twin.sweep(line, factors, replications=replications, engine=engine, workers=workers,
                        dask=dask, responses=["throughput_per_hour"])
    elapsed = time.perf_counter() - start
    assert len(result.experiment.scenarios) == points
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 points × 2 replications")
    options = parser.parse_args()
    points, replications = (4, 2) if options.quick else (8, 6)
    line = base_line("1d")
    tasks = points * replications
    print(f"buffer sweep of the reference line: {points} points × {replications} replications "
          f"= {tasks} scenario-replications of {line.horizon:g} min")
    rows: list[tuple[str, str, float]] = []
    for engine in ("fast", "simpy"):  # local pools first: they fork while no Dask thread runs
        timed(line, 2, 2, engine, workers=1)  # warm-up: imports, numba's cache
        for label, workers in (("1 worker", 1), ("2 workers", 2)):
            rows.append((engine, label, timed(line, points, replications, engine, workers=workers)))
    try:
        with local_dask(2) as address:
            for engine in ("fast", "simpy"):
                timed(line, 2, 2, engine, dask=address)
                rows.append((engine, "Dask, 2 local workers",
                             timed(line, points, replications, engine, dask=address)))
    except ImportError:
        print("(distributed is not installed: no Dask rows)")
    print(f"{'engine':<7} {'where':<24} {'seconds':>8} {'per second':>11} {'vs 1 worker':>12}")
    for engine, label, seconds in rows:
        one = next(s for e, w, s in rows if e == engine and w == "1 worker")
        print(f"{engine:<7} {label:<24} {seconds:>8.2f} {tasks / seconds:>11.1f} {one / seconds:>11.2f}x")
    fast = {w: s for e, w, s in rows if e == "fast"}
    simpy = {w: s for e, w, s in rows if e == "simpy"}
    for where in fast:
        if where in simpy:
            print(f"SimPy / fast on {where}: {simpy[where] / fast[where]:.1f}x")


if __name__ == "__main__":
    main()
