"""The fast engine's kernels compiled ahead of time (`twin.engine.fast_aot`, loaded by
`twin.engine.fast_compiled`) against numba's JIT kernels of the same source: the same results to
the bit on generated lines of every kernel, and a `twin run` process that never imports numba.

`make test` builds the module first; without it (a bare `pytest` on a machine that never built it)
these tests skip, except in CI, where a missing build is a failure."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fast_lines import assert_close, fast_lines
from hypothesis import HealthCheck, given, settings
from test_fast_parallel import parallel_lines
from test_fast_start import STATES, three_stations

import twin.engine.fast as fast
import twin.engine.fast_events as fast_events
from twin.engine import fast_compiled

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def compiled():
    module = fast_compiled.compiled_module()
    if module is None:
        message = ("the fast engine's kernels are not compiled ahead of time for these sources "
                   "(python -m twin.engine.fast_aot; make test does it)")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return module


def _jit(name: str):
    return getattr(importlib.import_module(fast_compiled.KERNELS[name]), name)


def both(line, replication: int = 0, initial_state=None):
    """The run on the compiled kernels, then on the JIT kernels: (stats, part log) each."""
    runs = []
    for chooser in (fast_compiled.kernel, _jit):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fast, "kernel", chooser)
            patch.setattr(fast_events, "kernel", chooser)
            log: list = []
            runs.append((fast.simulate_fast(line, replication, log=log, initial_state=initial_state), log))
    return runs


def test_the_compiled_module_is_the_one_for_these_sources(compiled):
    assert Path(compiled.__file__).name == fast_compiled.module_path().name
    assert fast_compiled.which() == "aot"
    for name in fast_compiled.KERNELS:
        assert fast_compiled.kernel(name) is getattr(compiled, name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines())
def test_the_compiled_recursion_gives_the_jit_results_bit_for_bit(compiled, line):
    aot, jit = both(line, 1)
    assert_close(aot, jit, rel=0.0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=fast_lines(plain=True))
def test_the_compiled_plain_kernel_gives_the_jit_results_bit_for_bit(compiled, line):
    aot, jit = both(line, 2)
    assert_close(aot, jit, rel=0.0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=parallel_lines())
def test_the_compiled_event_kernel_gives_the_jit_results_bit_for_bit(compiled, line):
    aot, jit = both(line, 0)
    assert_close(aot, jit, rel=0.0)


@pytest.mark.parametrize("name", list(STATES))
def test_the_compiled_kernels_start_from_a_state_as_the_jit_ones(compiled, name):
    aot, jit = both(three_stations(), 0, STATES[name])
    assert_close(aot, jit, rel=0.0)


def test_twin_jit_kernels_are_chosen_by_the_environment(compiled, monkeypatch):
    monkeypatch.setenv(fast_compiled.ENV, "jit")
    fast_compiled.compiled_module.cache_clear()
    try:
        assert fast_compiled.which() == "jit"
        assert fast_compiled.kernel("run_parts") is _jit("run_parts")
    finally:
        monkeypatch.delenv(fast_compiled.ENV)
        fast_compiled.compiled_module.cache_clear()
    assert fast_compiled.which() == "aot"


def test_a_stale_or_foreign_build_is_never_loaded(compiled, tmp_path, monkeypatch):
    """The module's name carries the kernels' digest: a build for other sources is not looked at,
    and a file of the right name that is no such module is not loaded (JIT kernels instead)."""
    assert fast_compiled.module_name("0123456789abcdef") != fast_compiled.module_name()
    monkeypatch.setattr(fast_compiled, "directory", lambda: tmp_path)
    fast_compiled.compiled_module.cache_clear()
    try:
        assert fast_compiled.which() == "jit"  # nothing built there
        fast_compiled.module_path().write_bytes(b"not a shared library")
        fast_compiled.compiled_module.cache_clear()
        assert fast_compiled.which() == "jit"
    finally:
        monkeypatch.undo()
        fast_compiled.compiled_module.cache_clear()
    assert fast_compiled.which() == "aot"


def test_a_twin_run_on_the_compiled_kernels_never_imports_numba(compiled):
    """What the build is for: a process that runs the fast engine without loading numba's compiler
    (about 0.35 s of each process), with the numbers of one that does."""
    script = ("import sys, twin.cli\n"
              "try:\n    twin.cli.main()\n"
              "except SystemExit as exc:\n    code = exc.code\n"
              "print('numba' in sys.modules, file=sys.stderr)\nsys.exit(code)\n")
    args = ["run", "configs/reference_line.yaml", "--engine", "fast", "--workers", "1",
            "--replications", "2", "--horizon", "2000min", "--warmup", "100min", "--format", "json"]
    outputs = {}
    for kernels in ("aot", "jit"):
        env = {**os.environ, fast_compiled.ENV: kernels}
        done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                              cwd=ROOT, env=env, check=False, timeout=300)
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().splitlines()[-1] == str(kernels == "jit")
        outputs[kernels] = json.loads(done.stdout)
    assert outputs["aot"] == outputs["jit"]


def test_the_builder_reads_the_jit_kernels_types_even_where_a_compiled_module_loads(compiled):
    """A forced rebuild runs its sample runs on the JIT kernels (the compiled module would leave
    them without a signature), and then the process finds the compiled module again."""
    from twin.engine import fast_aot

    found = fast_aot._signatures()
    assert set(found) == set(fast_compiled.KERNELS)
    assert fast_compiled.which() == "aot"


def test_a_build_that_does_not_load_is_built_again(tmp_path, monkeypatch):
    from twin.engine import fast_aot

    monkeypatch.setattr(fast_compiled, "directory", lambda: tmp_path)
    fast_compiled.module_path().write_bytes(b"not a shared library")
    built: list[bool] = []

    def build(force: bool = False) -> Path:
        built.append(force)
        return fast_compiled.module_path()

    monkeypatch.setattr(fast_aot, "build", build)
    assert fast_aot.main([]) == 0
    assert built == [False]
