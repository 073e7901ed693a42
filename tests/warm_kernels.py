"""Compile the fast engine's numba kernels into numba's on-disk cache once, before the suite.

On a fresh clone the cache is empty and each pytest-xdist worker compiles the kernels itself (about
a minute of CPU per worker): as a plugin (tests/conftest.py imports its hooks), this starts one
process per kernel while the workers start and collect, and holds the first tests until all are
done, so the workers load the cached machine code instead. With a warm cache it costs two short
processes; a failed warm-up changes nothing (the workers compile as they would have). A plain,
one-process run is left alone. By hand: `python tests/warm_kernels.py parts|events`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

KERNELS = ("parts", "plain", "events")
"""`parts`: the serial kernel (fast_kernel.run_parts); `plain`: its copy for plain lines
(fast_kernel.run_plain); `events`: the event kernel for parallel machines
(fast_events_kernel.run_events)."""
TIMEOUT = 600.0
"""Seconds the warm-up may hold the tests; past them the workers go on and compile what they need."""
_WARMING = pytest.StashKey[list]()


def warm(kernel: str) -> None:
    """One short replication of a line the chosen kernel runs, on shifts, with a part log (its
    builder is a kernel too)."""
    import twin
    from twin.engine.fast import simulate_fast

    station = {"name": "A", "buffer": 2, "process": {"dist": "exponential", "mean": 1.0},
               "failures": {"mtbf": {"dist": "exponential", "mean": 30.0},
                            "mttr": {"dist": "exponential", "mean": 3.0}}}
    if kernel == "plain":  # no failures, no shifts: fast_layout.is_plain
        del station["failures"]
    machines = {"parts": 1, "plain": 1, "events": 2}[kernel]
    calendar = None if kernel == "plain" else {"shifts": [{"start": "6h", "end": "14h"}], "days_per_week": 5}
    line = twin.Line.model_validate({"stations": [{**station, "machines": machines},
                                                  {**station, "name": "B"}], "calendar": calendar,
                                     "horizon": 120.0, "warmup": 0.0, "replications": 1, "seed": 1})
    simulate_fast(line, 0, seed=1, log=[])


def _controller(config: pytest.Config) -> bool:
    """The controller of a pytest-xdist run with workers (not a worker, not a plain run)."""
    return not hasattr(config, "workerinput") and bool(getattr(config.option, "numprocesses", None))


def pytest_configure(config: pytest.Config) -> None:
    if _controller(config):
        config.stash[_WARMING] = [
            subprocess.Popen([sys.executable, __file__, kernel], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent.parent)
            for kernel in KERNELS]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    warming = node.config.stash.get(_WARMING, [])
    for process in warming:
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    warming.clear()


if __name__ == "__main__":
    warm(sys.argv[1])
