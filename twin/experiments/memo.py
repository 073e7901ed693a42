"""Replications already simulated in this process, kept to be served again instead of re-run.

A replication's result depends only on the line's config, the engine, the seed and the replication
number (every draw comes from streams keyed by seed and replication), so a result computed once is
the result: an app that compares a line with a lever switched on, then off, then on again, or whose
trainer's tour re-runs the conventional line a comparison has just run, needs each replication
once. A lever toggled changes only the Industry 4.0 line; the conventional line's replications
are found here.

The memo is off unless a long-lived process turns it on (`enable`): a CLI run simulates each
replication once anyway. It holds pickled results, so each caller gets its own copy and the bound
is on bytes, least recently used first out. Only plain replications are kept (no part or state
log, no initial state): those are the ones experiments and comparisons run.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

from twin.config import Line
from twin.engine import RunStats
from twin.io import config_digest

DEFAULT_BYTES = 64 * 2**20
"""Default bound of the memo's pickled results (a demo replication is a few kB)."""


Key = tuple[str, str, int, int]
"""(`twin.io.config_digest` of the line, engine, seed, replication)."""


class ReplicationMemo:
    """Pickled `RunStats` by (line digest, engine, seed, replication), at most `max_bytes` of
    them; thread-safe (an app's sessions share it)."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.entries: OrderedDict[Key, bytes] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> RunStats | None:
        with self.lock:
            blob = self.entries.get(key)
            if blob is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
        return pickle.loads(blob)

    def put(self, key: Key, stats: RunStats) -> None:
        blob = pickle.dumps(stats, protocol=pickle.HIGHEST_PROTOCOL)
        if len(blob) > self.max_bytes:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            self.bytes -= len(old) if old is not None else 0
            self.entries[key] = blob
            self.bytes += len(blob)
            while self.bytes > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.bytes -= len(dropped)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = self.hits = self.misses = 0


_MEMO: ReplicationMemo | None = None


def enable(max_bytes: int = DEFAULT_BYTES) -> ReplicationMemo:
    """Turn the process's memo on (a server, a notebook); returns it. Idempotent."""
    global _MEMO
    if _MEMO is None:
        _MEMO = ReplicationMemo(max_bytes)
    return _MEMO


def disable() -> None:
    global _MEMO
    _MEMO = None


def active() -> ReplicationMemo | None:
    return _MEMO


Named = tuple[Line, int, str]
"""(line, replication, engine name): a task with its engine chosen."""


def keys_for(tasks: Sequence[Named], seed: int) -> list[Key]:
    digests: dict[int, str] = {}
    keys = []
    for line, rep, engine in tasks:
        digest = digests.get(id(line))
        if digest is None:
            digest = digests[id(line)] = config_digest(line)
        keys.append((digest, engine, seed, rep))
    return keys


def known(tasks: Sequence[Named], seed: int) -> list[RunStats | None]:
    """Each task's memoised result, or None (all None when the memo is off)."""
    memo = _MEMO
    if memo is None:
        return [None] * len(tasks)
    return [memo.get(key) for key in keys_for(tasks, seed)]


def remember(tasks: Sequence[Named], seed: int, results: Sequence[RunStats]) -> None:
    memo = _MEMO
    if memo is None:
        return
    for key, stats in zip(keys_for(tasks, seed), results, strict=True):
        memo.put(key, stats)


def count_known(lines: Sequence[Line], replications: Sequence[int], seed: int,
                engines: Sequence[str]) -> int:
    """How many of `lines` × `replications` the memo holds (an app sizes its first look on the
    rest); 0 when the memo is off."""
    memo = _MEMO
    if memo is None:
        return 0
    tasks = [(line, rep, engine) for line, engine in zip(lines, engines, strict=True) for rep in replications]
    with memo.lock:
        return sum(key in memo.entries for key in keys_for(tasks, seed))


def run_with(tasks: Sequence[Named], seed: int,
             simulate: Callable[[list[Named], int], list[RunStats]]) -> list[RunStats]:
    """The tasks' results in order: those the memo holds from it, the others from
    `simulate(missing, found)` (`found`: how many were already there, for a progress count;
    called even when nothing is missing, so that the count reaches its total), which are then
    kept. With the memo off, `simulate(tasks, 0)`."""
    found = known(tasks, seed)
    missing = [task for task, hit in zip(tasks, found, strict=True) if hit is None]
    fresh = simulate(missing, len(tasks) - len(missing))
    remember(missing, seed, fresh)
    computed = iter(fresh)
    return [hit if hit is not None else next(computed) for hit in found]
