"""Where an experiment's replications run: this process, a local process pool, or a Dask cluster,
opened once for the whole experiment (a sweep's batches, an optimiser's rounds) instead of once per
call: starting a pool costs about a second and a Dask connection more.

Every task is (line, replication) on the experiment's seed, and a replication draws from streams
keyed by (seed, replication) alone: every scenario sees the same random numbers (common random
numbers), whichever worker runs it and in whatever order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from types import TracebackType
from typing import Any

from twin.config import Line
from twin.engine import RunStats, choose_engine
from twin.experiment import (
    Outcome,
    Progress,
    TaskOptions,
    dask_client,
    distributed_client,
    lost_scheduler_is_run_error,
    process_pool,
    run_on_client,
    run_on_pool,
    simulate_task,
)
from twin.experiments import memo
from twin.workers import ignoring_interrupts, quiet_dask_logs, stop_pool
from twin.workload import check_tasks, worker_count


class Executor:
    """Runs (line, replication) tasks for one experiment; use it as a context manager so that its
    workers stop with the experiment (at once on Ctrl-C or an error).

    `planned` is the number of tasks the experiment expects in all: it sizes the pool (never more
    processes than tasks) and is the total the progress callback counts towards.
    """

    def __init__(self, *, workers: int | None = None, dask: str | None = None, engine: str = "auto",
                 progress: Progress | None = None, planned: int = 0) -> None:
        self.workers = workers
        self.dask = dask
        self.engine = engine
        self.progress = progress
        self.planned = planned
        self.done = 0
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close(failed=kind is not None)

    def close(self, failed: bool = False) -> None:
        """Stop the workers: wait for them after a clean end, kill them after a failure."""
        if self._pool is not None:
            if failed:
                with ignoring_interrupts():
                    stop_pool(self._pool)
            else:
                self._pool.shutdown(wait=True)
            self._pool = None
        self._client = None
        lost = self.dask is not None and not failed
        with lost_scheduler_is_run_error(self.dask) if lost else contextlib.nullcontext():  # type: ignore[arg-type]
            self._stack.close()

    def engine_for(self, line: Line) -> str:
        """The engine that runs `line` (a ConfigError when `fast` was asked of a line out of its
        scope)."""
        return choose_engine(line, self.engine)

    def run(self, tasks: Sequence[tuple[Line, int]], seed: int) -> list[RunStats]:
        """Simulate the tasks, in order, on this executor's workers."""
        if not tasks:
            return []
        check_tasks([line for line, _ in tasks])
        engines = {id(line): self.engine_for(line) for line, _ in tasks}
        named = [(line, rep, engines[id(line)]) for line, rep in tasks]
        total = max(self.planned, self.done + len(named))
        start, self.done = self.done, self.done + len(named)
        outcomes = memo.run_with(named, seed,
                                 lambda missing, found: self._simulate(missing, seed, start, found, total))
        return [stats for stats, _, _ in outcomes]

    def _simulate(self, named: list[memo.Named], seed: int, start: int, found: int,
                  total: int) -> list[Outcome]:
        """The tasks the memo did not hold; progress counts the `found` ones as done first."""
        if found and self.progress:
            self.progress(start + found, total)
        if not named:  # every one was memoised: no pool to open
            return []
        start += found
        if self.dask is not None:
            client = self._dask_client()
            with lost_scheduler_is_run_error(self.dask):
                pairs = run_on_client(client, named, seed, TaskOptions(), self.progress, start, total)
        elif worker_count(self.workers, total) > 1 or self._pool is not None:
            pool = self._pool or self._open_pool(worker_count(self.workers, total))
            pairs = run_on_pool(pool, named, seed, TaskOptions(), self.progress, start, total)
        else:
            pairs = []
            for done, (line, rep, name) in enumerate(named, start=start + 1):
                pairs.append(simulate_task(line, rep, seed, TaskOptions(), name))
                if self.progress:
                    self.progress(done, total)
        return pairs

    def _open_pool(self, workers: int) -> ProcessPoolExecutor:
        self._pool = process_pool(workers)
        return self._pool

    def _dask_client(self) -> Any:
        if self._client is None:
            assert self.dask is not None
            client_class = distributed_client()  # first: its loggers must exist to be quietened
            self._stack.enter_context(quiet_dask_logs())
            with lost_scheduler_is_run_error(self.dask):
                self._client = self._stack.enter_context(dask_client(self.dask, client_class))
        return self._client
