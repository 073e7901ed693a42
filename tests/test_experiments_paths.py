"""Paths into a config: read and written on validated models, refused in one line naming the path
and the value (twin/experiments/paths.py)."""

from __future__ import annotations

import pytest
from hostile import assert_config_error

import twin
from twin.experiments.paths import get, parse, set_values
from twin.experiments.scenarios import Scenario

LINE = twin.line_from_text("""
name: paths
stations:
  - {name: Milling, process: {dist: exponential, mean: 1.0}}
  - {name: Grinding, process: {dist: lognormal, mean: 2.0, cv: 0.2}, buffer: 2,
     failures: {mtbf: 8h, mttr: 30min}}
  - {name: "Op 10.a", process: 90s, buffer: 1}
""")
STUDY = twin.study_from_text("""
line:
  stations:
    - {name: A, process: 1, failures: {mtbf: 100, mttr: 10}}
levers:
  predictive_maintenance: {enabled: true}
""")


@pytest.mark.parametrize(("path", "value"), [
    ("stations[Milling].process.mean", 1.0),
    ("stations[1].buffer", 2),
    ("stations[Grinding].failures.mtbf.mean", 480.0),
    ('stations["Op 10.a"].process.mean', 1.5),
    ("stations[*].buffer", [None, 2, 1]),
    ("maintenance_crew", None),
    ("horizon", 7 * 24 * 60.0),
])
def test_get_reads_the_validated_value(path: str, value: object) -> None:
    assert get(LINE, path) == value


def test_set_validates_the_whole_line_with_units() -> None:
    line = set_values(LINE, {"stations[Grinding].buffer": 5, "stations[0].process.mean": "90s",
                             "maintenance_crew": 1})
    assert line.stations[1].buffer == 5
    assert line.stations[0].process.mean == 1.5
    assert line.maintenance_crew == 1
    assert LINE.stations[1].buffer == 2, "the base is left as it was"


def test_a_wildcard_sets_every_element() -> None:
    line = set_values(LINE, {"stations[*].buffer": 4})
    assert [s.buffer for s in line.stations] == [4, 4, 4]


def test_study_paths_reach_the_line_and_the_levers() -> None:
    study = set_values(STUDY, {"levers.predictive_maintenance.recall": 0.8, "stations[A].buffer": 3,
                               "levers.automation.stations": ["A"]})
    assert study.levers.predictive_maintenance.recall == 0.8
    assert study.line.stations[0].buffer == 3
    assert study.levers.automation is not None and study.levers.automation.stations == ["A"]
    line = Scenario("s", {"levers.predictive_maintenance.enabled": False}).line(STUDY)
    assert line.stations[0].maintenance.policy == "reactive"
    assert Scenario("s").line(STUDY).stations[0].maintenance.policy == "predictive"


@pytest.mark.parametrize(("overrides", "mentions"), [
    ({"stations[Grindin].buffer": 1}, ["stations[Grindin].buffer", "did you mean 'Grinding'"]),
    ({"stations[1].bufer": 1}, ["stations[1].bufer", "did you mean 'buffer'"]),
    ({"stations[1].buffer": -1}, ["stations[1].buffer = -1", "must be >= 0"]),
    ({"stations[7].buffer": 1}, ["stations[7].buffer", "no element [7]"]),
    ({"stations[*].buffer": "x"}, ["stations[*].buffer = 'x'", "whole number"]),
    ({"stations[0].process.mean": -1}, ["stations[0].process.mean = -1", "must be > 0"]),
    ({"stations.buffer": 1}, ["stations.buffer", "no field 'buffer'"]),
    ({"stations[0]..x": 1}, ["stations[0]..x"]),
    ({"stations[0": 1}, ["stations[0"]),
    ({"levers.automation.enabled": True}, ["levers.automation.enabled", "make the base a study"]),
    ({"": 1}, ["path"]),
])
def test_bad_paths_and_values_are_one_line(overrides: dict, mentions: list[str]) -> None:
    assert_config_error(lambda: set_values(LINE, overrides), *mentions)


def test_a_study_refusal_names_the_path_as_written() -> None:
    message = assert_config_error(
        lambda: set_values(STUDY, {"stations[A].failures.mtbf": 0}), "stations[A].failures.mtbf = 0")
    assert "line.stations" not in message
    assert_config_error(lambda: set_values(STUDY, {"levers.predictive_maintenance.recall": 1.5}),
                        "levers.predictive_maintenance.recall = 1.5", "must be <= 1")
    assert_config_error(lambda: set_values(STUDY, {"levers.automation.stationz": ["A"]}),
                        "stationz", "did you mean 'stations'")


def test_parse_keeps_quoted_names_whole() -> None:
    steps = parse('stations["a]b.c"].buffer')
    assert steps[1].text == "a]b.c" and steps[2] == "buffer"
