"""Replications already simulated in this process, kept to be served again instead of re-run.

A replication's result depends only on the line's config, the engine, the seed and the replication
number (every draw comes from streams keyed by seed and replication), so a result computed once is
the result: an app that compares a line with a lever switched on, then off, then on again, or whose
trainer's tour re-runs the conventional line a comparison has just run, needs each replication
once. A lever toggled changes only the Industry 4.0 line; the conventional line's replications
are found here.

The memo is off unless a long-lived process turns it on (`enable`): a CLI run simulates each
replication once anyway. It holds pickled results, so each caller gets its own copy and the bound
is on bytes, least recently used first out. A replication is kept with what its run kept: plain
(what experiments and comparisons run) or with its part log (an app's precision charts), each under
its own key; a run that keeps a machine-state log or starts from a given state is never memoised.
"""

from __future__ import annotations

import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from twin.config import Line
from twin.io import config_digest

DEFAULT_BYTES = 64 * 2**20
"""Default bound of the memo's pickled results (a demo replication is about 8 kB, 430 kB with its
part log)."""


Key = tuple[str, str, int, int, str]
"""(`twin.io.config_digest` of the line, engine, seed, replication, what was kept)."""


class ReplicationMemo:
    """Pickled replication outcomes by `Key`, at most `max_bytes` of them; thread-safe (an app's
    sessions share it)."""

    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.entries: OrderedDict[Key, bytes] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Key) -> Any:
        with self.lock:
            blob = self.entries.get(key)
            if blob is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
        return pickle.loads(blob)

    def put(self, key: Key, outcome: Any) -> None:
        blob = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
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

PLAIN = "plain"
"""What a replication run for its KPIs alone is kept as (the other kind names the logs kept)."""


def keys_for(tasks: Sequence[Named], seed: int, kept: str = PLAIN) -> list[Key]:
    digests: dict[int, str] = {}
    keys = []
    for line, rep, engine in tasks:
        digest = digests.get(id(line))
        if digest is None:
            digest = digests[id(line)] = config_digest(line)
        keys.append((digest, engine, seed, rep, kept))
    return keys


def count_known(lines: Sequence[Line], replications: Sequence[int], seed: int,
                engines: Sequence[str]) -> int:
    """How many of `lines` × `replications` the memo holds as plain runs (an app sizes its first
    look on the rest); 0 when the memo is off."""
    memo = _MEMO
    if memo is None:
        return 0
    tasks = [(line, rep, engine) for line, engine in zip(lines, engines, strict=True) for rep in replications]
    with memo.lock:
        return sum(key in memo.entries for key in keys_for(tasks, seed))


def run_with(tasks: Sequence[Named], seed: int, simulate: Callable[[list[Named], int], list[Any]],
             kept: str = PLAIN) -> list[Any]:
    """The tasks' outcomes in order: those the memo holds (as `kept`) from it, the others from
    `simulate(missing, found)` (`found`: how many were already there, for a progress count;
    called even when nothing is missing, so that the count reaches its total), which are then
    kept. With the memo off, `simulate(tasks, 0)`."""
    memo = _MEMO
    if memo is None:
        return simulate(list(tasks), 0)
    keys = keys_for(tasks, seed, kept)
    found = [memo.get(key) for key in keys]
    missing = [i for i, hit in enumerate(found) if hit is None]
    fresh = simulate([tasks[i] for i in missing], len(tasks) - len(missing))
    for i, outcome in zip(missing, fresh, strict=True):
        memo.put(keys[i], outcome)
        found[i] = outcome
    return found
