"""Which exact model answers a line, or a simplification of it that says what it left out.

`exact_cases(line)` returns the cases `twin check --theory` runs: each names the model (M/M/c,
M/G/1, Jackson tandem, the Markov chain of a saturated line, an unreliable machine, the
machine-repairman queue), the line the twin simulates for it (the line itself, or e.g. "the line
without failures", "station Milling alone as M/M/1 at the line's arrival rate") and the exact value
of each KPI it predicts, in the KPI's stored unit (throughput per hour, minutes, shares as
fractions). Where nothing applies, the reasons say why, one line each. Pure: no simulation here.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin import theory
from twin.config import Line
from twin.config.dists import Exponential, dist_cv, dist_mean
from twin.config.line import ReactiveMaintenance, Station
from twin.units import format_minutes

MAX_CASES = 8
"""Most cases one check runs (a station-by-station check of a long line stops there)."""


@dataclass(frozen=True)
class Expected:
    """An exact value of one KPI: a line KPI (`station` None) or a station KPI."""

    kpi: str
    station: str | None
    value: float


@dataclass(frozen=True)
class ExactCase:
    model: str
    """The exact model, e.g. "M/M/1", "Markov chain (132 states)"."""
    subject: str
    """What the twin runs, e.g. "the line as it is", "the line without failures"."""
    line: Line
    expected: tuple[Expected, ...]


class NoModel(Exception):
    """This line has no exact model here; the message says why in one line."""


def flow_features(line: Line, stations: list[Station] | None = None) -> list[str]:
    """What in the line (or in these of its stations) no exact model here covers, failures aside,
    in words."""
    chosen = line.stations if stations is None else stations
    found = []
    if line.products or line.release_sequence:
        found.append("the product mix")
    if line.calendar is not None:
        found.append("shifts")
    if any(s.operator is not None for s in chosen) or (stations is None and line.operators):
        found.append("the operator pool")
    if any(not isinstance(s.maintenance, ReactiveMaintenance) for s in chosen):
        found.append("planned maintenance")
    if any(s.quality is not None or s.inspection is not None for s in chosen):
        found.append("quality control")
    if any(s.setup is not None or s.setup_pairs for s in chosen):
        found.append("setups")
    if any(s.process_by_product for s in chosen):
        found.append("product-specific times")
    return found


def _core_station(station: Station, failures: bool) -> Station:
    return Station(name=station.name, machines=station.machines, buffer=station.buffer,
                   process=station.process, failures=station.failures if failures else None)


def simplified(line: Line, stations: list[Station] | None = None, failures: bool = True) -> Line:
    """The line reduced to its source and its stations' machines, buffers, times (and failures)."""
    chosen = line.stations if stations is None else stations
    return Line(name=line.name, horizon=line.horizon, warmup=line.warmup,
                replications=line.replications, seed=line.seed,
                source=line.source,
                maintenance_crew=line.maintenance_crew if failures else None,
                stations=[_core_station(s, failures) for s in chosen])


def _per_minute(spec: object) -> float:
    return 1.0 / dist_mean(spec)  # type: ignore[arg-type]


def _queue_expected(line: Line, queues: list[theory.Queue]) -> tuple[Expected, ...]:
    rate = queues[0].rate
    values = [Expected("throughput_per_hour", None, rate * 60),
              Expected("lead_time_min", None, sum(q.lead_time for q in queues)),
              Expected("wip", None, sum(q.wip for q in queues))]
    for station, q in zip(line.stations, queues, strict=True):
        values += [Expected("buffer_mean", station.name, q.queue_length),
                   Expected("utilisation", station.name, q.utilisation)]
    return tuple(values)


def _stable(rate: float, station: Station) -> None:
    load = rate * dist_mean(station.process) / station.machines
    if load >= 1:
        raise NoModel(f"station {station.name!r} is loaded at {load:.0%} of its capacity: "
                      f"no steady state")


def _arrivals_model(line: Line) -> tuple[str, tuple[Expected, ...]]:
    interarrival = line.source.interarrival  # type: ignore[union-attr]
    if not isinstance(interarrival, Exponential):
        raise NoModel(f"arrivals are not Poisson (interarrival {interarrival.dist}): "
                      f"no closed form for a G/G queue")
    if any(s.failures is not None for s in line.stations):
        raise NoModel("failures at a station fed by arrivals have no closed form here")
    if any(s.buffer is not None for s in line.stations):
        raise NoModel("a bounded buffer with arrivals (parts wait at the source) has no "
                      "closed form here")
    rate = _per_minute(interarrival)
    for station in line.stations:
        _stable(rate, station)
    exponential = all(isinstance(s.process, Exponential) for s in line.stations)
    if len(line.stations) == 1:
        station = line.stations[0]
        c = station.machines
        if exponential:
            return f"M/M/{c}", _queue_expected(line, [theory.mmc(rate, dist_mean(station.process), c)])
        if c == 1:
            queue = theory.mg1(rate, dist_mean(station.process), dist_cv(station.process))
            return "M/G/1 (Pollaczek-Khinchine)", _queue_expected(line, [queue])
        raise NoModel(f"M/G/{c} (process {station.process.dist}, {c} machines) has no exact "
                      f"closed form")
    if not exponential:
        raise NoModel("a tandem with non-exponential process times has no closed form")
    queues = theory.jackson_tandem(rate, [(dist_mean(s.process), s.machines) for s in line.stations])
    return "Jackson tandem (M/M/c stations)", _queue_expected(line, queues)


def _exponential_failures(station: Station) -> bool:
    failures = station.failures
    return failures is not None and isinstance(failures.mtbf, Exponential) and isinstance(
        failures.mttr, Exponential)


def _lone_machine_model(line: Line) -> tuple[str, tuple[Expected, ...]]:
    station = line.stations[0]
    c, process = station.machines, dist_mean(station.process)
    failures = station.failures
    if failures is None:
        machine = theory.unreliable_machine(process, 1.0, 0.0, c)
        model = "saturated machine (no failures)"
    else:
        mtbf, mttr = dist_mean(failures.mtbf), dist_mean(failures.mttr)
        crew = line.maintenance_crew
        if crew is None or crew >= c:
            machine = theory.unreliable_machine(process, mtbf, mttr, c)
            model = "isolated unreliable machine" + (f" (x{c}, own repairers)" if c > 1 else "")
        elif _exponential_failures(station):
            machine = theory.repairman(process, mtbf, mttr, c, crew)
            model = f"machine-repairman queue (M/M/{crew}//{c})"
        else:
            raise NoModel(f"station {station.name!r}: repairs queue for a crew of {crew} with "
                          f"non-exponential failures or repairs: no closed form")
    values = [Expected("throughput_per_hour", None, machine.throughput * 60),
              Expected("share_busy", station.name, machine.share_busy)]
    if failures is not None:
        values.append(Expected("share_down", station.name, machine.share_down))
    return model, tuple(values)


def _chain_model(line: Line) -> tuple[str, tuple[Expected, ...]]:
    stations = line.stations
    if any(s.machines > 1 for s in stations):
        raise NoModel("a station has parallel machines: the line's Markov chain here takes "
                      "single machines")
    if not all(isinstance(s.process, Exponential) for s in stations):
        raise NoModel("process times are not all exponential: no Markov chain")
    if any(s.buffer is None for s in stations[1:]):
        raise NoModel("an unbounded buffer between stations: the chain needs finite buffers")
    failing = [s for s in stations if s.failures is not None]
    if any(not _exponential_failures(s) or s.failures.mode != "operating"  # type: ignore[union-attr]
           for s in failing):
        raise NoModel("failures are not exponential on the operating clock: no Markov chain")
    if line.maintenance_crew is not None and line.maintenance_crew < len(failing):
        raise NoModel(f"repairs queue for a crew of {line.maintenance_crew}: not in the chain")
    buffers = [0, *(int(s.buffer or 0) for s in stations[1:])]
    mtbf = [dist_mean(s.failures.mtbf) if s.failures else None for s in stations]
    mttr = [dist_mean(s.failures.mttr) if s.failures else None for s in stations]
    try:
        chain = theory.serial_line([_per_minute(s.process) for s in stations], buffers,
                                   mtbf if failing else None, mttr if failing else None)
    except ValueError as exc:
        raise NoModel(f"the line is too large for its Markov chain: {exc}") from None
    values = [Expected("throughput_per_hour", None, chain.throughput * 60),
              Expected("wip", None, chain.wip),
              Expected("lead_time_min", None, chain.lead_time)]
    last = len(stations) - 1
    for j, station in enumerate(stations):
        if j > 0 and buffers[j] > 0:
            values.append(Expected("buffer_mean", station.name, chain.buffer_mean[j]))
        if j > 0:
            values.append(Expected("share_starved", station.name, chain.shares[j]["starved"]))
        values.append(Expected("share_busy", station.name, chain.shares[j]["busy"]))
        if j < last:
            values.append(Expected("share_blocked", station.name, chain.shares[j]["blocked"]))
        if station.failures is not None:
            values.append(Expected("share_down", station.name, chain.shares[j]["down"]))
    return f"Markov chain ({chain.states} states)", tuple(values)


def model_for(line: Line) -> tuple[str, tuple[Expected, ...]]:
    """The exact model of a line without flow features, or `NoModel` saying why there is none."""
    match line.source.kind:
        case "arrivals":
            return _arrivals_model(line)
        case "conwip":
            raise NoModel("a CONWIP release (a closed network) has no exact model here")
    if len(line.stations) == 1:
        return _lone_machine_model(line)
    return _chain_model(line)


def _without(features: list[str]) -> str:
    if not features:
        return "the line as it is"
    listed = features[0] if len(features) == 1 else ", ".join(features[:-1]) + " and " + features[-1]
    return f"the line without {listed}"


def whole_line_case(line: Line) -> tuple[ExactCase | None, list[str]]:
    """The line itself, then the line without flow features, then without failures too."""
    features = flow_features(line)
    failing = any(s.failures is not None for s in line.stations)
    attempts = [(features, True)]
    if failing:
        attempts.append(([*features, "failures"], False))
    reasons = []
    for removed, failures in attempts:
        candidate = line if not removed else simplified(line, failures=failures)
        try:
            model, expected = model_for(candidate)
        except NoModel as exc:
            reasons.append(f"{_without(removed)}: {exc}")
            continue
        return ExactCase(model, _without(removed), candidate, expected), reasons
    return None, reasons


def station_cases(line: Line) -> tuple[list[ExactCase], list[str]]:
    """Each station alone: at the line's arrival rate (a queue), or saturated when it can fail."""
    cases, reasons = [], []
    arrivals = line.source.kind == "arrivals"
    for station in line.stations:
        if not arrivals and station.failures is None:
            continue  # a lone saturated machine without failures says nothing of the engine
        alone = simplified(line, [station.model_copy(update={"buffer": None})], failures=not arrivals)
        try:
            model, expected = model_for(alone)
        except NoModel as exc:
            reasons.append(f"station {station.name!r} alone: {exc}")
            continue
        removed = flow_features(line, [station]) + (["failures"] if arrivals and station.failures else [])
        without = _without(removed).replace("the line", ",", 1) if removed else ""
        if arrivals:
            rate = format_minutes(dist_mean(line.source.interarrival))  # type: ignore[union-attr]
            subject = (f"station {station.name!r} alone{without}, as {model} at the line's "
                       f"arrival rate (one part every {rate})")
        else:
            subject = f"station {station.name!r} alone{without}, saturated: {model}"
        cases.append(ExactCase(model, subject, alone, expected))
    return cases, reasons


def exact_cases(line: Line) -> tuple[list[ExactCase], list[str]]:
    """The cases to run (at most `MAX_CASES`) and why others do not apply."""
    whole, reasons = whole_line_case(line)
    if whole is not None:
        return [whole], []
    if len(line.stations) == 1:
        return [], reasons
    cases, station_reasons = station_cases(line)
    if len(cases) > MAX_CASES:
        station_reasons.append(f"only the first {MAX_CASES} of {len(cases)} station checks run")
        cases = cases[:MAX_CASES]
    return cases, reasons + station_reasons
