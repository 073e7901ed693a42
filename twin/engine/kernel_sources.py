"""Which sources the fast engine's compiled kernels read, and their digest.

numba caches a compiled kernel beside the file that defines it, and reuses the cache while that
file is unchanged. A kernel also reads constants (the layouts' column numbers, the state codes) and
inlines helpers from other modules, so a change there alone would leave a stale kernel running,
with columns that no longer mean what they meant: a silently wrong result. Every module that
defines cached kernels therefore carries `KERNEL_SOURCES`, the digest of all of `SOURCES`; a test
fails when it is out of date, and updating it changes each of those modules, so numba compiles
every kernel again.

    .venv/bin/python -m twin.engine.kernel_sources      # prints the digest to write
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ENGINE = Path(__file__).resolve().parent

SOURCES = ("fast_layout", "fast_events_layout", "states", "fast_kernel", "fast_events_flow",
           "fast_events_states", "fast_events_kernel")
"""The modules the kernels' compiled code is made of or reads constants from."""

COMPILED_SOURCES = (*SOURCES, "fast", "fast_events", "fast_streams", "fast_compiled", "fast_aot")
"""What the kernels compiled ahead of time also depend on: the modules that call them (the argument
types they pass are fixed in the compiled module) and the build itself (`fast_compiled`)."""

STAMPED = ("fast_kernel", "fast_events_flow", "fast_events_states", "fast_events_kernel")
"""The modules that define cached kernels, each with its `KERNEL_SOURCES` line."""

_STAMP_LINE = re.compile(r"^KERNEL_SOURCES = .*\n", re.MULTILINE)


def digest(names: tuple[str, ...] = SOURCES) -> str:
    """The digest of the modules `names` (default `SOURCES`) as they are now, their
    `KERNEL_SOURCES` lines left out."""
    h = hashlib.sha256()
    for name in names:
        h.update(_STAMP_LINE.sub("", (ENGINE / f"{name}.py").read_text(encoding="utf-8")).encode())
    return h.hexdigest()[:16]


if __name__ == "__main__":
    print(digest())
