"""Simulations run in background threads, so the page stays responsive while they run: the script
starts a job and returns; a fragment polls its progress and reruns the page when it is done.

Jobs and finished results live in one process-wide store keyed by what determines the numbers (the
config hash of both lines, the seed and the replications), so going back to an earlier setting is
instant and two people asking for the same comparison share one run. Nothing here calls Streamlit.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import twin

MAX_RESULTS = 16
POOL_THRESHOLD = 4e6
"""Work units (scenarios × replications × observed minutes × stations) above which a process pool
pays for itself. Starting a spawned worker costs seconds (it imports numpy, pandas, scipy, simpy),
while the demo comparison (~1e6 units) runs in about 3 s on one core, so small runs stay serial."""


class Cancelled(Exception):
    """Raised from a progress callback to stop a job that nobody waits for any more."""


@dataclass
class Job:
    key: str
    kind: str
    label: str
    total: int = 1
    done: int = 0
    status: str = "running"  # running · done · failed · cancelled
    result: Any = None
    error: str = ""
    started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    note: str = ""
    """What the job does once its runs are done (shown after the count)."""
    publish: Callable[[Any], None] = lambda result: None
    """Shows a result before the job ends (the store's `publish`, set when the job is submitted)."""

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def cancel(self) -> None:
        self.cancel_event.set()

    def progress(self, done: int, total: int, offset: int = 0, grand_total: int | None = None) -> None:
        if self.cancel_event.is_set():
            raise Cancelled
        self.done = offset + done
        self.total = grand_total or total


class Store:
    """Finished results (LRU) and running jobs, shared by every session of this server process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: OrderedDict[str, Any] = OrderedDict()
        self.jobs: dict[str, Job] = {}

    def result(self, key: str) -> Any:
        with self.lock:
            if key in self.results:
                self.results.move_to_end(key)
                return self.results[key]
        return None

    def job(self, key: str) -> Job | None:
        with self.lock:
            return self.jobs.get(key)

    def publish(self, key: str, result: Any) -> None:
        """Make a job's result available before the job ends (the KPI cards of a comparison, while
        its precision logs and charts are still being made)."""
        with self.lock:
            self.results[key] = result
            self.results.move_to_end(key)
            while len(self.results) > MAX_RESULTS:
                self.results.popitem(last=False)

    def submit(self, key: str, kind: str, label: str, work: Callable[[Job], Any]) -> Job:
        """Start `work(job)` in a thread unless the same key is running already or is done."""
        with self.lock:
            running = self.jobs.get(key)
            if running is not None and running.status == "running":
                return running
            job = Job(key=key, kind=kind, label=label, publish=lambda result: self.publish(key, result))
            self.jobs[key] = job
        thread = threading.Thread(target=self._run, args=(job, work), name=f"twin-{kind}", daemon=True)
        thread.start()
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        try:
            result = work(job)
        except Cancelled:
            job.status = "cancelled"
        except twin.ConfigError as exc:
            job.error, job.status = str(exc), "failed"
        except Exception as exc:  # a bug in the engine must not take the page down
            job.error, job.status = f"{type(exc).__name__}: {exc}", "failed"
        else:
            self.publish(job.key, result)
            job.result, job.status = result, "done"
        finally:
            job.finished = time.perf_counter()


def work_units(study: twin.Study, scenarios: int) -> float:
    line = study.line
    return scenarios * line.replications * line.horizon * len(line.stations)


def workers_for(study: twin.Study, scenarios: int) -> int | None:
    """1 (serial) for small runs, None (twin's default process pool) for big ones on a multi-core
    machine; `TWIN_UI_WORKERS` overrides."""
    forced = os.environ.get("TWIN_UI_WORKERS")
    if forced:
        return max(1, int(forced))
    if (os.cpu_count() or 1) < 3 or work_units(study, scenarios) < POOL_THRESHOLD:
        return 1
    return None
