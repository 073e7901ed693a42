"""Lines inside the fast engine's scope, drawn by hypothesis, and a part-by-part comparison of the
two engines on them (shared by the agreement tests)."""

from __future__ import annotations

import math
from dataclasses import fields, is_dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

import twin
from twin.engine import choose_engine, simulate
from twin.engine.fast import simulate_fast

REL = 1e-9


def exponential(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


QUALITY = {"characteristic": {"name": "d", "nominal": 10, "lsl": 9.9, "usl": 10.1}, "sigma": 0.03,
           "drift_per_part": 0.0005, "measurement_sigma": 0.01}
"""A drifting characteristic with gauge noise (the fixed cases of both kernels)."""

TWO_SHIFTS = {"shifts": [{"start": "6h", "end": "14h"}, {"start": 870, "end": "22h"}],
              "days_per_week": 5}
"""Two shifts a day, weekends off: parts, setups and repairs cross shift ends and the weekend."""
"""Relative (and absolute, near zero) tolerance of every number the engines are compared on."""

SHAPES = ("deterministic", "exponential", "normal", "lognormal", "gamma", "weibull", "uniform",
          "triangular", "empirical", "trace")


@st.composite
def distributions(draw: st.DrawFn, mean: float) -> Any:
    """Any processing-time distribution about `mean` (including zero-prone and tie-prone ones)."""
    shape = draw(st.sampled_from(SHAPES))
    if shape == "deterministic":
        return mean
    if shape == "exponential":
        return {"dist": shape, "mean": mean}
    if shape == "normal":
        return {"dist": shape, "mean": mean, "cv": draw(st.sampled_from([0.0, 0.2, 0.5]))}
    if shape in ("lognormal", "gamma"):
        return {"dist": shape, "mean": mean, "cv": draw(st.sampled_from([0.0, 0.3, 1.0, 2.0]))}
    if shape == "weibull":
        return {"dist": shape, "mean": mean, "shape": draw(st.sampled_from([0.7, 1.5, 3.0]))}
    if shape == "uniform":
        return {"dist": shape, "min": 0.5 * mean, "max": 1.5 * mean}
    if shape == "triangular":
        return {"dist": shape, "min": 0.5 * mean, "mode": mean, "max": 2 * mean}
    values = draw(st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0]), min_size=1, max_size=6))
    return {"dist": shape, "values": [round(v * mean, 3) for v in values]}


SHIFT_PATTERNS = (
    [{"start": 0, "end": 240}, {"start": 300, "end": 620}, {"start": 700, "end": 1000}],
    [{"start": 90.5, "end": 400}, {"start": 433.3, "end": 1300}],
    [{"start": 0, "end": 100}, {"start": 100, "end": 150}, {"start": 151, "end": 560}],
)
"""Working windows within the first day (the lines run 400 to 1,000 min): shifts from time 0 or
later (machines start off), whole minutes where deterministic parts end at a shift's end, and
back-to-back shifts that merge."""


@st.composite
def fast_lines(draw: st.DrawFn, plain: bool = False, predictive: bool = True,
               calendar_failures: bool = True) -> twin.Line:
    """A line the fast engine runs: every source, buffers 0 to unbounded, every distribution,
    operating-clock failures, preventive or predictive maintenance, product mix with setups and
    setup pairs, tool wear with SPC or closed-loop control, inline, sampling and end-of-line scrap,
    shifts.
    Failures on the calendar clock now and then (with a continuous time between failures:
    `scope.CALENDAR_LIVES`). Without `predictive` or `calendar_failures`, none of
    that kind (the fast engine runs them from the empty line, and on single machines, only).
    With `plain`, only what a plain line has (`fast_layout.is_plain`): sources, buffers,
    distributions and products, with processing times by product."""
    mix = draw(st.booleans())
    products = ([{"name": f"p{i}", "share": draw(st.sampled_from([1, 2])),
                  "lot_size": draw(st.integers(1, 4))} for i in range(draw(st.integers(2, 3)))]
                if mix else [])
    source = draw(st.sampled_from(["saturated", "arrivals", "conwip"]))
    stations = []
    for i in range(draw(st.integers(1, 4))):
        mean = draw(st.sampled_from([0.8, 1.0, 1.3]))
        spec: dict[str, Any] = {"name": f"s{i}", "process": draw(distributions(mean)),
                                "buffer": draw(st.sampled_from([None, 0, 1, 2, 5]))}
        if not plain and draw(st.integers(0, 3)) == 0:
            spec["failures"] = {"mtbf": draw(distributions(draw(st.sampled_from([20.0, 60.0])))),
                                "mttr": draw(distributions(draw(st.sampled_from([2.0, 5.0]))))}
        if not plain and predictive and "failures" in spec and draw(st.integers(0, 2)) == 0:
            spec["maintenance"] = {"policy": "predictive", "recall": draw(st.sampled_from([0.0, 0.7, 1.0])),
                                   "lead_time": draw(st.sampled_from([0.0, 10.0, 30.0])),
                                   "planned_repair_factor": draw(st.sampled_from([0.5, 1.0])),
                                   "false_alarms_per_week": draw(st.sampled_from([0.0, 50.0, 500.0]))}
        elif not plain and draw(st.integers(0, 3)) == 0:
            spec["maintenance"] = {"policy": "preventive", "interval": draw(st.sampled_from([30, 100])),
                                   "duration": draw(distributions(4.0))}
        if not plain and mix and draw(st.booleans()):
            spec["setup"] = draw(distributions(3.0))
            if draw(st.booleans()):
                spec["setup_pairs"] = [{"from": "p0", "to": "p1", "time": draw(distributions(6.0))}]
        if mix and draw(st.booleans()):
            spec["process_by_product"] = {"p1": draw(distributions(1.5))}
        if not plain and draw(st.integers(0, 2)) == 0:
            spec["quality"] = {
                "characteristic": {"name": "d", "nominal": 10, "lsl": 9.9, "usl": 10.1},
                "sigma": 0.03, "bias": draw(st.sampled_from([0.0, 0.02])),
                "drift_per_part": draw(st.sampled_from([0.0, 0.001])),
                "tool_life": draw(st.sampled_from([None, 50])), "tool_change": draw(st.sampled_from([0, 5])),
                "measurement_sigma": draw(st.sampled_from([0.0, 0.01])),
                "control": draw(st.sampled_from([
                    {"policy": "none"}, {"policy": "spc", "chart": "shewhart", "k": 2.5},
                    {"policy": "spc", "chart": "ewma"}, {"policy": "closed_loop", "gain": 0.3}])),
            }
            if source != "conwip" and draw(st.booleans()):
                spec["inspection"] = {"where": draw(st.sampled_from(["inline", "sampling", "end_of_line"])),
                                      "fraction": draw(st.sampled_from([0.3, 1.0]))}
        stations.append(spec)
    settings: dict[str, Any] = {
        "stations": stations, "horizon": draw(st.sampled_from([400.0, 777.7, 1000.0])),
        "warmup": draw(st.sampled_from([0.0, 50.0, 100.5])), "seed": draw(st.integers(0, 1000)),
        "source": {"kind": "saturated"},
    }
    if source == "arrivals":
        settings["source"] = {"kind": "arrivals", "interarrival": draw(distributions(1.6))}
    elif source == "conwip":
        settings["source"] = {"kind": "conwip", "wip_cap": draw(st.integers(1, 8))}
    if not plain and draw(st.integers(0, 2)) == 0:
        settings["calendar"] = {"shifts": draw(st.sampled_from(SHIFT_PATTERNS)), "days_per_week": 7}
    if mix:
        settings["products"] = products
        if draw(st.booleans()):
            settings["release_sequence"] = ["p1", "p0"]
    if calendar_failures and draw(st.booleans()):
        for spec in stations:
            if "failures" in spec and draw(st.booleans()):
                mean = draw(st.sampled_from([15.0, 60.0]))
                spec["failures"] = {**spec["failures"], "mode": "calendar", "mtbf": draw(st.sampled_from([
                    {"dist": "exponential", "mean": mean}, {"dist": "gamma", "mean": mean, "cv": 0.5},
                    {"dist": "weibull", "mean": mean, "shape": 2.0},
                    {"dist": "uniform", "min": 0.2 * mean, "max": 1.8 * mean}]))}
    return twin.Line.model_validate(settings)


def assert_close(a: Any, b: Any, where: str = "run", rel: float = REL) -> None:
    """Two results agree field by field: counts exactly, times and sums to `rel` (0: bit for bit)."""
    if is_dataclass(a) and not isinstance(a, type):
        for f in fields(a):
            assert_close(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}", rel)
    elif isinstance(a, np.ndarray):
        assert a.shape == b.shape, where
        assert np.allclose(a, b, rtol=rel, atol=rel, equal_nan=True), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            assert_close(a[key], b[key], f"{where}[{key!r}]", rel)
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} entries"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]", rel)
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None and (
            math.isclose(a, b, rel_tol=rel, abs_tol=rel) or (math.isnan(a) and math.isnan(b))), (
            f"{where}: {a!r} != {b!r}")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_engines_agree(line: twin.Line, replication: int = 0, initial_state: Any = None
                         ) -> tuple[twin.RunStats, list]:
    """Both engines on the same line and replication (from the same `initial_state`, when given):
    every RunStats field, and every part's start, end and departure at every station (the per-part
    log), to REL."""
    log_simpy: list = []
    log_fast: list = []
    simpy_stats = simulate(line, replication, log=log_simpy, initial_state=initial_state)
    fast_stats = simulate_fast(line, replication, log=log_fast, initial_state=initial_state)
    assert_close(simpy_stats, fast_stats)
    by_key = {(r[0], r[1]): r for r in log_simpy}
    assert len(by_key) == len(log_simpy) == len(log_fast)
    for record in log_fast:
        assert_close(by_key[(record[0], record[1])], record, f"part {record[0]} at station {record[1]}")
    return fast_stats, log_fast


def assert_case_agrees(stations: list[dict[str, Any]], settings: dict[str, Any]) -> tuple[twin.Line, list]:
    """A fixed case (2,000 min, 200 of warm-up unless `settings` say otherwise) runs on the fast
    engine under `auto` and agrees with the SimPy engine in replications 0 and 1, each of which
    ships parts; returns the line and the per-part logs of both replications."""
    line = twin.Line.model_validate({"stations": stations, "horizon": 2_000.0, "warmup": 200.0, **settings})
    assert choose_engine(line) == "fast"
    logs = []
    for replication in (0, 1):
        stats, log = assert_engines_agree(line, replication)
        assert stats.departed > 50 and log, "the case must exercise the line"
        logs.append(log)
    return line, logs
