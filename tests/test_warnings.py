"""Warnings: valid input whose numbers mislead, told as `warning: <field>: <message>`, never a failure."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import make_line
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.diagnostics import line_notices

QUALITY = {"characteristic": {"name": "d", "nominal": 0, "lsl": -1, "usl": 1}, "sigma": 0.1}


def test_unbounded_drift_warns_at_validation() -> None:
    """Wear with neither a tool life nor a control grows without limit: a warning on the field."""
    def line_with(**quality) -> twin.Line:
        return make_line([{"name": "M", "process": 1.0, "quality": {**QUALITY, **quality}}])

    [notice] = line_notices(line_with(drift_per_part=0.001))
    assert notice.field == "stations[0].quality.drift_per_part"
    assert "without limit" in notice.message
    assert line_notices(line_with(drift_per_part=0.001, tool_life=100)) == []
    assert line_notices(line_with(drift_per_part=0.001, control={"policy": "closed_loop"})) == []
    assert line_notices(line_with(drift_per_part=0.0)) == []


def _write(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "line.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_validate_prints_the_warning_on_stderr_and_succeeds(tmp_path: Path) -> None:
    path = _write(tmp_path, {"stations": [{"name": "M", "process": 1,
                                           "quality": {**QUALITY, "drift_per_part": 0.001}}]})
    result = CliRunner().invoke(app, ["validate", path])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")
    [line] = result.stderr.splitlines()
    assert line.startswith("warning: stations[0].quality.drift_per_part: the tool wears 0.001 per part")


def test_run_warns_when_the_source_backlog_grows(tmp_path: Path) -> None:
    """λ 1.2/min into a 1-min machine: 20% more arrives than the line can take."""
    path = _write(tmp_path, {"horizon": "1d", "warmup": "1h", "stations": [
        {"name": "M", "process": 1, "buffer": 3}],
        "source": {"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": 1 / 1.2}}})
    result = CliRunner().invoke(app, ["run", path, "--replications", "2", "--workers", "1",
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and warnings[0].startswith(
        "warning: source: the line does not keep up with arrivals"), result.stderr
    assert '"warnings": [' in result.stdout and "does not keep up" in result.stdout
