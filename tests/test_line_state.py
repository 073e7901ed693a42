"""Runs from a `LineState`: an empty state is a plain run, placed parts leave when they must, bad
states are refused in one line, snapshots of a running line round-trip, and the CLI's --from-state."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import twin
from tests.conftest import assert_same, make_line, t_interval
from twin.cli import app
from twin.engine.line import simulate
from twin.engine.start import RunningLine
from twin.errors import ConfigError
from twin.state import LineState, load_state, state_from_text, state_to_json

ROOT = Path(__file__).resolve().parents[1]
MACHINING = ROOT / "configs" / "machining_line.yaml"
REFERENCE = ROOT / "configs" / "reference_line.yaml"


def two_stations(**settings) -> twin.Line:
    """Station A (1 min) then B (2 min) behind a buffer of 3: deterministic, so every instant is known."""
    return make_line([{"name": "A", "process": 1.0, "buffer": 2},
                      {"name": "B", "process": 2.0, "buffer": 3}], horizon=30.0, **settings)


def full_state() -> LineState:
    """B's buffer full (parts 1-3), B half-way through part 4, A a quarter into part 5."""
    return LineState.model_validate({
        "clock": 100.0, "next_part_id": 6,
        "stations": [
            {"name": "A", "machines": [{"state": "busy", "part": {"id": 5}, "elapsed": 0.25}]},
            {"name": "B", "buffer": [{"id": 1}, {"id": 2}, {"id": 3}],
             "machines": [{"state": "busy", "part": {"id": 4, "age": 3.0}, "elapsed": 0.5}]},
        ]})


@pytest.mark.parametrize(("path", "clock"), [(MACHINING, 0.0), (MACHINING, 7 * 24 * 60.0),
                                             (REFERENCE, 0.0), (REFERENCE, 123.0)])
def test_an_empty_state_is_a_plain_run(path: Path, clock: float) -> None:
    """Nothing in the line at the start of the calendar's week (the machining line works shifts, so
    its week repeats; the reference line works around the clock): the same numbers and log, draw
    for draw, as a plain run."""
    line = twin.load(path).model_copy(update={"horizon": 2 * 24 * 60.0, "warmup": 60.0})
    empty = LineState.empty(line).model_copy(update={"clock": clock})
    for replication in (0, 1):
        plain_log: list = []
        state_log: list = []
        plain = simulate(line, replication, log=plain_log)
        started = simulate(line, replication, log=state_log, initial_state=empty)
        assert_same(plain, started)
        assert plain_log == state_log


def test_full_buffers_give_the_expected_first_departures() -> None:
    log: list = []
    stats = simulate(two_stations(), 0, log=log, initial_state=full_state())
    leaving_b = [(part, round(departure, 9)) for part, station, _, _, departure, *_ in log
                 if station == 2][:6]
    # B: 4 finishes its remaining 1.5 min, then the buffer in order, then 5 (which waited blocked
    # on A from 0.75 until B took part 1 at 1.5), then 6, the first new part
    assert leaving_b == [(4, 1.5), (1, 3.5), (2, 5.5), (3, 7.5), (5, 9.5), (6, 11.5)]
    leaving_a = [(part, start, end, departure) for part, station, start, end, departure, *_ in log
                 if station == 1][:2]
    assert leaving_a[0] == (5, -0.25, 0.75, 1.5)
    assert leaving_a[1] == (6, 1.5, 2.5, 3.5)  # new ids continue from next_part_id
    assert stats.wip_start == 5
    assert stats.stations[0].state_minutes[0][2] == pytest.approx(0.75 + 14 * 1.0)  # A blocked


def test_a_machine_under_repair_finishes_its_repair_then_its_part() -> None:
    line = make_line([{"name": "A", "process": 4.0,
                       "failures": {"mtbf": {"dist": "exponential", "mean": 1e6}, "mttr": 10.0}}],
                     horizon=20.0)
    state = LineState.model_validate({"next_part_id": 8, "stations": [{"name": "A", "machines": [
        {"state": "down", "part": {"id": 7}, "elapsed": 1.0, "repair_elapsed": 4.0}]}]})
    log: list = []
    stats = simulate(line, 0, log=log, initial_state=state)
    assert log[0][:5] == (7, 1, -1.0, 9.0, 9.0)  # 6 min of repair left, then 3 of processing
    assert stats.stations[0].state_minutes[0][3] == pytest.approx(6.0)  # down
    assert stats.stations[0].failures == 0  # the failure struck before the run
    assert log[1][:4] == (8, 1, 9.0, 13.0)


def test_the_remaining_processing_time_is_drawn_given_the_elapsed_time() -> None:
    """A lognormal part 6 min into its processing (mean 5, cv 0.8) leaves after the mean residual
    E[X - 6 | X > 6] (numerical integration of the survival function), not after 5 - 6 or 5."""
    from scipy import integrate, stats

    s2 = np.log1p(0.8**2)
    dist = stats.lognorm(s=np.sqrt(s2), scale=np.exp(np.log(5.0) - s2 / 2))
    exact = integrate.quad(dist.sf, 6.0, np.inf)[0] / dist.sf(6.0)
    line = make_line([{"name": "A", "process": {"dist": "lognormal", "mean": 5.0, "cv": 0.8}}],
                     horizon=200.0)
    state = LineState.model_validate({"next_part_id": 2, "stations": [{"name": "A", "machines": [
        {"state": "busy", "part": {"id": 1}, "elapsed": 6.0}]}]})
    firsts = []
    for replication in range(600):
        log: list = []
        simulate(line, replication, log=log, initial_state=state)
        firsts.append(next(r[4] for r in log if r[0] == 1))
    interval = t_interval(firsts)
    assert exact in interval, (exact, str(interval))
    assert interval.half_width < 0.2 * exact


def test_a_state_from_a_running_line_round_trips_and_continues(tmp_path: Path) -> None:
    line = twin.load(REFERENCE).model_copy(update={"horizon": 600.0, "warmup": 0.0})
    running = RunningLine(line, replication=3)
    running.advance(240.0)
    state = running.state()
    assert state.clock == 240.0 and state.wip > 0
    state.check_against(line)
    path = tmp_path / "state.json"
    path.write_text(state_to_json(state))
    again = load_state(path)
    assert again == state
    log: list = []
    simulate(line.model_copy(update={"horizon": 60.0}), 0, log=log, initial_state=again)
    ids = {record[0] for record in log}
    placed = {part.id for _, part in state.parts()}
    assert placed & ids  # the parts in the line go on
    assert min(ids - placed) == state.next_part_id  # new ones continue the numbering


@pytest.mark.parametrize("warmup", [0.0, 10.2])
def test_state_of_a_busy_machine_reports_its_elapsed_processing(warmup: float) -> None:
    """Also across the warm-up cut, where the state clock restarts."""
    running = RunningLine(two_stations(warmup=warmup))
    running.advance(10.4)
    machine = running.state().stations[1].machines[0]
    assert machine.state == "busy" and machine.part is not None and machine.part.id == 5
    assert machine.elapsed == pytest.approx(1.4)  # B took part 5 at 9


BAD_STATES = [
    ({"stations": [{"name": "A"}, {"name": "C"}]}, "stations[1].name: no station of that name"),
    ({"stations": [{"name": "A"}]}, "stations: missing station 'B'"),
    ({"stations": [{"name": "B"}, {"name": "A"}]}, "stations: must list the line's stations in order"),
    ({"stations": [{"name": "A", "machines": [{}, {}]}, {"name": "B"}]},
     "stations[0].machines: station 'A' has 1 machine(s), got 2"),
    ({"next_part_id": 9, "stations": [{"name": "A", "buffer": [{"id": 1}, {"id": 2}, {"id": 3}]},
                                      {"name": "B"}]},
     "stations[0].buffer: station 'A' holds at most 2 part(s) in its buffer, got 3"),
    ({"next_part_id": 9, "stations": [{"name": "A", "buffer": [{"id": 1, "product": "X"}]},
                                      {"name": "B"}]},
     "stations[0].buffer[0].product: no product of that name"),
    ({"stations": [{"name": "A", "machines": [{"state": "dozing"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: must be one of busy, starved"),
    ({"stations": [{"name": "A", "machines": [{"state": "blocked"}]}, {"name": "B"}]},
     "stations[0].machines[0].part: a blocked machine holds a part, got none"),
    ({"stations": [{"name": "A", "machines": [{"state": "down"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: station 'A' has no failures, got down"),
    ({"stations": [{"name": "A", "machines": [{"state": "setup"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: station 'A' has no changeovers, got setup"),
    ({"stations": [{"name": "A", "machines": [{"state": "tool_change"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: station 'A' has no tool (no quality block), got tool_change"),
    ({"stations": [{"name": "A", "machines": [{"state": "waiting_operator"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: station 'A' needs no operator, got waiting_operator"),
    ({"stations": [{"name": "A", "machines": [{"state": "off"}]}, {"name": "B"}]},
     "stations[0].machines[0].state: the line has no calendar (it works around the clock), got off"),
    ({"next_part_id": 3, "stations": [{"name": "A", "buffer": [{"id": 2}]},
                                      {"name": "B", "buffer": [{"id": 2}]}]},
     "stations[1].buffer[0].id: part id also used at stations[0].buffer[0]"),
    ({"stations": [{"name": "A", "buffer": [{"id": 1}]}, {"name": "B"}]},
     "stations[0].buffer[0].id: must be < next_part_id (1), got 1"),
    ({"stations": [{"name": "A", "machines": [{"elapsed": -1}]}, {"name": "B"}]},
     "stations[0].machines[0].elapsed: must be >= 0"),
    ({"clock": 5, "stations": [{"name": "A", "machines": [{"since": 9}]}, {"name": "B"}]},
     "stations[0].machines[0].since: must be <= clock (5), got 9"),
    ({"stations": [{"name": "A", "machines": [{"state": "busy", "part": {"id": 1}}]}, {"name": "B"}],
      "next_part_id": 2, "colour": "red"}, "colour: "),
]


@pytest.mark.parametrize(("data", "message"), BAD_STATES, ids=[m.split(":")[0] for _, m in BAD_STATES])
def test_bad_states_are_refused_in_one_line_naming_the_field(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        state_from_text(json.dumps(data), "state.json").check_against(two_stations())
    text = str(caught.value)
    assert message in text, text
    assert "\n" not in text


@pytest.mark.parametrize(("text", "message"), [
    ('{"stations": [', "state.json:1:15: not valid JSON"),
    ("[1, 2]", "expected a mapping"),
    ("[" * 100_000 + "]" * 100_000, "not a usable JSON state (nested too deeply)"),
    ('{"clock": ' + "9" * 5000 + "}", "not a usable JSON state (a number too long)"),
])
def test_malformed_state_files_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        state_from_text(text, "state.json")
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_cli_runs_from_a_state_and_refuses_a_bad_one(tmp_path: Path) -> None:
    line_file = tmp_path / "line.yaml"
    line_file.write_text(twin.dump_yaml(two_stations()))
    state_file = tmp_path / "state.json"
    state_file.write_text(state_to_json(full_state()))
    events = tmp_path / "events.csv"
    result = CliRunner().invoke(app, ["run", str(line_file), "--from-state", str(state_file),
                                      "--replications", "2", "--workers", "1", "--format", "json",
                                      "--events-out", str(events)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["horizon_min"] == 30.0
    exits = [row.split(",") for row in events.read_text().splitlines()[1:] if row.endswith(",EXIT,,")]
    time, station, _, part = exits[0][:4]
    assert (part, station, float(time)) == ("4", "B", 1.5)  # part 4 leaves B first, at 1.5

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"stations": [{"name": "A"}, {"name": "Z"}]}))
    result = CliRunner().invoke(app, ["run", str(line_file), "--from-state", str(bad)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--from-state" in lines[0] and "stations[1].name" in lines[0], result.output


def test_api_runs_a_horizon_forward_from_the_state() -> None:
    results = twin.run(two_stations(), replications=2, workers=1, initial_state=full_state(),
                       horizon="12min", keep_part_log=True)
    records = results.part_records()
    assert results.line.horizon == 12.0
    assert records["departure_min"].max() < 12.0
    assert set(records.loc[records["station"] == "B", "part_id"]) == {1, 2, 3, 4, 5, 6}


PRESETS = sorted((ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", [p for p in PRESETS if "demo" not in p.name], ids=lambda p: p.stem)
def test_snapshots_of_every_preset_restart_and_conserve_parts(path: Path) -> None:
    """Snapshots at several instants of each preset line (shifts, crews, operators, changeovers,
    tool wear, inspection, rework, predictive maintenance...) restart on a fresh run, and every part
    is accounted for: in the line at the start + released = left (shipped or scrapped) + in the
    line at the end; every machine's state minutes sum to the window."""
    line = twin.load(path).model_copy(update={"horizon": 3 * 24 * 60.0, "warmup": 0.0})
    running = RunningLine(line, replication=1)
    forward = line.model_copy(update={"horizon": 12 * 60.0})
    for minutes in (7 * 60.0, 9 * 60.0 + 13.0, 31 * 60.0):
        running.advance(minutes - running.now)
        state = running.state()
        assert state.clock == pytest.approx(minutes)
        state.check_against(line)
        again = state_from_text(state_to_json(state))
        assert again == state
        stats = simulate(forward, 0, initial_state=again)
        assert stats.wip_start == state.wip
        assert stats.wip_start + stats.released == stats.departed + stats.scrapped + stats.wip_end
        assert (stats.wip_start + stats.released_total
                == stats.departed_total + stats.scrapped_total + stats.wip_end)
        for station in stats.stations:
            np.testing.assert_allclose(station.state_minutes.sum(axis=1), forward.horizon, rtol=1e-9)


@pytest.mark.parametrize("source", [{"kind": "saturated"}, {"kind": "conwip", "wip_cap": 7},
                                    {"kind": "arrivals", "interarrival": {"dist": "exponential",
                                                                          "mean": 1.3}}],
                         ids=lambda s: s["kind"])
def test_every_source_restarts_from_a_snapshot(source: dict) -> None:
    failures = {"mtbf": {"dist": "weibull", "mean": 60.0, "shape": 2.0},
                "mttr": {"dist": "lognormal", "mean": 6.0, "cv": 0.7}}
    line = make_line([{"name": "A", "process": {"dist": "gamma", "mean": 1.0, "cv": 0.5}, "buffer": 2},
                      {"name": "B", "machines": 2, "buffer": 1, "failures": failures,
                       "process": {"dist": "lognormal", "mean": 2.0, "cv": 0.6}},
                      {"name": "C", "buffer": 0, "process": 0.9,
                       "failures": {**failures, "mode": "calendar"}}],
                     horizon=2000.0, source=source)
    running = RunningLine(line, replication=2)
    for minutes in (100.0, 337.5, 901.0):
        running.advance(minutes - running.now)
        state = running.state()
        state.check_against(line)
        stats = simulate(line.model_copy(update={"horizon": 300.0}), 4, initial_state=state)
        assert stats.wip_start == state.wip
        assert stats.wip_start + stats.released == stats.departed + stats.wip_end
        if source["kind"] == "conwip":
            assert state.wip <= 7 and stats.wip_end + stats.backlog_end == 7


def test_the_engine_choice_sees_the_state() -> None:
    from twin.engine.scope import choose_engine

    line = two_stations()
    assert choose_engine(line, "auto", LineState.empty(line)) == "fast"
    assert choose_engine(line, "auto", full_state()) == "fast"
    assert choose_engine(line, "simpy", full_state()) == "simpy"
    data = full_state().model_dump()
    data["stations"][1]["buffer"][0]["reworks"] = 1
    reworked = LineState.model_validate(data)
    with pytest.raises(ConfigError, match=r"^stations\[1\]\.buffer\[0\]\.reworks: a part reworked"):
        choose_engine(line, "fast", reworked)
    assert twin.run(line, replications=2, workers=1, initial_state=full_state()).engine == "fast"
    assert twin.run(line, replications=2, workers=1, initial_state=reworked).engine == "simpy"


def test_the_documented_example_state_fits_its_line() -> None:
    line = twin.load(MACHINING)
    state = load_state(ROOT / "docs" / "examples" / "machining_state.json")
    state.check_against(line)
    assert state.clock == 2040.0 and state.wip == 18


def test_an_injected_failure_stops_the_machine_and_the_line_reacts() -> None:
    line = two_stations()
    running = RunningLine(line)
    running.advance(5.2)
    running.fail("B", 0, repair=10.0)
    running.advance(0.5)
    machine = running.state().stations[1].machines[0]
    assert machine.state == "down" and machine.repair_elapsed == pytest.approx(0.5)
    assert machine.part is not None and machine.part.id == 3
    assert machine.elapsed == pytest.approx(0.2)  # paused 0.2 min into part 3 (taken at 5)
    before = running.counters()["parts_out"]["B"]
    running.advance(9.0)
    assert running.counters()["parts_out"]["B"] == before  # still down
    running.advance(3.0)
    assert running.counters()["parts_out"]["B"] == before + 1  # done at 15.2 + 1.8
    with pytest.raises(ValueError, match="repair: a machine without failures"):
        running.fail("A")
    with pytest.raises(ValueError, match="station: no station of that name"):
        running.fail("Z")
