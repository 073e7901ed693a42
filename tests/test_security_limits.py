"""Hostile sizes (issue 9): a few hundred bytes may ask for gigabytes or for a run that never ends.
Each is refused before the work starts, fast, in bounded memory, naming the field that costs."""

from __future__ import annotations

import itertools
import time
import tracemalloc
from pathlib import Path

import pytest

import twin
from tests.hostile import (
    MAX_RSS_MB,
    STARTUP_SECONDS,
    assert_config_error,
    assert_one_line_error,
    cli,
    import_run_modules,
    line_text,
    run_twin,
    write,
)


@pytest.fixture(autouse=True, scope="module")
def _run_modules_imported() -> None:
    import_run_modules()


def billion_laughs(levels: int = 9) -> str:
    """The classic bomb: 9 levels of 9 aliases each, ~500 bytes, 9**9 strings once expanded."""
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    return text


def refused_fast(text: str, *mentions: str, seconds: float = 2.0, max_mb: float = 50) -> str:
    """`twin.line_from_text(text)` is a one-line ConfigError within `seconds` of CPU time (not
    wall time: the machine is shared) and within `max_mb` of Python allocations (traced in a
    second pass, tracemalloc slows allocation tenfold): bounded before any expansion happens."""
    start = time.process_time()
    message = assert_config_error(lambda: twin.line_from_text(text), *mentions)
    elapsed = time.process_time() - start
    assert elapsed < seconds, f"{elapsed:.2f} s: {message}"
    tracemalloc.start()
    try:
        assert_config_error(lambda: twin.line_from_text(text), *mentions)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert peak < max_mb + len(text) * 8 / 2**20, f"{peak:.0f} MB: {message}"
    return message


def test_billion_laughs_is_refused_in_bounded_time_and_memory(tmp_path) -> None:
    bomb = billion_laughs()
    assert len(bomb) < 600
    refused_fast(bomb, "expands to more than")
    outcome = run_twin("validate", write(tmp_path, "bomb.yaml", bomb), timeout=30)
    assert_one_line_error(outcome, "bomb.yaml", "expands to more than")
    assert outcome.cpu < STARTUP_SECONDS and outcome.max_rss_mb < MAX_RSS_MB


def test_a_study_bomb_is_refused_too() -> None:
    bomb = billion_laughs().replace("\n", "\n  ")
    assert_config_error(lambda: twin.study_from_text("line:\n  " + bomb), "expands to more than")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n", "&a [1, [2, *a]]\n"])
def test_a_self_referencing_alias_is_refused(text) -> None:
    refused_fast(text, "an alias refers to a value that contains it")


def test_a_few_aliases_are_still_fine() -> None:
    """The bound is on expanded size, not on aliases themselves (a line may reuse a distribution)."""
    text = ("name: anchors\nstations:\n  - {name: A, process: &p {dist: exponential, mean: 1}}\n"
            "  - {name: B, process: *p}\n")
    assert twin.line_from_text(text).stations[1].process.mean == 1


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "{a: " * 5000 + "1" + "}" * 5000,
                                  "".join("  " * i + "k:\n" for i in range(200)) + "  " * 200 + "1\n"])
def test_deep_nesting_is_refused(text) -> None:
    """PyYAML's scanner looks up to 1,024 characters ahead for a possible `[...]: value` key before
    the depth bound can act: about a second for `[` x 5,000 here, bounded whatever the length (a
    megabyte of `[` costs the same)."""
    refused_fast(text, "nested deeper than", seconds=3.0)


def test_a_50_mb_yaml_is_refused_at_once(tmp_path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as handle:
        handle.write(line_text())
        handle.write("x: '" + "a" * (50 << 20) + "'\n")
    start = time.process_time()
    assert_config_error(lambda: twin.load(big), "file too large")
    assert time.process_time() - start < 0.5
    outcome = run_twin("validate", big, timeout=30)
    assert_one_line_error(outcome, "file too large")
    assert outcome.cpu < STARTUP_SECONDS and outcome.max_rss_mb < MAX_RSS_MB
    start = time.process_time()
    assert_config_error(lambda: twin.line_from_text("a" * (50 << 20)), "too large")
    assert time.process_time() - start < 0.5


def test_a_5000_digit_seed_is_refused_naming_seed(tmp_path) -> None:
    digits = "9" * 5000
    refused_fast(line_text().replace("replications: 2", f"seed: {digits}"), "seed", "more than 40 digits")
    path = write(tmp_path, "line.yaml", line_text())
    assert_one_line_error(cli("run", path, "--seed", digits), "--seed")
    assert_config_error(lambda: twin.run(twin.load(path), seed=int(digits[:400])), "seed", "must be <=")


REPLICATIONS = "1000000000"


def test_a_billion_replications_are_refused_everywhere(tmp_path) -> None:
    line = write(tmp_path, "line.yaml", line_text())
    study = write(tmp_path, "study.yaml", "line: line.yaml\nlevers: {energy_management: {}}\n")
    for args in (["run", line], ["compare", study]):
        outcome = cli(*args, "--replications", REPLICATIONS)
        assert_one_line_error(outcome, "replications", "100000", REPLICATIONS)
        assert outcome.cpu < 2
    outcome = run_twin("run", line, "--replications", REPLICATIONS, timeout=30)
    assert_one_line_error(outcome, "--replications")
    assert outcome.max_rss_mb < MAX_RSS_MB
    assert_config_error(lambda: twin.run(twin.load(line), replications=int(REPLICATIONS)), "replications")
    assert_config_error(lambda: twin.compare(twin.load_study(study), replications=int(REPLICATIONS)),
                        "replications")
    assert_config_error(lambda: twin.attribute(twin.load_study(study), replications=int(REPLICATIONS)),
                        "replications")


def test_many_replications_within_the_bound_are_refused_by_the_request_limit(tmp_path) -> None:
    """100,000 replications of a week each: valid alone, too much for one request."""
    line = twin.line_from_text(line_text(horizon="4w"))
    start = time.process_time()
    assert_config_error(lambda: twin.run(line, replications=100_000), "replications:", "for one request")
    assert time.process_time() - start < 2


@pytest.mark.parametrize(("change", "field"), [
    ({"source": {"kind": "conwip", "wip_cap": 100_000_000}}, "source.wip_cap"),
    ({"products": [{"name": "P", "lot_size": 2_000_000_000}]}, "products[0].lot_size"),
    ({"stations": [{"name": "A", "process": 1, "buffer": 10**9}]}, "stations[0].buffer"),
    ({"stations": [{"name": "A", "process": 1, "machines": 10**6}]}, "stations[0].machines"),
    ({"horizon": "1e300"}, "horizon"),
    ({"horizon": 1e300}, "horizon"),
])
def test_sizes_beyond_the_schema_bounds(change, field) -> None:
    refused_fast(line_text(**change), field, "must be")


def failing(mtbf: float, mttr: float) -> list[dict]:
    return [{"name": "A", "process": 1, "failures": {"mtbf": mtbf, "mttr": mttr}}]


@pytest.mark.parametrize(("change", "field"), [
    ({"horizon": 1e12}, "horizon"),
    ({"horizon": "1e12", "calendar": {"shifts": [{"start": "6h", "end": "14h"}]}}, "horizon"),
    ({"horizon": "1000000000000"}, "horizon"),
    ({"stations": [{"name": "A", "process": {"dist": "exponential", "mean": 1e-300}}]},
     "stations[0].process"),
    ({"stations": [{"name": "A", "process": "1e-300"}]}, "stations[0].process"),
    ({"stations": failing(1e-12, 1e-12)}, "stations[0].failures.mtbf"),
    ({"source": {"kind": "arrivals", "interarrival": 1e-9}}, "source.interarrival"),
    ({"stations": [{"name": "A", "process": 1, "maintenance": {
        "policy": "preventive", "interval": 1e-9, "duration": 1}}]}, "stations[0].maintenance.interval"),
    ({"stations": [{"name": "A", "process": 1, "failures": {"mtbf": 100, "mttr": 1}, "maintenance": {
        "policy": "predictive", "false_alarms_per_week": 1e11}}]},
     "stations[0].maintenance.false_alarms_per_week"),
])
def test_an_impossible_run_is_refused_naming_the_costly_field(tmp_path, change, field) -> None:
    """Valid lines whose estimated engine events exceed the limit: every run entry point refuses
    them in well under a second (no replication starts) and names the field that costs."""
    text = line_text(**change)
    line = twin.line_from_text(text)
    start = time.process_time()
    assert_config_error(lambda: twin.run(line, workers=1), f"{field}:", "engine events per replication")
    study = twin.study_from_text("line:\n" + "".join(f"  {row}\n" for row in text.splitlines()))
    assert_config_error(lambda: twin.compare(study, workers=1), f"{field}:")
    assert_config_error(lambda: twin.attribute(study, workers=1), f"{field}:")
    assert time.process_time() - start < 1.0
    outcome = cli("run", write(tmp_path, "line.yaml", text))
    assert_one_line_error(outcome, f"{field}:", "engine events")
    assert outcome.cpu < 2


def test_a_huge_mttr_alone_is_not_refused() -> None:
    """Long repairs cost no events: the estimate must not refuse a slow but cheap line."""
    results = twin.run(twin.line_from_text(line_text(stations=failing(60, 1e12))), workers=1)
    assert results.replications == 2


def test_workers_are_capped_at_the_tasks(monkeypatch) -> None:
    """`--workers 100` for 3 replications starts at most 3 processes (the pool is recorded)."""
    import twin.experiment as experiment

    started: list[int] = []
    real_pool = experiment.ProcessPoolExecutor

    class RecordingPool(real_pool):
        def __init__(self, max_workers: int, *args, **kwargs) -> None:
            started.append(max_workers)
            super().__init__(max_workers, *args, **kwargs)

    monkeypatch.setattr(experiment, "ProcessPoolExecutor", RecordingPool)
    monkeypatch.setattr(experiment, "MAX_WORKERS", 100, raising=False)
    import twin.workload as workload

    monkeypatch.setattr(workload, "MAX_WORKERS", 100)  # as on a 100-core machine: tasks still cap
    line = twin.line_from_text(line_text(replications=3, horizon="2h"))
    results = twin.run(line, workers=100)
    assert results.replications == 3
    assert started and max(started) <= 3, started
    assert workload.worker_count(100, 3) == 3 and workload.worker_count(None, 1) == 1


def test_the_event_limit_can_be_raised_or_lowered_from_the_environment(tmp_path) -> None:
    """`TWIN_MAX_EVENTS_PER_REPLICATION` (read when twin.limits is imported): lowered to 1,000, a
    one-day line of a part a minute (~1,440 events) is refused; the default lets it run."""
    path = write(tmp_path, "line.yaml", line_text())
    lowered = run_twin("run", path, "--workers", "1", env={"TWIN_MAX_EVENTS_PER_REPLICATION": "1000"})
    assert_one_line_error(lowered, "stations[0].process:", "over the limit of 1e+03")
    bad = run_twin("run", path, "--workers", "1", "--format", "json",
                   env={"TWIN_MAX_EVENTS_PER_REPLICATION": "-5"})
    assert bad.code == 0, f"a bad value falls back to the default: {bad.stderr}"


def test_limits_are_positive_and_documented() -> None:
    from twin import limits

    names = [name for name in dir(limits) if name.startswith("MAX_")]
    assert len(names) >= 8
    for name in names:
        assert getattr(limits, name) > 0, name
    source = Path(limits.__file__).read_text()
    for name in names:
        if name not in ("MAX_SEED",):
            assert f'"TWIN_{name}"' in source, name
