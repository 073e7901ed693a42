"""The server's long-lived objects kept out of the garbage collector's full passes.

Streamlit runs a full collection (`gc.collect(2)`) after every script run, and each poll of the
progress panel is a script run (a fragment). On the app's heap after its imports (pandas, Plotly,
numba, scipy, pydantic, the views: about 140,000 objects the collector tracks) a full pass took
about 80 ms, all of it holding the interpreter lock that the simulation thread needs: with polls
every 0.3 s, about a quarter of the lock while a run went on, and a third of the server's CPU
over the latency bench's steps (py-spy on `bench/app_latency.py`).

`gc.freeze()` once the modules are imported moves what exists then (modules, classes, functions,
registries: they live as long as the process) to a permanent generation that the collector no
longer walks, and a full pass falls to microseconds. What sessions create afterwards is collected
as before, so Streamlit's post-run pass still does its job (memory of earlier runs given back).
Frozen objects are never freed by the cycle collector, only by their reference counts; freezing
once, right after the imports, keeps that to objects that would have lived as long anyway.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_imports() -> bool:
    """Collect once, then freeze the heap as it stands; only the first call in a process does it
    (True then). Called by the server's warm-up after its imports, and by the first page pass (a
    server started with `streamlit run`, or without the warm-up)."""
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.collect()
        gc.freeze()
        _frozen = True
        return True
