"""The event-log schema: the twin's logs read back as they were written, noisy logs are read with a
one-line note naming the rows, and hostile logs are refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_line
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.errors import ConfigError
from twin.eventlog import EVENT_COLUMNS, STATE_COLUMNS, read_events, read_states, write_events
from twin.eventlog.reader import parse_mapping

ROOT = Path(__file__).resolve().parents[1]


def small_line(**settings) -> twin.Line:
    stations = [
        {"name": "Cut", "process": {"dist": "exponential", "mean": 2.0}, "buffer": 3},
        {"name": "Weld", "machines": 2, "process": {"dist": "lognormal", "mean": 3.5, "cv": 0.3},
         "buffer": 2, "failures": {"mtbf": "3h", "mttr": {"dist": "exponential", "mean": 12}}},
        {"name": "Pack", "process": 1.5},
    ]
    return make_line(stations, horizon="2d", warmup=0, replications=1, seed=5, **settings)


@pytest.fixture(scope="module")
def results() -> twin.Results:
    return twin.run(small_line(), workers=1, keep_part_log=True, keep_state_log=True)


def test_part_events_follow_the_schema(results: twin.Results) -> None:
    events = results.part_events()
    assert list(events.columns) == list(EVENT_COLUMNS)
    assert events["time"].is_monotonic_increasing
    assert set(events["event"]) == {"ENTER", "START", "END", "EXIT"}
    assert set(events.loc[events["station"] == "Weld", "machine"]) == {"1", "2"}
    visits = events.groupby(["part", "station", "event"]).size().unstack()
    assert (visits.nunique(axis=1) == 1).all()  # every logged visit has its four events
    # a part enters the next station when it leaves the previous one
    one = events[events["part"] == "10"].set_index(["station", "event"])["time"]
    assert one[("Weld", "ENTER")] == one[("Cut", "EXIT")]
    assert one[("Weld", "START")] <= one[("Weld", "END")] <= one[("Weld", "EXIT")]


def test_state_log_follows_the_schema_and_matches_the_state_times(results: twin.Results) -> None:
    states = results.machine_states()
    assert list(states.columns) == list(STATE_COLUMNS)
    assert set(states["state"]) >= {"busy", "starved", "down"}
    horizon = results.line.horizon
    for index, station in enumerate(results.line.stations):
        rows = states[states["station"] == station.name]
        for machine, own in rows.groupby("machine"):
            ends = np.append(own["time"].to_numpy()[1:], horizon)
            minutes = pd.Series(ends - own["time"].to_numpy()).groupby(own["state"].to_numpy()).sum()
            kept = results.runs[0].stations[index].state_minutes[int(machine) - 1]
            for state, value in minutes.items():
                assert value == pytest.approx(kept[twin.engine.STATES.index(state)], abs=1e-6)


def test_fast_engine_refuses_states_and_auto_picks_simpy() -> None:
    line = make_line([{"name": "A", "process": {"dist": "exponential", "mean": 1.0}}], horizon="1h",
                     warmup=0, replications=1)
    assert twin.run(line, workers=1).engine == "fast"
    assert twin.run(line, workers=1, keep_state_log=True).engine == "simpy"
    with pytest.raises(ConfigError, match="states-out: the fast engine"):
        twin.run(line, workers=1, keep_state_log=True, engine="fast")


def test_both_engines_write_the_same_part_events() -> None:
    line = make_line([{"name": "A", "process": {"dist": "exponential", "mean": 1.0}, "buffer": 2},
                      {"name": "B", "process": {"dist": "exponential", "mean": 0.9}}],
                     horizon="8h", warmup=0, replications=1, seed=3)
    fast = twin.run(line, workers=1, keep_part_log=True, engine="fast").part_events()
    simpy = twin.run(line, workers=1, keep_part_log=True, engine="simpy").part_events()
    pd.testing.assert_frame_equal(fast, simpy)


@pytest.mark.parametrize("name", ["events.csv", "events.parquet"])
def test_round_trip_through_the_reader(results: twin.Results, tmp_path: Path, name: str) -> None:
    events = results.part_events()
    path = tmp_path / name
    write_events(events, path)
    notes: list[str] = []
    back = read_events(path, notes=notes, stations=[s.name for s in results.line.stations])
    assert notes == []
    pd.testing.assert_frame_equal(back[list(EVENT_COLUMNS)], events, check_dtype=False)


def test_cli_writes_both_logs_and_they_read_back(tmp_path: Path) -> None:
    line = tmp_path / "line.yaml"
    line.write_text(twin.dump_yaml(small_line()))
    events, states = tmp_path / "events.csv", tmp_path / "states.csv"
    result = CliRunner().invoke(app, ["run", str(line), "--workers", "1", "--horizon", "8h",
                                      "--events-out", str(events), "--states-out", str(states)])
    assert result.exit_code == 0, result.output
    notes: list[str] = []
    assert len(read_events(events, notes=notes)) > 100
    assert set(read_states(states, notes=notes)["state"]) >= {"busy", "starved"}
    assert notes == []


def test_cli_refuses_states_out_on_the_fast_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["run", str(ROOT / "configs" / "reference_line.yaml"),
                                      "--engine", "fast", "--states-out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2
    assert "--states-out: the fast engine keeps no machine-state log" in result.output
    assert not (tmp_path / "s.csv").exists()


# --- a shop floor's own log -------------------------------------------------------------------

PLANT_LOG = """ts,resource,case_id,activity,sku
2026-03-02T06:00:00Z,Press,A1,ENTER,x
2026-03-02T06:00:30Z,Press,A1,START,x
2026-03-02T06:02:30Z,Press,A1,END,x
2026-03-02T06:02:30Z,Press,A1,EXIT,x
"""


def test_mapping_and_iso_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "plant.csv"
    path.write_text(PLANT_LOG)
    mapping = parse_mapping("time=ts,station=resource,part=case_id, event=activity,product=sku")
    events = read_events(path, mapping=mapping)
    assert events["time"].tolist() == [0.0, 0.5, 2.5, 2.5]
    assert events["product"].iloc[0] == "x"
    assert str(events.attrs["origin"]) == "2026-03-02 06:00:00+00:00"


def test_state_codes_translated_by_a_mapping_file(tmp_path: Path) -> None:
    log = tmp_path / "states.csv"
    log.write_text("ts,station,state\n0,Press,Execute\n60000,Press,Held\n90000,Press,Execute\n")
    codes = tmp_path / "packml.yaml"
    codes.write_text("Execute: busy\nHeld: down\nStarved: starved\n")
    states = read_states(log, mapping={"time": "ts"}, time_unit="ms", state_names=codes)
    assert states["state"].tolist() == ["busy", "down", "busy"]
    assert states["time"].tolist() == [0.0, 1.0, 1.5]
    with pytest.raises(ConfigError, match=r"state: rows 1, 2, 3 are not one of .*got 'Execute', 'Held'"):
        read_states(log, mapping={"time": "ts"})


def noisy_log(tmp_path: Path) -> Path:
    rows = ["time,station,part,event",
            "0,A,1,START", "2,A,1,END",          # part 1: fine
            "2,A,1,END",                           # a repeated row
            "5,A,2,START",                         # part 2: no END
            "1,A,3,START", "0.5,A,3,END",          # part 3: END before START
            "3,B,1,START", "4,B,1,END"]            # station B seen once
    path = tmp_path / "noisy.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_noisy_log_is_read_with_one_line_notes_naming_rows(tmp_path: Path) -> None:
    notes: list[str] = []
    events = read_events(noisy_log(tmp_path), notes=notes)
    text = "\n".join(notes)
    assert "row 3: repeat earlier rows exactly; dropped (1)" in text
    assert "not in time order" in text and "sorted" in text
    assert "row 4: START without an END" in text
    assert "times run backwards within a part" in text and "dropped the 1 part(s) '3'" in text
    assert set(events["part"]) == {"1", "2"}
    assert all("\n" not in note for note in notes)


@pytest.mark.parametrize(("text", "message"), [
    ("when,where\n1,A\n", "no 'time', 'station', 'part', 'event' column \\(the file has 'when', 'where'"),
    ("time,station,part,event\n1,A,1,BEGIN\n", "event: row 1 are not one of ENTER, START, END, EXIT"),
    ("time,station,part,event\nsoon,A,1,START\n2,A,1,END\n", "time: row 1 are not numbers"),
    ("time,station,part,event\n1,,1,START\n", "station: row 1 are empty"),
    ("time,station,part,event,value\n1,A,1,END,big\n", "value: row 1 are not numbers"),
    ("", "no rows"),
    ("\x00\xff\xfe", "not a UTF-8 text file"),
])
def test_bad_logs_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(ConfigError, match=message) as caught:
        read_events(path)
    assert "\n" not in str(caught.value)


def test_hostile_logs_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import twin.eventlog.reader as reader

    path = tmp_path / "huge.csv"
    path.write_text("time,station,part,event\n" + "1,A,1,START\n" * 2000)
    monkeypatch.setattr(reader, "MAX_LOG_BYTES", 1000)
    with pytest.raises(ConfigError, match="file too large"):
        read_events(path)
    monkeypatch.setattr(reader, "MAX_LOG_BYTES", 1 << 20)
    monkeypatch.setattr(reader, "MAX_LOG_ROWS", 100)
    with pytest.raises(ConfigError, match="more than 100 rows"):
        read_events(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_events("/dev/zero")
    with pytest.raises(ConfigError, match="not a Parquet file"):
        read_events(b"PAR1 not really", label="upload.parquet", parquet=True)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(1000)) + "\n")
    with pytest.raises(ConfigError, match="1,000 columns"):
        read_events(wide)


def test_unknown_stations_and_bad_mapping_name_what_is_wrong(tmp_path: Path) -> None:
    path = noisy_log(tmp_path)
    with pytest.raises(ConfigError, match=r"rows 7, 8 name stations the line does not have "
                                          r"\('B'; the line has 'A'\)"):
        read_events(path, stations=["A"])
    with pytest.raises(ConfigError, match="--map time='ts': no such column"):
        read_events(path, mapping={"time": "ts"})
    with pytest.raises(ConfigError, match="--map: 'colour' is not a column"):
        parse_mapping("colour=c")
    with pytest.raises(ConfigError, match="--time-unit: must be one of"):
        read_events(path, time_unit="fortnight")


def test_inspection_outcomes_and_values_are_logged() -> None:
    quality = {"characteristic": {"name": "d", "unit": "mm", "nominal": 40.0, "lsl": 39.99,
                                  "usl": 40.01}, "sigma": 0.006, "control": {"policy": "none"}}
    line = make_line([
        {"name": "Turn", "process": 1.0},
        {"name": "Grind", "process": 1.0, "quality": quality,
         "inspection": {"where": "inline", "action": "rework", "to": "Turn", "max_reworks": 1}}],
        horizon="1d", warmup=0, replications=1, seed=4)
    events = twin.run(line, workers=1, keep_part_log=True).part_events()
    ends = events[(events["station"] == "Grind") & (events["event"] == "END")]
    assert set(ends["outcome"]) == {"good", "rework", "scrap"}
    assert ends["value"].between(39.95, 40.05).all()
    reworked = ends.loc[ends["outcome"] == "rework", "part"].iloc[0]
    visits = events[(events["part"] == reworked) & (events["event"] == "START")]["station"].tolist()
    assert visits[:3] == ["Turn", "Grind", "Turn"]
    assert events.loc[events["station"] == "Turn", "outcome"].eq("").all()


def test_the_per_part_table_of_the_app_keeps_its_shape(results: twin.Results) -> None:
    table = results.part_records()
    assert list(table.columns) == ["replication", "part_id", "station", "start_min", "end_min",
                                   "departure_min", "characteristic", "outcome"]
    assert len(table) == len(results.part_events()) // 4


def test_formula_like_names_are_guarded_in_the_csv_and_read_back_as_written(tmp_path: Path) -> None:
    names = ["=SUM(A1)", "+1", "-x", "@x"]  # cells are read without surrounding blanks
    line = make_line([{"name": n, "process": 1.0} for n in names], horizon="30min", warmup=0,
                     replications=1)
    events = twin.run(line, workers=1, keep_part_log=True).part_events()
    path = tmp_path / "events.csv"
    write_events(events, path)
    assert "'=SUM(A1)" in path.read_text()
    assert list(read_events(path)["station"].drop_duplicates()) == names
