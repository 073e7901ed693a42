"""Hostile files (issue 9): whatever a study's `line:` or the command line names, the twin reads only
regular files within the size limit, never blocks on a FIFO or a device, and never echoes the content
of a file that is not a line; an upload may name only a preset."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import twin
from tests.hostile import (
    CONFIGS,
    MAX_RSS_MB,
    STARTUP_SECONDS,
    assert_config_error,
    assert_one_line_error,
    cli,
    line_text,
    run_twin,
    write,
)
from twin.io import read_text_file
from twin.limits import MAX_FILE_BYTES

SECRET = "sentinel-5e3c1d9a-never-shown"
"""Unique content of files outside the allowed ones: it must appear in no message."""


@pytest.fixture
def sentinels(tmp_path: Path) -> dict[str, Path]:
    """Files that are not lines but parse as YAML: a mapping, a list, a text (like /etc/shadow)."""
    return {
        "mapping": write(tmp_path, "secret_map.txt", f"{SECRET}: x\nroot:{SECRET}:0:\n"),
        "list": write(tmp_path, "secret_list.txt", f"- {SECRET}\n- {SECRET}\n"),
        "text": write(tmp_path, "secret_text.txt", f"{SECRET} is a password\n"),
        "shadow-like": write(tmp_path, "shadow", f"root:{SECRET}:20228:0:99999:7:::\n"
                                                 f"daemon:*:20228:0:99999:7:::\n"),
    }


def study_naming(folder: Path, target: str | Path) -> Path:
    return write(folder, "study.yaml", f"line: {target}\n")


@pytest.mark.parametrize("kind", ["mapping", "list", "text", "shadow-like"])
def test_a_file_that_is_not_a_line_is_never_echoed(tmp_path, sentinels, kind) -> None:
    """`validate_as` describes a non-line file by its shape only; the unknown-key message must not
    quote a mapping's keys either (they are the file's content: /etc/shadow parses as one)."""
    target = sentinels[kind]
    for args in (["validate", target], ["validate", study_naming(tmp_path, target)], ["run", target]):
        line = assert_one_line_error(cli(*args), "(top level)")
        assert SECRET not in line and "20228" not in line
    assert SECRET not in assert_config_error(lambda: twin.load(target), "(top level)")
    assert SECRET not in assert_config_error(lambda: twin.load_study(study_naming(tmp_path, target)),
                                             "(top level)")


def test_a_misspelt_key_of_a_real_line_is_still_named(tmp_path) -> None:
    """The non-echo rule must not cost the typo hint of a line file."""
    path = write(tmp_path, "typo.yaml", "stattions: [{name: A, process: 1}]\n")
    assert_one_line_error(cli("validate", path), "stattions", "did you mean 'stations'")


@pytest.mark.parametrize("target", ["/etc/passwd", "/etc/shadow"])
def test_system_files_are_refused_without_their_content(tmp_path, target) -> None:
    """Readable or not (as root here, /etc/shadow is readable), absent or present: one line, and none
    of the file's lines appear in it."""
    content = ""
    if os.access(target, os.R_OK):
        content = Path(target).read_text(errors="replace")
    for outcome in (cli("validate", target), cli("validate", study_naming(tmp_path, target))):
        line = assert_one_line_error(outcome, target)
        for row in content.splitlines():
            for part in row.split(":"):
                if len(part) >= 6:  # a user name, a hash, a home folder, a shell
                    assert part not in line.removeprefix(f"error: {target}"), (part, line)


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused_before_a_byte_is_read(tmp_path, target) -> None:
    """Reading /dev/zero would never end: the real script exits 2 at once, in bounded memory."""
    for args in (["validate", target], ["run", target], ["validate", study_naming(tmp_path, target)]):
        outcome = run_twin(*args, timeout=30)
        assert_one_line_error(outcome, target, "not a regular file")
        assert outcome.cpu < STARTUP_SECONDS and outcome.max_rss_mb < MAX_RSS_MB


def test_a_fifo_is_refused_without_blocking(tmp_path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: nobody will. Under a timeout."""
    fifo = tmp_path / "line.fifo"
    os.mkfifo(fifo)
    outcome = run_twin("validate", fifo, timeout=30)
    assert_one_line_error(outcome, str(fifo), "not a regular file")
    assert outcome.cpu < STARTUP_SECONDS
    assert_one_line_error(cli("validate", study_naming(tmp_path, fifo.name)), "not a regular file")
    assert_config_error(lambda: read_text_file(fifo), "not a regular file")


def test_a_directory_is_refused(tmp_path) -> None:
    assert_one_line_error(cli("validate", tmp_path), "is a directory")
    assert_one_line_error(cli("validate", study_naming(tmp_path, tmp_path)), "is a directory")
    assert_config_error(lambda: twin.load(tmp_path), "is a directory")


def test_a_file_over_the_limit_is_refused_without_reading_it_whole(tmp_path, monkeypatch) -> None:
    """A sparse 2 GiB file costs no disk; reading it whole would cost 2 GiB of memory. The refusal
    reads at most `limit + 1` bytes (here: none, the size is known from fstat)."""
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(2 << 30)
    outcome = run_twin("validate", huge, timeout=30)
    assert_one_line_error(outcome, "file too large", f"{MAX_FILE_BYTES:,}")
    assert outcome.cpu < STARTUP_SECONDS and outcome.max_rss_mb < MAX_RSS_MB
    read_sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        read_sizes.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", counting_read)
    assert_config_error(lambda: read_text_file(huge), "file too large")
    assert sum(read_sizes) <= MAX_FILE_BYTES + 1


def test_a_file_growing_past_the_limit_is_cut_at_the_limit(tmp_path) -> None:
    """The size seen by fstat may lie (a file still being written, /proc): the read is bounded."""
    path = write(tmp_path, "line.yaml", "x" * 200)
    assert_config_error(lambda: read_text_file(path, limit=100), "file too large")
    assert read_text_file(path, limit=200) == "x" * 200


def test_non_utf8_is_one_line(tmp_path) -> None:
    text = "name: Caf\xe9\nstations: [{name: A, process: 1}]\n"
    path = write(tmp_path, "latin1.yaml", text.encode("latin-1"))
    assert_one_line_error(cli("validate", path), "not a UTF-8 text file", "0xe9")
    assert_config_error(lambda: twin.load(path), "not a UTF-8")


def test_a_symlink_to_a_regular_file_is_allowed(tmp_path) -> None:
    real = write(tmp_path, "real.yaml", line_text())
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    outcome = cli("validate", link)
    assert outcome.code == 0 and outcome.stdout.startswith("ok: hostile"), outcome
    assert twin.load(link).name == "hostile"
    assert twin.load_study(study_naming(tmp_path, "link.yaml")).line.name == "hostile"


def test_a_symlink_to_a_device_is_refused(tmp_path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    assert_one_line_error(cli("validate", link), "not a regular file")


# --- uploads: `twin.presets_in(folder)` ----------------------------------------------------------


def upload(text: str) -> twin.Study:
    return twin.study_from_text(text, source="upload.yaml", lines=twin.presets_in(CONFIGS))


@pytest.mark.parametrize("name", ["machining_line.yaml", "configs/machining_line.yaml"])
def test_an_upload_may_name_a_preset(name) -> None:
    assert upload(f"line: {name}\n").line == twin.load(CONFIGS / "machining_line.yaml")


@pytest.mark.parametrize("reference", [
    "/etc/passwd", "/etc/shadow", "/dev/zero", "../pyproject.toml", "configs/../pyproject.toml",
    "../configs/machining_line.yaml", "./machining_line.yaml", "machining_line.yaml/", "configs",
    "..", "", "MACHINING_LINE.yaml", "machining_line.yaml\x00", "{secret}",
])
def test_an_upload_naming_anything_else_is_refused_unread(tmp_path, monkeypatch, reference) -> None:
    """Every other reference is refused by name, before any file is opened: `os.open` (what
    `read_text_file` uses) is made to fail the test if it is called at all."""
    secret = write(tmp_path, "secret.yaml", f"{SECRET}: 1\n")
    reference = reference.replace("{secret}", str(secret))
    opened: list[str] = []
    monkeypatch.setattr(os, "open", lambda path, *a, **k: opened.append(str(path)) or pytest.fail(path))
    message = assert_config_error(lambda: upload(f"line: {reference!r}\n" if reference else "line: ''\n"),
                                  "upload.yaml", "line:", "may name only a preset")
    assert opened == [] and SECRET not in message


def test_an_upload_cannot_reach_a_sentinel_beside_the_presets(tmp_path) -> None:
    """A folder of presets with a sentinel one level up: traversal and absolute paths to it fail,
    and nothing in the messages comes from it."""
    presets = tmp_path / "configs"
    presets.mkdir()
    write(presets, "line.yaml", line_text())
    secret = write(tmp_path, "secret.yaml", line_text(name=SECRET))
    resolver = twin.presets_in(presets)
    for reference in (str(secret), "../secret.yaml", "configs/../secret.yaml", "secret.yaml"):
        message = assert_config_error(
            lambda r=reference: twin.study_from_text(f"line: {r}\n", lines=resolver),
            "may name only a preset")
        assert SECRET not in message
    assert twin.study_from_text("line: line.yaml\n", lines=resolver).line.name == "hostile"
