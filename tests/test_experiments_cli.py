"""`twin scenarios`, `twin sweep`, `twin sensitivity`: the JSON contract, the tidy table written
whole (CSV spreadsheet-safe, Parquet), failed points reported while the others run, and bad input
as one line naming the field and the value."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hostile import assert_one_line_error, cli

LINE = """\
name: two stations
horizon: 2000
warmup: 100
replications: 3
seed: 5
stations:
  - {name: M1, process: {dist: exponential, mean: 1.0}}
  - {name: M2, process: {dist: exponential, mean: 0.8}, buffer: 1}
"""
SWEEP = """\
base: line.yaml
responses: [throughput_per_hour, wip]
factors:
  - path: stations[M2].buffer
    values: [0, 2]
  - {path: "stations[M1].process.mean", low: 0.9, high: 1.1}
design: {kind: grid, samples: 2}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "line.yaml").write_text(LINE)
    return tmp_path


def write(folder: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def estimate_keys(value: dict) -> None:
    assert set(value) == {"mean", "ci95"} and len(value["ci95"]) == 2


def test_sweep_json_has_the_contract_keys(folder: Path) -> None:
    outcome = cli("sweep", write(folder, SWEEP), "--format", "json", "--workers", "1")
    assert outcome.code == 0, outcome.stderr
    document = json.loads(outcome.stdout)
    assert {"points", "sensitivity", "failed", "replications", "seed", "engine"} <= set(document)
    assert len(document["points"]) == 4 and document["sensitivity"] is None
    for point in document["points"]:
        assert set(point["factors"]) == {"stations[M2].buffer", "stations[M1].process.mean"}
        assert set(point["kpis"]) == {"throughput_per_hour", "wip"}
        for value in point["kpis"].values():
            estimate_keys(value)
    assert document["replications"] == 3 and document["seed"] == 5 and document["engine"] == "fast"


def test_sweep_options_override_the_file(folder: Path) -> None:
    outcome = cli("sweep", write(folder, SWEEP), "--format", "json", "--workers", "1",
                  "--replications", "2", "--seed", "9", "--engine", "simpy")
    document = json.loads(outcome.stdout)
    assert (document["replications"], document["seed"], document["engine"]) == (2, 9, "simpy")


def test_sobol_sweep_reports_indices(folder: Path) -> None:
    text = SWEEP.replace("design: {kind: grid, samples: 2}", "design: {kind: sobol, samples: 4}")
    document = json.loads(cli("sweep", write(folder, text), "-f", "json", "--workers", "1",
                              "--replications", "2").stdout)
    assert len(document["points"]) == 4 * (2 + 2)
    indices = document["sensitivity"]["throughput_per_hour"]
    assert indices["kind"] == "sobol" and 0 <= indices["seed_noise"] <= 1
    assert set(indices["factors"]["stations[M2].buffer"]) == {"S1", "ST"}


def test_the_tidy_table_is_written_whole_and_spreadsheet_safe(folder: Path) -> None:
    text = SWEEP.replace("  - {path: \"stations[M1].process.mean\", low: 0.9, high: 1.1}\n",
                         "  - {path: name, values: ['=HYPERLINK(1)', plain]}\n")
    csv, parquet = folder / "table.csv", folder / "table.parquet"
    assert cli("sweep", write(folder, text), "--out", csv, "--workers", "1").code == 0
    table = pd.read_csv(csv)
    assert len(table) == 4 * 3
    assert list(table.columns[:4]) == ["scenario", "replication", "stations[M2].buffer", "name"]
    assert {"throughput_per_hour", "oee", "bottleneck"} <= set(table.columns)
    assert set(table["name"]) == {"'=HYPERLINK(1)", "plain"}
    assert cli("sweep", write(folder, text), "--out", parquet, "--workers", "1").code == 0
    frame = pd.read_parquet(parquet)
    assert len(frame) == 12 and set(frame["name"]) == {"=HYPERLINK(1)", "plain"}


def test_a_point_that_fails_validation_is_reported_and_the_others_run(folder: Path) -> None:
    text = SWEEP.replace("values: [0, 2]", "values: [-1, 2]")
    outcome = cli("sweep", write(folder, text), "-f", "json", "--workers", "1")
    assert outcome.code == 0, outcome.stderr
    document = json.loads(outcome.stdout)
    assert len(document["points"]) == 2 and len(document["failed"]) == 2
    failed = document["failed"][0]
    assert failed["factors"]["stations[M2].buffer"] == -1 and "must be >= 0" in failed["reason"]
    warnings = [line for line in outcome.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "stations[M2].buffer = -1" in warnings[0]


def test_scenarios_json_pairs_every_scenario_with_the_first(folder: Path) -> None:
    text = ("base: line.yaml\nresponses: [throughput_per_hour]\nscenarios:\n  - name: today\n"
            "  - name: bigger\n    set:\n      stations[M2].buffer: 4\n")
    outcome = cli("scenarios", write(folder, text), "-f", "json", "--workers", "1")
    document = json.loads(outcome.stdout)
    assert document["reference"] == "today"
    first, second = document["scenarios"]
    assert first["difference"] is None and second["set"] == {"stations[M2].buffer": 4}
    estimate_keys(second["difference"]["throughput_per_hour"])
    assert second["difference"]["throughput_per_hour"]["mean"] > 0
    table = cli("scenarios", write(folder, text), "--workers", "1")
    assert table.code == 0 and "bigger" in table.stdout and "Δ" in table.stdout


def test_sensitivity_table_marks_what_is_not_significant(folder: Path) -> None:
    text = SWEEP.replace("values: [0, 2]", "values: [0, 2]\n  - {path: \"stations[M1].buffer\", "
                         "values: [0, 5]}")
    outcome = cli("sensitivity", write(folder, text), "--workers", "1")
    assert outcome.code == 0, outcome.stderr
    assert "Tornado" in outcome.stdout and "n.s." in outcome.stdout  # M1's buffer: no effect
    document = json.loads(cli("sensitivity", write(folder, text), "-f", "json", "--workers", "1").stdout)
    bars = {bar["path"]: bar for bar in document["tornado"]["throughput_per_hour"]["bars"]}
    assert bars["stations[M1].buffer"]["significant"] is False
    assert bars["stations[M2].buffer"]["significant"] is True


BAD = [
    ("no-file", None, ["nothing.yaml"], "nothing.yaml"),
    ("unknown-key", SWEEP + "factor: 1\n", [], "factor"),
    ("bad-path", SWEEP.replace("stations[M2].buffer", "stations[M2].bufer"), [],
     "stations[M2].bufer"),
    ("no-station", SWEEP.replace("stations[M2].buffer", "stations[M9].buffer"), [], "M9"),
    ("unknown-response", SWEEP.replace("wip]", "wipp]"), [], "responses[1]"),
    ("no-base", SWEEP.replace("base: line.yaml", "base: other.yaml"), [], "base"),
    ("range-backwards", SWEEP.replace("low: 0.9, high: 1.1", "low: 1.1, high: 0.9"), [], "high"),
    ("too-many-points", SWEEP.replace("values: [0, 2]", "values: [" + ", ".join(map(str, range(6000)))
                                      + "]"), [], "design"),
    ("out-suffix", SWEEP, ["--out", "table.xlsx"], "--out"),
    ("sobol-not-power", SWEEP.replace("kind: grid, samples: 2", "kind: sobol, samples: 3"), [],
     "design.samples"),
    ("fast-out-of-scope", SWEEP.replace("base: line.yaml", "base: {name: x, maintenance_crew: 1, "
                                        "stations: [{name: M1, process: 1, failures: {mtbf: 100, "
                                        "mttr: 5}}, {name: M2, process: 1}]}"),
     ["--engine", "fast", "--format", "json"], None),
]


@pytest.mark.parametrize(("text", "extra", "mention"), [pytest.param(*c[1:], id=c[0]) for c in BAD])
def test_bad_experiment_files_are_one_line(folder: Path, text: str | None, extra: list[str],
                                           mention: str | None) -> None:
    path = write(folder, text) if text is not None else folder / extra.pop(0)
    args = [a if a != "table.xlsx" else str(folder / a) for a in extra]
    outcome = cli("sweep", path, "--workers", "1", *args)
    if mention is None:  # every point refused by the engine choice: reported, nothing run
        document = json.loads(outcome.stdout)
        assert document["points"] == [] and "maintenance_crew" in document["failed"][0]["reason"]
        return
    assert_one_line_error(outcome, mention)


SCENARIOS = "base: line.yaml\nscenarios:\n  - name: today\n  - name: other\n    set:\n      {path}: {value}\n"


@pytest.mark.parametrize(("path", "value", "mention"), [
    ("stations[M2].bufer", "3", "stations[M2].bufer"),
    ("stations[9].buffer", "3", "no element [9]"),
])
def test_a_scenario_path_that_leads_nowhere_is_one_line(folder: Path, path: str, value: str,
                                                        mention: str) -> None:
    text = SCENARIOS.replace("{path}", path).replace("{value}", value)
    assert_one_line_error(cli("scenarios", write(folder, text), "--workers", "1"), mention)


def test_the_reference_scenario_must_run(folder: Path) -> None:
    text = ("base: line.yaml\nscenarios:\n  - name: first\n    set:\n      stations[M2].buffer: -2\n"
            "  - name: second\n")
    assert_one_line_error(cli("scenarios", write(folder, text), "--workers", "1"),
                          "scenarios[0]", "stations[M2].buffer = -2", "must be >= 0")


def test_a_refused_nan_still_gives_valid_json(folder: Path) -> None:
    text = SWEEP.replace("values: [0, 2]", "values: [.nan, 2]")
    outcome = cli("sweep", write(folder, text), "-f", "json", "--workers", "1")
    document = json.loads(outcome.stdout)
    assert document["failed"][0]["factors"]["stations[M2].buffer"] is None
    assert len(document["points"]) == 2
