"""`twin check LINE LOG` and twin/reality.py: measures exact on a hand-made log, verdicts on logs
of the same line (inside) and of a changed one (outside), the report, one-line errors.

The "real" logs are the twin's own (`Results.part_events`, `machine_states`), written and read back
through the event-log schema, from a seed the check does not use, with the warm-up cut off as a
shop floor's log would start on a running line.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import make_line
from typer.testing import CliRunner

import twin
from twin.checks.reality_run import check_reality
from twin.cli import app
from twin.eventlog import read_events, read_states, write_events, write_states
from twin.reality import observe

TINY = """time,station,part,event,outcome
0,A,p1,ENTER,
0,A,p1,START,
2,A,p1,END,
2,A,p1,EXIT,
2,B,p1,ENTER,
2,B,p1,START,
5,B,p1,END,
5,B,p1,EXIT,
1,A,p2,ENTER,
2,A,p2,START,
4,A,p2,END,
5,A,p2,EXIT,
5,B,p2,ENTER,
5,B,p2,START,
7,B,p2,END,
7,B,p2,EXIT,
3,A,p3,ENTER,
5,A,p3,START,
6,A,p3,END,
6,A,p3,EXIT,
6,B,p3,ENTER,
7,B,p3,START,
8,B,p3,END,scrap
8,B,p3,EXIT,
9,A,p4,ENTER,
9,A,p4,START,
10,A,p4,END,
"""
TINY_STATES = """time,station,state
0,A,busy
4,A,blocked
5,A,busy
6,A,starved
9,A,busy
"""


def test_observed_measures_of_a_tiny_log_are_exact(tmp_path):
    """Window [0, 10]. Good departures p1 (t=5), p2 (7): 12/h; p3 scrapped: scrap rate 1/3.
    Lead times 5 and 6. In the line: p1 [0,5], p2 [1,7], p3 [3,8], p4 [9,10]: WIP 17/10.
    Processing A: 2+2+1+1, B: 3+2+1 over 10 min. States of A: busy 6, blocked 1, starved 3."""
    (tmp_path / "log.csv").write_text(TINY)
    (tmp_path / "states.csv").write_text(TINY_STATES)
    events = read_events(tmp_path / "log.csv")
    states = read_states(tmp_path / "states.csv")
    seen = observe(events, ["A", "B"], {"A": 1, "B": 1}, states)
    kpis = seen.kpis
    assert seen.window == (0.0, 10.0)
    assert kpis[("throughput_per_hour", None)] == pytest.approx(12.0)
    assert kpis[("scrap_rate", None)] == pytest.approx(1 / 3)
    assert kpis[("lead_time_min", None)] == pytest.approx(5.5)
    assert kpis[("lead_time_p10_min", None)] == pytest.approx(5.1)
    assert kpis[("lead_time_p90_min", None)] == pytest.approx(5.9)
    assert kpis[("wip", None)] == pytest.approx(1.7)
    assert kpis[("processing_share", "A")] == pytest.approx(0.6)
    assert kpis[("processing_share", "B")] == pytest.approx(0.6)
    assert np.array_equal(seen.processing["A"], [1, 1, 2, 2])
    assert (kpis[("share_busy", "A")], kpis[("share_blocked", "A")],
            kpis[("share_starved", "A")]) == pytest.approx((0.6, 0.1, 0.3))
    assert ("share_busy", "B") not in kpis  # no state rows for B: no shares claimed


def test_only_enter_exit_rows_still_give_flow_measures(tmp_path):
    """Without START/END rows the window is [0, 9] and the scrap decision (on END) is gone: three
    departures in 9 min; no processing share is claimed."""
    rows = [line for line in TINY.splitlines() if "START" not in line and "END," not in line]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    seen = observe(read_events(tmp_path / "log.csv"), ["A", "B"], {"A": 1, "B": 1})
    assert seen.kpis[("throughput_per_hour", None)] == pytest.approx(3 / 9 * 60)
    assert seen.kpis[("lead_time_min", None)] == pytest.approx((5 + 6 + 5) / 3)
    assert ("processing_share", "A") not in seen.kpis


# --- verdicts on logs of the same and of a changed line ---------------------------------------------

def stations(mill_mean: float) -> list[dict]:
    return [{"name": "Cut", "process": {"dist": "gamma", "mean": 1.0, "cv": 0.5}},
            {"name": "Mill", "buffer": 3, "process": {"dist": "lognormal", "mean": mill_mean, "cv": 0.4},
             "failures": {"mtbf": {"dist": "exponential", "mean": 120.0},
                          "mttr": {"dist": "exponential", "mean": 8.0}}},
            {"name": "Pack", "buffer": 2, "process": {"dist": "exponential", "mean": 0.8}}]


SETTINGS = {"name": "Three stations", "horizon": 1500, "warmup": 240, "replications": 10, "seed": 42}


def line_of(mill_mean: float = 1.2) -> twin.Line:
    return make_line(stations(mill_mean), **SETTINGS)


def shop_floor_log(line: twin.Line, folder: Path, seed: int = 777) -> tuple[Path, Path]:
    """One history of `line` from a seed the check does not use, warm-up cut, as CSV files."""
    results = twin.run(line, replications=1, seed=seed, workers=1, keep_part_log=True,
                       keep_state_log=True)
    events = results.part_events(0)
    events = events[events["time"] >= line.warmup]
    paths = folder / "events.csv", folder / "states.csv"
    write_events(events, paths[0])
    write_states(results.machine_states(0), paths[1])
    return paths


@pytest.fixture(scope="module")
def same_line_log(tmp_path_factory) -> tuple[Path, Path]:
    return shop_floor_log(line_of(), tmp_path_factory.mktemp("same"))


def verdicts(line: twin.Line, paths: tuple[Path, Path]) -> dict:
    events, states = read_events(paths[0]), read_states(paths[1])
    check = check_reality(line, events, states, replications=10, seed=5, workers=1)
    return {(c.kpi, c.station): c for c in check.checks}


def test_log_of_the_same_line_is_inside(same_line_log):
    found = verdicts(line_of(), same_line_log)
    for key in [("throughput_per_hour", None), ("lead_time_min", None), ("wip", None),
                ("share_busy", "Mill"), ("share_down", "Mill")]:
        assert found[key].inside, (key, found[key])
    assert sum(not c.inside for c in found.values()) <= 2, [k for k, c in found.items() if not c.inside]
    throughput = found[("throughput_per_hour", None)]
    one_period = throughput.predicted.high - throughput.predicted.low
    assert one_period > 2 * (throughput.twin.high - throughput.twin.low)  # wider than the mean's CI


def test_log_of_a_slower_bottleneck_is_outside(tmp_path):
    """The shop floor's Mill takes 1.5 min, not the twin's 1.2: throughput, lead time and the
    Mill's busy share fall outside the twin's prediction intervals."""
    found = verdicts(line_of(1.2), shop_floor_log(line_of(1.5), tmp_path))
    for key in [("throughput_per_hour", None), ("lead_time_min", None), ("share_blocked", "Cut")]:
        assert not found[key].inside, (key, found[key])
    assert found[("throughput_per_hour", None)].relative_error > 0.1


# --- the command -----------------------------------------------------------------------------------

def run_cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def line_file(tmp_path) -> Path:
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump({**SETTINGS, "stations": stations(1.2)}))
    return path


def test_cli_json_and_report_escape_names(tmp_path, line_file, same_line_log):
    """A station called `<img src=x onerror=alert(1)>` is text in the report, never a tag."""
    hostile = "<img src=x onerror=alert(1)>"
    data = yaml.safe_load(line_file.read_text())
    data["stations"][2]["name"] = hostile
    line_file.write_text(yaml.safe_dump(data))
    for path in same_line_log:
        frame = read_events(path) if path.name == "events.csv" else read_states(path)
        frame["station"] = frame["station"].replace("Pack", hostile)
        (write_events if path.name == "events.csv" else write_states)(frame, tmp_path / path.name)
    report = tmp_path / "check.html"
    result = run_cli("check", line_file, tmp_path / "events.csv", "--states", tmp_path / "states.csv",
                     "--replications", "4", "--workers", "1", "--format", "json", "--report", report)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"line", "period_min", "replications", "kpis", "inside", "total"} <= set(document)
    for item in document["kpis"]:
        assert set(item) == {"kpi", "station", "observed", "twin", "prediction95", "relative_error",
                             "inside"}
    page = report.read_text()
    assert hostile not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("Processing time at") == 3 and "Lead time (release to exit)" in page
    from twin.page_policy import SCRIPT, script_policy

    assert page.count("Content-Security-Policy") == 1 and len(SCRIPT.findall(page)) >= 4
    assert script_policy(page).count("sha256-") == len(set(SCRIPT.findall(page)))


@pytest.mark.parametrize(("extra", "message"), [
    (["--map", "time"], "--map"),
    (["--time-unit", "fortnight"], "fortnight"),
    (["--report", "{line}"], "--report: would overwrite the input file"),
])
def test_cli_errors_are_one_line(tmp_path, line_file, extra, message):
    (tmp_path / "log.csv").write_text(TINY.replace(",A,", ",Cut,").replace(",B,", ",Pack,"))
    args = [a.replace("{line}", str(line_file)) for a in extra]
    result = run_cli("check", line_file, tmp_path / "log.csv", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_cli_unknown_station_in_the_log_is_one_line(tmp_path, line_file):
    (tmp_path / "log.csv").write_text(TINY)  # stations A and B: not the line's
    result = run_cli("check", line_file, tmp_path / "log.csv")
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "'A'" in result.stderr or "A" in result.stderr


@pytest.mark.parametrize(("rows", "message"), [
    ("0,Cut,1,ENTER\n1e9,Pack,1,EXIT\n", "LOG: its period of 1000000000min is too long"),
    ("5,Cut,1,ENTER\n5,Cut,1,START\n", "LOG: the log covers no time"),
])
def test_cli_a_log_the_twin_cannot_run_over_is_one_line(tmp_path, line_file, rows, message):
    (tmp_path / "log.csv").write_text("time,station,part,event\n" + rows)
    result = run_cli("check", line_file, tmp_path / "log.csv")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
