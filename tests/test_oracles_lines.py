"""Line oracles: exact results for lines with blocking, failures, repair crews and maintenance.

- Saturated exponential lines with finite buffers and blocking after service: a continuous-time
  Markov chain built here machine by machine (numpy) gives the exact throughput; for two stations it
  must agree with the closed form μ2(ρ − ρ^(b+3))/(1 − ρ^(b+3)), ρ = μ1/μ2.
- An isolated unreliable machine: throughput = rate × MTBF/(MTBF + MTTR), on either failure clock.
- A station of two machines sharing one repairer is the machine-repairman queue (M/M/1//2).
- Preventive maintenance with deterministic times: the exact count of parts and planned minutes.
- Trace-driven serial lines: the engine must reproduce the max-plus (departure-time) recursion of a
  line with blocking after service to 1e-9 for every part, station and counter.

Statistical checks use replications with fixed seeds and require the exact value inside the 99%
Student-t interval (conftest.assert_covers), with a bound on the interval's width so that the
check can fail; where a neighbouring wrong answer exists (a buffer one larger or smaller), the test
also shows that the interval excludes it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from conftest import (
    assert_covers,
    assert_same,
    make_line,
    per_minute,
    run_checked,
    t_interval,
)

import twin
from twin.engine import STATES, simulate_with
from twin.theory import repairman_up_machines, serial_line_throughput
from twin.theory import two_station_throughput as two_station_formula

SEED = 77

BUSY, STARVED, BLOCKED = STATES.index("busy"), STATES.index("starved"), STATES.index("blocked")
DOWN, MAINTENANCE = STATES.index("down"), STATES.index("maintenance")


def exponential(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


@pytest.mark.parametrize("b", [0, 1, 2, 5])
@pytest.mark.parametrize(("mu1", "mu2"), [(1.0, 1.0), (1.0, 1.25), (1.25, 1.0), (0.5, 2.0)])
def test_two_station_formula_is_the_markov_chain_with_blocking_after_service(mu1, mu2, b):
    assert serial_line_throughput([mu1, mu2], [0, b]) == pytest.approx(
        two_station_formula(mu1, mu2, b), rel=1e-12)


def test_markov_chain_limits():
    """No buffer limit ⇒ min of the rates; one machine ⇒ its rate (the chain's own sanity)."""
    assert serial_line_throughput([0.7], [0]) == pytest.approx(0.7)
    assert serial_line_throughput([1.0, 0.6], [0, 60]) == pytest.approx(0.6, rel=1e-9)
    assert serial_line_throughput([1.0, 1.0, 1.0], [0, 0, 0]) < serial_line_throughput(
        [1.0, 1.0, 1.0], [0, 1, 1])


def saturated_line_throughput(means: list[float], buffers: list[int], replications: int = 8,
                              horizon: float = 10_000) -> tuple[np.ndarray, twin.Results]:
    stations = [{"name": f"s{j + 1}", "process": exponential(m), "buffer": b}
                for j, (m, b) in enumerate(zip(means, buffers, strict=True))]
    line = make_line(stations, horizon=horizon, warmup=500)
    results = run_checked(line, replications, SEED)
    return per_minute(results, "throughput_per_hour"), results


@pytest.mark.parametrize(
    ("mu1", "mu2", "b"),
    [(1.0, 1.0, 0), (1.0, 1.0, 2), (1.0, 1.25, 1), (1.25, 1.0, 0), (0.8, 1.0, 3)],
)
def test_two_station_line_throughput(mu1, mu2, b):
    """Saturated M1 → buffer b → M2, exponential times: engine vs the exact chain."""
    exact = two_station_formula(mu1, mu2, b)
    throughput, _ = saturated_line_throughput([1 / mu1, 1 / mu2], [None, b])
    ci = assert_covers(throughput, exact, max_rel_half_width=0.015, what=f"throughput, b={b}")
    # the interval tells b from b ± 1: a buffer convention off by one would fail
    for wrong in (b - 1, b + 1):
        assert two_station_formula(mu1, mu2, wrong) not in ci, (wrong, ci)


def test_three_station_line_throughput_matches_markov_chain():
    rates, buffers = [1.0, 0.8, 1.1], [0, 1, 0]
    exact = serial_line_throughput(rates, buffers)
    throughput, _ = saturated_line_throughput([1 / r for r in rates], [None, 1, 0])
    ci = assert_covers(throughput, exact, max_rel_half_width=0.015, what="three stations")
    assert serial_line_throughput(rates, [0, 2, 0]) not in ci
    assert serial_line_throughput(rates, [0, 1, 1]) not in ci


# --- failures, repair crews, maintenance ------------------------------------------------------------

@pytest.mark.parametrize(
    ("mode", "mtbf", "mttr"),
    [
        ("operating", exponential(60.0), exponential(6.0)),
        ("calendar", {"dist": "gamma", "mean": 60.0, "cv": 0.5}, 6.0),
        ("operating", {"dist": "weibull", "mean": 45.0, "shape": 2.0},
         {"dist": "lognormal", "mean": 9.0, "cv": 0.8}),
    ],
)
def test_isolated_unreliable_machine(mode, mtbf, mttr):
    """Saturated single machine: throughput = (1/p) × MTBF/(MTBF + MTTR), down share = MTTR/(...).

    A saturated lone machine is busy whenever it is up, so both failure clocks agree here."""
    process = 4.0
    line = make_line([{"name": "m", "process": process,
                       "failures": {"mtbf": mtbf, "mttr": mttr, "mode": mode}}],
                     horizon=20_000, warmup=500)
    results = run_checked(line, 12, SEED)
    repair = mttr["mean"] if isinstance(mttr, dict) else mttr
    availability = mtbf["mean"] / (mtbf["mean"] + repair)
    ci = assert_covers(per_minute(results, "throughput_per_hour"), availability / process,
                       max_rel_half_width=0.02, what="throughput")
    assert 1 / process not in ci  # the failures do cost throughput
    shares = results.stations["share_down"].to_numpy()
    assert_covers(shares, 1 - availability, max_rel_half_width=0.2, what="down share")


def test_calendar_failures_strike_idle_machines_operating_failures_do_not():
    """A lightly loaded machine (ρ = 0.25): on the calendar clock it is down MTTR/(MTBF + MTTR) of
    the time whatever it does; on the operating clock only ρ × MTTR/MTBF."""
    rate, mtbf, mttr = 0.25, 40.0, 4.0

    def down_share(mode: str) -> np.ndarray:
        line = make_line([{"name": "m", "process": 1.0,
                           "failures": {"mtbf": exponential(mtbf), "mttr": exponential(mttr),
                                        "mode": mode}}],
                         source={"kind": "arrivals", "interarrival": exponential(1 / rate)},
                         horizon=20_000, warmup=500)
        results = run_checked(line, 10, SEED)
        busy = results.stations["share_busy"].to_numpy()
        assert_covers(busy, rate, max_rel_half_width=0.03, what=f"{mode}: busy share = λp")
        return results.stations["share_down"].to_numpy()

    assert_covers(down_share("calendar"), mttr / (mtbf + mttr), max_rel_half_width=0.1,
                  what="calendar down share")
    assert_covers(down_share("operating"), rate * mttr / mtbf, max_rel_half_width=0.2,
                  what="operating down share")


def test_shared_repairer_is_the_machine_repairman_queue():
    """Two machines at one saturated station, exponential failures (operating) and repairs.

    One repairer: E[up] = 1.2 of 2 (p_k ∝ 2!/(2−k)! (MTTR/MTBF)^k); unlimited: 2 × 2/3 = 1.333."""
    process, mtbf, mttr = 4.0, 20.0, 10.0

    def line(crew: int | None) -> twin.Line:
        return make_line([{"name": "pair", "machines": 2, "process": process,
                           "failures": {"mtbf": exponential(mtbf), "mttr": exponential(mttr)}}],
                         maintenance_crew=crew, horizon=20_000, warmup=500)

    one = run_checked(line(1), 12, SEED)
    unlimited = run_checked(line(None), 12, SEED)
    exact_one = repairman_up_machines(2, mtbf, mttr, 1) / process
    exact_unlimited = repairman_up_machines(2, mtbf, mttr, 2) / process
    assert exact_one * process == pytest.approx(1.2)
    assert exact_unlimited * process == pytest.approx(2 * mtbf / (mtbf + mttr))
    ci_one = assert_covers(per_minute(one, "throughput_per_hour"), exact_one,
                           max_rel_half_width=0.04, what="crew of 1")
    assert_covers(per_minute(unlimited, "throughput_per_hour"), exact_unlimited,
                  max_rel_half_width=0.04, what="unlimited crew")
    assert exact_unlimited not in ci_one
    # a crew as large as the number of machines never makes a repair wait: the same run exactly
    same = run_checked(line(2), 2, SEED)  # a crew runs on SimPy; compare with SimPy's own runs
    on_simpy = twin.run(line(None), replications=2, seed=SEED, workers=1, engine="simpy")
    for a, b in zip(same.runs, on_simpy.runs, strict=True):
        assert_same(a, b)


def test_one_repairer_shared_by_two_stations_costs_throughput():
    """Paired (common random numbers) difference unlimited − crew of 1 is positive at 99%."""
    stations = [{"name": n, "process": exponential(1.0), "buffer": 3,
                 "failures": {"mtbf": exponential(30.0), "mttr": exponential(10.0)}}
                for n in ("a", "b")]

    def throughput(crew: int | None) -> np.ndarray:
        line = make_line(stations, maintenance_crew=crew, horizon=8_000, warmup=500)
        return per_minute(run_checked(line, 10, SEED),
                          "throughput_per_hour")

    unlimited, shared = throughput(None), throughput(1)
    ci = t_interval(unlimited - shared)
    assert ci.low > 0, f"a shared repairer should cost throughput: {ci}"
    assert (unlimited > shared).mean() >= 0.8


@pytest.mark.parametrize("engine", ["simpy", "fast"])
def test_preventive_maintenance_deterministic_schedule(engine):
    """p = 3, PM every 100 min of operating time, 10 min long, taken after the part in progress:
    34 parts (102 min) then 10 min of maintenance, repeated. Counts and minutes are exact."""
    process, interval, duration, horizon = 3.0, 100.0, 10.0, 10_000.0
    line = make_line([{"name": "m", "process": process,
                       "maintenance": {"policy": "preventive", "interval": interval,
                                       "duration": duration}}], horizon=horizon)
    t, age, parts, busy, planned, stops = 0.0, 0.0, 0, 0.0, 0.0, 0
    while True:
        if t + process > horizon:
            busy += horizon - t
            break
        t += process
        busy += process
        age += process
        parts += 1
        if age >= interval:
            stops += 1
            planned += min(duration, horizon - t)
            t += duration
            age = 0.0
            if t >= horizon:
                break
    stats = simulate_with(line, 0, seed=SEED, engine=engine)
    station = stats.stations[0]
    assert (parts, stops) == (3036, 89)
    assert stats.departed == parts
    assert station.planned_stops == stops
    assert station.state_minutes[0, BUSY] == pytest.approx(busy, abs=1e-9)
    assert station.state_minutes[0, MAINTENANCE] == pytest.approx(planned, abs=1e-9)


# --- exactness: the max-plus recursion of a line with blocking after service -------------------------

def max_plus(process: list[list[float]], buffers: list[int | None], source: dict, parts: int):
    """Start S, end C, departure D (parts × stations) and release E of a serial line of single
    machines with FIFO buffers and blocking after service, driven by cyclic traces:

        E_i    = entry into station 1 (saturated: when machine 1 is free; arrivals/CONWIP: when the
                 part is there and station 1 has room, i.e. part i − b1 − 1 has left machine 1)
        S_i,j  = max(D_i,j−1 (E_i for j = 1), D_i−1,j)
        C_i,j  = S_i,j + p_i,j
        D_i,j  = max(C_i,j, D_i−b(j+1)−1, j+1)     (room downstream: the part b + 1 ahead has left)
        D_i,m  = C_i,m
    """
    m = len(process)
    S, C, D = (np.full((parts + 1, m), -np.inf) for _ in range(3))
    E = np.zeros(parts + 1)
    arrival = 0.0
    D[0, :] = 0.0
    for i in range(1, parts + 1):
        kind = source["kind"]
        if kind == "saturated":
            ready = D[i - 1, 0]
        elif kind == "arrivals":
            gaps = source["interarrival"]["values"]
            arrival += gaps[(i - 1) % len(gaps)]
            ready = arrival
        else:
            ready = 0.0 if i <= source["wip_cap"] else D[i - source["wip_cap"], m - 1]
        room = buffers[0]
        E[i] = ready if kind == "saturated" or room is None or i - room - 1 < 1 else max(
            ready, D[i - room - 1, 0])
        for j in range(m):
            upstream = E[i] if j == 0 else D[i, j - 1]
            S[i, j] = max(upstream, D[i - 1, j])
            C[i, j] = S[i, j] + process[j][(i - 1) % len(process[j])]
            if j == m - 1:
                D[i, j] = C[i, j]
            else:
                room = buffers[j + 1]
                ahead = i - room - 1 if room is not None else 0
                D[i, j] = max(C[i, j], D[ahead, j + 1]) if ahead >= 1 else C[i, j]
    return S[1:], C[1:], D[1:], E[1:]


def overlap(a: np.ndarray, b: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.minimum(b, high) - np.maximum(a, low), 0.0, None)


def trace(rng: np.random.Generator, size: int, values: tuple[float, ...]) -> list[float]:
    return [float(v) for v in rng.choice(values, size=size)]


TRACE_CASES = {
    "saturated-buffers-0-1-2": (
        {"kind": "saturated"}, [None, 0, 1, 2], (0.5, 1.0, 1.5, 2.0, 3.0)),
    "saturated-zero-times": ({"kind": "saturated"}, [3, 0, 0], (0.0, 0.5, 1.0, 2.5)),
    "arrivals-bounded-first-buffer": (
        {"kind": "arrivals", "interarrival": None}, [1, 2, 0, None], (0.5, 1.0, 2.0, 2.5)),
    "arrivals-zero-first-buffer": ({"kind": "arrivals", "interarrival": None}, [0, 1, 1],
                                   (1.0, 1.5, 2.0)),
    "conwip": ({"kind": "conwip", "wip_cap": 4}, [None, 0, 1], (0.5, 1.0, 2.0)),
}


@pytest.mark.parametrize("engine", ["simpy", "fast"])
@pytest.mark.parametrize("case", list(TRACE_CASES))
def test_trace_line_reproduces_max_plus_recursion(case, engine):
    """Every start, end and departure in the part log, and every counter of RunStats, equals the
    recursion to 1e-9. Times are multiples of 0.5 (so events tie often), the warm-up and horizon
    end in .25 so no event sits on a boundary."""
    source, buffers, values = TRACE_CASES[case]
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    process = [trace(rng, 23 + 4 * j, values) for j in range(len(buffers))]
    if source["kind"] == "arrivals":
        source = {"kind": "arrivals",
                  "interarrival": {"dist": "trace", "values": trace(rng, 31, (0.5, 1.0, 2.0, 4.0))}}
    warmup, horizon = 100.25, 600.25
    line = make_line(
        [{"name": f"s{j + 1}", "buffer": b, "process": {"dist": "trace", "values": p}}
         for j, (b, p) in enumerate(zip(buffers, process, strict=True))],
        source=source, warmup=warmup, horizon=horizon,
    )
    parts = 3000
    S, C, D, E = max_plus(process, buffers, source, parts)
    assert E[-1] > horizon, "simulate enough parts to pass the horizon"

    log: list = []
    stats = simulate_with(line, 0, seed=SEED, log=log, engine=engine)
    logged = {(r[0], r[1]): r[2:5] for r in log}
    expected = {(i + 1, j + 1) for i in range(parts) for j in range(len(buffers)) if D[i, j] < horizon}
    assert set(logged) == expected
    assert len(logged) == len(log)  # no record twice
    for (part, station), times in logged.items():
        want = (S[part - 1, station - 1], C[part - 1, station - 1], D[part - 1, station - 1])
        assert times == pytest.approx(want, abs=1e-9), (part, station)

    # the counters of the window [warmup, horizon)
    out = D[:, -1]
    released = (warmup <= E) & (horizon > E)
    departed = (out > warmup) & (out < horizon)
    assert stats.released == released.sum()
    assert stats.departed == departed.sum()
    assert stats.wip_start == ((warmup > E) & (out > warmup)).sum()
    assert stats.wip_end == ((horizon > E) & (out > horizon)).sum()
    assert stats.released_total == (horizon > E).sum()
    assert stats.departed_total == (out < horizon).sum()
    assert stats.lead_time_sum == pytest.approx((out - E)[departed].sum(), abs=1e-9)
    assert stats.wip_area == pytest.approx(overlap(E, out, warmup, horizon).sum(), abs=1e-9)
    window = horizon - warmup
    for j, station in enumerate(stats.stations):
        minutes = station.state_minutes[0]
        busy = overlap(S[:, j], C[:, j], warmup, horizon).sum()
        blocked = overlap(C[:, j], D[:, j], warmup, horizon).sum()
        assert minutes[BUSY] == pytest.approx(busy, abs=1e-9), j
        assert minutes[BLOCKED] == pytest.approx(blocked, abs=1e-9), j
        assert minutes[STARVED] == pytest.approx(window - busy - blocked, abs=1e-9), j
        assert minutes.sum() == pytest.approx(window, abs=1e-9)
        assert station.completed == ((C[:, j] > warmup) & (C[:, j] < horizon)).sum()
        assert station.started == ((S[:, j] > warmup) & (S[:, j] < horizon)).sum()
        entered = E if j == 0 else D[:, j - 1]
        queued = overlap(entered, S[:, j], warmup, horizon).sum()
        if j == 0 and source["kind"] == "saturated":
            queued = 0.0
        assert station.buffer_area == pytest.approx(queued, abs=1e-9), j
    assert stats.departed > 100, "the horizon must cover many parts for the check to mean much"

