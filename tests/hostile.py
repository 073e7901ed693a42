"""Shared helpers of the hostile-input suites (issue 9): run the CLI in-process or as the real `twin`
script, and check the one promise every interface makes about bad input: one line on stderr starting
`error: ` that names the field, a non-zero exit, no traceback, quickly and in bounded memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

import twin
from twin.cli import main

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
TWIN = Path(sys.executable).with_name("twin")
"""The installed `twin` entry point of this venv (what a user runs)."""

ONE_STATION = {"name": "hostile", "horizon": "1d", "replications": 2,
               "stations": [{"name": "A", "process": 1}]}


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float
    """Wall time (bounds a hang; on a loaded machine it says little about cost)."""
    cpu: float = 0.0
    """CPU seconds the work took (user + system): the cost bound, robust to a busy machine."""
    max_rss_mb: float = 0.0
    """Peak resident memory of the process (subprocess runs only)."""


def line_text(stations: list[dict[str, Any]] | None = None, **top: Any) -> str:
    """YAML of a small valid line, with top-level keys and stations replaced as given."""
    data = {**ONE_STATION, **top}
    if stations is not None:
        data["stations"] = stations
    return yaml.safe_dump(data, sort_keys=False)


def long_line(folder: Path, replications: int, horizon: str) -> Path:
    """Three fast stations (a part every ~1.2 s of simulated time): about 2 s of engine time per
    simulated day and replication on the SimPy engine, long enough to signal or kill a run while it
    works. Run it with `*SIMPY` (`--engine simpy`): `auto` picks the fast engine for this line,
    which ends it in well under a second."""
    return write(folder, "long.yaml", line_text(
        horizon=horizon, replications=replications,
        stations=[{"name": n, "process": {"dist": "exponential", "mean": 0.02}, "buffer": 5} for n in "ABC"]))


SIMPY = ("--engine", "simpy")


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@contextlib.contextmanager
def kept_signal_handlers() -> Iterator[None]:
    """`twin.cli.main` installs SIGINT/SIGTERM handlers for the process: put pytest's back after."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def cli(*args: str | Path) -> Outcome:
    """`twin ARGS` in this process through `twin.cli.main` (usage errors included), exit code and
    both streams captured: the bulk of the CLI cases, without an interpreter start each."""
    stdout, stderr = io.StringIO(), io.StringIO()
    start, cpu = time.perf_counter(), time.process_time()
    code = 0
    with kept_signal_handlers(), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr), \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["twin", *map(str, args)])
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return Outcome(code, stdout.getvalue(), stderr.getvalue(), time.perf_counter() - start,
                   time.process_time() - cpu)


def twin_process(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
                 rss_file: Path | None = None, **popen: Any) -> tuple[subprocess.Popen, Any, Any]:
    """Start the real `twin` script with stdout and stderr going to temporary files (a pipe that
    nobody reads could block the child and fake a hang). With `rss_file`, it runs under GNU time,
    which writes the script's peak memory there: a child forked from pytest itself would report
    pytest's own peak (Linux keeps the high-water mark across exec)."""
    out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by GC)
    command = [str(TWIN), *map(str, args)]
    if rss_file is not None:
        command = [GNU_TIME, "-q", "-o", str(rss_file), "-f", "%M %U %S", *command]
    process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})}, cwd=cwd, **popen)
    return process, out, err


GNU_TIME = "/usr/bin/time"


def finish(process: subprocess.Popen, out: Any, err: Any, timeout: float, start: float,
           rss_file: Path | None = None) -> Outcome:
    """Wait for `process` (killing it past `timeout`, which fails the test) and collect its outcome."""
    try:
        process.wait(timeout=max(0.0, start + timeout - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"twin did not finish within {timeout} s")
    seconds = time.monotonic() - start
    out.seek(0)
    err.seek(0)
    rss = cpu = 0.0
    if rss_file is not None:
        kilobytes, user, system = rss_file.read_text().split()[-3:]
        rss, cpu = float(kilobytes) / 1024, float(user) + float(system)
        rss_file.unlink()
    return Outcome(process.returncode, out.read(), err.read(), seconds, cpu, rss)


def run_twin(*args: str | Path, timeout: float = 60, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> Outcome:
    """The real `twin` script as a user runs it, under a timeout (a FIFO or a hang fails the test),
    with its peak memory measured."""
    start = time.monotonic()
    fd, name = tempfile.mkstemp(suffix=".rss")
    os.close(fd)
    process, out, err = twin_process(*args, env=env, cwd=cwd, rss_file=Path(name))
    return finish(process, out, err, timeout, start, Path(name))


STARTUP_SECONDS = 5.0
"""Bound on the CPU time of a `twin` script whose refusal is instant: starting the interpreter,
typer and pydantic (~1 s here), far from reading /dev/zero or expanding a bomb (which never end)."""

MAX_RSS_MB = 250.0
"""Peak memory of a refused `twin` process: the interpreter and its imports (~40-150 MB), far from
what reading a 50 MB file, expanding an alias bomb or allocating a huge buffer would take."""


def assert_one_line_error(outcome: Outcome, *mentions: str, code: int = 2) -> str:
    """The promise for bad input: exit `code`, exactly one line on stderr, starting `error: `,
    naming each of `mentions` (the field, the value), short, and no traceback anywhere."""
    everything = outcome.stdout + outcome.stderr
    assert "Traceback" not in everything, everything
    assert outcome.code == code, f"exit {outcome.code}, wanted {code}: {everything}"
    lines = [line for line in outcome.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, outcome.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for mention in mentions:
        assert mention in line, f"{mention!r} not in {line!r}"
    assert len(line) < 400, line
    return line


def assert_config_error(call: Callable[[], Any], *mentions: str,
                        kind: type[twin.ConfigError] = twin.ConfigError) -> str:
    """The same promise for the Python API: a `ConfigError` (not any other exception) whose message
    is one short line naming each of `mentions`."""
    try:
        call()
    except kind as exc:
        message = str(exc)
    else:
        pytest.fail(f"accepted, wanted a {kind.__name__} naming {mentions}")
    assert "\n" not in message and len(message) < 400, message
    for mention in mentions:
        assert mention in message, f"{mention!r} not in {message!r}"
    return message


def import_run_modules() -> None:
    """Import pandas and the engine ahead of a timed case: their import is not the refusal's time."""
    import importlib

    for module in ("twin.experiment", "twin.comparison", "twin.attribution"):
        importlib.import_module(module)


def free_port() -> int:
    """A loopback TCP port nobody listens on (just released by the kernel)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_of(pid: int) -> list[int]:
    """Living (non-zombie) processes whose parent is `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie nobody reaps counts as dead: it runs nothing)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def catches(pid: int, sig: signal.Signals) -> bool:
    """Whether process `pid` has installed a handler for `sig` (its SigCgt mask in /proc): the
    moment `twin.cli.main` has started, so a signal sent now tests the twin, not Python's start."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = next(int(row.split()[1], 16) for row in status.splitlines() if row.startswith("SigCgt:"))
    return bool(mask >> (sig - 1) & 1)


def wait_until(condition: Callable[[], Any], timeout: float, step: float = 0.05) -> Any:
    """Poll `condition` until it is truthy or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)
