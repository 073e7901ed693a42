"""Contracts of what the twin writes back: YAML that keeps durations as people write them and
reloads to the same config, and `--precision` that says when its target was not met."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import twin
from twin.cli import app

CONFIGS = sorted(Path("configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_dumped_yaml_reloads_to_the_same_config(path):
    study = twin.load_study(path)
    text = twin.dump_yaml(study)
    assert twin.config_hash(twin.study_from_text(text, base=path.parent)) == twin.config_hash(study)


def test_durations_are_written_with_their_unit():
    line = twin.line_from_text("horizon: 1w\nwarmup: 90min\nstations:\n"
                               "  - {name: A, process: 45s, failures: {mtbf: 8h, mttr: {dist: exponential, "
                               "mean: 20min}}}\n")
    data = yaml.safe_load(twin.dump_yaml(line))
    assert data["horizon"] == "1w"
    assert data["warmup"] == "90min"
    assert data["stations"][0]["process"]["mean"] == "45s"
    assert data["stations"][0]["failures"]["mtbf"]["mean"] == "8h"
    assert data["stations"][0]["failures"]["mttr"]["mean"] == "20min"


def test_a_duration_no_unit_writes_exactly_stays_a_number():
    line = twin.line_from_text("horizon: 1234.56789012345\nstations: [{name: A, process: 1}]\n")
    data = yaml.safe_load(twin.dump_yaml(line))
    assert data["horizon"] == pytest.approx(1234.56789012345, rel=0, abs=0)


NOISY = """
line:
  name: noisy
  horizon: 2h
  replications: 3
  stations:
    - {name: A, process: {dist: exponential, mean: 1}, failures: {mtbf: 30, mttr: 20}}
levers: {quick_changeover: {enabled: true}}
"""


def test_precision_not_met_is_said_in_json_and_a_warning(tmp_path, monkeypatch):
    import twin.comparison

    monkeypatch.setattr(twin.comparison, "MAX_REPLICATIONS", 6)
    study = tmp_path / "noisy.yaml"
    study.write_text(NOISY)
    result = CliRunner().invoke(app, ["compare", str(study), "--precision", "0.1%", "--format", "json",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["precision_met"] is False
    assert document["replications"] == 6
    assert document["precision"]["target"] == pytest.approx(0.001)
    assert document["precision"]["worst"]["relative_half_width"] > 0.001
    assert "warning: --precision 0.1%: not met after 6 replications" in result.stderr


def test_precision_met_is_true_and_silent(tmp_path):
    study = tmp_path / "noisy.yaml"
    study.write_text(NOISY)
    result = CliRunner().invoke(app, ["compare", str(study), "--precision", "50%", "--format", "json",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["precision_met"] is True
    assert "warning" not in result.stderr


def test_no_precision_asked_gives_null():
    study = twin.study_from_text(NOISY)
    document = twin.compare(study, workers=1).to_json()
    assert document["precision_met"] is None and document["precision"] is None


@pytest.mark.parametrize("columns", [80, 100, 160])
def test_run_tables_fit_the_terminal_without_cutting_cells(columns):
    env = {"COLUMNS": str(columns), "TERM": "dumb"}
    result = CliRunner().invoke(app, ["run", "configs/machining_line.yaml", "--replications", "2",
                                      "--horizon", "2d", "--warmup", "4h", "--workers", "1"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns
    station_rows = [line for line in lines if line.startswith("│ Turning")]
    assert station_rows and not any("…" in row for row in station_rows)
    header = "\n".join(lines)
    for state in ("busy", "starved", "blocked", "down", "avail.", "OEE", "parts/h"):
        assert f" {state} " in header


def test_python_dash_m_twin_cli_has_every_command():
    import subprocess
    import sys

    for command in ("run", "compare", "validate"):
        done = subprocess.run([sys.executable, "-m", "twin.cli", command, "--help"], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "Usage" in done.stdout
