"""Bad line files give one line naming the field path and the offending value, never a traceback.

Each case is checked twice: through the Python API (`twin.line_from_text` raises `ConfigError`
whose text is the line and whose `field` is the path) and through `twin validate FILE` (exit 2,
that same line on stderr, prefixed with the file name, and nothing else).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app

ONE = "stations:\n  - {name: A, process: 1min}\n"


def station(fields: str) -> str:
    return f"stations:\n  - {{name: A, {fields}}}\n"


# (id, YAML text, field path the message must start with, fragments it must contain)
FIELD_CASES = [
    # unknown keys: a typo must not be silently ignored, and the hint names the right key
    ("unknown-top-key", "horizn: 2d\n" + ONE, "horizn", ["unknown key", "did you mean 'horizon'"]),
    ("unknown-station-key", station("process: 1, bufer: 3"), "stations[0].bufer",
     ["unknown key", "did you mean 'buffer'"]),
    ("typo-of-a-required-key", station("proces: 1min"), "stations[0].proces",
     ["unknown key", "did you mean 'process'"]),
    ("unknown-failures-key", station("process: 1, failures: {mtbf: 1h, mttr: 5min, mdoe: calendar}"),
     "stations[0].failures.mdoe", ["did you mean 'mode'"]),
    ("unknown-process-key", station("process: {dist: lognormal, mean: 1, cv: 0.2, cvv: 1}"),
     "stations[0].process.cvv", ["did you mean 'cv'"]),
    ("unknown-key-in-bare-mtbf-dist", station("process: 1, failures: {mtbf: {dist: exponential, "
                                              "mean: 1h, men: 3}, mttr: 5min}"),
     "stations[0].failures.mtbf.men", ["did you mean 'mean'"]),
    ("unknown-source-key", "source: {kind: conwip, wip_cap: 3, wipcap: 2}\n" + ONE, "source.wipcap",
     ["did you mean 'wip_cap'"]),
    ("unknown-key-spelled-like-a-tag", station("process: 1, normal: 3"), "stations[0].normal",
     ["unknown key"]),
    ("key-of-another-distribution", station("process: {dist: exponential, mean: 1, cv: 0.5}"),
     "stations[0].process.cv", ["unknown key", "dist: exponential", "dist, mean"]),
    # missing required fields
    ("missing-stations", "name: x\n", "stations", ["required field is missing"]),
    ("station-missing-process", station("buffer: 2"), "stations[0].process", ["required field is missing"]),
    ("station-missing-name", "stations:\n  - {process: 1}\n", "stations[0].name", ["required"]),
    ("distribution-missing-mean", station("process: {dist: exponential}"), "stations[0].process.mean",
     ["required"]),
    ("conwip-without-wip-cap", "source: {kind: conwip}\n" + ONE, "source.wip_cap", ["required"]),
    # wrong types
    ("buffer-fraction", station("process: 1, buffer: 2.5"), "stations[0].buffer",
     ["expected a whole number", "got 2.5"]),
    ("buffer-text", station("process: 1, buffer: lots"), "stations[0].buffer", ["got 'lots'"]),
    ("cv-text", station("process: {dist: lognormal, mean: 1, cv: high}"), "stations[0].process.cv",
     ["expected a number", "got 'high'"]),
    ("replications-text", "replications: many\n" + ONE, "replications", ["got 'many'"]),
    ("name-mapping", "name: {a: 1}\n" + ONE, "name", ["expected text", "got {a: 1}"]),
    ("stations-mapping", "stations: {name: A, process: 1}\n", "stations",
     ["expected a list", "got {name: A, process: 1}"]),
    ("stations-null", "stations:\n", "stations", ["expected a list", "got null"]),
    ("station-text", "stations: [A]\n", "stations[0]", ["expected a mapping", "got 'A'"]),
    ("source-shorthand", "source: saturated\n" + ONE, "source", ["{kind: saturated}", "got 'saturated'"]),
    ("maintenance-shorthand", station("process: 1, maintenance: preventive"), "stations[0].maintenance",
     ["{policy: preventive}", "got 'preventive'"]),
    ("process-list", station("process: [1, 2]"), "stations[0].process",
     ["expected a distribution", "got [1, 2]"]),
    ("process-null", station("process: null"), "stations[0].process", ["got null"]),
    ("failures-text", station("process: 1, failures: often"), "stations[0].failures", ["got 'often'"]),
    ("name-empty", "stations:\n  - {name: '', process: 1}\n", "stations[0].name",
     ["must not be empty", "got ''"]),
    ("key-that-is-a-number", "1: 2\n" + ONE, "1", ["keys must be text", "got 1"]),
    # counts and bounds
    ("machines-zero", station("process: 1, machines: 0"), "stations[0].machines", ["must be >= 1, got 0"]),
    ("buffer-negative", "stations:\n  - {name: A, process: 1}\n  - {name: B, process: 1}\n"
                        "  - {name: C, process: 1, buffer: -3}\n",
     "stations[2].buffer", ["must be >= 0, got -3"]),
    ("replications-zero", "replications: 0\n" + ONE, "replications", ["must be >= 1, got 0"]),
    ("wip-cap-zero", "source: {kind: conwip, wip_cap: 0}\n" + ONE, "source.wip_cap", ["got 0"]),
    ("seed-negative", "seed: -1\n" + ONE, "seed", ["must be >= 0, got -1"]),
    # times: negative, zero where a zero stalls the clock, unparseable
    ("mean-negative", station("process: {dist: exponential, mean: -2}"), "stations[0].process.mean",
     ["must be > 0, got -2"]),
    ("mean-zero", station("process: {dist: gamma, mean: 0, cv: 0.5}"), "stations[0].process.mean",
     ["must be > 0, got 0"]),
    ("bare-duration-negative", station("process: -2min"), "stations[0].process",
     ["must be >= 0", "got '-2min'"]),
    ("process-zero", station("process: 0"), "stations[0].process", ["mean > 0", "got 0"]),
    ("process-all-zero-samples", station("process: {dist: empirical, values: [0, 0]}"),
     "stations[0].process", ["mean > 0", "got 0"]),
    ("interarrival-zero", "source: {kind: arrivals, interarrival: 0s}\n" + ONE, "source.interarrival",
     ["mean > 0", "got 0"]),
    ("mtbf-zero", station("process: 1, failures: {mtbf: 0, mttr: 5min}"), "stations[0].failures.mtbf",
     ["mean > 0"]),
    ("mtbf-negative-string", station("process: 1, failures: {mtbf: -1h, mttr: 5min}"),
     "stations[0].failures.mtbf", ["must be >= 0", "got '-1h'"]),
    ("horizon-zero", "horizon: 0\n" + ONE, "horizon", ["must be > 0, got 0"]),
    ("horizon-negative-string", "horizon: -2d\n" + ONE, "horizon", ["must be > 0", "got '-2d'"]),
    ("warmup-negative", "warmup: -1h\n" + ONE, "warmup", ["must be >= 0", "got '-1h'"]),
    ("duration-unparseable", "horizon: soon\n" + ONE, "horizon", ["expected a duration", "got 'soon'"]),
    ("duration-unknown-unit", "horizon: 5parsecs\n" + ONE, "horizon",
     ["unknown time unit 'parsecs'", "got '5parsecs'"]),
    ("duration-boolean", "horizon: true\n" + ONE, "horizon", ["expected a duration", "got true"]),
    ("duration-infinite", "horizon: .inf\n" + ONE, "horizon", ["finite"]),
    ("bare-dist-duration-unparseable", station("process: 5parsecs"), "stations[0].process",
     ["unknown time unit", "got '5parsecs'"]),
    ("dist-mean-unparseable", station("process: {dist: exponential, mean: fast}"),
     "stations[0].process.mean", ["got 'fast'"]),
    ("sample-unparseable", station("process: {dist: empirical, values: [1, 2xx]}"),
     "stations[0].process.values[1]", ["got '2xx'"]),
    ("sample-negative", station("process: {dist: trace, values: [1, -2]}"),
     "stations[0].process.values[1]", ["must be >= 0, got -2"]),
    ("warmup-beyond-horizon", "horizon: 1d\nwarmup: 2d\n" + ONE, "warmup",
     ["must be < horizon (1d), got 2d"]),
    ("warmup-equals-horizon", "horizon: 1d\nwarmup: 24h\n" + ONE, "warmup", ["got 1d"]),
    # cv out of range
    ("cv-above-max", station("process: {dist: lognormal, mean: 1, cv: 5}"), "stations[0].process.cv",
     ["must be <= 3, got 5"]),
    ("cv-negative", station("process: {dist: gamma, mean: 1, cv: -0.1}"), "stations[0].process.cv",
     ["must be >= 0, got -0.1"]),
    ("normal-cv-above-max", station("process: {dist: normal, mean: 1, cv: 0.8}"),
     "stations[0].process.cv", ["must be <= 0.5, got 0.8"]),
    ("cv-nan", station("process: {dist: lognormal, mean: 1, cv: .nan}"), "stations[0].process.cv",
     ["got .nan"]),
    # stations
    ("duplicate-station-name",
     "stations:\n  - {name: Turning, process: 1}\n  - {name: Turning, process: 2}\n",
     "stations[1].name", ["duplicate station name, got 'Turning'"]),
    ("empty-station-list", "stations: []\n", "stations", ["must not be empty, got []"]),
    # distributions
    ("unknown-distribution", station("process: {dist: poisson, mean: 1}"), "stations[0].process.dist",
     ["got 'poisson'", "exponential"]),
    ("misspelt-distribution", station("process: {dist: lognorml, mean: 1, cv: 0.2}"),
     "stations[0].process.dist", ["got 'lognorml'", "did you mean 'lognormal'"]),
    ("distribution-without-dist", station("process: {mean: 1}"), "stations[0].process",
     ["needs a 'dist' key", "got {mean: 1}"]),
    ("trace-no-values", station("process: {dist: trace, values: []}"), "stations[0].process.values",
     ["must not be empty, got []"]),
    ("empirical-no-values", station("process: {dist: empirical, values: []}"),
     "stations[0].process.values", ["must not be empty, got []"]),
    ("empirical-values-missing", station("process: {dist: empirical}"), "stations[0].process.values",
     ["required"]),
    ("triangular-mode-outside", station("process: {dist: triangular, min: 1, mode: 5, max: 3}"),
     "stations[0].process.mode", ["between min (1min) and max (3min)", "got 5min"]),
    ("triangular-max-below-min", station("process: {dist: triangular, min: 3, mode: 2, max: 1}"),
     "stations[0].process.max", ["must be > min (3min)", "got 1min"]),
    ("uniform-max-equals-min", station("process: {dist: uniform, min: 2, max: 2}"),
     "stations[0].process.max", ["must be > min (2min), got 2min"]),
    ("uniform-max-below-min-in-seconds", station("process: {dist: uniform, min: 2min, max: 30s}"),
     "stations[0].process.max", ["got 30s"]),
    ("weibull-shape-zero", station("process: {dist: weibull, mean: 1, shape: 0}"),
     "stations[0].process.shape", ["must be >= 0.3, got 0"]),
    # choices
    ("unknown-failure-mode", station("process: 1, failures: {mtbf: 1h, mttr: 5min, mode: always}"),
     "stations[0].failures.mode", ["'operating' or 'calendar'", "got 'always'"]),
    ("unknown-source-kind", "source: {kind: push}\n" + ONE, "source.kind", ["got 'push'", "conwip"]),
    ("unknown-maintenance-policy", station("process: 1, maintenance: {policy: magic}"),
     "stations[0].maintenance.policy", ["got 'magic'", "preventive"]),
    # the top level is not a mapping
    ("empty-file", "", "(top level)", ["expected a mapping", "got an empty file"]),
    ("only-a-comment", "# a line file, some day\n", "(top level)", ["got an empty file"]),
    ("file-is-a-list", "- name: A\n  process: 1\n", "(top level)", ["got a list"]),
    ("file-is-text", "hello\n", "(top level)", ["got a text of 5 characters"]),
]

# (id, YAML text, line number the message must name, fragments)
YAML_CASES = [
    ("unclosed-flow-mapping", "stations:\n  - {name: A, process: 1min\n", 3, ["YAML syntax error"]),
    ("bad-indentation", "name: x\nstations:\n - name: A\n  process: 1\n", 4, ["YAML syntax error"]),
    ("tab-indentation", "name: x\n\tstations: []\n", 2, ["YAML syntax error", "'\\t'"]),
    ("duplicate-key", "horizon: 1d\nname: a\nhorizon: 2d\n" + ONE, 3,
     ["duplicate key 'horizon'", "first given on line 1"]),
    ("duplicate-key-in-station", "stations:\n  - name: A\n    process: 1\n    name: B\n", 4,
     ["duplicate key 'name'"]),
    ("two-documents", ONE + "---\n" + ONE, 3, ["single document"]),
]

PYDANTIC_WORDING = ("Input should", "Value error", "String should", "validation error", "Field required")


def api_message(text: str) -> twin.ConfigError:
    with pytest.raises(twin.ConfigError) as info:
        twin.line_from_text(text)
    return info.value


def cli_line(tmp_path: Path, text: str) -> tuple[str, Path]:
    """Run `twin validate` on `text`; check exit 2, silence on stdout and one line on stderr."""
    path = tmp_path / "line.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0], path


@pytest.mark.parametrize(("text", "path", "fragments"),
                         [pytest.param(*case[1:], id=case[0]) for case in FIELD_CASES])
def test_api_message_names_field_and_value(text: str, path: str, fragments: list[str]) -> None:
    error = api_message(text)
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"{path}: "), message
    assert error.field == path
    for fragment in fragments:
        assert fragment in message, message
    assert not any(word in message for word in PYDANTIC_WORDING), message


@pytest.mark.parametrize(("text", "path", "fragments"),
                         [pytest.param(*case[1:], id=case[0]) for case in FIELD_CASES])
def test_cli_validate_prints_the_same_line(tmp_path: Path, text: str, path: str,
                                           fragments: list[str]) -> None:
    line, file = cli_line(tmp_path, text)
    assert line == f"error: {file}: {api_message(text)}"


@pytest.mark.parametrize(("text", "line_number", "fragments"),
                         [pytest.param(*case[1:], id=case[0]) for case in YAML_CASES])
def test_yaml_errors_name_the_line(tmp_path: Path, text: str, line_number: int,
                                   fragments: list[str]) -> None:
    message = str(api_message(text))
    assert message.startswith(f"line {line_number}, column "), message
    for fragment in fragments:
        assert fragment in message, message
    line, file = cli_line(tmp_path, text)
    assert line.startswith(f"error: {file}:{line_number}:"), line
    for fragment in fragments:
        assert fragment in line, line


def test_the_first_problem_is_named_and_the_rest_counted() -> None:
    message = str(api_message(station("process: 1, machines: 0, buffer: -1")))
    assert message == "stations[0].machines: must be >= 1, got 0 (+1 more)"


def test_a_typo_is_named_rather_than_the_key_it_hides() -> None:
    # `proces` makes `process` missing too; the typo is the cause, so it is the one named
    assert str(api_message(station("proces: 1min"))).startswith("stations[0].proces: unknown key")


def test_values_in_messages_are_not_rich_markup(tmp_path: Path) -> None:
    text = "stations:\n  - {name: '[/]', process: 1}\n  - {name: '[/]', process: 1}\n"
    line, _ = cli_line(tmp_path, text)
    assert line.endswith("stations[1].name: duplicate station name, got '[/]'")


def test_long_values_are_cut_to_keep_one_short_line() -> None:
    text = station("process: 1, failures: {mtbf: 1h, mttr: {" + ", ".join(f"k{i}: {i}" for i in range(40))
                   + "}}")
    message = str(api_message(text))
    assert message.startswith("stations[0].failures.mttr: needs a 'dist' key, got {k0: 0, k1: 1")
    assert message.endswith("...") and len(message) < 140


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(twin.ConfigError, match=r"nope\.yaml: no such file$"):
        twin.load(tmp_path / "nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(twin.ConfigError, match=r"binary\.yaml: not a UTF-8 text file"):
        twin.load(binary)


def test_good_shorthand_still_loads() -> None:
    line = twin.line_from_text("horizon: 2d\nwarmup: 90min\nsource: {kind: arrivals, interarrival: 45s}\n"
                               "stations:\n  - {name: A, process: 90s, failures: {mtbf: 8h, mttr: 0}}\n")
    assert (line.horizon, line.warmup) == (2880.0, 90.0)
    assert line.source.interarrival.mean == 0.75
    assert line.stations[0].process.dist == "deterministic" and line.stations[0].process.mean == 1.5
