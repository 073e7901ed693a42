"""The shipped presets: every config file validates, and each realistic line runs to sane KPIs.

The run checks use a short horizon and two replications, so they test that a preset is wired
correctly (it produces output, its OEE is a share, its bottleneck is one of its stations, and no
line makes more than its designed constraint can), not the figures in docs/presets.md.
"""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.config import dist_mean
from twin.io import load_study

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
REALISTIC = ["machining_line.yaml", "electronics_assembly.yaml", "packaging_line.yaml"]


def test_the_realistic_presets_are_there():
    names = {path.name for path in CONFIGS}
    assert set(REALISTIC) <= names


@pytest.mark.parametrize("path", CONFIGS, ids=lambda path: path.name)
def test_every_config_validates(path):
    """A plain line file or a study (a line plus levers) must load without a config error."""
    study = load_study(path)
    assert study.line.stations


@pytest.mark.parametrize("name", REALISTIC)
def test_twin_validate_accepts_the_preset(name):
    result = CliRunner().invoke(app, ["validate", str(ROOT / "configs" / name)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


@pytest.mark.parametrize("name", REALISTIC)
def test_the_preset_is_a_documented_week_long_study(name):
    """The conventions of docs/presets.md: 8 h warm-up, 10 replications, seed 42, a header."""
    path = ROOT / "configs" / name
    line = twin.load(path)
    assert (line.warmup, line.replications, line.seed) == (8 * 60, 10, 42)
    assert line.horizon in (2 * 24 * 60, 3 * 24 * 60, 7 * 24 * 60)
    assert path.read_text().startswith("#")


@pytest.mark.parametrize("name", REALISTIC)
def test_the_preset_runs_to_sane_kpis(name):
    line = twin.load(ROOT / "configs" / name)
    short = twin.Line.model_validate({**line.model_dump(), "horizon": "1d", "warmup": "2h"})
    results = twin.run(short, replications=2, workers=1)
    summary = results.summary()["mean"]

    throughput = summary["throughput_per_hour"]
    assert throughput > 0
    assert 0 < summary["oee"] < 1

    stations = [station.name for station in line.stations]
    assert set(results.kpis["bottleneck"]) <= set(stations)
    assert results.bottleneck()["station"] in stations

    capacity_per_hour = min(60 * s.machines / dist_mean(s.process) for s in line.stations)
    assert throughput < capacity_per_hour
