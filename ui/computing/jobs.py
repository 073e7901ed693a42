"""Simulations run in background threads, so the page stays responsive while they run: the script
starts a job and returns; a fragment polls its progress and reruns the page when it is done.

Jobs and finished results live in one process-wide store keyed by what determines the numbers (the
config hash of both lines, the seed and the replications), so going back to an earlier setting is
instant and two people asking for the same comparison share one run. Nothing here calls Streamlit.
"""

from __future__ import annotations

import math
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
    first_look: Any = None
    """A result from the first replications, shown (marked) while the job runs; never published to
    the store, so a cancelled job leaves nothing that passes for its setting's result."""
    refused: bool = False
    """The job failed on a ConfigError (a setting refused before anything ran), not on a bug."""

    @property
    def elapsed(self) -> float:
        return (self.finished or time.perf_counter()) - self.started

    @property
    def fraction(self) -> float:
        return min(1.0, self.done / self.total) if self.total else 0.0

    def cancel(self) -> None:
        self.cancel_event.set()

    def show_first_look(self, result: Any) -> None:
        """Keep `result` (from the first replications) to be shown until the full one is done."""
        if self.cancel_event.is_set():
            raise Cancelled
        self.first_look = result

    def progress(self, done: int, total: int, offset: int = 0, grand_total: int | None = None) -> None:
        if self.cancel_event.is_set():
            raise Cancelled
        self.done = offset + done
        self.total = grand_total or total


MEMO_BYTES = 64 * 2**20
"""Bound of the process's memo of replications (`twin.memoize_replications`): about 8,000 of the
demo's replications (8 kB each) or 150 of its part-logged ones (430 kB), so a lever switched on and
off, or a tour after a comparison, re-runs only what changed."""


class Store:
    """Finished results (LRU) and running jobs, shared by every session of this server process.
    Its jobs run with twin's memo of replications on (one for the process, like the store)."""

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
        twin.memoize_replications(MEMO_BYTES)
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
            job.error, job.refused, job.status = str(exc), True, "failed"
        except Exception as exc:  # a bug in the engine must not take the page down
            job.error, job.status = f"{type(exc).__name__}: {exc}", "failed"
        else:
            self.publish(job.key, result)
            job.result, job.status = result, "done"
        finally:
            job.finished = time.perf_counter()


def to_simulate(lines: list[twin.Line], replications: int, seed: int) -> list[twin.Line]:
    """The lines of which the memo lacks a replication `0..replications-1` (on `seed`)."""
    from twin.engine import choose_engine
    from twin.experiments import memo

    return [line for line in lines
            if memo.count_known([line], range(replications), seed, [choose_engine(line)]) < replications]


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


FIRST_LOOK_SECONDS = 1.0
"""Thread-CPU seconds (a free core) the first look of a run may take: its first replications of
every line, before the rest. A run predicted to take less than `FIRST_LOOK_SECONDS * 1.5` in all
has no first look (its full result comes nearly as soon)."""
SECONDS_PER_EVENT = {"simpy": 6.5e-6, "fast": 1e-7}
"""Thread-CPU seconds per estimated engine event (`twin.workload.estimate`, an upper estimate):
SimPy's measured on the demo (0.15 s a replication of 2.3e4 estimated events; 1.1e-5 on the
machining line, 7.5e-6 on packaging), then what this server measures (`Pace.learn`)."""


class Pace:
    """Seconds of thread-CPU per estimated engine event, by engine: the app's prediction of what a
    replication costs, so that a first look's size follows a time budget instead of a fixed count.
    Starts from `SECONDS_PER_EVENT` and learns from every serial SimPy run of this server process
    (not from the fast engine's: its first run in a process includes compiling it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rates = dict(SECONDS_PER_EVENT)

    def seconds(self, lines: list[twin.Line]) -> float:
        """Predicted thread-CPU seconds of one replication of each of `lines`."""
        from twin.engine import choose_engine
        from twin.workload import estimate

        with self.lock:
            return sum(estimate(line).events * self.rates[choose_engine(line)] for line in lines)

    def learn(self, lines: list[twin.Line], replications: int, cpu: float) -> None:
        """A serial run of `replications` of each of `lines` took `cpu` thread-seconds: rescale the
        rate of their engines by measured over predicted."""
        from twin.engine import choose_engine

        if {choose_engine(line) for line in lines} != {"simpy"}:
            return
        predicted = self.seconds(lines) * replications
        if predicted <= 0 or cpu <= 0 or not math.isfinite(cpu):
            return
        with self.lock:
            self.rates["simpy"] *= cpu / predicted

    def first_batch(self, lines: list[twin.Line], replications: int,
                    budget: float | None = None) -> int | None:
        """Replications of each line in the first look: as many as fit in `budget` (at least 2, so
        there is a CI, and fewer than `replications`), or None when the whole run fits in about the
        budget anyway. `lines` are those to simulate (not those the memo holds)."""
        budget = FIRST_LOOK_SECONDS if budget is None else budget
        if not lines:
            return None
        per = self.seconds(lines)
        if replications < 3 or per * replications <= 1.5 * budget:
            return None
        return max(2, min(replications - 1, int(budget / per))) if per > 0 else None


PACE = Pace()
"""This server process's pace, shared by every session (like the store)."""
