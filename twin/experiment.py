"""Replications of a line: run them (serially or on local processes), tabulate KPIs, summarise.

Each replication draws from its own streams keyed by (seed, replication), so a replication's result
does not depend on which worker ran it or in what order: parallel and serial runs are identical.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from twin import __version__
from twin.config import Line
from twin.diagnostics import Notice, line_notices, run_notices
from twin.engine import PartRecord, RunStats, StateRecord, choose_engine, simulate_with
from twin.engine.states import ACTIVE_STATES, share_columns
from twin.errors import ConfigError, RunError
from twin.experiments import memo
from twin.io import config_hash, validate_as
from twin.kpi import LINE_KPIS, bottleneck, line_kpis, station_kpis
from twin.state import LineState
from twin.stats import Estimate, estimate
from twin.workers import dask_faults, ignoring_interrupts, quiet_dask_logs, stop_pool, worker_setup
from twin.workload import check_tasks, options_for, worker_count

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int], None]
"""Called as progress(done, total) after each replication."""

PART_LOG_COLUMNS = [
    "replication", "part_id", "station", "start_min", "end_min", "departure_min", "characteristic",
    "outcome",
]


@dataclass
class Results:
    """KPIs of every replication of one line, with summaries and the stamp to reproduce them.

    The KPIs are kept as rows; the tables (`kpis`, `stations` and the summaries) are pandas views
    built on first use. `to_json` reads the rows directly, so `twin run --format json` never
    imports pandas (about 0.7 s of every such process, a fifth of a fast-engine run)."""

    line: Line
    seed: int
    runs: list[RunStats]
    part_log: list[list[PartRecord]] | None = None
    state_log: list[list[StateRecord]] | None = None
    """Every machine's changes of state per replication (only when the run was asked to keep it)."""
    config_hash: str = ""
    version: str = __version__
    engine: str = "simpy"
    """The engine that ran the replications: "fast" or "simpy" (same numbers either way)."""
    rows: list[dict[str, object]] = field(init=False, repr=False)
    """One dict per replication: `replication`, each line KPI, and `bottleneck` (a station name)."""
    station_rows: list[dict[str, object]] = field(init=False, repr=False)
    """One dict per (replication, station): `replication`, `station` and each station KPI."""

    def __post_init__(self) -> None:
        if not self.config_hash:
            self.config_hash = config_hash(self.line)
        self.rows, self.station_rows = [], []
        for run in self.runs:
            row: dict[str, object] = {"replication": run.replication, **line_kpis(self.line, run)}
            row["bottleneck"] = self.line.stations[bottleneck(run)[0]].name
            self.rows.append(row)
            for index, stats in enumerate(run.stations):
                self.station_rows.append({
                    "replication": run.replication, "station": stats.name,
                    **station_kpis(self.line, stats, index, run.observed_min),
                })

    @functools.cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication, one column per line KPI (plus `bottleneck`, a station name)."""
        import pandas as pd

        return pd.DataFrame(self.rows).set_index("replication")

    @functools.cached_property
    def stations(self) -> pd.DataFrame:
        """One row per (replication, station), one column per station KPI."""
        import pandas as pd

        return pd.DataFrame(self.station_rows)

    @property
    def replications(self) -> int:
        return len(self.runs)

    def line_estimates(self) -> dict[str, Estimate]:
        """Mean and 95% CI of each line KPI over replications."""
        return column_estimates(self.rows, LINE_KPIS)

    def station_estimates(self) -> dict[str, dict[str, Estimate]]:
        """Mean and 95% CI of each station KPI, per station name (in line order)."""
        # every station KPI any station has (a station without a quality model has no cpk: NaN)
        columns = list(dict.fromkeys(key for row in self.station_rows for key in row
                                     if key not in ("replication", "station")))
        return {spec.name: column_estimates([row for row in self.station_rows if row["station"] == spec.name],
                                            columns)
                for spec in self.line.stations}

    def product_estimates(self) -> dict[str, dict[str, Estimate]]:
        """Throughput and lead time of good parts per product (mean and CI); empty for a
        single-product line."""
        estimates = {}
        for index, product in enumerate(self.line.products):
            rows = []
            for run in self.runs:
                good = run.good_by_product[index]
                rows.append({
                    "throughput_per_hour": good / run.observed_min * 60,
                    "lead_time_min": run.lead_time_by_product[index] / good if good else math.nan,
                })
            estimates[product.name] = column_estimates(rows, ("throughput_per_hour", "lead_time_min"))
        return estimates

    def summary(self) -> pd.DataFrame:
        """Mean and 95% CI of each line KPI over replications."""
        return estimates_frame(self.line_estimates())

    def station_summary(self) -> pd.DataFrame:
        """Mean and 95% CI of each station KPI, indexed by (station, kpi)."""
        import pandas as pd

        frames = [estimates_frame(found).assign(station=name)
                  for name, found in self.station_estimates().items()]
        return pd.concat(frames).reset_index().set_index(["station", "kpi"])

    def bottleneck(self) -> dict[str, object]:
        """The station most often the bottleneck, how often, and its active share (the same states
        as the `bottleneck_share` KPI: `ACTIVE_STATES`). Ties go to the station that was the
        bottleneck first."""
        counts = collections.Counter(str(row["bottleneck"]) for row in self.rows)
        name, count = counts.most_common(1)[0]
        columns = share_columns(ACTIVE_STATES)
        active = [math.fsum(float(row[column]) for column in columns)  # type: ignore[arg-type]
                  for row in self.station_rows if row["station"] == name]
        return {"station": name, "frequency": float(count / len(self.rows)),
                "share": estimate(active).to_json()}

    def warnings(self) -> list[Notice]:
        """What the user should know about this line and these runs (a tool wearing without
        limit, a backlog that grows): `warning: <field>: <message>` lines for the CLI."""
        return line_notices(self.line) + run_notices(self.line, self.runs)

    def product_summary(self) -> pd.DataFrame:
        """Throughput and lead time of good parts per product (mean and CI), indexed by (product,
        kpi); empty for a single-product line."""
        import pandas as pd

        found = self.product_estimates()
        if not found:
            return pd.DataFrame()
        frames = [estimates_frame(estimates).assign(product=name) for name, estimates in found.items()]
        return pd.concat(frames).reset_index().set_index(["product", "kpi"])

    def series(self) -> pd.DataFrame:
        """Throughput and WIP over time for every replication (long form)."""
        import pandas as pd

        frames = [pd.DataFrame(run.series).assign(replication=run.replication) for run in self.runs]
        table = pd.concat(frames, ignore_index=True)
        return table

    def part_records(self) -> pd.DataFrame:
        """The per-part log (only when the run was asked to keep it)."""
        if self.part_log is None:
            raise ValueError("the per-part log was not kept: run with keep_part_log=True")
        import pandas as pd

        width = len(PART_LOG_COLUMNS) - 1  # the engine's record also has machine, product, release
        rows = [(rep, *record[:width]) for rep, log in zip(self.kpis.index, self.part_log, strict=True)
                for record in log]
        table = pd.DataFrame(rows, columns=PART_LOG_COLUMNS)
        names = {i + 1: s.name for i, s in enumerate(self.line.stations)}
        nominal = {i + 1: s.quality.characteristic.nominal
                   for i, s in enumerate(self.line.stations) if s.quality is not None}
        # the log holds deviations; users want the measured characteristic itself
        table["characteristic"] = table["characteristic"].astype(float) + table["station"].map(nominal)
        table["station"] = table["station"].map(names)
        return table

    def part_events(self, replication: int = 0) -> pd.DataFrame:
        """One replication's part events in the event-log schema (docs/event-logs.md): what
        `twin run --events-out` writes, and what `twin calibrate` reads."""
        from twin.eventlog.twin_log import part_events

        if self.part_log is None:
            raise ValueError("the per-part log was not kept: run with keep_part_log=True")
        return part_events(self.line, self.part_log[replication])

    def machine_states(self, replication: int = 0) -> pd.DataFrame:
        """One replication's machine-state log in the event-log schema (`--states-out`)."""
        from twin.eventlog.twin_log import machine_states

        if self.state_log is None:
            raise ValueError("the machine-state log was not kept: run with keep_state_log=True")
        return machine_states(self.line, self.state_log[replication])

    def to_json(self) -> dict[str, object]:
        """The document `twin run --format json` prints."""
        products = self.product_estimates()
        return {
            "name": self.line.name,
            "config_hash": self.config_hash,
            "seed": self.seed,
            "version": self.version,
            "engine": self.engine,
            "replications": self.replications,
            "horizon_min": self.line.horizon,
            "warmup_min": self.line.warmup,
            "kpis": _estimates_json(self.line_estimates()),
            "bottleneck": self.bottleneck(),
            "warnings": [str(notice) for notice in self.warnings()],
            "products": [{"name": p.name, "kpis": _estimates_json(products[p.name])}
                         for p in self.line.products],
            "stations": [{"name": name, "kpis": _estimates_json(found)}
                         for name, found in self.station_estimates().items()],
        }


def column_estimates(rows: Sequence[Mapping[str, object]], columns: Iterable[str]) -> dict[str, Estimate]:
    """Mean and CI of each of `columns` over `rows` (one row per replication; None counts as a
    KPI undefined in that replication)."""
    return {column: estimate(np.asarray([row.get(column) for row in rows], dtype=float))
            for column in columns}


def estimates_frame(estimates: dict[str, Estimate]) -> pd.DataFrame:
    """The table of `estimates`: mean, CI bounds, half-width and n per KPI, indexed by kpi."""
    import pandas as pd

    rows = [{"kpi": kpi, "mean": est.mean, "ci_low": est.low, "ci_high": est.high,
             "half_width": est.half_width, "n": est.n} for kpi, est in estimates.items()]
    columns = ["kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
    return pd.DataFrame(rows, columns=columns).set_index("kpi")


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """Mean, CI bounds and half-width per column of a replications × KPIs table."""
    return estimates_frame({str(column): estimate(table[column].to_numpy(dtype=float))
                            for column in table.columns})


def _estimates_json(estimates: dict[str, Estimate]) -> dict[str, dict[str, object]]:
    return {kpi: est.to_json() for kpi, est in estimates.items()}


@dataclass(frozen=True)
class TaskOptions:
    """What every task of one request shares beyond its line, replication and engine: the logs
    to keep beside the KPIs and the state the line starts from. One value travels to the workers,
    so adding an option is one field."""

    part_log: bool = False
    state_log: bool = False
    initial_state: LineState | None = None


Outcome = tuple[RunStats, list | None, list | None]
"""One replication: its KPIs, its part log and its machine-state log (each None unless kept)."""

Task = tuple[Line, int, str]
"""(line, replication, engine name): one replication to simulate."""


def simulate_task(line: Line, replication: int, seed: int, options: TaskOptions = TaskOptions(),
                  engine: str = "simpy") -> Outcome:
    log: list[PartRecord] | None = [] if options.part_log else None
    states: list[StateRecord] | None = [] if options.state_log else None
    stats = simulate_with(line, replication, seed=seed, log=log, engine=engine, states=states,
                          initial_state=options.initial_state)
    return stats, log, states


def process_pool(workers: int) -> ProcessPoolExecutor:
    # fork is fast, but unsafe once threads run (a web server, a notebook kernel): spawn then.
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method),
                               initializer=worker_setup, initargs=(os.getpid(),))


def _run_on_pool(tasks: Sequence[Task], seed: int, workers: int, options: TaskOptions,
                 progress: Progress | None) -> list[Outcome]:
    """The tasks on a process pool of their own, shut down when they are done."""
    pool = process_pool(workers)
    results = run_on_pool(pool, tasks, seed, options, progress)
    pool.shutdown(wait=True)
    return results


def run_on_pool(pool: ProcessPoolExecutor, tasks: Sequence[Task], seed: int, options: TaskOptions,
                progress: Progress | None, start: int = 0, total: int | None = None) -> list[Outcome]:
    """The (line, replication, engine) tasks on `pool`, which stays open for more (an experiment
    keeps one pool for all its batches). Interrupted (Ctrl-C, SIGTERM) or failing, the workers are
    killed at once rather than left to finish their queue: no orphan process outlives the run.
    Progress counts from `start` towards `total` (by default this batch alone)."""
    try:
        futures = [pool.submit(simulate_task, line, rep, seed, options, name) for line, rep, name in tasks]
        return _collect(futures, progress, start, total)
    except BaseException as exc:
        with ignoring_interrupts():
            stop_pool(pool)
        if isinstance(exc, BrokenProcessPool):
            raise RunError("a worker process died during the run (out of memory or killed); "
                           "try fewer --workers") from None
        raise


def _collect(futures: Sequence, progress: Progress | None, start: int,
             total: int | None) -> list[Outcome]:
    results = []
    for done, future in enumerate(futures, start=start + 1):
        results.append(future.result())
        if progress:
            progress(done, total if total is not None else len(futures))
    return results


def run_tasks(tasks: list[tuple[Line, int]], seed: int, *, workers: int | None = None,
              keep_part_log: bool = False, progress: Progress | None = None,
              dask: str | None = None, engine: str = "auto",
              keep_state_log: bool = False, initial_state: LineState | None = None) -> list[Outcome]:
    """Simulate (line, replication) tasks, in order: on `workers` local processes when more than
    one, or on the Dask cluster whose scheduler address is `dask`. Results do not depend on where a
    task ran: each replication has its own streams. The engine is chosen per line, before any run
    (`--engine fast` on a line out of its scope fails at once). Every task starts from
    `initial_state` when one is given (checked against each line first)."""
    check_tasks([line for line, _ in tasks])
    if initial_state is not None:
        for line, _ in tasks:
            initial_state.check_against(line)
    options = TaskOptions(part_log=keep_part_log, state_log=keep_state_log, initial_state=initial_state)
    chosen = {id(line): choose_engine(line, engine, initial_state, states=keep_state_log)
              for line, _ in tasks}
    named: list[Task] = [(line, rep, chosen[id(line)]) for line, rep in tasks]
    if options.state_log or options.initial_state is not None:  # never memoised
        return _dispatch(named, seed, workers, dask, options, progress)

    def missing_ones(missing: list[Task], found: int) -> list[Outcome]:
        counted = None if progress is None else _counted_from(progress, found, len(named))
        if not missing:  # every one was memoised
            return []
        return _dispatch(missing, seed, workers, dask, options, counted)

    return memo.run_with(named, seed, missing_ones, kept="part log" if options.part_log else memo.PLAIN)


def _counted_from(progress: Progress, found: int, total: int) -> Progress:
    """`progress` for the tasks after `found` already known ones, out of `total`."""
    if found:
        progress(found, total)
    return lambda done, _: progress(found + done, total)


def _dispatch(named: list[Task], seed: int, workers: int | None, dask: str | None, options: TaskOptions,
              progress: Progress | None) -> list[Outcome]:
    if dask is not None:
        return _run_on_dask(named, seed, dask, options, progress)
    workers = worker_count(workers, len(named))
    if workers > 1 and len(named) > 1:
        return _run_on_pool(named, seed, workers, options, progress)
    results: list[Outcome] = []
    for done, (line, rep, name) in enumerate(named, start=1):
        results.append(simulate_task(line, rep, seed, options, name))
        if progress:
            progress(done, len(named))
    return results


def _run_on_dask(tasks: Sequence[Task], seed: int, address: str, options: TaskOptions,
                 progress: Progress | None) -> list[Outcome]:
    client_class = distributed_client()  # imported first: its loggers must exist to be quietened
    with quiet_dask_logs(), lost_scheduler_is_run_error(address), \
            dask_client(address, client_class) as client:
        return run_on_client(client, tasks, seed, options, progress)


def distributed_client() -> type:
    """distributed's Client class; Dask not installed is a one-line ConfigError."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError("--dask: Dask is not installed (pip install 'lighthouse-twin[dask]')") from None
    return Client


def dask_client(address: str, client_class: type) -> Any:
    """A client of the Dask scheduler at `address` (a context manager that closes it); a
    scheduler that cannot be reached is a one-line ConfigError. Open it inside `quiet_dask_logs`."""
    try:
        return client_class(address, timeout=5, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--dask: cannot reach a Dask scheduler at {address!r} "
                          f"({' '.join(str(exc).split())[:120] or type(exc).__name__})",
                          field="dask") from None


def run_on_client(client: Any, tasks: Sequence[Task], seed: int, options: TaskOptions,
                  progress: Progress | None, start: int = 0, total: int | None = None) -> list[Outcome]:
    """The tasks on an open Dask client (left open: an experiment keeps one for all its batches);
    run it inside `lost_scheduler_is_run_error`."""
    futures = [client.submit(simulate_task, line, rep, seed, options, name, pure=False)
               for line, rep, name in tasks]
    return _collect(futures, progress, start, total)


@contextlib.contextmanager
def lost_scheduler_is_run_error(address: str) -> Iterator[None]:
    """A scheduler lost during the run (closing the client included) is one line, exit 1."""
    import asyncio  # (a Dask run only: a local run is spared its import)

    faults: tuple[type[BaseException], ...] = (OSError, TimeoutError, asyncio.CancelledError, *dask_faults())
    try:
        yield
    except faults as exc:
        raise RunError(f"--dask: lost the Dask scheduler at {address!r} during the run "
                       f"({type(exc).__name__}); nothing was written") from None


def run_scenarios(lines: dict[str, Line], replications: Iterable[int], seed: int, *,
                  workers: int | None = None, progress: Progress | None = None,
                  dask: str | None = None, engine: str = "auto") -> dict[str, list[RunStats]]:
    """Run several lines on the same replications (common random numbers) in one pool."""
    reps = list(replications)
    tasks = [(line, rep) for line in lines.values() for rep in reps]
    stats = [s for s, _, _ in run_tasks(tasks, seed, workers=workers, progress=progress, dask=dask,
                                     engine=engine)]
    return {name: stats[i * len(reps):(i + 1) * len(reps)] for i, name in enumerate(lines)}


def batches(replications: int, first: int | None) -> list[range]:
    """Replications `0..replications-1` in the order they run: all at once, or `first` of them
    first (a first look) and then the rest, when `0 < first < replications`."""
    if first is None or not 0 < first < replications:
        return [range(replications)]
    return [range(first), range(first, replications)]


def run(line: Line, *, replications: int | None = None, seed: int | None = None,
        workers: int | None = None, keep_part_log: bool = False,
        progress: Progress | None = None, dask: str | None = None, engine: str = "auto",
        keep_state_log: bool = False, initial_state: LineState | None = None,
        horizon: float | str | None = None, first: int | None = None,
        on_batch: Callable[[Results], None] | None = None) -> Results:
    """Run `line` for its replications (or the ones given) and return all KPIs; `engine` is auto
    (the fast engine when the line is in its scope), simpy or fast. `keep_part_log` and
    `keep_state_log` keep the logs of `Results.part_events` and `Results.machine_states` (the state
    log needs the SimPy engine: `auto` picks it then).

    From `initial_state` (a `twin.state.LineState`), every replication starts with the state's
    parts and machines at time 0 = the state's clock and runs `horizon` (a duration, default the
    line's) forward from it; the line's warm-up still applies (pass a line with `warmup: 0` for a
    forecast from now).

    With `first` (1 <= first < replications), replications `0..first-1` run before the others and
    `on_batch(results)` is called with their results (a first look) before the rest runs; the
    result is the same as without it (none is run twice; the whole run is bounded first)."""
    if horizon is not None:
        line = validate_as(Line, {**line.model_dump(mode="json", by_alias=True), "horizon": horizon},
                           "horizon")
    if initial_state is not None:
        initial_state.check_against(line)
    options = options_for(line, replications, seed, workers, dask)
    n, seed, workers, dask = options.replications, options.seed, options.workers, options.dask
    line = line.model_copy(update={"replications": n, "seed": seed})
    chosen = choose_engine(line, engine, initial_state, states=keep_state_log)
    check_tasks([line] * n)
    outcomes: list[Outcome] = []
    for reps in batches(n, first):
        if outcomes and on_batch is not None:
            on_batch(_results(line, seed, outcomes, keep_part_log, keep_state_log, chosen))
        counted = None if progress is None else _offset(progress, len(outcomes), n)
        outcomes += run_tasks([(line, rep) for rep in reps], seed, workers=workers,
                              keep_part_log=keep_part_log, progress=counted, dask=dask, engine=chosen,
                              keep_state_log=keep_state_log, initial_state=initial_state)
    return _results(line, seed, outcomes, keep_part_log, keep_state_log, chosen)


def _offset(progress: Progress, start: int, total: int) -> Progress:
    """A batch's progress, counted from `start` towards the whole run's `total`."""
    return lambda done, _batch: progress(start + done, total)


def _results(line: Line, seed: int, outcomes: list[Outcome], keep_part_log: bool, keep_state_log: bool,
             engine: str) -> Results:
    if len(outcomes) != line.replications:
        line = line.model_copy(update={"replications": len(outcomes)})
    runs = [stats for stats, _, _ in outcomes]
    logs = [log or [] for _, log, _ in outcomes] if keep_part_log else None
    states = [s or [] for _, _, s in outcomes] if keep_state_log else None
    return Results(line=line, seed=seed, runs=runs, part_log=logs, state_log=states, engine=engine)
