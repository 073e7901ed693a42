"""What a run will cost, checked before it starts: run settings, worker counts, engine events.

A horizon of `1e12`, a mean of `1e-300` or an MTBF of `1e-12` are all valid numbers, yet each asks
the engine for more events than a lifetime holds. Every run (CLI, API, app, comparison, attribution)
goes through `check_tasks` first, so such a line is refused in microseconds with one line naming the
field that makes it expensive, instead of running forever or exhausting memory.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError, field_validator

from twin.config import ArrivalSource, Line, PredictiveMaintenance, PreventiveMaintenance
from twin.config.base import StrictModel
from twin.config.dists import dist_mean
from twin.config.study import Study
from twin.errors import ConfigError, describe_error, show
from twin.limits import (
    MAX_EVENTS_PER_REPLICATION,
    MAX_EVENTS_PER_REQUEST,
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_WORKERS,
)
from twin.units import format_minutes

_DASK_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?[A-Za-z0-9._\-]+(?::[0-9]{1,5})?$"
                           r"|^(?:tcp|tls|ws|wss|ucx)://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$"
                           r"|^inproc://[A-Za-z0-9._/\-]+$")


class RunOptions(StrictModel):
    """The arguments of a run, validated like a config so the API, the CLI and the app refuse a bad
    one with the same one-line message (`replications: must be >= 1, got 0`)."""

    replications: int = Field(ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(ge=0, le=MAX_SEED)
    workers: int | None = Field(default=None, ge=1, le=10_000)
    dask: str | None = None

    @field_validator("dask")
    @classmethod
    def _address(cls, address: str | None) -> str | None:
        if address is not None and not _DASK_ADDRESS.match(address.strip()):
            raise ValueError(f"expected a scheduler address such as tcp://10.0.0.5:8786, got {show(address)}")
        return None if address is None else address.strip()


def run_options(replications: Any, seed: Any, workers: Any = None, dask: Any = None) -> RunOptions:
    """Validate run arguments; a bad one is a ConfigError naming it (`seed: expected a whole
    number, got 'abc'`). A type pydantic would coerce (`True`, `"3"`, `2.5`) is refused too."""
    for name, value in (("replications", replications), ("seed", seed), ("workers", workers)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{name}: expected a whole number, got {show(value)}", field=name)
    if dask is not None and not isinstance(dask, str):
        raise ConfigError(f"dask: expected a scheduler address such as tcp://10.0.0.5:8786, got "
                          f"{show(dask)}", field="dask")
    try:
        return RunOptions(replications=replications, seed=seed, workers=workers, dask=dask)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = describe_error(dict(error), RunOptions)
        raise ConfigError(message, field=str(error["loc"][0]) if error["loc"] else None) from None


def options_for(line: Any, replications: Any = None, seed: Any = None, workers: Any = None,
                dask: Any = None) -> RunOptions:
    """The run options of `line`, its own replications and seed unless others are given."""
    if not isinstance(line, Line):
        raise ConfigError(f"line: expected a twin.Line (twin.load or twin.line_from_text), got "
                          f"{type(line).__name__}", field="line")
    return run_options(line.replications if replications is None else replications,
                       line.seed if seed is None else seed, workers, dask)


def checked_study(study: Any) -> Study:
    """`study` itself when it is a validated Study; a one-line ConfigError otherwise."""
    if not isinstance(study, Study):
        raise ConfigError(f"study: expected a twin.Study (twin.load_study or twin.study_from_text), "
                          f"got {type(study).__name__}", field="study")
    return study


def check_study(study: Any, replications: Any = None, seed: Any = None) -> None:
    """Refuse, before anything runs, a study whose comparison would be refused for its cost: the
    app calls it when a setting changes, so the message stands next to the setting."""
    from twin.levers import apply, enabled

    study = checked_study(study)
    options = options_for(study.line, replications, seed)
    upgraded = apply(study.line, study.levers, enabled(study.levers, None))
    check_tasks([study.line, upgraded] * options.replications)


def worker_count(workers: int | None, tasks: int) -> int:
    """Local processes for `tasks` tasks: the ones asked for, but never more than the tasks nor
    than `MAX_WORKERS` (the machine's cores unless configured): `--workers 100` for 3 replications
    starts 3 processes, not 100."""
    wanted = MAX_WORKERS if workers is None else workers
    return max(1, min(wanted, tasks, MAX_WORKERS))


_WEEK = 7 * 24 * 60.0


@dataclass(frozen=True)
class Workload:
    """The estimated engine events of one replication and the field that contributes most."""

    events: float
    field: str
    why: str


def estimate(line: Line) -> Workload:
    """Upper estimate of the events of one replication: every part visit at every station (parts
    flow at most at the slowest station's capacity, or the arrival rate), arrivals, failures and
    repairs, planned interventions, false alarms and shift changes. Means are enough: the point
    is the order of magnitude, to refuse what could never finish."""
    horizon = line.horizon
    terms: list[tuple[float, str, str]] = []
    capacity, slowest = math.inf, "horizon"
    for index, station in enumerate(line.stations):
        means = [dist_mean(station.process), *map(dist_mean, station.process_by_product.values())]
        fastest = min(means)
        rate = station.machines / fastest if fastest > 0 else math.inf
        if rate < capacity:
            capacity, slowest = rate, f"stations[{index}].process"
    if isinstance(line.source, ArrivalSource):
        mean = dist_mean(line.source.interarrival)
        arrivals = horizon / mean if mean > 0 else math.inf
        terms.append((arrivals, "source.interarrival",
                      f"an interarrival mean of {format_minutes(mean)}"))
        if arrivals / horizon < capacity:
            capacity, slowest = arrivals / horizon, "source.interarrival"
    visits = horizon * capacity * len(line.stations)
    terms.append((visits, slowest, f"a part every {format_minutes(1 / capacity)} through "
                                   f"{len(line.stations)} station{'s' * (len(line.stations) > 1)}"))
    for index, station in enumerate(line.stations):
        machines = station.machines
        if station.failures is not None:
            mtbf = dist_mean(station.failures.mtbf)
            terms.append((2 * machines * horizon / mtbf, f"stations[{index}].failures.mtbf",
                          f"an MTBF of {format_minutes(mtbf)}"))
        policy = station.maintenance
        if isinstance(policy, PreventiveMaintenance):
            terms.append((machines * horizon / policy.interval, f"stations[{index}].maintenance.interval",
                          f"an interval of {format_minutes(policy.interval)}"))
        elif isinstance(policy, PredictiveMaintenance):
            terms.append((machines * horizon / _WEEK * policy.false_alarms_per_week,
                          f"stations[{index}].maintenance.false_alarms_per_week", "its false alarms"))
        if line.calendar is not None:
            terms.append((2 * machines * horizon / (24 * 60) * len(line.calendar.shifts), "calendar",
                          "its shift changes"))
    events = sum(t[0] for t in terms)
    top = max(terms, key=lambda t: t[0])
    if events / horizon * _WEEK <= MAX_EVENTS_PER_REPLICATION:  # a week of it is fine: the horizon
        return Workload(events=events, field="horizon", why=f"{top[2]}")
    return Workload(events=events, field=top[1], why=top[2])


def check_tasks(lines: Sequence[Line]) -> None:
    """Refuse a run whose tasks (one line per replication) would take more engine events than the
    limits allow (docs/security.md), naming the field that costs most."""
    total = 0.0
    seen: dict[int, Workload] = {}
    for line in lines:
        work = seen.get(id(line)) or seen.setdefault(id(line), estimate(line))
        if work.events > MAX_EVENTS_PER_REPLICATION:
            raise ConfigError(
                f"{work.field}: {work.why} over a horizon of {format_minutes(line.horizon)} means about "
                f"{work.events:.2g} engine events per replication, over the limit of "
                f"{MAX_EVENTS_PER_REPLICATION:.2g} (see docs/security.md)", field=work.field)
        total += work.events
    if total > MAX_EVENTS_PER_REQUEST:
        raise ConfigError(
            f"replications: {len(lines)} runs of about {total / max(1, len(lines)):.2g} engine events "
            f"each make {total:.2g}, over the limit of {MAX_EVENTS_PER_REQUEST:.2g} for one request "
            f"(see docs/security.md)", field="replications")
