"""Compile the fast engine's kernels ahead of time into one extension module (`fast_compiled`
loads it), so a process runs them without importing numba.

The kernels are the same Python functions numba's JIT compiles (`fast_compiled.KERNELS`), handed
to numba's ahead-of-time compiler (`numba.pycc`) with the argument types the engine passes them.
Those types are read off the JIT kernels after a few short sample runs (a plain line, one with
failures, shifts and a part log, one from a start state, one with parallel machines), so they
cannot drift from what the engine hands over. Like the JIT kernels, the module runs without numba's
runtime (the kernels allocate nothing) and is compiled for the architecture's generic CPU, so a
build can be copied to any machine of the same kind (within 2% of the JIT's host-tuned code on the
benchmark). It is written whole (a temporary file renamed into place) and named by the digest of the
kernels' sources and of the modules that call them (`kernel_sources.COMPILED_SOURCES`), so a stale
build is never loaded; older builds are removed, and one that no longer loads is built again.

    python -m twin.engine.fast_aot            # build unless the current one exists
    python -m twin.engine.fast_aot --force    # build again

It needs a C compiler (numba links its module with one); without one, or on any failure, it says
so in one line and exits 1, and the engine goes on with the JIT kernels.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from twin.engine import fast_compiled
from twin.engine.kernel_sources import COMPILED_SOURCES, digest


def _sample_runs() -> None:
    """Runs that call every kernel once through the JIT, so each has its argument types."""
    from twin.config import Line
    from twin.engine.fast import simulate_fast
    from twin.engine.start import RunningLine

    def station(name: str, failures: bool, machines: int = 1) -> dict:
        spec: dict = {"name": name, "buffer": 2, "machines": machines,
                      "process": {"dist": "exponential", "mean": 1.0}}
        if failures:
            spec["failures"] = {"mtbf": {"dist": "exponential", "mean": 30.0},
                                "mttr": {"dist": "exponential", "mean": 3.0}}
        return spec

    def line(failures: bool, machines: int = 1, shifts: bool = False) -> Line:
        calendar = {"shifts": [{"start": "6h", "end": "14h"}], "days_per_week": 5} if shifts else None
        return Line.model_validate({"stations": [station("A", failures, machines), station("B", failures)],
                                    "calendar": calendar, "horizon": 120.0, "warmup": 0.0,
                                    "replications": 1, "seed": 1})

    simulate_fast(line(failures=False), 0)  # run_plain
    simulate_fast(line(failures=True, shifts=True), 0, log=[])  # run_parts
    with_failures = line(failures=True)
    running = RunningLine(with_failures)
    running.advance(30.0)
    simulate_fast(with_failures, 0, initial_state=running.state())  # start_machines
    simulate_fast(line(failures=True, machines=2, shifts=True), 0, log=[])  # run_events


def _signatures() -> dict[str, tuple]:
    """Each kernel's one argument-type signature, from the JIT kernels after the sample runs (run on
    the JIT kernels even where a compiled module loads)."""
    saved = os.environ.get(fast_compiled.ENV)
    os.environ[fast_compiled.ENV] = "jit"
    fast_compiled.compiled_module.cache_clear()
    try:
        _sample_runs()
    finally:
        if saved is None:
            os.environ.pop(fast_compiled.ENV, None)
        else:
            os.environ[fast_compiled.ENV] = saved
        fast_compiled.compiled_module.cache_clear()
    found = {}
    for name, home in fast_compiled.KERNELS.items():
        dispatcher = getattr(importlib.import_module(home), name)
        if len(dispatcher.signatures) != 1:
            raise RuntimeError(f"kernel {name}: expected one argument-type signature after the sample "
                               f"runs, got {len(dispatcher.signatures)}")
        found[name] = (dispatcher, dispatcher.signatures[0])
    return found


def build(force: bool = False) -> Path:
    """Compile the module for the kernels' current sources (unless one that loads exists and not
    `force`); return its path."""
    sources = digest(COMPILED_SOURCES)
    target = fast_compiled.module_path(sources)
    if not force and fast_compiled.load(target) is not None:
        return target
    from numba.pycc import CC

    found = _signatures()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twin-kernels-", dir=target.parent) as work:
        cc = CC(fast_compiled.module_name(sources))
        cc.output_dir = work
        cc.use_nrt = False  # as the JIT kernels (`fast_kernel.kernel`): they allocate nothing
        cc.target_cpu = ""  # the architecture's generic CPU: portable, as fast here (see above)
        cc.verbose = False
        for name, (dispatcher, signature) in found.items():
            cc.export(name, signature)(dispatcher.py_func)
        cc.compile()
        built = Path(work) / target.name
        if not built.is_file():
            raise RuntimeError(f"numba.pycc wrote no {target.name}")
        built.replace(target)
    for old in target.parent.glob("twin_kernels_*"):
        if old != target and old.is_file():
            old.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m twin.engine.fast_aot",
                                     description="Compile the fast engine's kernels ahead of time.")
    parser.add_argument("--force", action="store_true", help="build again even if up to date")
    args = parser.parse_args(argv)
    if not args.force and fast_compiled.load(fast_compiled.module_path()) is not None:
        return 0  # up to date
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        print("fast_aot: no C compiler (cc or gcc) on PATH: the fast engine runs numba's JIT kernels",
              file=sys.stderr)
        return 1
    start = time.perf_counter()
    try:
        path = build(force=args.force)
    except Exception as exc:  # any failure: one line, and the JIT kernels still run
        message = " ".join(str(exc).split())[:300]
        print(f"fast_aot: the build failed ({type(exc).__name__}: {message}): the fast engine runs "
              "numba's JIT kernels", file=sys.stderr)
        return 1
    print(f"fast_aot: compiled the fast engine's kernels into {path.name} in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
