"""The memo of replications (`twin.memoize_replications`): a replication served from it is the one
the engine would compute, only what is missing runs, a part log is kept with its run and a state
log never, and its bound is kept."""

from __future__ import annotations

import json

import pytest

import twin
import twin.experiment as experiment
from twin.experiments import memo


def _small_study() -> twin.Study:
    study = twin.load_study("configs/lighthouse_demo.yaml")
    line = study.line.model_copy(update={"horizon": 2 * 24 * 60.0, "warmup": 60.0, "replications": 4})
    return study.model_copy(update={"line": line})


def _lever_off(study: twin.Study, name: str) -> twin.Study:
    lever = getattr(study.levers, name).model_copy(update={"enabled": False})
    return study.model_copy(update={"levers": study.levers.model_copy(update={name: lever})})


@pytest.fixture
def counted(monkeypatch):
    """The (line's config hash, replication) of every replication the engine really runs."""
    runs: list[tuple[str, int]] = []
    real = experiment.simulate_with

    def counting(line, replication, **kwargs):
        runs.append((twin.config_hash(line), replication))
        return real(line, replication, **kwargs)

    monkeypatch.setattr(experiment, "simulate_with", counting)
    return runs


def _json(comparison: twin.Comparison) -> str:
    return json.dumps(comparison.to_json(), sort_keys=True, default=str)


def test_memo_is_off_unless_turned_on(counted):
    study = _small_study()
    assert memo.active() is None
    twin.compare(study, workers=1)
    twin.compare(study, workers=1)
    assert len(counted) == 2 * 2 * 4  # every replication of both lines, twice


def test_a_comparison_served_from_the_memo_is_the_same_comparison(counted):
    study = _small_study()
    plain = _json(twin.compare(study, workers=1))
    counted.clear()
    store = twin.memoize_replications()
    filled = _json(twin.compare(study, workers=1))
    assert len(counted) == 8 and len(store.entries) == 8
    counted.clear()
    again = _json(twin.compare(study, workers=1))
    assert counted == [] and store.hits == 8
    assert plain == filled == again


def test_a_lever_toggled_reruns_only_the_industry40_line(counted):
    study = _small_study()
    twin.memoize_replications()
    twin.compare(study, workers=1)
    counted.clear()
    toggled = twin.compare(_lever_off(study, "energy_management"), workers=1)
    assert len(counted) == 4 and {rep for _, rep in counted} == {0, 1, 2, 3}
    assert twin.config_hash(study.line) not in {line for line, _ in counted}  # the conventional: known
    memo.disable()
    counted.clear()
    assert _json(twin.compare(_lever_off(study, "energy_management"), workers=1)) == _json(toggled)
    assert len(counted) == 8


def test_a_first_look_and_a_progress_count_see_the_memoised_replications():
    study = _small_study()
    twin.memoize_replications()
    twin.run(study.line, replications=2, workers=1)
    seen: list[tuple[int, int]] = []
    looks: list[int] = []
    full = twin.run(study.line, workers=1, first=2, progress=lambda d, t: seen.append((d, t)),
                    on_batch=lambda part: looks.append(len(part.runs)))
    assert looks == [2] and len(full.runs) == 4
    assert seen[-1] == (4, 4) and all(d <= t for d, t in seen)
    memo.disable()
    assert twin.run(study.line, workers=1).to_json() == full.to_json()


def test_a_part_log_is_memoised_with_its_run_and_a_state_log_never(counted):
    study = _small_study()
    store = twin.memoize_replications()
    first = twin.run(study.line, replications=2, workers=1, keep_part_log=True).part_records()
    again = twin.run(study.line, replications=2, workers=1, keep_part_log=True).part_records()
    assert len(counted) == 2 and len(first) > 0
    assert again.equals(first)
    twin.run(study.line, replications=2, workers=1)  # kept apart: the plain runs are run
    assert len(counted) == 4 and len(store.entries) == 4
    twin.run(study.line, replications=2, workers=1, keep_state_log=True)
    twin.run(study.line, replications=2, workers=1, keep_state_log=True)
    assert len(counted) == 8 and len(store.entries) == 4


def test_the_memo_keeps_its_bound_least_recently_used_out():
    study = _small_study()
    store = twin.memoize_replications()
    twin.run(study.line, replications=1, workers=1)
    one = store.bytes
    assert one > 0
    memo.disable()
    store = twin.memoize_replications(max_bytes=int(2.5 * one))
    twin.run(study.line, replications=4, workers=1)
    assert len(store.entries) == 2 and store.bytes <= store.max_bytes
    assert sorted(key[3] for key in store.entries) == [2, 3]  # the latest two


def test_a_run_served_whole_from_the_memo_still_counts_its_progress_to_the_end(counted):
    study = _small_study()
    twin.memoize_replications()
    twin.compare(study, workers=1)
    twin.run(study.line, workers=1)
    counted.clear()
    compared: list[tuple[int, int]] = []
    ran: list[tuple[int, int]] = []
    twin.compare(study, workers=1, progress=lambda d, t: compared.append((d, t)))
    twin.run(study.line, workers=1, progress=lambda d, t: ran.append((d, t)))
    assert counted == []
    assert compared[-1] == (8, 8) and ran[-1] == (4, 4)
