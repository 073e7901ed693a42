"""Worker processes that never outlive the run that started them, and stop without tracebacks.

Ctrl-C in a terminal reaches the whole process group: without care, every worker prints its own
KeyboardInterrupt traceback, and a second Ctrl-C while the pool shuts down leaves workers running
their queue for half an hour. Workers here ignore SIGINT (the parent decides), die with their
parent, and the parent kills them at once when it is interrupted.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

_PR_SET_PDEATHSIG = 1


def worker_setup(parent: int) -> None:
    """Run in each worker as it starts: leave Ctrl-C to the parent, and exit when the parent dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    """The portable fallback: a worker whose parent has gone exits within a second."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's workers now and drop its queue (no waiting for running tasks)."""
    processes = list(getattr(pool, "_processes", {}).values())
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)
    # the pool's manager thread, seeing its workers gone, closes its wake-up pipe; were it still
    # doing so at exit, Python 3.11's exit hook could write to the pipe in between and print a
    # traceback (OSError: Bad file descriptor) after "terminated": let it finish first
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None and manager is not threading.current_thread():
        manager.join(timeout=5)
        # and with the workers gone there is nothing left for the exit hook to wake (joining alone
        # did not end the traceback: it came back once in a fresh-clone CI run)
        from concurrent.futures import process as futures_process

        getattr(futures_process, "_threads_wakeups", {}).pop(manager, None)


@contextlib.contextmanager
def ignoring_interrupts() -> Iterator[None]:
    """Hold off a second Ctrl-C (or SIGTERM) while cleaning up after the first (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def quiet_dask_logs() -> Iterator[None]:
    """Hold back distributed's own log records (below CRITICAL) while a run uses the cluster: when
    the scheduler goes away, its client logs an ERROR with a full traceback on stderr before the
    twin can say in one line what happened (the RunError says it)."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name == "distributed" or name.startswith("distributed.")]
    loggers.append(logging.getLogger("distributed"))
    levels = {logger: logger.level for logger in loggers}
    for logger in levels:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in levels.items():
            logger.setLevel(level)


def dask_faults() -> tuple[type[BaseException], ...]:
    """The exceptions by which distributed says the cluster went away mid-run."""
    faults: list[type[BaseException]] = []
    with contextlib.suppress(ImportError):
        from distributed.comm.core import CommClosedError

        faults.append(CommClosedError)
    with contextlib.suppress(ImportError):
        from distributed.client import FutureCancelledError

        faults.append(FutureCancelledError)
    with contextlib.suppress(ImportError):
        from distributed.scheduler import KilledWorker

        faults.append(KilledWorker)
    return tuple(faults)
