"""The fast engine on lines with parallel machines (the event kernel): the same numbers as the
SimPy engine, part by part and machine by machine, and the features it leaves to SimPy.

Parts overtake one another at a station of several machines, so these lines run on
`twin.engine.fast_events`, which replays the SimPy engine's order of events (the longest-idle
machine takes the next part, the longest-blocked one hands on first, the machines waiting for a
shift start in the order they began to wait, events of one instant in the order they were
scheduled). Every start, end, departure and machine index of the per-part log and
every field of `RunStats` (state minutes per machine) must agree to 1e-9.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import assert_covers, make_line, per_minute
from fast_lines import (
    QUALITY,
    TWO_SHIFTS,
    assert_case_agrees,
    assert_close,
    assert_engines_agree,
    exponential,
    fast_lines,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.engine import choose_engine, fast_scope_problem
from twin.engine.fast import simulate_fast
from twin.engine.fast_events import simulate_parallel
from twin.engine.scope import events_state_problem
from twin.errors import ConfigError
from twin.theory import erlang_c

MIX = {"products": [{"name": "x", "share": 2, "lot_size": 5}, {"name": "y", "share": 1, "lot_size": 3}]}

FIXED_CASES = {
    "saturated-finite-buffers": (
        [{"name": "a", "machines": 2, "buffer": 2, "process": exponential(2.0)},
         {"name": "b", "machines": 3, "buffer": 1, "process": {"dist": "gamma", "mean": 2.5, "cv": 0.5}},
         {"name": "c", "buffer": 0, "process": {"dist": "weibull", "mean": 0.9, "shape": 2.0}}], {}),
    "deterministic-ties": (
        [{"name": "a", "machines": 2, "process": 2.0},
         {"name": "b", "machines": 3, "buffer": 0, "process": 3.0},
         {"name": "c", "buffer": 1, "process": 1.0}], {"warmup": 100.0, "horizon": 600.0}),
    "arrivals-buffer-0": (
        [{"name": "a", "machines": 3, "buffer": 1, "process": {"dist": "lognormal", "mean": 2.5, "cv": 0.8}},
         {"name": "b", "machines": 2, "buffer": 0,
          "process": {"dist": "triangular", "min": 0.5, "mode": 1, "max": 1.5}}],
        {"source": {"kind": "arrivals", "interarrival": exponential(0.9)}}),
    "arrivals-deterministic-backlog": (
        [{"name": "a", "machines": 2, "buffer": 0, "process": 2.0},
         {"name": "b", "machines": 2, "process": 2.0}],
        {"source": {"kind": "arrivals", "interarrival": 0.9}}),
    "arrivals-unbounded-growing": (
        [{"name": "a", "machines": 2, "process": exponential(2.2)},
         {"name": "b", "machines": 2, "process": exponential(2.1)}],
        {"source": {"kind": "arrivals", "interarrival": exponential(1.0)}}),
    "conwip": (
        [{"name": "a", "machines": 2, "buffer": 2, "process": {"dist": "uniform", "min": 0.5, "max": 1.5}},
         {"name": "b", "machines": 2, "buffer": 1, "process": {"dist": "empirical", "values": [0.5, 1, 2]}}],
        {"source": {"kind": "conwip", "wip_cap": 6}}),
    "conwip-buffer-0-ties": (
        [{"name": "a", "machines": 2, "buffer": 0, "process": 1.0},
         {"name": "b", "machines": 2, "buffer": 0, "process": {"dist": "trace", "values": [1, 2, 1.5]}}],
        {"source": {"kind": "conwip", "wip_cap": 7}}),
    "failures-and-preventive-maintenance": (
        [{"name": "a", "machines": 2, "buffer": 3, "process": exponential(1.5),
          "failures": {"mtbf": exponential(30.0), "mttr": {"dist": "gamma", "mean": 4.0, "cv": 0.7}},
          "maintenance": {"policy": "preventive", "interval": 120, "duration": 10}},
         {"name": "b", "machines": 2, "buffer": 0, "process": {"dist": "normal", "mean": 1.4, "cv": 0.5},
          "failures": {"mtbf": 50.0, "mttr": 3.0}}], {}),
    "product-mix-setups": (
        [{"name": "a", "machines": 2, "buffer": 2, "process": exponential(1.6), "setup": 5.0,
          "setup_pairs": [{"from": "x", "to": "y", "time": exponential(8.0)}],
          "process_by_product": {"y": {"dist": "gamma", "mean": 1.5, "cv": 0.4}}},
         {"name": "b", "machines": 3, "buffer": 1, "process": exponential(2.0), "setup": exponential(2.0)}],
        MIX),
    "scrap-inline-sampling-end-of-line": (
        [{"name": "a", "machines": 2, "buffer": 2, "process": exponential(1.8),
          "quality": {**QUALITY, "tool_life": 80, "tool_change": 6,
                      "control": {"policy": "spc", "chart": "ewma"}},
          "inspection": {"where": "inline"}},
         {"name": "b", "machines": 2, "buffer": 2, "process": exponential(1.7),
          "quality": {**QUALITY, "bias": 0.05, "control": {"policy": "closed_loop", "gain": 0.4}},
          "inspection": {"where": "sampling", "fraction": 0.5}},
         {"name": "c", "machines": 2, "process": exponential(1.5),
          "quality": {**QUALITY, "bias": 0.06, "control": {"policy": "spc", "chart": "shewhart", "k": 2.0},
                      "tool_change": 3},
          "inspection": {"where": "end_of_line"}}], {}),
    "conwip-scrap": (
        [{"name": "a", "machines": 2, "buffer": 1, "process": exponential(1.8),
          "quality": {**QUALITY, "bias": 0.06, "tool_life": 40}, "inspection": {"where": "inline"}},
         {"name": "b", "buffer": 0, "process": exponential(0.9),
          "quality": {**QUALITY, "bias": -0.05, "tool_life": 40}, "inspection": {"where": "end_of_line"}}],
        {"source": {"kind": "conwip", "wip_cap": 5}}),
    "conwip-scrap-single-machines": (
        [{"name": "a", "buffer": 1, "process": exponential(0.9),
          "quality": {**QUALITY, "bias": 0.06, "tool_life": 40},
          "inspection": {"where": "sampling", "fraction": 0.5}},
         {"name": "b", "buffer": 0, "process": 1.0,
          "quality": {**QUALITY, "bias": -0.05, "tool_life": 40}, "inspection": {"where": "end_of_line"}}],
        {"source": {"kind": "conwip", "wip_cap": 3}}),
    "shifts-pause-and-resume": (
        [{"name": "a", "machines": 2, "buffer": 2, "process": exponential(40.0),
          "failures": {"mtbf": exponential(90.0), "mttr": exponential(30.0)},
          "maintenance": {"policy": "preventive", "interval": 200, "duration": 45}},
         {"name": "b", "machines": 3, "buffer": 0, "process": {"dist": "gamma", "mean": 50.0, "cv": 0.5}}],
        {"calendar": TWO_SHIFTS, "horizon": 8_000.0,
         "source": {"kind": "arrivals", "interarrival": exponential(20.0)}}),
    "shifts-deterministic-ties-and-setups": (
        [{"name": "a", "machines": 2, "buffer": 1, "process": 4.0, "setup": 7.0,
          "quality": {**QUALITY, "tool_life": 40, "tool_change": 10}},
         {"name": "b", "machines": 2, "buffer": 0, "process": 8.0, "setup": exponential(5.0)}],
        {"calendar": TWO_SHIFTS, "horizon": 5_000.0, **MIX}),
}


@pytest.mark.parametrize("case", list(FIXED_CASES))
def test_parallel_machines_agree_with_simpy_part_by_part(case):
    line, logs = assert_case_agrees(*FIXED_CASES[case])
    for log in logs:
        machines = {(record[1], record[7]) for record in log}
        assert len(machines) == sum(spec.machines for spec in line.stations), "every machine works"


def test_full_rings_run_the_replication_again_and_many_failures_need_no_second_run(monkeypatch):
    """A backlog that outgrows the first rings (an unbounded buffer behind an overloaded station)
    makes the kernel stop; the replication is run again with larger rings, and the result is still
    the SimPy engine's. A part with more failures than the serial kernel's margin of draws (about
    150 in 30 minutes) needs no second run here: each failure and repair is an event of its own, and
    the draw table is refilled between events."""
    import twin.engine.fast_events as events

    attempts: list[tuple[int, int, int]] = []
    run = events._run

    def spy(*args):
        status, stats = run(*args)
        attempts.append((args[-2], args[-1], status))
        return status, stats

    monkeypatch.setattr(events, "_run", spy)
    growing = make_line([{"name": "a", "machines": 2, "process": exponential(2.4)}],
                        source={"kind": "arrivals", "interarrival": exponential(1.0)}, horizon=3000.0)
    stats, _ = assert_engines_agree(growing)
    assert [a[1] for a in attempts] == [events.RING, 4 * events.RING, 16 * events.RING]
    assert stats.stations[0].buffer_area / 3000.0 > 4 * events.RING
    attempts.clear()
    failing = make_line([{"name": "a", "machines": 2, "process": 30.0,
                          "failures": {"mtbf": exponential(0.2), "mttr": 0.01}},
                         {"name": "b", "buffer": 0, "process": exponential(1.0)}], horizon=1500.0)
    stats, _ = assert_engines_agree(failing)
    assert attempts == [(events.MARGIN, events.RING, 0)]
    assert stats.stations[0].failures > 10_000


@st.composite
def parallel_lines(draw: st.DrawFn) -> twin.Line:
    """A line of `fast_lines` (every source, buffer, distribution, failures, maintenance, setups,
    tool wear, control, scrap and shifts) with 1 to 3 machines per station (2 or more at one at
    least), and under CONWIP scrap at a station that shapes a characteristic, now and then."""
    line = draw(fast_lines(calendar_failures=False))  # (parallel machines: SimPy)
    counts = draw(st.lists(st.integers(1, 3), min_size=len(line.stations), max_size=len(line.stations)))
    if max(counts) == 1:
        counts[draw(st.integers(0, len(counts) - 1))] = 2
    line = with_machines(line, counts)
    if line.source.kind == "conwip" and draw(st.booleans()):
        inspection = {"where": draw(st.sampled_from(["inline", "sampling", "end_of_line"])), "fraction": 0.5}
        stations = [{**spec.model_dump(by_alias=True), "inspection": inspection}
                    if spec.quality is not None else spec.model_dump(by_alias=True) for spec in line.stations]
        line = twin.Line.model_validate({**line.model_dump(by_alias=True, exclude={"stations"}),
                                         "stations": stations})
    return line


def with_machines(line: twin.Line, counts: list[int]) -> twin.Line:
    """`line` with `counts[j]` machines at station j."""
    stations = [{**spec.model_dump(by_alias=True), "machines": c}
                for spec, c in zip(line.stations, counts, strict=True)]
    return twin.Line.model_validate({**line.model_dump(by_alias=True, exclude={"stations"}),
                                     "stations": stations})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=parallel_lines())
def test_parallel_machines_agree_with_simpy_on_generated_lines(line):
    """Each generated line runs on the event kernel (one row of state minutes per machine)."""
    assert fast_scope_problem(line) is None and choose_engine(line) == "fast"
    stats, _ = assert_engines_agree(line)
    assert [s.state_minutes.shape[0] for s in stats.stations] == [s.machines for s in line.stations]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines(calendar_failures=False))
def test_the_event_kernel_gives_the_recursions_numbers_on_single_machines(line):
    """On a line of single machines both fast kernels run: the recursion (`fast_kernel`) and the
    replayed events (`fast_events_kernel`) agree on every field and every record of the log."""
    line = with_machines(line, [1] * len(line.stations))
    log_recursion: list = []
    log_events: list = []
    recursion = simulate_fast(line, 0, log=log_recursion)
    assert_close(recursion, simulate_parallel(line, 0, line.seed, log_events))
    assert_close(log_recursion, log_events, "log")


# --- what stays on SimPy with parallel machines ----------------------------------------------------

PARALLEL_OUT_OF_SCOPE = {
    "crew": ({"failures": {"mtbf": 50.0, "mttr": 5.0}}, {"maintenance_crew": 1},
             "stations[1]: a limited maintenance_crew needs the SimPy engine"),
    "operators": ({"operator": {}}, {"operators": {"count": 1}},
                  "stations[1].operator: the operator pool needs the SimPy engine"),
    "calendar-failures": ({"failures": {"mtbf": {"dist": "exponential", "mean": 50.0}, "mttr": 5.0,
                                        "mode": "calendar"}}, {},
                          "stations[1].failures: failures on the calendar clock on a line with parallel "
                          "machines (or scrap under CONWIP) need the SimPy engine"),
    "rework": ({"quality": QUALITY, "inspection": {"where": "inline", "action": "rework", "to": "a"}}, {},
               "stations[1].inspection: rework sends parts back and needs the SimPy engine"),
}


@pytest.mark.parametrize("case", list(PARALLEL_OUT_OF_SCOPE))
def test_what_couples_machines_or_sends_parts_back_stays_on_simpy_with_parallel_machines(case):
    feature, settings_, message = PARALLEL_OUT_OF_SCOPE[case]
    line = make_line([{"name": "a", "process": 1.0},
                      {"name": "b", "machines": 2, "process": 2.0, **feature}], horizon=300.0, **settings_)
    assert fast_scope_problem(line) == message
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        choose_engine(line, "fast")
    assert choose_engine(line, "auto") == "simpy"
    assert twin.run(line, replications=1, workers=1).engine == "simpy"


def test_a_run_from_a_non_empty_state_is_refused_by_the_event_kernel_never_ignored():
    from twin.engine.start import RunningLine

    line = make_line([{"name": "a", "machines": 2, "buffer": 2, "process": exponential(2.0)},
                      {"name": "b", "process": exponential(1.0)}], horizon=300.0)
    running = RunningLine(line)
    running.advance(50.0)
    state = running.state()
    assert not state.is_empty()
    message = events_state_problem(line, state)
    assert message is not None and message.startswith("initial_state: a run from a non-empty line state")
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        simulate_parallel(line, 0, line.seed, None, state)
    assert choose_engine(line, "auto", state) == "simpy"
    assert events_state_problem(line, None) is None


# --- the exact oracle: M/M/c on the fast engine ---------------------------------------------------

def test_mmc_erlang_c_on_the_fast_engine():
    """M/M/3, λ = 2.25, μ = 1 (ρ = 0.75): W = C(3, a)/(cμ − λ) + 1/μ = 1.757 (Erlang C), L = λW."""
    rate, mean, servers = 2.25, 1.0, 3
    line = make_line([{"name": "server", "machines": servers, "process": exponential(mean)}],
                     source={"kind": "arrivals", "interarrival": exponential(1 / rate)},
                     horizon=21_000, warmup=1_000)
    results = twin.run(line, replications=20, seed=20240611, workers=1, engine="fast")
    assert results.engine == "fast"
    lead_time = erlang_c(servers, rate * mean) / (servers / mean - rate) + mean
    assert lead_time == pytest.approx(1.757, abs=1e-3)
    assert_covers(per_minute(results, "lead_time_min"), lead_time, max_rel_half_width=0.04, what="W")
    assert_covers(per_minute(results, "wip"), rate * lead_time, max_rel_half_width=0.04, what="L = λW")
    assert_covers(per_minute(results, "throughput_per_hour"), rate, max_rel_half_width=0.01, what="λ")


# --- the CLI ---------------------------------------------------------------------------------------

def test_engine_fast_on_a_parallel_line_says_fast_and_gives_simpys_kpis(tmp_path):
    path = tmp_path / "parallel.yaml"
    path.write_text("stations:\n"
                    "  - {name: a, machines: 2, buffer: 2, process: {dist: exponential, mean: 2}}\n"
                    "  - {name: b, machines: 3, buffer: 0, process: {dist: gamma, mean: 2.5, cv: 0.5},\n"
                    "     failures: {mtbf: {dist: exponential, mean: 60}, mttr: 4}}\n")
    short = ["--replications", "2", "--horizon", "1d", "--warmup", "1h", "--workers", "1", "--format", "json"]
    documents = {}
    for engine in ("fast", "simpy"):
        result = CliRunner().invoke(app, ["run", str(path), *short, "--engine", engine])
        assert result.exit_code == 0, result.output
        documents[engine] = json.loads(result.stdout)
    assert documents["fast"]["engine"] == "fast" and documents["simpy"]["engine"] == "simpy"
    assert_close({k: v for k, v in documents["fast"].items() if k != "engine"},
                 {k: v for k, v in documents["simpy"].items() if k != "engine"})

