"""The fast max-plus engine: the same numbers as the SimPy engine, part by part, and the choice of
engine (scope check, `--engine`, the JSON `engine` field).

Agreement is exact up to rounding: both engines draw every random number from the same keyed
streams in the same order, so every start, end and departure of every part, every state minute and
every counter of `RunStats` must agree to 1e-9 on any line in the fast engine's scope.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import make_line
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
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.engine import choose_engine, fast_scope_problem
from twin.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = str(ROOT / "configs" / "reference_line.yaml")


FIXED_CASES = {
    "reference": ([{"name": f"s{i}", "buffer": 5, "process": exponential(m)}
                   for i, m in enumerate([1.0, 1.1, 0.9, 1.2, 1.0])], {}),
    "buffers-0-and-unbounded": (
        [{"name": "a", "process": exponential(1.0)},
         {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 1.1, "cv": 0.5}},
         {"name": "c", "process": {"dist": "weibull", "mean": 0.9, "shape": 2.0}}], {}),
    "arrivals-backlog": ([{"name": "a", "buffer": 1,
                           "process": {"dist": "lognormal", "mean": 1.2, "cv": 0.8}},
                          {"name": "b", "buffer": 0, "process": {"dist": "triangular", "min": 0.5, "mode": 1,
                                                                  "max": 1.5}}],
                         {"source": {"kind": "arrivals", "interarrival": exponential(1.0)}}),
    "conwip": ([{"name": "a", "buffer": 2, "process": {"dist": "uniform", "min": 0.5, "max": 1.5}},
                {"name": "b", "buffer": 1, "process": {"dist": "empirical", "values": [0.5, 1, 2]}}],
               {"source": {"kind": "conwip", "wip_cap": 4}}),
    "deterministic-ties": ([{"name": "a", "process": 1.0}, {"name": "b", "buffer": 0, "process": 1.0},
                            {"name": "c", "buffer": 1, "process": 2.0}], {"warmup": 100.0, "horizon": 600.0}),
    "failures-and-preventive-maintenance": (
        [{"name": "a", "buffer": 3, "process": exponential(1.0),
          "failures": {"mtbf": exponential(30.0), "mttr": {"dist": "gamma", "mean": 4.0, "cv": 0.7}},
          "maintenance": {"policy": "preventive", "interval": 120, "duration": 10}},
         {"name": "b", "buffer": 0, "process": {"dist": "normal", "mean": 0.9, "cv": 0.5},
          "failures": {"mtbf": {"dist": "weibull", "mean": 50.0, "shape": 1.5}, "mttr": 3.0}}], {}),
    "product-mix-setups": (
        [{"name": "a", "buffer": 2, "process": exponential(1.0), "setup": 5.0,
          "setup_pairs": [{"from": "x", "to": "y", "time": exponential(8.0)}],
          "process_by_product": {"y": {"dist": "gamma", "mean": 1.5, "cv": 0.4}}},
         {"name": "b", "buffer": 1, "process": exponential(0.8), "setup": exponential(2.0)}],
        {"products": [{"name": "x", "share": 2, "lot_size": 5}, {"name": "y", "share": 1, "lot_size": 3}]}),
    "inline-scrap-spc": (
        [{"name": "a", "buffer": 2, "process": exponential(1.0),
          "quality": {**QUALITY, "tool_life": 80, "tool_change": 6,
                      "control": {"policy": "spc", "chart": "ewma"}},
          "inspection": {"where": "inline"}},
         {"name": "b", "buffer": 2, "process": exponential(0.9),
          "quality": {**QUALITY, "bias": 0.05, "control": {"policy": "closed_loop", "gain": 0.4}},
          "inspection": {"where": "sampling", "fraction": 0.5}}], {}),
    "end-of-line-scrap": (
        [{"name": "a", "buffer": 1, "process": exponential(1.0),
          "quality": {**QUALITY, "bias": 0.06, "control": {"policy": "spc", "chart": "shewhart", "k": 2.0},
                      "tool_change": 3}, "inspection": {"where": "end_of_line"}},
         {"name": "b", "buffer": 0, "process": exponential(1.0)}], {}),
    "shifts-pause-and-resume": (
        [{"name": "a", "buffer": 2, "process": exponential(20.0),
          "failures": {"mtbf": exponential(90.0), "mttr": exponential(30.0)},
          "maintenance": {"policy": "preventive", "interval": 200, "duration": 45}},
         {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 18.0, "cv": 0.5}}],
        {"calendar": TWO_SHIFTS, "horizon": 8_000.0, "source": {"kind": "arrivals",
                                                                 "interarrival": exponential(25.0)}}),
    "predictive-maintenance": (
        [{"name": "a", "buffer": 2, "process": exponential(1.0),
          "failures": {"mtbf": exponential(40.0), "mttr": {"dist": "gamma", "mean": 6.0, "cv": 0.6}},
          "maintenance": {"policy": "predictive", "recall": 0.8, "lead_time": 15,
                          "false_alarms_per_week": 300}},
         {"name": "b", "buffer": 0, "process": exponential(0.9),
          "failures": {"mtbf": {"dist": "weibull", "mean": 60.0, "shape": 2.0}, "mttr": 4.0},
          "maintenance": {"policy": "predictive", "recall": 1.0, "lead_time": 0,
                          "planned_repair_factor": 1.0, "false_alarms_per_week": 0}}], {"horizon": 3_000.0}),
    "predictive-maintenance-deterministic-ties-and-shifts": (
        # whole minutes: lives exactly as long as the lead time (seen coming: `>=`, as the SimPy
        # engine compares), failures at a part's end or a shift's; frequent false alarms
        [{"name": "a", "buffer": 1, "process": 2.0,
          "failures": {"mtbf": {"dist": "empirical", "values": [10, 20, 40]}, "mttr": 5.0},
          "maintenance": {"policy": "predictive", "recall": 0.5, "lead_time": 20,
                          "false_alarms_per_week": 1008}},
         {"name": "b", "buffer": 0, "process": 3.0, "failures": {"mtbf": 30.0, "mttr": 2.0},
          "maintenance": {"policy": "predictive", "recall": 1.0, "lead_time": 30}}],
        {"calendar": TWO_SHIFTS, "horizon": 4_000.0}),
    "calendar-failures": (
        # failures strike busy, starved (before a station of no buffer too) and blocked machines;
        # one due in a tool change or a preventive maintenance strikes when that is over
        [{"name": "a", "buffer": 2, "process": exponential(1.0),
          "failures": {"mtbf": exponential(25.0), "mttr": {"dist": "gamma", "mean": 4.0, "cv": 0.7},
                       "mode": "calendar"},
          "maintenance": {"policy": "preventive", "interval": 40, "duration": 6.0},
          "quality": {**QUALITY, "tool_life": 30, "tool_change": 5}},
         {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 1.2, "cv": 0.5},
          "failures": {"mtbf": {"dist": "weibull", "mean": 40.0, "shape": 1.5}, "mttr": 3.0,
                       "mode": "calendar"}},
         {"name": "c", "buffer": 1, "process": 1.3,
          "failures": {"mtbf": {"dist": "uniform", "min": 10, "max": 50}, "mttr": exponential(8.0),
                       "mode": "calendar"}}], {"horizon": 4_000.0}),
    "calendar-failures-arrivals-and-setups": (
        [{"name": "a", "buffer": 0, "process": exponential(1.0), "setup": exponential(4.0),
          "failures": {"mtbf": {"dist": "triangular", "min": 5, "mode": 20, "max": 60},
                       "mttr": exponential(2.0), "mode": "calendar"}},
         {"name": "b", "buffer": None, "process": exponential(0.8),
          "failures": {"mtbf": {"dist": "lognormal", "mean": 30.0, "cv": 0.8}, "mttr": 5.0,
                       "mode": "calendar"}}],
        {"source": {"kind": "arrivals", "interarrival": exponential(1.4)}, "horizon": 3_000.0,
         "products": [{"name": "x", "share": 2, "lot_size": 4}, {"name": "y", "share": 1, "lot_size": 2}]}),
    "calendar-failures-and-shifts": (
        # failures strike off shift too (repaired at once), and cut parts and changeovers that
        # pause over a shift's end; one due in a stretch of a changeover strikes when it is over
        [{"name": "a", "buffer": 1, "process": exponential(8.0), "setup": exponential(30.0),
          "failures": {"mtbf": exponential(70.0), "mttr": exponential(15.0), "mode": "calendar"}},
         {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 9.0, "cv": 0.5},
          "failures": {"mtbf": {"dist": "weibull", "mean": 90.0, "shape": 1.5}, "mttr": 6.0,
                       "mode": "calendar"},
          "quality": {**QUALITY, "tool_life": 15, "tool_change": 20},
          "maintenance": {"policy": "preventive", "interval": 100, "duration": 25}}],
        {"calendar": TWO_SHIFTS, "horizon": 6_000.0,
         "products": [{"name": "x", "share": 2, "lot_size": 5}, {"name": "y", "share": 1, "lot_size": 3}]}),
    "calendar-failures-and-predictive-maintenance": (
        # the monitor sees calendar failures coming too; false alarms, and a failure due in one
        # strikes when it is over
        [{"name": "a", "buffer": 2, "process": exponential(1.0),
          "failures": {"mtbf": exponential(30.0), "mttr": exponential(6.0), "mode": "calendar"},
          "maintenance": {"policy": "predictive", "recall": 0.8, "lead_time": 10,
                          "false_alarms_per_week": 400}},
         {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 1.1, "cv": 0.5},
          "failures": {"mtbf": {"dist": "weibull", "mean": 45.0, "shape": 2.0}, "mttr": 4.0,
                       "mode": "calendar"},
          "maintenance": {"policy": "predictive", "recall": 1.0, "lead_time": 0,
                          "planned_repair_factor": 1.0}}], {"horizon": 3_000.0}),
    "shifts-deterministic-ties-and-setups": (
        [{"name": "a", "buffer": 1, "process": 2.0, "setup": 7.0,
          "quality": {**QUALITY, "tool_life": 40, "tool_change": 10}},
         {"name": "b", "buffer": 0, "process": 4.0, "setup": exponential(5.0)}],
        {"calendar": TWO_SHIFTS, "horizon": 5_000.0,
         "products": [{"name": "x", "share": 2, "lot_size": 5}, {"name": "y", "share": 1, "lot_size": 3}]}),
}


@pytest.mark.parametrize("case", list(FIXED_CASES))
def test_fast_engine_agrees_with_simpy_part_by_part(case):
    assert_case_agrees(*FIXED_CASES[case])


@pytest.mark.parametrize("case", ["at-the-end", "before-a-station-of-no-buffer"])
def test_calendar_failures_past_the_draw_table_while_a_machine_waits_are_run_again(case):
    """More calendar failures in one wait than a draw table holds (the last idle stretch to the
    horizon; a first station of no buffer waiting for an arrival): the replication is run again
    with a wider table, never cut short, and agrees with the SimPy engine."""
    from twin.engine.fast import table_width

    failures = {"mtbf": exponential(0.5 if case == "at-the-end" else 0.25),
                "mttr": exponential(0.05 if case == "at-the-end" else 0.01), "mode": "calendar"}
    if case == "at-the-end":
        stations = [{"name": "a", "buffer": 2, "process": 100.0, "failures": failures}]
        settings_ = {"source": {"kind": "arrivals", "interarrival": exponential(1e7)}, "horizon": 480.0}
    else:
        stations = [{"name": "a", "buffer": 0, "process": 10.0, "failures": failures}]
        settings_ = {"source": {"kind": "arrivals",
                                "interarrival": {"dist": "trace", "values": [50.0] * 20 + [1400.0]}},
                     "horizon": 3_000.0}
    line = make_line(stations, warmup=0.0, **settings_)
    assert choose_engine(line) == "fast"
    stats, _ = assert_engines_agree(line, 0)
    assert stats.stations[0].failures > table_width(line)


def test_a_part_needing_more_draws_than_the_margin_is_run_again_and_still_agrees(monkeypatch):
    """About 150 failures during each 30-minute part: more failure draws than the draw table keeps
    in reserve per part, so the first pass overruns and the replication is run again with a wider
    margin; the result is still the SimPy engine's."""
    import twin.engine.fast as fast

    margins: list[tuple[int, bool]] = []
    run = fast._run

    def spy(*args):
        stats = run(*args)
        margins.append((args[4], stats is None))  # (line, replication, seed, log, margin, state)
        return stats

    monkeypatch.setattr(fast, "_run", spy)
    line = make_line([{"name": "a", "process": 30.0,
                       "failures": {"mtbf": exponential(0.2), "mttr": 0.01}},
                      {"name": "b", "buffer": 0, "process": exponential(1.0)}], horizon=3000.0, warmup=100.0)
    stats, _ = assert_engines_agree(line)
    assert margins == [(fast.MARGIN, True), (16 * fast.MARGIN, False)]
    assert stats.stations[0].failures > 10_000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines())
def test_fast_engine_agrees_with_simpy_on_generated_lines(line):
    assert fast_scope_problem(line) is None
    assert_engines_agree(line)


def _plan_is_plain(line) -> bool:
    import twin.engine.fast as fast
    from twin.engine.fast_layout import is_plain
    from twin.engine.sampling import Streams

    plan = fast._Plan(line, Streams(line.seed, 0), None)
    return is_plain(plan.cfg_i, plan.st_i)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines(plain=True))
def test_plain_lines_run_on_the_plain_kernel_and_agree_with_simpy(line):
    """Lines without failures, setups, tools, maintenance or shifts run on `run_plain`, the
    general kernel compiled with those features folded away: part by part the SimPy engine's."""
    assert _plan_is_plain(line)
    assert_engines_agree(line)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines(plain=True))
def test_the_plain_kernel_gives_the_general_kernels_results_bit_for_bit(line):
    import twin.engine.fast as fast

    assert _plan_is_plain(line)
    runs = []
    for plain in (True, False):
        log: list = []
        runs.append((fast._run(line, 1, line.seed, log, fast.MARGIN, None, plain), log))
    assert_close(runs[0], runs[1], rel=0.0)


@pytest.mark.parametrize("feature", ["failures", "maintenance", "quality", "setup", "calendar"])
def test_a_line_with_any_other_feature_is_not_plain(feature):
    stations = [{"name": "a", "process": exponential(1.0)}, {"name": "b", "process": exponential(1.0)}]
    settings_: dict = {}
    if feature == "failures":
        stations[1]["failures"] = {"mtbf": exponential(60.0), "mttr": exponential(5.0)}
    elif feature == "maintenance":
        stations[1]["maintenance"] = {"policy": "preventive", "interval": 30, "duration": 2.0}
    elif feature == "quality":
        stations[1]["quality"] = QUALITY
    elif feature == "setup":
        stations[1]["setup"] = 3.0
        settings_["products"] = [{"name": "p0"}, {"name": "p1"}]
    else:
        settings_["calendar"] = TWO_SHIFTS
    line = make_line(stations, **settings_)
    assert not _plan_is_plain(line)
    assert _plan_is_plain(make_line([{"name": "a", "process": exponential(1.0)}]))


def test_reference_line_throughput_is_exact_on_the_fast_engine():
    """The reference line's exact throughput (its Markov chain: 0.743375/min, README) lies in the
    99% interval of the fast engine's replications, an interval tight enough (±0.4%) to tell it
    from the same line with buffers of 4 (0.720237/min) or 6 (0.760955/min)."""
    from conftest import assert_covers, per_minute

    line = twin.load(REFERENCE).model_copy(update={"horizon": 60_000.0, "warmup": 1_000.0})
    results = twin.run(line, replications=12, workers=1, engine="fast")
    assert results.engine == "fast"
    ci = assert_covers(per_minute(results, "throughput_per_hour"), 0.743375, max_rel_half_width=0.004,
                       what="reference line on the fast engine")
    assert 0.720237 not in ci and 0.760955 not in ci


# --- the scope: every feature out of it is refused under --engine fast, run on SimPy under auto -----

OUT_OF_SCOPE = {
    "crew": ([{"name": "a", "process": 1.0}, {"name": "b", "process": 1.0},
              {"name": "c", "process": 1.0, "failures": {"mtbf": 50.0, "mttr": 5.0}}],
             {"maintenance_crew": 1}, "stations[2]: a limited maintenance_crew needs the SimPy engine"),
    "operators": ([{"name": "a", "process": 1.0, "operator": {}}], {"operators": {"count": 1}},
                  "stations[0].operator: the operator pool needs the SimPy engine"),
    "calendar-failures-deterministic": (
        [{"name": "a", "process": 1.0, "failures": {"mtbf": 50.0, "mttr": 5.0, "mode": "calendar"}}], {},
        "stations[0].failures: failures on the calendar clock with an mtbf of kind deterministic need the "
        "SimPy engine (a failure could strike at the instant of a part's event)"),
    "calendar-failures-empirical": (
        [{"name": "a", "process": 1.0}, {"name": "b", "process": 1.0, "failures": {
            "mtbf": {"dist": "empirical", "values": [20, 40]}, "mttr": 5.0, "mode": "calendar"}}], {},
        "stations[1].failures: failures on the calendar clock with an mtbf of kind empirical need the "
        "SimPy engine (a failure could strike at the instant of a part's event)"),
    "calendar-failures-gamma-cv-0": (
        [{"name": "a", "process": 5.0, "failures": {"mtbf": {"dist": "gamma", "mean": 10.0, "cv": 0.0},
                                                    "mttr": 1.0, "mode": "calendar"}}], {},
        "stations[0].failures: failures on the calendar clock with an mtbf of kind gamma of cv 0 need the "
        "SimPy engine (a failure could strike at the instant of a part's event)"),
    "rework": ([{"name": "a", "process": 1.0, "quality": QUALITY,
                 "inspection": {"where": "inline", "action": "rework", "to": "a"}}], {},
               "stations[0].inspection: rework sends parts back and needs the SimPy engine"),
}


@pytest.mark.parametrize("case", list(OUT_OF_SCOPE))
def test_out_of_scope_features_are_refused_by_name_and_run_on_simpy(case):
    stations, settings_, message = OUT_OF_SCOPE[case]
    line = make_line(stations, horizon=300.0, **settings_)
    assert fast_scope_problem(line) == message
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        choose_engine(line, "fast")
    assert choose_engine(line, "auto") == choose_engine(line, "simpy") == "simpy"
    assert twin.run(line, replications=1, workers=1).engine == "simpy"


@pytest.mark.parametrize(("case", "message"), [
    ("predictive-maintenance", "stations[0].maintenance: a run from a non-empty line state with "
                               "predictive maintenance needs the SimPy engine"),
    ("calendar-failures", "stations[0].failures: a run from a non-empty line state with failures on "
                          "the calendar clock needs the SimPy engine")])
def test_a_start_state_of_a_line_with_monitors_or_calendar_failures_runs_on_simpy(case, message):
    """A line state holds no monitor's detections or false alarms, nor when each calendar clock's
    next failure is due: from a non-empty one, such a line is refused by `--engine fast` and run on
    SimPy under auto; from the empty line it runs on the fast engine."""
    from twin.engine.start import RunningLine

    line = make_line(*FIXED_CASES[case][:1], horizon=600.0)
    assert choose_engine(line) == "fast"
    running = RunningLine(line)
    running.advance(100.0)
    state = running.state()
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        choose_engine(line, "fast", state)
    assert choose_engine(line, "auto", state) == "simpy"


def test_an_unknown_engine_is_a_config_error():
    with pytest.raises(ConfigError, match="engine: must be one of auto, simpy, fast, got 'quick'"):
        choose_engine(make_line([{"name": "a", "process": 1.0}]), "quick")


# --- the CLI: --engine, the JSON field, the header, the refusal -----------------------------------

SHORT = ["--replications", "2", "--horizon", "1d", "--warmup", "1h", "--workers", "1"]


def run_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["run", *args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_says_which_engine_ran_and_both_give_the_same_kpis():
    auto = run_json(REFERENCE, *SHORT)
    simpy = run_json(REFERENCE, *SHORT, "--engine", "simpy")
    assert auto["engine"] == "fast" and simpy["engine"] == "simpy"
    assert_close({k: v for k, v in auto.items() if k != "engine"},
                 {k: v for k, v in simpy.items() if k != "engine"})


def test_table_header_names_the_engine():
    result = CliRunner().invoke(app, ["run", REFERENCE, *SHORT])
    assert result.exit_code == 0, result.output
    assert "engine fast" in " ".join(result.stdout.split())


def test_engine_fast_on_a_line_out_of_scope_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    from twin.cli import main

    path = tmp_path / "crew.yaml"
    path.write_text("maintenance_crew: 1\nstations:\n  - {name: a, process: 1}\n"
                    "  - {name: b, process: 1, failures: {mtbf: 50, mttr: 5}}\n")
    monkeypatch.setattr("sys.argv", ["twin", "run", str(path), "--engine", "fast"])
    with pytest.raises(SystemExit) as info:
        main()
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.strip() == "error: stations[1]: a limited maintenance_crew needs the SimPy engine"


def test_compare_json_names_the_engine():
    result = CliRunner().invoke(app, ["compare", str(ROOT / "configs" / "lighthouse_demo.yaml"),
                                      "--replications", "2", "--workers", "1", "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["engine"] in ("simpy", "fast", "fast+simpy")
    assert document["conventional"]["engine"] in ("simpy", "fast")


def test_every_kernel_module_carries_the_digest_of_what_the_kernels_read():
    """numba's cache sees only a kernel's own file: a changed layout or shared helper must change
    every kernel module too (twin.engine.kernel_sources), or a stale cached kernel would run."""
    import importlib

    from twin.engine import kernel_sources

    expected = kernel_sources.digest()
    for name in kernel_sources.STAMPED:
        module = importlib.import_module(f"twin.engine.{name}")
        assert expected == module.KERNEL_SOURCES, (
            f"twin/engine/{name}.py: set KERNEL_SOURCES = {expected!r} in every module of "
            f"kernel_sources.STAMPED (python -m twin.engine.kernel_sources prints it)")
