"""The fast engine starts from a `LineState` exactly as the SimPy engine does: the same placement,
the same residual draws, so both give the same parts (ids, starts, ends, departures) and the same
`RunStats` from the same state, on fixed states of every kind and on snapshots of running lines.
What it cannot start from is refused by name under `--engine fast` and runs on SimPy under `auto`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_line
from fast_lines import assert_close, assert_engines_agree, fast_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.engine import choose_engine, fast_scope_problem
from twin.engine.scope import FAST_START_STATES
from twin.engine.start import RunningLine
from twin.errors import ConfigError
from twin.state import LineState

REFERENCE = str(Path(__file__).resolve().parents[1] / "configs" / "reference_line.yaml")
LOGNORMAL = {"dist": "lognormal", "mean": 1.0, "cv": 0.8}
"""Not memoryless: the rest of a part under way depends on the time it has already had."""
QUALITY = {"characteristic": {"name": "d", "nominal": 10, "lsl": 9.9, "usl": 10.1}, "sigma": 0.03,
           "drift_per_part": 0.002, "tool_life": 30, "tool_change": 4.0}
MIX = [{"name": "x", "share": 2, "lot_size": 4}, {"name": "y", "share": 1, "lot_size": 3}]
SHIFTS = {"shifts": [{"start": "6h", "end": "14h"}, {"start": "14h", "end": "22h"}], "days_per_week": 5}


def three_stations(**settings: Any) -> twin.Line:
    """a → b → c, buffers 2, 0 and 3; failures and preventive maintenance at b, tool wear and
    inline inspection at c."""
    return make_line([
        {"name": "a", "buffer": 2, "process": LOGNORMAL},
        {"name": "b", "buffer": 0, "process": {"dist": "gamma", "mean": 1.1, "cv": 0.5},
         "failures": {"mtbf": {"dist": "weibull", "mean": 40.0, "shape": 1.5},
                      "mttr": {"dist": "lognormal", "mean": 5.0, "cv": 1.0}},
         "maintenance": {"policy": "preventive", "interval": 60, "duration": {"dist": "gamma", "mean": 8.0,
                                                                              "cv": 0.5}}},
        {"name": "c", "buffer": 3, "process": {"dist": "weibull", "mean": 0.9, "shape": 2.0},
         "quality": QUALITY, "inspection": {"where": "inline"}},
    ], horizon=300.0, **settings)


def state(clock: float = 50.0, a: dict | None = None, b: dict | None = None, c: dict | None = None,
          buffers: tuple[list, list, list] = ([], [], []), next_id: int = 40, **extra: Any) -> LineState:
    machines = [a or {}, b or {}, c or {}]
    return LineState.model_validate({
        "clock": clock, "next_part_id": next_id, **extra,
        "stations": [{"name": name, "buffer": buffer, "machines": [machine]}
                     for name, buffer, machine in zip("abc", buffers, machines, strict=True)]})


def parts(*ids: int, **fields: Any) -> list[dict]:
    return [{"id": i, **fields} for i in ids]


STATES = {
    "parts-in-buffers": state(buffers=(parts(7, 6), [], parts(3, 2, 1, age=12.5))),
    "busy-with-elapsed": state(a={"state": "busy", "part": {"id": 9}, "elapsed": 1.7},
                               c={"state": "busy", "part": {"id": 4, "age": 6.0}, "elapsed": 0.4},
                               buffers=(parts(10), [], parts(5, 6))),
    "blocked": state(a={"state": "blocked", "part": {"id": 8}, "since": 48.0},
                     b={"state": "blocked", "part": {"id": 7}, "since": 49.5},
                     c={"state": "busy", "part": {"id": 1}, "elapsed": 0.2},
                     buffers=([], [], parts(4, 5, 6))),
    "blocked-at-the-end": state(c={"state": "blocked", "part": {"id": 3}, "since": 50.0},
                                buffers=(parts(5), [], [])),
    "down-with-repair-elapsed": state(b={"state": "down", "part": {"id": 12}, "elapsed": 0.5,
                                         "repair_elapsed": 3.0, "failure_age": 30.0, "operating_age": 41.0},
                                      buffers=(parts(13, 14), [], parts(11))),
    "down-without-a-part": state(b={"state": "down", "repair_elapsed": 9.0}, buffers=(parts(20, 21), [], [])),
    "failure-age-and-maintenance-due": state(
        a={"state": "blocked", "part": {"id": 5}, "since": 49.0},
        b={"state": "busy", "part": {"id": 4}, "elapsed": 0.3, "failure_age": 35.0, "operating_age": 59.5}),
    "preventive-maintenance-under-way": state(b={"state": "maintenance", "repair_elapsed": 2.5},
                                              buffers=(parts(3, 4), [], [])),
    "tool-wear-counter": state(c={"state": "busy", "part": {"id": 2}, "elapsed": 0.1,
                                  "parts_since_tool_change": 27},
                               buffers=([], [], parts(3, 4, 5))),
    "tool-change-under-way": state(c={"state": "tool_change", "since": 48.5}, buffers=([], [], parts(3, 4))),
    "known-characteristics": state(
        c={"state": "blocked", "part": {"id": 6, "characteristic": {"c": 10.2}}, "since": 50.0},
        buffers=([], [], [])),
    "ids-continue-from-an-empty-line": state(next_id=1000),
}


@pytest.mark.parametrize("name", list(STATES))
def test_both_engines_agree_from_a_state(name: str) -> None:
    line = three_stations()
    initial = STATES[name]
    assert choose_engine(line, "auto", initial) == "fast"
    for replication in (0, 1):
        _, log = assert_engines_agree(line, replication, initial)
        placed = {p.id for _, p in initial.parts()}
        new = {r[0] for r in log} - placed
        assert min(new) == initial.next_part_id  # released parts continue the ids


@pytest.mark.parametrize("warmup", [0.0, 20.0])
def test_both_engines_agree_with_a_warm_up(warmup: float) -> None:
    line = three_stations(warmup=warmup)
    assert_engines_agree(line, 2, STATES["down-with-repair-elapsed"])


@pytest.mark.parametrize("clock", [7 * 60.0, 13.5 * 60.0, 22.5 * 60.0, 5 * 24 * 60.0 - 30])
@pytest.mark.parametrize("idle", ["busy", "off"])
def test_both_engines_agree_from_a_clock_inside_or_outside_a_shift(clock: float, idle: str) -> None:
    """Inside the early shift, across the shift change, at night, and before the weekend: the
    calendar is seen from the state's clock (a machine with its part paused is `off` at night)."""
    line = three_stations(calendar=SHIFTS).model_copy(update={"horizon": 3000.0})
    initial = state(clock=clock, a={"state": idle, "part": {"id": 9}, "elapsed": 0.5},
                    b={"state": "down", "part": {"id": 8}, "repair_elapsed": 1.0},
                    c={"state": "off"} if idle == "off" else None,
                    buffers=(parts(10), [], parts(5, 6)))
    assert_engines_agree(line, 0, initial)


def test_the_fixed_states_cover_every_state_the_fast_engine_starts_from() -> None:
    seen = {m.state for s in STATES.values() for station in s.stations for m in station.machines}
    # "off" and "setup": the calendar and the lot cases need lines of their own
    assert seen | {"off", "setup"} == set(FAST_START_STATES)
    assert set(twin.engine.STATES) - set(FAST_START_STATES) == {"waiting_operator"}
    pool = make_line([{"name": "a", "process": 1.0, "operator": {"process": True}}],
                     operators={"count": 1}, horizon=60.0)
    assert fast_scope_problem(pool) is not None  # the one state left needs a line out of scope


def test_both_engines_agree_with_a_lot_under_way_and_a_setup_in_progress() -> None:
    line = make_line([
        {"name": "a", "buffer": 2, "process": LOGNORMAL, "setup": {"dist": "gamma", "mean": 3.0, "cv": 0.5},
         "setup_pairs": [{"from": "x", "to": "y", "time": 6.0}]},
        {"name": "b", "buffer": 2, "process": 0.9, "setup": 2.0, "process_by_product": {"y": LOGNORMAL}},
    ], horizon=300.0, products=MIX)
    initial = LineState.model_validate({
        "clock": 30.0, "next_part_id": 20, "lot": {"product": "y", "remaining": 2},
        "stations": [
            {"name": "a", "buffer": [{"id": 18, "product": "y"}],
             "machines": [{"state": "setup", "since": 28.0, "product": "x",
                           "part": {"id": 17, "product": "y"}}]},
            {"name": "b", "buffer": [{"id": 15}, {"id": 16, "product": "y"}],
             "machines": [{"state": "busy", "part": {"id": 14}, "elapsed": 0.3, "product": "x"}]}]})
    assert choose_engine(line, "auto", initial) == "fast"
    for replication in range(3):
        assert_engines_agree(line, replication, initial)
    for engine in ("simpy", "fast"):  # the changeover under way set a up for y: 18 (y) needs none
        log: list = []
        twin.engine.simulate_with(line, 0, log=log, engine=engine, initial_state=initial)
        at_a = {record[0]: record for record in log if record[1] == 1}
        assert at_a[18][2] == at_a[17][4], engine  # 18 starts the moment 17 leaves a


def test_a_machine_off_shift_with_a_finished_part_is_seen_as_blocked() -> None:
    """At a shift's end machine a holds a part it has finished (b has no room): the snapshot says
    `blocked`, so a run from it hands the part on instead of drawing its processing again."""
    line = make_line([
        {"name": "a", "buffer": 1, "process": 0.5},
        {"name": "b", "buffer": 0, "process": {"dist": "exponential", "mean": 5.0}},
    ], horizon=3000.0, calendar={"shifts": [{"start": "6h", "end": "14h"}]})
    running = RunningLine(line)
    running.advance(14 * 60 + 1.0)
    machine = running.state().stations[0].machines[0]
    assert (machine.state, machine.elapsed) == ("blocked", 0.0) and machine.part is not None
    assert_engines_agree(line.model_copy(update={"horizon": 600.0}), 0, running.state())


@pytest.mark.parametrize("source", [
    {"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": 1.3}},
    {"kind": "conwip", "wip_cap": 3}, {"kind": "conwip", "wip_cap": 8}])
def test_both_engines_agree_from_a_state_under_every_source(source: dict) -> None:
    """CONWIP with more parts in the line than its cap (5 placed, cap 3: one leaves, one comes) and
    with fewer."""
    line = make_line([{"name": "a", "buffer": 2, "process": LOGNORMAL},
                      {"name": "b", "buffer": 3, "process": {"dist": "exponential", "mean": 1.0}}],
                     horizon=200.0, source=source)
    initial = LineState.model_validate({
        "clock": 10.0, "next_part_id": 9,
        "stations": [{"name": "a", "buffer": [{"id": 7}], "machines": [{"state": "busy", "part": {"id": 6},
                                                                       "elapsed": 0.2}]},
                     {"name": "b", "buffer": [{"id": 4}, {"id": 5}],
                      "machines": [{"state": "blocked", "part": {"id": 3}}]}]})
    for replication in (0, 1):
        assert_engines_agree(line, replication, initial)


@st.composite
def snapshots(draw: st.DrawFn) -> tuple[twin.Line, LineState, int]:
    """A line in the fast engine's scope, the state of a SimPy run of it at a random instant (every
    machine state the line can be in, parts anywhere), and the replication to continue it with."""
    line = draw(fast_lines(predictive=False, calendar_failures=False))  # (from a state: SimPy)
    running = RunningLine(line, replication=draw(st.integers(0, 3)))
    running.advance(draw(st.floats(0.01, 0.9 * line.horizon)))
    snapshot = running.state()
    if line.products and draw(st.booleans()):
        lot = {"product": draw(st.sampled_from([p.name for p in line.products])),
               "remaining": draw(st.integers(0, 5))}
        snapshot = LineState.model_validate({**snapshot.model_dump(), "lot": lot})
    return line, snapshot, draw(st.integers(0, 3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots())
def test_both_engines_agree_from_snapshots_of_running_lines(case: tuple[twin.Line, LineState, int]) -> None:
    line, snapshot, replication = case
    assert choose_engine(line, "auto", snapshot) == "fast"
    assert_engines_agree(line, replication, snapshot)


def test_what_the_fast_engine_cannot_start_from_is_refused_by_name_and_runs_on_simpy() -> None:
    line = three_stations()
    reworked = state(buffers=([{"id": 3, "reworks": 1}], [], []))
    with pytest.raises(ConfigError, match=r"^stations\[0\]\.buffer\[0\]\.reworks: a part reworked "
                                          r"before the run needs the SimPy engine$"):
        choose_engine(line, "fast", reworked)
    assert choose_engine(line, "auto", reworked) == "simpy"
    assert twin.run(line, replications=1, workers=1, initial_state=reworked).engine == "simpy"
    parallel = make_line([{"name": "a", "machines": 2, "process": 1.0}], horizon=60.0)
    busy = LineState.model_validate({"clock": 5.0, "next_part_id": 3, "stations": [
        {"name": "a", "machines": [{"state": "busy", "part": {"id": 1}},
                                   {"state": "busy", "part": {"id": 2}}]}]})
    assert choose_engine(parallel, "auto") == "fast"  # from the empty line: the event kernel
    with pytest.raises(ConfigError, match=r"^initial_state: a run from a non-empty line state of a line "
                                          r"with parallel machines"):
        choose_engine(parallel, "fast", busy)
    assert choose_engine(parallel, "auto", busy) == "simpy"


def test_a_run_from_a_state_picks_the_fast_engine() -> None:
    results = twin.run(three_stations(), replications=2, workers=1, initial_state=STATES["blocked"])
    assert results.engine == "fast"


def test_twin_run_from_a_state_picks_the_fast_engine_with_simpy_s_kpis(tmp_path: Path) -> None:
    """`twin run --from-state` on the reference line: `auto` runs the fast engine, and every KPI of
    the JSON is the SimPy engine's."""
    from twin.state import state_to_json

    running = RunningLine(twin.load(REFERENCE), replication=3)
    running.advance(37.5)
    path = tmp_path / "state.json"
    path.write_text(state_to_json(running.state()))

    def run_json(*args: str) -> dict:
        result = CliRunner().invoke(app, ["run", REFERENCE, "--from-state", str(path), "--horizon", "8h",
                                          "--warmup", "0", "--replications", "3", "--workers", "1",
                                          "--format", "json", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    auto, simpy = run_json(), run_json("--engine", "simpy")
    assert auto["engine"] == "fast" and simpy["engine"] == "simpy"
    assert_close({k: v for k, v in auto.items() if k != "engine"},
                 {k: v for k, v in simpy.items() if k != "engine"})


@st.composite
def written_states(draw: st.DrawFn) -> tuple[twin.Line, LineState, int]:
    """A line in the fast engine's scope and a state as a client may write it, not only as a run
    leaves it: any state each machine may be in, parts on it or not where it may hold one, any
    buffer level, elapsed times, ages and counters, any clock (so at time 0 a starved machine may
    face a full buffer, a blocked one free room downstream)."""
    line = draw(fast_lines(predictive=False, calendar_failures=False))  # (from a state: SimPy)
    products = [p.name for p in line.products]
    ids = iter(range(1, 10_000))
    clock = draw(st.sampled_from([0.0, 5.0, 333.3, 1000.0]))
    minutes = st.sampled_from([0.0, 0.4, 2.0, 30.0])

    def part() -> dict:
        given: dict[str, Any] = {"id": next(ids), "age": draw(minutes)}
        if products and draw(st.booleans()):
            given["product"] = draw(st.sampled_from(products))
        return given

    stations = []
    for spec in line.stations:
        allowed = ["starved", "busy", "blocked", "maintenance"]
        allowed += ["down"] * (spec.failures is not None) + ["tool_change"] * (spec.quality is not None)
        allowed += ["setup"] * (spec.setup is not None or bool(spec.setup_pairs))
        allowed += ["off"] * (line.calendar is not None)
        name = draw(st.sampled_from(allowed))
        machine: dict[str, Any] = {"state": name, "since": clock - min(clock, draw(minutes)),
                                   "repair_elapsed": draw(minutes), "failure_age": draw(minutes),
                                   "operating_age": draw(minutes), "elapsed": draw(minutes),
                                   "parts_since_tool_change": draw(st.integers(0, 60))}
        if products and draw(st.booleans()):
            machine["product"] = draw(st.sampled_from(products))
        if name in ("busy", "blocked") or (name in ("down", "maintenance", "setup", "off")
                                            and draw(st.booleans())):
            machine["part"] = part()
        room = 3 if spec.buffer is None else min(spec.buffer, 3)
        buffer = [part() for _ in range(draw(st.integers(0, room)))]
        stations.append({"name": spec.name, "buffer": buffer, "machines": [machine]})
    data: dict[str, Any] = {"clock": clock, "next_part_id": next(ids), "stations": stations}
    if products and draw(st.booleans()):
        data["lot"] = {"product": draw(st.sampled_from(products)), "remaining": draw(st.integers(0, 4))}
    return line, LineState.model_validate(data), draw(st.integers(0, 3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_states())
def test_both_engines_agree_from_written_states(case: tuple[twin.Line, LineState, int]) -> None:
    line, initial, replication = case
    assert choose_engine(line, "auto", initial) == "fast"
    assert_engines_agree(line, replication, initial)
