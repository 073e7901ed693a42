"""Hostile output (issue 9): user text reaches a terminal, rich markup and spreadsheets; a run's files
are written whole or not at all, and never over its input."""

from __future__ import annotations

import csv
import io
import signal
import time
from pathlib import Path

import pytest

import twin
from tests.hostile import (
    SIMPY,
    assert_config_error,
    assert_one_line_error,
    catches,
    cli,
    line_text,
    long_line,
    twin_process,
    wait_until,
    write,
)
from twin.display import CONTROL, markup, plain, spreadsheet_cell
from twin.outputs import write_whole

ESCAPES = ["\x1b[31mred", "\x1b]0;owned\x07", "\x1b]8;;http://evil\x1b\\link", "\x9b2J", "a\x00b",
           "\u202eevil", "bell\x07", "back\x08space", "cr\rover"]


def line_with_names(name: str) -> list[tuple[str, str]]:
    """(YAML, field) pairs placing `name` in every text a line shows."""
    quality = {"characteristic": {"name": name, "unit": name, "nominal": 0, "lsl": -1, "usl": 1},
               "sigma": 0.1}
    return [
        (line_text(name=name), "name"),
        (line_text(stations=[{"name": name, "process": 1}]), "stations[0].name"),
        (line_text(products=[{"name": name}]), "products[0].name"),
        (line_text(costs={"currency": name[:12]}), "costs.currency"),
        (line_text(stations=[{"name": "A", "process": 1, "quality": quality}]),
         "stations[0].quality.characteristic.name"),
    ]


@pytest.mark.parametrize("name", ESCAPES)
def test_names_with_control_characters_are_refused(tmp_path, name) -> None:
    """Each place a name can be: refused at validation, naming the field, and the message itself
    carries the escape only as visible text (repr), never the raw control character."""
    for text, field in line_with_names(name):
        message = assert_config_error(lambda t=text: twin.line_from_text(t), f"{field}:", "control")
        assert not CONTROL.search(message), repr(message)
        outcome = cli("validate", write(tmp_path, "line.yaml", text))
        assert_one_line_error(outcome, f"{field}:")
        assert not CONTROL.search(outcome.stderr.rstrip("\n")), repr(outcome.stderr)


def test_a_study_refuses_control_characters_in_its_own_names() -> None:
    text = "line:\n  stations: [{name: A, process: 1}]\nlevers:\n  automation: {stations: [\"A\\e[2J\"]}\n"
    assert_config_error(lambda: twin.study_from_text(text), "levers.automation.stations", "control")


@pytest.mark.parametrize("name", ESCAPES)
def test_plain_and_markup_strip_control_characters(name) -> None:
    """Text that arrives another way (a model built without validation): shown, never obeyed."""
    for shown in (plain(name), markup(name)):
        assert not CONTROL.search(shown) and "\ufffd" in shown
    assert markup("[bold]x[/]") == "\\[bold]x\\[/]"


MARKUP_NAMES = ["[/]", "[bold]", "[link=http://example.invalid]x[/link]", "[red on white]"]


@pytest.fixture
def markup_files(tmp_path: Path) -> tuple[Path, Path]:
    line = write(tmp_path, "markup.yaml", line_text(
        name="[bold]L[/] [link=http://example.invalid]y[/link]",
        stations=[{"name": n, "process": 1} for n in MARKUP_NAMES],
        products=[{"name": "[/]"}, {"name": "[bold]p"}],
        costs={"currency": "[/]", "material_per_part": 1.0}))
    study = write(tmp_path, "markup_study.yaml", "line: markup.yaml\nlevers: {energy_management: {}}\n")
    return line, study


def test_rich_markup_in_names_is_printed_literally(markup_files) -> None:
    """`[/]` would close a style that is not open (rich raises MarkupError half-way through a
    report); `[link=...]` would make a hyperlink. Both commands finish and print the text as is."""
    line, study = markup_files
    run = cli("run", line, "--workers", "1")
    assert run.code == 0, run.stderr
    for name in ["[bold]L[/]", "[link=http://example.invalid]y[/link]", *MARKUP_NAMES[:2], "[/] per"]:
        assert name in run.stdout, name
    compare = cli("compare", study, "--workers", "1")
    assert compare.code == 0, compare.stderr
    assert "[bold]L[/] [link=http://example.invalid]y[/link]" in compare.stdout
    assert "Business case ([/] per year" in compare.stdout
    assert "\x1b]8;" not in run.stdout + compare.stdout  # no hyperlink escape was made


FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(A1)", "-2+3", "@SUM(A1)"]


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def assert_no_formula(text: str) -> None:
    """No text cell of a CSV starts like a formula; numbers (-0.5) are numbers, not text."""
    for cell in cells(text):
        try:
            float(cell)
        except ValueError:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.fixture
def formula_files(tmp_path: Path) -> tuple[Path, Path]:
    line = write(tmp_path, "formula.yaml", line_text(
        name=FORMULAS[0], stations=[{"name": n, "process": 1} for n in FORMULAS],
        products=[{"name": n} for n in FORMULAS]))
    study = write(tmp_path, "formula_study.yaml", "line: formula.yaml\nlevers: {energy_management: {}}\n")
    return line, study


def test_formula_names_are_neutralised_in_every_csv(tmp_path, formula_files) -> None:
    line, study = formula_files
    events = tmp_path / "events.csv"
    run = cli("run", line, "--workers", "1", "--format", "csv", "--events-out", events)
    assert run.code == 0, run.stderr
    for output in (run.stdout, events.read_text()):
        assert_no_formula(output)
    for name in FORMULAS:
        assert "'" + name in cells(run.stdout), name
        assert "'" + name in cells(events.read_text()), name
    compare = cli("compare", study, "--workers", "1", "--format", "csv")
    assert compare.code == 0, compare.stderr
    assert_no_formula(compare.stdout)


@pytest.mark.parametrize("value", ["=1", "+1", "-x", "@x", "\t=1", "\r=1", "\n=1"])
def test_spreadsheet_cell_rule(value) -> None:
    assert spreadsheet_cell(value) == "'" + value
    assert spreadsheet_cell("ok") == "ok" and spreadsheet_cell(-1.5) == -1.5


# --- files written whole ------------------------------------------------------------------------


def test_events_out_onto_the_input_is_refused_and_the_input_kept(tmp_path) -> None:
    """The same file by another name too: `./line.yaml`, a symlink, a hard link."""
    line = write(tmp_path, "line.yaml", line_text())
    before = line.read_bytes()
    (tmp_path / "soft.yaml").symlink_to(line)
    (tmp_path / "hard.yaml").hardlink_to(line)
    for target in (line, tmp_path / "." / "line.yaml", tmp_path / "soft.yaml", tmp_path / "hard.yaml"):
        outcome = cli("run", line, "--workers", "1", "--events-out", target)
        assert_one_line_error(outcome, "--events-out", "would overwrite the input file")
        assert line.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.yaml", "line.yaml", "soft.yaml"]


@pytest.mark.parametrize("target", ["/dev/null", "/dev/full", "no/such/dir/x.csv", "."])
def test_events_out_onto_what_is_not_a_file_is_refused_before_running(tmp_path, monkeypatch, target) -> None:
    monkeypatch.chdir(tmp_path)
    line = write(tmp_path, "line.yaml", line_text())
    outcome = cli("run", line, "--workers", "1", "--events-out", target)
    assert_one_line_error(outcome, "--events-out")
    assert outcome.stdout == ""  # refused before the run: no report


def test_an_existing_output_is_replaced_whole_with_a_note(tmp_path) -> None:
    line = write(tmp_path, "line.yaml", line_text())
    events = write(tmp_path, "events.csv", "old,content\n" * 10_000)
    events.chmod(0o640)
    outcome = cli("run", line, "--workers", "1", "--events-out", events, "--format", "json")
    assert outcome.code == 0
    assert [row for row in outcome.stderr.splitlines() if row.strip()] == [
        f"note: replaced the existing {events}",
        "note: --events-out: replication 0 of 2 (a log is one history of the line)"]
    text = events.read_text()
    assert text.startswith("time,station,machine,part") and "old,content" not in text
    assert events.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "line.yaml"]


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, SystemExit, OSError])
def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, interruption) -> None:
    """Half-way through writing (Ctrl-C, SIGTERM's exit, a full disk): the old file as it was."""
    target = write(tmp_path, "out.csv", "old\n")

    def half(handle) -> None:
        handle.write("new," * 1000)
        raise interruption

    with pytest.raises((interruption, twin.ConfigError)):
        write_whole(target, half, "--events-out")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_sigterm_during_a_run_keeps_the_old_output(tmp_path) -> None:
    line = long_line(tmp_path, 4, "10d")
    events = write(tmp_path, "events.csv", "old\n")
    start = time.monotonic()
    process, _, err = twin_process("run", line, *SIMPY, "--workers", "1", "--events-out", events)
    assert wait_until(lambda: catches(process.pid, signal.SIGTERM), 20)
    time.sleep(1.0)  # simulating by now
    assert process.poll() is None, "the run ended before it could be signalled: make it longer"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 143
    err.seek(0)
    stderr = err.read()
    assert stderr.strip() == "terminated" and "Traceback" not in stderr
    assert time.monotonic() - start < 25
    assert events.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "long.yaml"]


@pytest.mark.slow
def test_two_runs_writing_one_file_leave_one_whole_csv(tmp_path) -> None:
    """Both rename a complete temporary file over the target: whichever wins, the file is one of
    the two whole logs, never an interleaving (the seeds differ, so the logs do)."""
    line = write(tmp_path, "line.yaml", line_text(
        horizon="8h", stations=[{"name": "A", "process": {"dist": "exponential", "mean": 0.2}}]))
    events = tmp_path / "events.csv"
    runs = [twin_process("run", line, "--workers", "1", "--seed", str(seed), "--events-out", events,
                         "--format", "json") for seed in (1, 2)]
    for process, _, err in runs:
        assert process.wait(timeout=60) == 0, err.seek(0) or err.read()
    text = events.read_text()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["time", "station", "machine"]
    assert all(len(row) == len(rows[0]) for row in rows)
    singles = []
    for seed in (1, 2):
        alone = tmp_path / f"alone{seed}.csv"
        cli("run", line, "--workers", "1", "--seed", str(seed), "--events-out", alone, "--format", "json")
        singles.append(alone.read_text())
    assert singles[0] != singles[1] and text in singles
    assert not wait_until(lambda: [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")], 0.1)
