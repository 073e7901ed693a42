"""The live twin on a background thread, for a caller that draws rather than waits (the app): the
latest state, every forecast so far and the notes, read at any time, thread-safe.

    session = LiveSession(line, parse_endpoint(url), LiveOptions(every=5)).start()
    ...  # each rerun of the page
    session.snapshot()   # (state, forecasts, notes, error)
    session.stop()
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from twin.config import Line
from twin.errors import ConfigError
from twin.live.endpoint import Endpoint
from twin.live.mapping import Mapping
from twin.live.watch import LiveOptions, Update, watch
from twin.state import LineState

MAX_KEPT = 1000
"""Forecasts kept for the fan chart (a shift at one every 10 s is ~3000: the oldest go)."""


@dataclass(frozen=True)
class Snapshot:
    state: LineState | None
    forecasts: list[Update]
    notes: list[str]
    error: str | None
    running: bool


@dataclass
class LiveSession:
    line: Line
    endpoint: Endpoint
    options: LiveOptions
    mapping: Mapping = field(default_factory=Mapping)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: LineState | None = None
    _forecasts: list[Update] = field(default_factory=list)
    _notes: list[str] = field(default_factory=list)
    _error: str | None = None
    _stop: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None

    def start(self) -> LiveSession:
        self._thread = threading.Thread(target=self._main, name="twin-live", daemon=True)
        self._thread.start()
        return self

    def _main(self) -> None:
        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            task = asyncio.create_task(watch(self.line, self.endpoint, self.mapping, self.options,
                                             self._emit, self._note, self._on_state))
            stopper = asyncio.create_task(self._stop.wait())
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
            for pending in (task, stopper):
                pending.cancel()
            failure = task.exception() if task.done() and not task.cancelled() else None
            if failure is not None:
                raise failure

        try:
            asyncio.run(body())
        except ConfigError as exc:  # RunError too: no server, a mismatched address space
            with self._lock:
                self._error = str(exc)
        except Exception as exc:  # a thread has no one to raise to: keep it for the page
            with self._lock:
                self._error = f"{type(exc).__name__}: {exc}"

    def _emit(self, update: Update) -> None:
        with self._lock:
            self._forecasts = [*self._forecasts[-(MAX_KEPT - 1):], update]

    def _note(self, message: str) -> None:
        with self._lock:
            self._notes = [*self._notes[-49:], message]

    def _on_state(self, state: LineState) -> None:
        with self._lock:
            self._state = state

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self._state, list(self._forecasts), list(self._notes), self._error,
                            self.running)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self.running:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
