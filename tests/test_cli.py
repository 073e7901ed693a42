"""The `twin` command: output contracts (json, csv, table, events log, schema) and one-line errors."""

from __future__ import annotations

import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app, main

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = str(ROOT / "configs" / "reference_line.yaml")
SHORT_RUN = ["--replications", "2", "--horizon", "1d", "--warmup", "1h", "--workers", "1"]
CONTRACT_KEYS = {"name", "config_hash", "seed", "version", "replications", "horizon_min", "warmup_min",
                 "kpis", "stations"}


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output + (result.stderr or "")
    return result


@pytest.fixture(scope="module")
def json_run() -> dict:
    """`twin run configs/reference_line.yaml --replications 2 --horizon 1d --warmup 1h --format json`."""
    result = invoke("run", REFERENCE, *SHORT_RUN, "--format", "json")
    return json.loads(result.stdout)  # fails unless stdout is exactly one JSON document


def assert_estimate(value: object) -> None:
    assert isinstance(value, dict) and set(value) == {"mean", "ci95"}, value
    mean, ci = value["mean"], value["ci95"]
    assert isinstance(ci, list) and len(ci) == 2
    if mean is not None and None not in ci:
        assert ci[0] - 1e-9 <= mean <= ci[1] + 1e-9, value


def test_json_has_the_contract_keys_and_shapes(json_run: dict) -> None:
    assert isinstance(json_run, dict)
    assert set(json_run) >= CONTRACT_KEYS, sorted(CONTRACT_KEYS - set(json_run))
    assert json_run["name"] == "Reference five-station line"
    assert json_run["replications"] == 2 and json_run["seed"] == 42
    assert json_run["version"] == twin.__version__
    assert (json_run["horizon_min"], json_run["warmup_min"]) == (1440.0, 60.0)
    assert len(json_run["config_hash"]) == 12 and int(json_run["config_hash"], 16) >= 0
    assert {"throughput_per_hour", "lead_time_min", "wip", "oee"} <= set(json_run["kpis"])
    for estimate in json_run["kpis"].values():
        assert_estimate(estimate)
    assert [s["name"] for s in json_run["stations"]] == ["S1", "S2", "S3", "S4", "S5"]
    for station in json_run["stations"]:
        assert set(station) == {"name", "kpis"} and station["kpis"]
        for estimate in station["kpis"].values():
            assert_estimate(estimate)
    # the reference line makes 44.6 good parts an hour (exact, see the config); two short runs agree
    assert 35 < json_run["kpis"]["throughput_per_hour"]["mean"] < 55


def test_same_seed_same_kpis_other_seed_other_kpis(json_run: dict) -> None:
    again = json.loads(invoke("run", REFERENCE, *SHORT_RUN, "--format", "json").stdout)
    assert again["kpis"] == json_run["kpis"] and again["stations"] == json_run["stations"]
    other = json.loads(invoke("run", REFERENCE, *SHORT_RUN, "--seed", "7", "--format", "json").stdout)
    assert other["seed"] == 7
    assert other["kpis"]["throughput_per_hour"] != json_run["kpis"]["throughput_per_hour"]


def test_csv_parses_with_pandas(json_run: dict) -> None:
    table = pd.read_csv(io.StringIO(invoke("run", REFERENCE, *SHORT_RUN, "--format", "csv").stdout))
    assert list(table.columns) == ["scope", "kpi", "mean", "ci_low", "ci_high", "half_width", "n"]
    assert set(table["scope"]) == {"line", "S1", "S2", "S3", "S4", "S5"}
    line = table[table["scope"] == "line"].set_index("kpi")
    assert math.isclose(line.loc["throughput_per_hour", "mean"],
                        json_run["kpis"]["throughput_per_hour"]["mean"])
    assert (table["n"] <= 2).all()


def test_table_mentions_the_kpi_labels() -> None:
    text = invoke("run", REFERENCE, *SHORT_RUN).stdout
    for label in ("Throughput (good parts)", "Lead time", "WIP", "OEE", "95% CI", "Bottleneck", "S3"):
        assert label in text, label


def test_events_out_writes_the_event_log_schema(tmp_path: Path) -> None:
    path = tmp_path / "parts.csv"
    invoke("run", REFERENCE, *SHORT_RUN, "--format", "json", "--events-out", str(path))
    log = pd.read_csv(path)
    assert list(log.columns) == ["time", "station", "machine", "part", "product", "event", "outcome",
                                 "value"]
    assert len(log) > 4000  # about 45 parts an hour through five stations for 23 h, four events each
    assert set(log["station"]) == {"S1", "S2", "S3", "S4", "S5"}
    assert set(log["event"]) == {"ENTER", "START", "END", "EXIT"}
    assert log["time"].is_monotonic_increasing
    assert log["time"].max() <= 1440


def test_schema_is_json_schema_of_a_line() -> None:
    schema = json.loads(invoke("schema").stdout)
    assert schema["properties"]["stations"]["type"] == "array"
    assert "stations" in schema["required"]
    # durations may be written "2h": the schema must not tell an editor that only numbers are valid
    assert {alt.get("type") for alt in schema["properties"]["horizon"]["anyOf"]} == {"number", "string"}


def test_validate_success_prints_ok() -> None:
    result = invoke("validate", REFERENCE)
    assert result.stdout.startswith("ok: Reference five-station line: 5 stations")
    assert len(result.stdout.splitlines()) == 1 and result.stderr == ""


# --- bad command lines: one line on stderr, exit 2, nothing run -----------------------------------


@pytest.fixture()
def markup_file(tmp_path: Path) -> Path:
    path = tmp_path / "markup.yaml"
    path.write_text("stations:\n  - {name: '[bold]', process: 1}\n  - {name: '[bold]', process: 1}\n")
    return path


BAD_COMMANDS = [
    ("horizon-unit", ["run", REFERENCE, "--horizon", "5parsecs"],
     "--horizon: unknown time unit 'parsecs' (use s, min, h, d or w), got '5parsecs'"),
    ("horizon-negative", ["run", REFERENCE, "--horizon=-1d"], "--horizon: must be > 0, got '-1d'"),
    ("warmup-beyond-horizon", ["run", REFERENCE, "--horizon", "1d", "--warmup", "2d"],
     "--warmup: must be < horizon (1d), got 2d"),
    ("horizon-below-file-warmup", ["run", REFERENCE, "--horizon", "1h"],
     f"{REFERENCE} (with --horizon 1h): warmup: must be < horizon (1h), got 8h"),
    ("missing-file", ["run", "no/such/line.yaml"], "no/such/line.yaml: no such file"),
    ("events-out-no-directory", ["run", REFERENCE, "--events-out", "no/such/dir/parts.csv"],
     "--events-out: no such directory 'no/such/dir', got 'no/such/dir/parts.csv'"),
    ("replications-zero", ["run", REFERENCE, "--replications", "0"],
     "--replications: must be >= 1, got '0'"),
    ("replications-text", ["run", REFERENCE, "--replications", "many"],
     "--replications: expected a whole number, got 'many'"),
    ("workers-zero", ["run", REFERENCE, "--workers", "0"], "--workers: must be >= 1, got '0'"),
    ("format-unknown", ["run", REFERENCE, "--format", "xml"], "--format: 'xml' is not one of"),
    ("option-misspelt", ["run", REFERENCE, "--formt", "json"], "No such option: --formt"),
    ("file-missing", ["run"], "Missing argument"),
]


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, args: list[str]):
    monkeypatch.setattr(sys, "argv", ["twin", *args])
    with pytest.raises(SystemExit) as info:
        main()
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


@pytest.mark.parametrize(("args", "expected"), [pytest.param(*case[1:], id=case[0]) for case in BAD_COMMANDS])
def test_bad_command_line_is_one_line(monkeypatch, capsys, args: list[str], expected: str) -> None:
    code, out, err = run_main(monkeypatch, capsys, args)
    assert code == 2
    assert out == ""
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.startswith("error: ") and expected in err, err


def test_events_out_to_a_directory_fails_before_running(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out, err = run_main(monkeypatch, capsys, ["run", REFERENCE, "--events-out", str(tmp_path)])
    assert (code, out) == (2, "")
    assert err == f"error: --events-out: is a directory, got '{tmp_path}'\n"


def test_markup_in_values_is_printed_as_is(monkeypatch, capsys, markup_file: Path) -> None:
    code, _, err = run_main(monkeypatch, capsys, ["validate", str(markup_file)])
    assert code == 2
    assert err.endswith("stations[1].name: duplicate station name, got '[bold]'\n"), err


def test_the_installed_entry_point_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stations:\n  - {name: A, process: 1}\n  - {name: B, process: 1}\n"
                   "  - {name: C, process: 1, buffer: -3}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "twin.cli", "validate", str(bad)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == f"error: {bad}: stations[2].buffer: must be >= 0, got -3\n"
