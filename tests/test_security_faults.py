"""Hostile conditions (issue 9): a bad or lost Dask scheduler, Ctrl-C (once or twice), SIGKILL of the
parent. Each ends in one line and the right exit status, and no worker process outlives the run.
Only loopback addresses; every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.hostile import (
    SIMPY,
    TWIN,
    alive,
    assert_one_line_error,
    catches,
    children_of,
    cli,
    finish,
    free_port,
    import_run_modules,
    line_text,
    long_line,
    twin_process,
    wait_until,
    write,
)


@pytest.fixture(autouse=True, scope="module")
def _run_modules_imported() -> None:
    import_run_modules()


@pytest.fixture
def line(tmp_path: Path) -> Path:
    return write(tmp_path, "line.yaml", line_text())


@pytest.mark.parametrize("address", ["not a url", "http://x:1", "", "tcp://", "tcp://a b:1",
                                     "tcp://127.0.0.1:99999x", "file:///etc/passwd"])
def test_a_bad_dask_address_is_refused_at_once(line, address) -> None:
    outcome = cli("run", line, "--dask", address)
    assert_one_line_error(outcome, "dask", "expected a scheduler address")
    assert outcome.cpu < 2


def test_a_closed_port_is_one_line_within_seconds(line) -> None:
    """Nobody listens on the port: refused (exit 2, bad input) after the client's 5 s timeout."""
    address = f"tcp://127.0.0.1:{free_port()}"
    outcome = cli("run", line, "--dask", address)
    assert_one_line_error(outcome, "--dask", "cannot reach a Dask scheduler", address)
    assert outcome.seconds < 20  # wall time: the wait is the client's 5 s timeout


def start_quietly(*command: str) -> subprocess.Popen:
    return subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def cluster():
    """A real scheduler and one worker process on loopback ports; both stopped afterwards."""
    dask = str(TWIN.with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = start_quietly(dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                              "--no-dashboard")
    worker = None
    try:
        import socket

        def listening() -> bool:
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", port)) == 0

        assert wait_until(listening, 30), "the scheduler did not start"
        worker = start_quietly(dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard", "--host", "127.0.0.1")
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def tasks_running(address: str) -> bool:
    """Whether the scheduler is processing a task (asked with a client of our own, closed again)."""
    from distributed import Client

    with Client(address, timeout=20, set_as_default=False) as client:
        return any(client.processing().values())


@pytest.mark.slow
def test_a_scheduler_killed_mid_run_is_a_run_error(tmp_path, cluster) -> None:
    """The run is under way on the cluster when its scheduler dies: exit 1, one line naming the
    scheduler, no traceback (distributed's own error log included), nothing written."""
    address, scheduler = cluster
    events = tmp_path / "events.csv"
    start = time.monotonic()
    process, out, err = twin_process("run", long_line(tmp_path, 6, "10d"), *SIMPY, "--dask", address,
                                     "--events-out", events)
    assert wait_until(lambda: tasks_running(address), 60), "the run never reached the cluster"
    assert process.poll() is None, "the run ended before the scheduler could be killed"
    os.killpg(scheduler.pid, signal.SIGKILL)
    outcome = finish(process, out, err, 60, start)
    assert_one_line_error(outcome, "--dask", "lost the Dask scheduler", address, code=1)
    assert not events.exists()


def run_with_workers(tmp_path: Path) -> tuple[subprocess.Popen, object, object, list[int], float]:
    """`twin run --workers 2` on a line of ~20 s, in its own process group (as a terminal runs it),
    once both workers are up; returns the workers' pids."""
    start = time.monotonic()
    process, out, err = twin_process("run", long_line(tmp_path, 4, "5d"), *SIMPY, "--workers", "2",
                                     start_new_session=True)
    workers = wait_until(lambda: len(children_of(process.pid)) >= 2 and children_of(process.pid), 30)
    assert workers and catches(process.pid, signal.SIGINT), "the pool did not start"
    time.sleep(1.0)
    assert process.poll() is None
    return process, out, err, workers, start


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_ends_the_run_in_one_line_with_no_worker_left(tmp_path, presses) -> None:
    """Ctrl-C reaches the whole process group (parent and workers); pressed twice in quick
    succession it must not leave a traceback or a worker either."""
    process, out, err, workers, start = run_with_workers(tmp_path)
    for _ in range(presses):
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.05)
    outcome = finish(process, out, err, 20, start)
    assert outcome.code == 130, outcome
    assert outcome.stderr.strip() == "interrupted" and "Traceback" not in outcome.stdout + outcome.stderr
    assert wait_until(lambda: not any(map(alive, workers)), 2.0), [pid for pid in workers if alive(pid)]


def test_sigterm_ends_the_run_and_its_workers(tmp_path) -> None:
    process, out, err, workers, start = run_with_workers(tmp_path)
    process.send_signal(signal.SIGTERM)
    outcome = finish(process, out, err, 20, start)
    assert outcome.code == 143 and outcome.stderr.strip() == "terminated", outcome
    assert wait_until(lambda: not any(map(alive, workers)), 2.0), [pid for pid in workers if alive(pid)]


def test_workers_die_with_a_killed_parent(tmp_path) -> None:
    """SIGKILL runs no cleanup in the parent: the workers must notice on their own (PDEATHSIG, or
    their watch on the parent) and exit within ~3 s rather than finish their queue."""
    process, _, _, workers, _ = run_with_workers(tmp_path)
    process.kill()
    process.wait(timeout=10)
    assert wait_until(lambda: not any(map(alive, workers)), 3.0), [pid for pid in workers if alive(pid)]


def test_a_worker_killed_by_the_system_is_a_run_error(tmp_path) -> None:
    """The out-of-memory killer takes a worker: exit 1, one line, the other worker stopped."""
    process, out, err, workers, start = run_with_workers(tmp_path)
    os.kill(workers[0], signal.SIGKILL)
    outcome = finish(process, out, err, 30, start)
    assert_one_line_error(outcome, "a worker process died", code=1)
    assert wait_until(lambda: not any(map(alive, workers)), 3.0)
