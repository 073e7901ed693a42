"""Queueing-theory oracles: one-station lines with Poisson arrivals, and a Jackson tandem line.

A line with an `arrivals` source, unbounded buffers and one station is an M/G/c queue, so its lead
time W, WIP L, queue length Lq and utilisation have closed forms (M/M/1, Erlang C, Pollaczek–
Khinchine). A tandem of exponential stations with Poisson arrivals and unbounded buffers is a Jackson
network: each station behaves as an independent M/M/1, so the end-to-end lead time is the sum.

Every check: R independent replications with a fixed seed, a warm-up of many relaxation times cut
(the line starts empty, which biases early statistics low), and the closed form must lie inside the
99% Student-t interval of the per-replication values (see `conftest.assert_covers`). The interval is
also required to be tight (a few percent), so a wrong queue discipline, a lost part of the lead time
or a wrong service variance (M/D/1 vs M/M/1 differ by 40% in W) would fail the test.
"""

from __future__ import annotations

import math

import pytest
from conftest import assert_covers, make_line, per_minute, poisson, run_checked

import twin
from twin.theory import erlang_c, pollaczek_khinchine_wait

SEED = 20240611


def station_column(results: twin.Results, station: str, kpi: str):
    table = results.stations
    return table.loc[table["station"] == station, kpi].to_numpy(dtype=float)


def run_single_station(process: dict | float, machines: int, rate: float, horizon: float,
                       warmup: float, replications: int) -> twin.Results:
    line = make_line([{"name": "server", "machines": machines, "process": process}],
                     source=poisson(rate), horizon=horizon, warmup=warmup)
    return run_checked(line, replications, SEED)


def check_queue(results: twin.Results, *, rate: float, machines: int, mean_service: float,
                wait_in_queue: float, tolerance: float) -> None:
    """W, L, Lq, utilisation and throughput of a stable queue against their exact values."""
    lead_time = wait_in_queue + mean_service
    assert_covers(per_minute(results, "lead_time_min"), lead_time, max_rel_half_width=tolerance,
                  what="lead time W")
    assert_covers(per_minute(results, "wip"), rate * lead_time, max_rel_half_width=tolerance,
                  what="WIP L = λW")
    assert_covers(station_column(results, "server", "buffer_mean"), rate * wait_in_queue,
                  max_rel_half_width=1.6 * tolerance, what="queue length Lq = λWq")
    assert_covers(station_column(results, "server", "share_busy"), rate * mean_service / machines,
                  max_rel_half_width=0.03, what="utilisation ρ")
    assert_covers(per_minute(results, "throughput_per_hour"), rate, max_rel_half_width=0.02,
                  what="throughput λ")


def test_mm1_lead_time_and_wip():
    """λ = 0.8, μ = 1: W = 1/(μ − λ) = 5, L = ρ/(1 − ρ) = 4, Lq = ρ²/(1 − ρ) = 3.2."""
    rate, mean = 0.8, 1.0
    results = run_single_station({"dist": "exponential", "mean": mean}, 1, rate,
                                 horizon=22_000, warmup=2_000, replications=20)
    assert 1 / (1 / mean - rate) == pytest.approx(5.0)
    check_queue(results, rate=rate, machines=1, mean_service=mean,
                wait_in_queue=rate * mean / (1 / mean - rate), tolerance=0.07)


def test_mmc_erlang_c():
    """M/M/3, λ = 2.25, μ = 1 (ρ = 0.75): Wq = C(3, a)/(cμ − λ) with Erlang C, W = Wq + 1/μ."""
    rate, mean, servers = 2.25, 1.0, 3
    results = run_single_station({"dist": "exponential", "mean": mean}, servers, rate,
                                 horizon=9_000, warmup=1_000, replications=14)
    wait = erlang_c(servers, rate * mean) / (servers / mean - rate)
    assert wait + mean == pytest.approx(1.757, abs=1e-3)
    check_queue(results, rate=rate, machines=servers, mean_service=mean, wait_in_queue=wait,
                tolerance=0.07)


@pytest.mark.parametrize(
    ("process", "rate", "cv", "exact_w"),
    [
        # M/D/1: W = 1 + 0.8/(2·0.2) = 3 (M/M/1 would give 5)
        pytest.param(1.0, 0.8, 0.0, 3.0, id="M/D/1"),
        # M/G/1 gamma cv 0.5: W = 1 + 0.8·1.25/0.4 = 3.5
        pytest.param({"dist": "gamma", "mean": 1.0, "cv": 0.5}, 0.8, 0.5, 3.5, id="M/G/1-gamma"),
        # M/G/1 lognormal cv 1.5, ρ = 0.5: W = 1 + 0.5·3.25/1 = 2.625 (M/M/1 would give 2)
        pytest.param({"dist": "lognormal", "mean": 1.0, "cv": 1.5}, 0.5, 1.5, 2.625,
                     id="M/G/1-lognormal"),
    ],
)
def test_mg1_pollaczek_khinchine(process, rate, cv, exact_w):
    wait = pollaczek_khinchine_wait(rate, 1.0, cv)
    assert wait + 1.0 == pytest.approx(exact_w)
    # W's variance grows with the service's fourth moment: the lognormal of cv 1.5 needs about
    # three times the data of the others for an interval of the same relative width.
    horizon = 17_000 if cv <= 1 else 51_000
    results = run_single_station(process, 1, rate, horizon=horizon, warmup=1_000, replications=16)
    check_queue(results, rate=rate, machines=1, mean_service=1.0, wait_in_queue=wait,
                tolerance=0.07)


def test_jackson_tandem_lead_time_is_sum_of_mm1_times():
    """λ = 0.5 through three exponential stations (ρ = 0.5, 0.7, 0.4), unbounded buffers.

    W = Σ 1/(μᵢ − λ) = 2 + 4.667 + 1.333 = 8, L = λW = 4, and each buffer holds ρᵢ²/(1 − ρᵢ).
    """
    rate = 0.5
    means = {"a": 1.0, "b": 1.4, "c": 0.8}
    line = make_line(
        [{"name": name, "process": {"dist": "exponential", "mean": m}} for name, m in means.items()],
        source=poisson(rate), horizon=17_000, warmup=2_000,
    )
    results = run_checked(line, 16, SEED)
    lead_time = sum(1 / (1 / m - rate) for m in means.values())
    assert lead_time == pytest.approx(8.0)
    assert_covers(per_minute(results, "lead_time_min"), lead_time, max_rel_half_width=0.07,
                  what="end-to-end lead time")
    assert_covers(per_minute(results, "wip"), rate * lead_time, max_rel_half_width=0.07,
                  what="WIP")
    for name, m in means.items():
        rho = rate * m
        assert_covers(station_column(results, name, "buffer_mean"), rho**2 / (1 - rho),
                      max_rel_half_width=0.12, what=f"queue at {name}")
        assert_covers(station_column(results, name, "share_busy"), rho,
                      max_rel_half_width=0.03, what=f"utilisation of {name}")
    assert not math.isclose(lead_time, 3 / (1 / 1.4 - rate), rel_tol=0.05)
