"""The fast engine's kernels as this process finds them: compiled ahead of time when built, else
numba's just-in-time kernels.

numba's on-disk cache spares a process the compile, not numba itself: loading a cached kernel
imports numba and fills its compiler's registries (about 0.35 s of every process, more than the
kernel's own time on the benchmark's 4 million parts, and again in every worker process of a
sweep). `python -m twin.engine.fast_aot` therefore compiles the same kernels, from the same source,
with numba's ahead-of-time compiler into one extension module beside numba's cache. A process that
finds the module for the kernels' current sources (the digest of those and of the modules that call
them, `kernel_sources.COMPILED_SOURCES`, is in its name) imports it and never imports numba;
anything else (no build, a stale one, one that does not load, or `TWIN_KERNELS=jit`) runs the
just-in-time kernels. Both give the same numbers: a test runs both on generated lines and compares
them to the bit.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType

from twin.engine.kernel_sources import COMPILED_SOURCES, ENGINE, digest

KERNELS: dict[str, str] = {
    "run_plain": "twin.engine.fast_kernel",
    "run_parts": "twin.engine.fast_kernel",
    "start_machines": "twin.engine.fast_kernel",
    "run_events": "twin.engine.fast_events_kernel",
}
"""Each kernel the engine calls from Python, and the module that defines it for numba's JIT."""

ENV = "TWIN_KERNELS"
"""`TWIN_KERNELS=jit` runs the just-in-time kernels even where the compiled module is built."""


def directory() -> Path:
    """Where the compiled module lives: beside numba's cache of the same kernels."""
    return ENGINE / "__pycache__"


def module_name(sources: str | None = None) -> str:
    """The compiled module's name for the kernels' sources as they are (or for `sources`)."""
    return f"twin_kernels_{sources or digest(COMPILED_SOURCES)}"


def module_path(sources: str | None = None) -> Path:
    return directory() / (module_name(sources) + importlib.machinery.EXTENSION_SUFFIXES[0])


@cache
def compiled_module() -> ModuleType | None:
    """The compiled kernels for the current sources, or None (not built, stale, not loadable, or
    `TWIN_KERNELS=jit`)."""
    if os.environ.get(ENV, "").strip().lower() == "jit":
        return None
    return load(module_path())


def load(path: Path) -> ModuleType | None:
    """The compiled module at `path` with every kernel, or None (missing, or not loadable: e.g.
    built against another numpy)."""
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(path.name.split(".")[0], path)
    if spec is None or spec.loader is None:
        return None
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except ImportError:
        return None
    return module if all(hasattr(module, name) for name in KERNELS) else None


def kernel(name: str) -> Callable[..., None]:
    """The kernel `name` (one of `KERNELS`): compiled ahead of time where built, else numba's."""
    module = compiled_module()
    if module is not None:
        return getattr(module, name)
    return getattr(importlib.import_module(KERNELS[name]), name)


def which() -> str:
    """`aot` when the compiled module runs the kernels, `jit` when numba does."""
    return "aot" if compiled_module() is not None else "jit"
