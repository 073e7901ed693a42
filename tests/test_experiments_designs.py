"""Designs and the experiment file: points drawn within the factors, counted before they are drawn,
and bad factors or designs refused in one line (twin/experiments/designs.py, spec.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile import assert_config_error

import twin
from twin.experiments.designs import planned_points, points, value_at
from twin.experiments.spec import Design, Factor, SweepFile, experiment_from_text
from twin.io import validate_as

FACTORS = [Factor(path="stations[0].buffer", low=0, high=4, type="int"),
           Factor(path="stations[1].process.mean", low=0.5, high=1.5),
           Factor(path="maintenance_crew", values=[1, 2, 3])]


@pytest.mark.parametrize("design", [Design(kind="grid"), Design(kind="grid", samples=5),
                                    Design(kind="lhs", samples=17), Design(kind="sobol", samples=8),
                                    Design(kind="morris", samples=6, levels=4)])
def test_points_stay_within_the_factors_and_are_counted_before(design: Design) -> None:
    drawn = points(design, FACTORS, seed=3)
    assert len(drawn.scenarios) == planned_points(design, FACTORS)
    for scenario in drawn.scenarios:
        values = scenario.overrides
        assert isinstance(values["stations[0].buffer"], int) and 0 <= values["stations[0].buffer"] <= 4
        assert 0.5 <= values["stations[1].process.mean"] <= 1.5
        assert values["maintenance_crew"] in (1, 2, 3)
    if design.kind in ("sobol", "morris"):
        assert drawn.unit is not None and drawn.unit.shape == (len(drawn.scenarios), 3)


def test_a_grid_of_an_int_range_has_distinct_whole_levels() -> None:
    drawn = points(Design(kind="grid", samples=9), [Factor(path="x", low=0, high=3, type="int")], 1)
    assert [s.overrides["x"] for s in drawn.scenarios] == [0, 1, 2, 3]


def test_int_ranges_and_value_lists_are_evenly_drawn() -> None:
    u = np.linspace(0, 1, 10_001)
    whole = [value_at(Factor(path="x", low=1, high=4, type="int"), float(x)) for x in u]
    assert np.bincount(whole)[1:].tolist() == pytest.approx([2500] * 4, abs=2)
    listed = [value_at(Factor(path="x", values=["a", "b"]), float(x)) for x in u]
    assert listed.count("a") == pytest.approx(5000, abs=2)


def test_lhs_is_reproducible_by_seed() -> None:
    a = points(Design(kind="lhs", samples=5), FACTORS, seed=11)
    b = points(Design(kind="lhs", samples=5), FACTORS, seed=11)
    c = points(Design(kind="lhs", samples=5), FACTORS, seed=12)
    assert a.scenarios == b.scenarios != c.scenarios


@pytest.mark.parametrize(("factor", "mentions"), [
    ({"path": "x", "values": [1], "low": 0, "high": 1}, ["values", "either values or low and high"]),
    ({"path": "x", "low": 0}, ["high", "needs values, or both low and high"]),
    ({"path": "x", "low": 2, "high": 1}, ["high", "must be > low"]),
    ({"path": "x", "low": 0.5, "high": 2, "type": "int"}, ["low", "whole bounds"]),
    ({"path": "x", "values": []}, ["values"]),
    ({"path": "x", "values": [1], "type": "bool"}, ["type"]),
])
def test_bad_factors_are_one_line(factor: dict, mentions: list[str]) -> None:
    assert_config_error(lambda: validate_as(Factor, factor), *mentions)


def test_too_many_points_are_refused_before_any_is_drawn() -> None:
    many = [Factor(path=f"x{i}", values=list(range(10))) for i in range(6)]
    assert_config_error(lambda: points(Design(kind="grid"), many, 1), "design", "1000000 points")


def test_an_inline_base_and_a_base_study_with_its_own_line_path(tmp_path: Path) -> None:
    (tmp_path / "line.yaml").write_text("stations: [{name: A, process: 1}]\n")
    (tmp_path / "study.yaml").write_text("line: line.yaml\nlevers: {energy_management: {}}\n")
    spec, study = experiment_from_text("base: study.yaml\nfactors: [{path: maintenance_crew, "
                                       "values: [1]}]\n", SweepFile, "e.yaml", tmp_path)
    assert study.levers.energy_management is not None and study.line.stations[0].name == "A"
    _, inline = experiment_from_text("base: {stations: [{name: B, process: 2}]}\nfactors: "
                                     "[{path: maintenance_crew, values: [1]}]\n", SweepFile, "e.yaml")
    assert inline.line.stations[0].name == "B"
    assert_config_error(lambda: experiment_from_text(
        "base: {stations: [{name: B, process: -2}]}\nfactors: [{path: x, values: [1]}]\n",
        SweepFile, "e.yaml"), "e.yaml: base", "stations[0].process")
    assert spec.design.kind == "grid"


def test_api_takes_plain_mappings() -> None:
    line = twin.line_from_text("horizon: 600\nreplications: 2\nstations: [{name: A, process: "
                               "{dist: exponential, mean: 1}}, {name: B, process: 1, buffer: 1}]\n")
    result = twin.sweep(line, [{"path": "stations[B].buffer", "values": [0, 1]}], workers=1,
                        responses=["throughput_per_hour"])
    assert [p["factors"] for p in result.to_json()["points"]] == [{"stations[B].buffer": 0},
                                                                  {"stations[B].buffer": 1}]
    assert_config_error(lambda: twin.sweep(line, [{"path": "stations[B].buffer"}]), "factors[0]")
