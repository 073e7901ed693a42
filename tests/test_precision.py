"""The precision model held to closed forms (DESIGN.md, "Precision (quality)").

Every statistical check compares an exact value (normal yield, wear over a tool life, Shewhart and
EWMA average run lengths, gauge-error rates of a bivariate normal, the geometric rework loop,
Little's law) with a 99 % confidence interval from fixed-seed replications: a Student-t interval
over replications, or a Clopper-Pearson interval on pooled counts where the parts are independent
Bernoulli trials. Each check also bounds the interval's half-width, so it cannot pass by being wide.
Stations have a deterministic 1-min cycle and a saturated source unless a check needs queueing, so
the part counts are known exactly. Conservation of parts is checked on every run of the file.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import numpy as np
import pytest
from precision_helpers import (
    Interval,
    assert_in,
    binomial_interval,
    cp,
    cpk,
    drifting_defect_fraction,
    ewma_arl,
    ewma_arl_drift,
    gauge_rates,
    make_line,
    normal_defect_fraction,
    parts_horizon,
    quality_station,
    shewhart_arl,
    t_interval,
)
from scipy.stats import multivariate_normal

import twin
from twin.engine import simulate
from twin.engine.states import TOOL_CHANGE

SEED = 20_261_128
WORKERS = 2


def run(line: twin.Line, replications: int) -> twin.Results:
    results = twin.run(line, replications=replications, seed=SEED, workers=WORKERS)
    assert_conserved(results)
    return results


def assert_conserved(results: twin.Results) -> None:
    """No part is lost or made up: over the whole run, and over the observed window."""
    for r in results.runs:
        assert r.released_total == r.departed_total + r.scrapped_total + r.wip_end, r.replication
        assert r.good + r.escaped == r.departed, r.replication
        assert r.released - r.departed - r.scrapped == r.wip_end - r.wip_start, r.replication


def characteristic(results: twin.Results, station: int = 0) -> list:
    return [r.stations[station].characteristic for r in results.runs]


def kpi(results: twin.Results, name: str) -> np.ndarray:
    return results.kpis[name].to_numpy(dtype=float)


# ------------------------------------------------------------------ the oracles themselves


def test_the_closed_forms_reproduce_published_values_and_each_other():
    """The helpers are the yardstick, so they are checked first: normal tails (2,700 / 63 / 3.4 ppm),
    Shewhart ARLs, the Brook-Evans EWMA ARLs against Montgomery, Introduction to Statistical Quality
    Control, Table 9.11 (Lucas & Saccucci 1990: ARL0 ≈ 500, ARL at a 1-sd shift 11.1 / 10.3 / 11.4),
    an EWMA with λ = 1 being a Shewhart chart, and the gauge rates against scipy's bivariate normal."""
    assert math.isclose(normal_defect_fraction(0, 1, -3, 3) * 1e6, 2699.8, rel_tol=1e-4)
    assert math.isclose(normal_defect_fraction(0, 1, -4, 4) * 1e6, 63.34, rel_tol=1e-3)
    assert math.isclose(normal_defect_fraction(1.5, 1, -6, 6) * 1e6, 3.40, rel_tol=1e-2)
    assert math.isclose(shewhart_arl(0, 3), 370.4, rel_tol=1e-4)
    assert math.isclose(shewhart_arl(1, 3), 43.89, rel_tol=1e-3)
    for lam, L, arl1 in [(0.25, 2.998, 11.1), (0.10, 2.814, 10.3), (0.05, 2.615, 11.4)]:
        assert math.isclose(ewma_arl(lam, L), 500, rel_tol=0.01)
        assert math.isclose(ewma_arl(lam, L, 1.0), arl1, rel_tol=0.01)
        assert math.isclose(ewma_arl_drift(lam, L, 0.0, start=1.0), ewma_arl(lam, L, 1.0), rel_tol=1e-9)
    assert math.isclose(ewma_arl(1.0, 3.0), shewhart_arl(0, 3), rel_tol=1e-9)
    assert math.isclose(drifting_defect_fraction(0.5, 0.0, 50, 1.0, -2, 3),
                        normal_defect_fraction(0.5, 1.0, -2, 3), rel_tol=1e-12)

    g = GAUGE
    mu, sigma, gauge, lsl, usl = g["bias"], g["sigma"], g["measurement_sigma"], g["lsl"], g["usl"]
    joint = multivariate_normal([mu, mu], [[sigma**2, sigma**2], [sigma**2, sigma**2 + gauge**2]],
                                abseps=1e-10, releps=1e-8)

    def cdf(x: float, m: float) -> float:
        return float(joint.cdf([x, m]))

    def box(x_low: float, x_high: float, m_low: float, m_high: float) -> float:
        """P(x_low < X ≤ x_high, m_low < M ≤ m_high)."""
        return cdf(x_high, m_high) - cdf(x_low, m_high) - cdf(x_high, m_low) + cdf(x_low, m_low)

    big = mu + 12 * sigma
    conforming_accepted = box(lsl, usl, lsl, usl)
    accepted = box(-big, big, lsl, usl)
    conforming = 1 - normal_defect_fraction(mu, sigma, lsl, usl)
    rates = gauge_rates(mu, sigma, gauge, lsl, usl)
    assert math.isclose(rates.false_reject, 1 - conforming_accepted / conforming, rel_tol=1e-4)
    assert math.isclose(rates.escaped, (accepted - conforming_accepted) / accepted, rel_tol=1e-4)
    assert math.isclose(rates.rejected, 1 - accepted, rel_tol=1e-5)


# ------------------------------------------------------------------ normal yield, Cp, Cpk

NORMAL_CASES: dict[str, dict[str, Any]] = {
    # Cpk 1.0, centred: 2,700 ppm
    "centred_cpk_1.0": {"bias": 0.0, "sigma": 1.0, "lsl": -3.0, "usl": 3.0, "reps": 10, "parts": 25_000},
    # offset mean, asymmetric limits, both tails count: Cpk 0.83, 7,560 ppm
    "offset_cpk_0.83": {"bias": 0.5, "sigma": 1.0, "lsl": -2.5, "usl": 3.0, "reps": 10, "parts": 25_000},
    # Cpk 1.33, centred: 63 ppm (pooled binomial interval over 400,000 parts)
    "centred_cpk_1.33": {"bias": 0.0, "sigma": 0.75, "lsl": -3.0, "usl": 3.0, "reps": 8, "parts": 50_000},
    # 6-sigma process with a 1.5-sigma shift: Cp 2, Cpk 1.5, 3.4 ppm (too rare to observe)
    "six_sigma_shifted": {"bias": 1.5, "sigma": 1.0, "lsl": -6.0, "usl": 6.0, "reps": 8, "parts": 25_000},
}


@cache
def normal_results(case: str) -> twin.Results:
    c = NORMAL_CASES[case]
    station = quality_station(sigma=c["sigma"], bias=c["bias"], lsl=c["lsl"], usl=c["usl"])
    return run(make_line([station], horizon=parts_horizon(c["parts"])), c["reps"])


@pytest.mark.parametrize("case", ["centred_cpk_1.0", "offset_cpk_0.83"])
def test_defect_fraction_of_a_normal_process_is_the_normal_tail(case):
    c = NORMAL_CASES[case]
    results = normal_results(case)
    stats = characteristic(results)
    assert all(s.produced == c["parts"] for s in stats)
    exact = normal_defect_fraction(c["bias"], c["sigma"], c["lsl"], c["usl"])
    per_rep = [s.defects / s.produced for s in stats]
    assert_in(t_interval(per_rep), exact, max_rel_half_width=0.15, what=f"{case} defect fraction")
    # the line KPIs report the same thing: defect_ppm as produced, and no inspection → all shipped
    assert np.allclose(kpi(results, "defect_ppm"), np.array(per_rep) * 1e6)
    assert np.allclose(kpi(results, "escaped_ppm"), kpi(results, "defect_ppm"))
    assert np.allclose(kpi(results, "quality_rate"), 1 - np.array(per_rep))
    print(f"\n{case}: defect ppm {t_interval(per_rep).mean * 1e6:.0f} vs exact {exact * 1e6:.0f}")


@pytest.mark.parametrize("case", list(NORMAL_CASES))
def test_cp_cpk_mean_and_sigma_estimates_agree_with_the_formulas(case):
    c = NORMAL_CASES[case]
    results = normal_results(case)
    mu, sigma, lsl, usl = c["bias"], c["sigma"], c["lsl"], c["usl"]
    # sampling sd of sigma-hat is sigma/sqrt(2n) ≈ 0.45 % at n = 25,000: 2 % bands are 4 such sds
    assert_in(t_interval(kpi(results, "cp")), cp(sigma, lsl, usl), max_rel_half_width=0.02, what="Cp")
    assert_in(t_interval(kpi(results, "cpk")), cpk(mu, sigma, lsl, usl), max_rel_half_width=0.02,
              what="Cpk")
    assert_in(t_interval(kpi(results, "characteristic_sigma")), sigma, max_rel_half_width=0.02,
              what="sigma")
    mean = t_interval(kpi(results, "characteristic_mean"))
    assert mu in mean and mean.half_width <= 0.02 * sigma, f"mean {mean} vs exact {mu}"
    print(f"\n{case}: Cp {t_interval(kpi(results, 'cp'))} exact {cp(sigma, lsl, usl):.4f}; "
          f"Cpk {t_interval(kpi(results, 'cpk'))} exact {cpk(mu, sigma, lsl, usl):.4f}")


def test_cpk_1_33_centred_gives_63_ppm_within_the_binomial_interval():
    c = NORMAL_CASES["centred_cpk_1.33"]
    stats = characteristic(normal_results("centred_cpk_1.33"))
    exact = normal_defect_fraction(0.0, c["sigma"], c["lsl"], c["usl"])
    assert math.isclose(exact * 1e6, 63.34, rel_tol=1e-3)
    pooled = binomial_interval(sum(s.defects for s in stats), sum(s.produced for s in stats))
    # ~25 defects expected among 400,000 parts: the exact interval is wide in relative terms but
    # still excludes Cpk 1.2 (318 ppm) and Cpk 1.5 (6.8 ppm)
    assert_in(pooled, exact, max_rel_half_width=0.75, what="Cpk 1.33 defect fraction")
    assert pooled.high < normal_defect_fraction(0.0, 1.0, -3.6, 3.6)
    assert pooled.low > normal_defect_fraction(0.0, 1.0, -4.5, 4.5)
    print(f"\nCpk 1.33: {pooled.mean * 1e6:.1f} ppm [{pooled.low * 1e6:.1f}, {pooled.high * 1e6:.1f}] "
          f"vs exact {exact * 1e6:.2f}")


def test_six_sigma_with_a_1_5_sigma_shift_is_consistent_with_3_4_ppm():
    """3.4 ppm is too rare to observe in 200,000 parts (0.7 expected), so the check is on the
    plug-in estimate Φ((lsl−μ̂)/σ̂) + 1 − Φ((usl−μ̂)/σ̂) per replication; μ̂ and σ̂ themselves are
    checked in the Cp/Cpk test. The few defects seen must still fit the 99 % binomial interval."""
    c = NORMAL_CASES["six_sigma_shifted"]
    results = normal_results("six_sigma_shifted")
    exact = normal_defect_fraction(c["bias"], c["sigma"], c["lsl"], c["usl"])
    assert math.isclose(exact * 1e6, 3.4, rel_tol=0.01)
    plug_in = [normal_defect_fraction(m, s, c["lsl"], c["usl"])
               for m, s in zip(kpi(results, "characteristic_mean"), kpi(results, "characteristic_sigma"),
                               strict=True)]
    # the plug-in ppm is ~20 times as sensitive to sigma-hat as to a relative error: 25 % bands
    assert_in(t_interval(plug_in), exact, max_rel_half_width=0.25, what="plug-in ppm")
    stats = characteristic(results)
    pooled = binomial_interval(sum(s.defects for s in stats), sum(s.produced for s in stats))
    assert exact in pooled, f"observed defects {pooled} vs exact {exact:.3g}"
    print(f"\n6 sigma shifted: plug-in ppm {t_interval(plug_in)} (×1e-6) vs {exact * 1e6:.2f} ppm; "
          f"observed {sum(s.defects for s in stats)} defects in {pooled.label}")


# ------------------------------------------------------------------ tool wear with a fixed tool life

WEAR = {"bias": -1.0, "drift_per_part": 0.01, "tool_life": 200, "sigma": 1.0, "lsl": -3.0, "usl": 3.0,
        "tool_change": 10.0}
WEAR_LIVES = 120


def test_wear_over_a_tool_life_matches_the_drifting_normal_tail():
    w = WEAR
    # a tool life takes 200 parts × 1 min + a 10-min change: 120 whole lives fit the horizon
    horizon = WEAR_LIVES * (w["tool_life"] + w["tool_change"]) + 0.5
    station = quality_station(**{k: v for k, v in w.items()})
    results = run(make_line([station], horizon=horizon), 10)
    stats = characteristic(results)
    assert all(s.produced == WEAR_LIVES * w["tool_life"] for s in stats)
    assert all(s.tool_changes == WEAR_LIVES for s in stats)
    share = WEAR_LIVES * w["tool_change"] / horizon
    assert np.allclose(results.stations["share_tool_change"], share, rtol=1e-12)

    exact = drifting_defect_fraction(w["bias"], w["drift_per_part"], w["tool_life"], w["sigma"],
                                      w["lsl"], w["usl"])
    per_rep = [s.defects / s.produced for s in stats]
    assert_in(t_interval(per_rep), exact, max_rel_half_width=0.12, what="wear defect fraction")
    # the realised mean and sigma mix the noise with the uniform spread of the mean over a life
    life = w["tool_life"]
    mean = w["bias"] + w["drift_per_part"] * (life - 1) / 2
    sigma = math.sqrt(w["sigma"] ** 2 + w["drift_per_part"] ** 2 * (life**2 - 1) / 12)
    assert_in(t_interval(kpi(results, "characteristic_sigma")), sigma, max_rel_half_width=0.02,
              what="sigma with wear")
    realised = t_interval(kpi(results, "characteristic_mean"))
    assert mean in realised and realised.half_width < 0.02, f"mean {realised} vs {mean}"
    print(f"\nwear: defect fraction {t_interval(per_rep)} vs exact {exact:.5f}; "
          f"sigma {t_interval(kpi(results, 'characteristic_sigma'))} vs {sigma:.4f}; "
          f"mean {realised} vs {mean:.4f}")


# ------------------------------------------------------------------ SPC run lengths

SPC_SIGMA, SPC_GAUGE = 1.0, 0.5
IN_CONTROL_SD = math.hypot(SPC_SIGMA, SPC_GAUGE)


def spc_line(control: dict[str, Any], parts: int, **quality: Any) -> twin.Line:
    station = quality_station(sigma=SPC_SIGMA, measurement_sigma=SPC_GAUGE, lsl=-5.0, usl=5.0,
                              control={"policy": "spc", **control}, **quality)
    return make_line([station], horizon=parts_horizon(parts))


@pytest.mark.parametrize(("shift", "reps", "parts"), [(0.0, 8, 25_000), (1.0, 8, 5_000)])
def test_shewhart_3_sigma_average_run_length(shift, reps, parts):
    """Measurements are independent, so each part signals with the same probability p: run lengths
    are geometric, the signal count is binomial, and ARL = 1/p gets the inverted Clopper-Pearson
    interval. Recalibration resets wear (none here) but not the bias, so the shift persists."""
    results = run(spc_line({"chart": "shewhart", "k": 3.0}, parts, bias=shift * IN_CONTROL_SD), reps)
    stats = characteristic(results)
    signals, produced = sum(s.signals for s in stats), sum(s.produced for s in stats)
    assert all(s.tool_changes == s.signals for s in stats)  # zero change time: all done in time
    exact = shewhart_arl(shift, 3.0)
    assert math.isclose(exact, {0.0: 370.4, 1.0: 43.9}[shift], rel_tol=1e-3)
    p = binomial_interval(signals, produced)
    arl = Interval(produced / signals, 1 / p.high, 1 / p.low, p.label)
    assert_in(arl, exact, max_rel_half_width=0.12, what=f"Shewhart ARL at a {shift} sd shift")
    print(f"\nShewhart k=3, shift {shift} sd: ARL {arl} vs exact {exact:.1f}")


def test_ewma_in_control_average_run_length_matches_brook_evans():
    """EWMA run lengths are not geometric, but each recalibration restarts the chart at zero, so
    the runs are independent cycles: produced/signals per replication gets a t-interval."""
    lam, L = 0.2, 2.5
    results = run(spc_line({"chart": "ewma", "lambda": lam, "L": L}, 15_000), 10)
    per_rep = [s.produced / s.signals for s in characteristic(results)]
    exact = ewma_arl(lam, L)
    assert_in(t_interval(per_rep), exact, max_rel_half_width=0.15, what="EWMA ARL0")
    print(f"\nEWMA λ={lam} L={L}: ARL0 {t_interval(per_rep)} vs Brook-Evans {exact:.1f}")


def test_ewma_recalibrates_a_drifting_process_at_the_predicted_rate():
    """With wear, recalibrations restart the wear and the chart: the mean run length is the
    zero-state ARL of an EWMA whose mean moves by drift/sd per part (Brook-Evans, inhomogeneous).
    Recalibration takes time, so the station shows a tool-change share."""
    lam, L, drift, change = 0.2, 3.0, 0.02, 5.0
    results = run(spc_line({"chart": "ewma", "lambda": lam, "L": L}, 10_000,
                           drift_per_part=drift, tool_change=change), 6)
    stats = characteristic(results)
    assert all(s.signals > 0 for s in stats)
    for s, r in zip(stats, results.runs, strict=True):
        assert s.signals - 1 <= s.tool_changes <= s.signals  # a change may be under way at the end
        minutes = r.stations[0].state_minutes.sum(axis=0)[TOOL_CHANGE]
        assert s.tool_changes * change <= minutes <= (s.tool_changes + 1) * change
    share = results.stations["share_tool_change"].to_numpy(dtype=float)
    assert np.all(share > 0)
    per_rep = [s.produced / s.signals for s in stats]
    exact = ewma_arl_drift(lam, L, drift / IN_CONTROL_SD)
    assert_in(t_interval(per_rep), exact, max_rel_half_width=0.05, what="EWMA run length under drift")
    print(f"\nEWMA on drift {drift}/part: run length {t_interval(per_rep)} vs {exact:.2f}; "
          f"share_tool_change {share.mean():.4f}")


# ------------------------------------------------------------------ gauge error at inspection

GAUGE = {"bias": 0.5, "sigma": 1.0, "measurement_sigma": 0.5, "lsl": -2.5, "usl": 2.5}


def test_inline_inspection_false_rejects_and_escapes_match_the_bivariate_normal():
    """Each part is an independent (X, M) draw, so the counts are binomial: pooled Clopper-Pearson
    intervals for P(reject | conforming), P(defective | accepted) and P(reject)."""
    g = GAUGE
    station = quality_station(**g, inspection={"where": "inline", "action": "scrap"})
    results = run(make_line([station], horizon=parts_horizon(20_000)), 8)
    exact = gauge_rates(g["bias"], g["sigma"], g["measurement_sigma"], g["lsl"], g["usl"])
    runs = results.runs
    false_rejects = binomial_interval(sum(r.inspection.false_rejects for r in runs),
                                      sum(r.inspection.inspected_conforming for r in runs))
    escapes = binomial_interval(sum(r.escaped for r in runs), sum(r.departed for r in runs))
    scrap = binomial_interval(sum(r.scrapped for r in runs), sum(r.departed + r.scrapped for r in runs))
    assert_in(false_rejects, exact.false_reject, max_rel_half_width=0.12, what="false-reject rate")
    assert_in(escapes, exact.escaped, max_rel_half_width=0.15, what="escape rate")
    assert_in(scrap, exact.rejected, max_rel_half_width=0.08, what="scrap rate")
    # the KPIs are these ratios, per replication
    for r, (_, row) in zip(runs, results.kpis.iterrows(), strict=True):
        assert math.isclose(row["false_reject_rate"],
                            r.inspection.false_rejects / r.inspection.inspected_conforming)
        assert math.isclose(row["escaped_ppm"], r.escaped / r.departed * 1e6)
        assert math.isclose(row["scrap_rate"], r.scrapped / (r.departed + r.scrapped))
        assert r.inspection.inspected_conforming + r.inspection.inspected_defective == \
            r.departed + r.scrapped
    print(f"\ngauge: false reject {false_rejects} vs {exact.false_reject:.5f}; "
          f"escaped {escapes} vs {exact.escaped:.5f}; scrap {scrap} vs {exact.rejected:.5f}")


def test_without_gauge_error_inspection_sorts_exactly_on_the_true_deviation():
    """The per-part log: a part is rejected if and only if its deviation is out of spec."""
    station = quality_station(sigma=1.0, lsl=-1.5, usl=2.0, drift_per_part=0.002, tool_life=500,
                              inspection={"where": "inline", "action": "scrap"})
    line = make_line([station], horizon=parts_horizon(5_000))
    log: list = []
    stats = simulate(line, 0, seed=SEED, log=log)
    assert len(log) == 5_000
    outside = [not -1.5 <= record[5] <= 2.0 for record in log]  # PartRecord: deviation, outcome
    rejected = [record[6] == "rejected" for record in log]
    assert outside == rejected
    assert stats.scrapped == sum(rejected) > 0 and stats.escaped == 0


# ------------------------------------------------------------------ rework loop and Little's law

REWORK_P = normal_defect_fraction(0.0, 1.0, -1.0, 1.0)  # 0.3173: P(a visit is out of spec)


@pytest.mark.parametrize("max_reworks", [100, 2])
def test_rework_loop_visits_and_littles_law(max_reworks):
    """Rejected parts go back to the same station with no gauge error, so a visit fails with
    probability p independently: visits are geometric, truncated after max_reworks reworks (then the
    part is scrapped): E[visits] = (1 − p^(m+1)) / (1 − p), scrap fraction p^(m+1). With m = 100
    this is 1/(1 − p). Poisson arrivals and exponential cycles make the station queue, and Little's
    law WIP = exit rate × time in line must hold counting scrapped parts as exits."""
    p, m = REWORK_P, max_reworks
    station = quality_station(sigma=1.0, lsl=-1.0, usl=1.0,
                              inspection={"where": "inline", "action": "rework", "to": "Cell",
                                          "max_reworks": m})
    station["process"] = {"dist": "exponential", "mean": 1.0}
    line = make_line([station], horizon=15_500, warmup=500,
                     source={"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": 2.0}})
    results = run(line, 6)
    runs = results.runs
    left = np.array([r.departed + r.scrapped for r in runs], dtype=float)
    visits = np.array([r.stations[0].completed for r in runs]) / left
    exact_visits = (1 - p ** (m + 1)) / (1 - p)
    if m == 100:
        assert math.isclose(exact_visits, 1 / (1 - p))
    assert_in(t_interval(visits), exact_visits, max_rel_half_width=0.02, what="mean visits")
    assert_in(t_interval(kpi(results, "first_pass_yield")), 1 - p, max_rel_half_width=0.03,
              what="first-pass yield")
    if m == 2:
        assert_in(t_interval(kpi(results, "scrap_rate")), p**3, max_rel_half_width=0.25,
                  what="scrap after 2 reworks")
    else:
        assert all(r.scrapped == 0 for r in runs)
    assert all(r.escaped == 0 for r in runs)  # no gauge error: nothing bad is shipped

    observed = line.observed_minutes
    wip = np.array([r.wip_area for r in runs]) / observed
    exit_rate = left / observed
    time_in_line = np.array([r.lead_time_sum + r.scrap_lead_time_sum for r in runs]) / left
    little = wip / (exit_rate * time_in_line)
    assert_in(t_interval(little), 1.0, max_rel_half_width=0.02, what="Little's law")
    print(f"\nrework max {m}: visits {t_interval(visits)} vs {exact_visits:.4f}; "
          f"L/(λW) {t_interval(little)}")


# ------------------------------------------------------------------ control policies compared

CONTROL_PROCESS = {"sigma": 1.0, "measurement_sigma": 0.3, "drift_per_part": 0.02, "tool_life": 300,
                   "tool_change": 5.0, "lsl": -4.0, "usl": 4.0}
POLICIES = {
    "none": {"policy": "none"},
    "spc": {"policy": "spc", "chart": "shewhart", "k": 3.0},
    "closed_loop": {"policy": "closed_loop", "gain": 0.3},
}


def test_closed_loop_beats_spc_beats_no_control_on_a_drifting_process():
    """Same seed and replications, so every policy sees the same noise and gauge draws (common
    random numbers): the paired differences of Cpk get 99 % t-intervals that must lie above 0."""
    cpks = {}
    for name, control in POLICIES.items():
        station = quality_station(**CONTROL_PROCESS, control=control)
        cpks[name] = kpi(run(make_line([station], horizon=10_000), 6), "cpk")
    closed_vs_spc = t_interval(cpks["closed_loop"] - cpks["spc"])
    spc_vs_none = t_interval(cpks["spc"] - cpks["none"])
    print("\nCpk on a drifting process (drift 0.02 sd/part, tool life 300):")
    for name, values in cpks.items():
        print(f"  {name:12s} {t_interval(values)}")
    print(f"  closed_loop − spc {closed_vs_spc}\n  spc − none {spc_vs_none}")
    assert closed_vs_spc.low > 0, f"closed loop not above SPC: {closed_vs_spc}"
    assert spc_vs_none.low > 0, f"SPC not above no control: {spc_vs_none}"
    assert np.all(cpks["closed_loop"] >= cpks["spc"]) and np.all(cpks["spc"] >= cpks["none"])


# ------------------------------------------------------------------ conservation on a busy line

SOURCES = {
    "saturated": {"kind": "saturated"},
    "arrivals": {"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": 1.6}},
    "conwip": {"kind": "conwip", "wip_cap": 8},
}


@pytest.mark.parametrize("source", list(SOURCES))
def test_parts_are_conserved_through_rework_scrap_failures_and_inspection(source):
    """Released = shipped + scrapped + still in the line, with every kind of exit at once: inline
    rework (SPC station), sampling inspection sending parts back two stations, an unreliable
    station, end-of-line scrap with gauge error, and a warm-up cut."""
    first = quality_station("Turn", sigma=1.0, lsl=-2.0, usl=2.0, drift_per_part=0.01, tool_life=150,
                            tool_change=4.0, measurement_sigma=0.3,
                            control={"policy": "spc", "chart": "ewma"},
                            inspection={"where": "inline", "action": "rework", "to": "Turn",
                                        "max_reworks": 1})
    first["process"] = {"dist": "exponential", "mean": 1.0}
    mill = quality_station("Mill", sigma=0.5, lsl=-1.0, usl=1.0, control={"policy": "closed_loop"},
                           measurement_sigma=0.2,
                           inspection={"where": "sampling", "fraction": 0.3, "action": "rework",
                                       "to": "Turn", "max_reworks": 2})
    mill.update(buffer=3, process={"dist": "gamma", "mean": 1.1, "cv": 0.5},
                failures={"mtbf": {"dist": "exponential", "mean": 100.0},
                          "mttr": {"dist": "lognormal", "mean": 8.0, "cv": 1.0}})
    grind = quality_station("Grind", sigma=0.3, bias=0.2, lsl=-0.8, usl=0.8, measurement_sigma=0.1,
                            inspection={"where": "end_of_line", "action": "scrap"})
    grind.update(buffer=2, process={"dist": "lognormal", "mean": 1.0, "cv": 0.3})
    line = make_line([first, mill, grind], horizon=3_000, warmup=200, source=SOURCES[source])
    results = run(line, 5)  # run() checks conservation
    runs = results.runs
    assert all(r.scrapped > 0 and r.reworks > 0 and r.escaped > 0 for r in runs)
    assert all(r.stations[1].failures > 0 for r in runs)
    if source == "conwip":
        assert all(r.wip_end == 8 for r in runs)
