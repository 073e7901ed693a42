"""Where the app's time goes, for `bench/app_latency.py`: with TWIN_UI_TIMINGS=1 every phase writes
one line `twin-ui-timing <phase> wall <s> cpu <s>` to stderr. The CPU is the thread's own
(`time.thread_time`), which is what the phase takes on a free core however loaded the machine is."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

ENABLED = os.environ.get("TWIN_UI_TIMINGS", "") == "1"


@contextmanager
def phase(name: str) -> Iterator[None]:
    if not ENABLED:
        yield
        return
    wall, cpu = time.perf_counter(), time.thread_time()
    try:
        yield
    finally:
        print(f"twin-ui-timing {name:<28} wall {time.perf_counter() - wall:6.2f}  "
              f"cpu {time.thread_time() - cpu:6.2f}", file=sys.stderr, flush=True)
