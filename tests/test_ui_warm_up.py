"""The server's warm-up (`python -m ui.serve`, what `make run` starts): it imports the page's modules
and runs the opening study's comparison into the shared store before anyone asks, and a page that
opens while that comparison runs follows it instead of starting another.

Checked through Streamlit's `AppTest` with automatic runs off, so the only way the page can show
the full result is by following the job the warm-up started. The browser test
(tests/test_ui_browser.py) starts the real launcher."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import yaml

import twin
from twin.io import parse_yaml

pytest.importorskip("streamlit")
from streamlit.runtime import Runtime
from streamlit.testing.v1 import AppTest

from ui import serve
from ui.computing import results
from ui.computing.jobs import Store
from ui.shell import state

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"

pytestmark = pytest.mark.xdist_group("ui")


@pytest.fixture
def small_study(tmp_path, monkeypatch) -> Path:
    """The operator's study: the demo, short (the warm-up computes what the server opens on)."""
    data = parse_yaml(DEMO.read_text(encoding="utf-8"))
    data["line"].update(replications=2, horizon="1d")
    path = tmp_path / "short_demo.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("TWIN_UI_CONFIG", str(path))
    return path


def full(at: AppTest) -> bool:
    return any(c.value.startswith(":material/check_circle: Results for this setting") for c in at.caption)


def test_the_warm_up_runs_the_opening_study_and_a_page_follows_it(small_study, monkeypatch):
    store = Store()
    monkeypatch.setattr(state, "store", lambda: store)
    monkeypatch.setattr(Runtime, "exists", staticmethod(lambda: True))
    release = threading.Event()
    compute = results.run_comparison

    def held(study, key, job):  # the warm-up's run waits until the page has seen it running
        release.wait(30)
        return compute(study, key, job)

    monkeypatch.setattr(results, "run_comparison", held)
    serve.warm_up()
    study = twin.load_study(small_study)
    key = results.comparison_key(study)
    job = store.job(key)
    assert job is not None and job.kind == "compare"  # the opening study, under the page's own key

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"  # the page starts nothing itself
    at.run()
    assert job.status == "running"
    assert key in at.session_state["watch"]  # it follows the job: its progress polls and reruns
    assert at.get("progress")
    release.set()
    deadline = time.monotonic() + 60
    while not (full(at) and job.status == "done") and time.monotonic() < deadline:
        time.sleep(0.2)  # the cards come first, the job ends once its charts are drawn
        at.run()
    assert not at.exception
    assert full(at), [e.value for e in (*at.error, *at.info)]
    assert store.job(key) is job and job.status == "done"  # followed, not run again
    assert list(store.jobs) == [key]
    assert {m.label: m.value for m in at.metric}  # the cards of that result


def test_a_failing_warm_up_is_logged_and_changes_nothing(monkeypatch, caplog):
    monkeypatch.setattr(Runtime, "exists", staticmethod(lambda: True))
    monkeypatch.setenv("TWIN_UI_CONFIG", str(ROOT / "configs"))  # not a file: the demo opens
    store = Store()
    monkeypatch.setattr(state, "store", lambda: store)

    def broken(*args, **kwargs):
        raise RuntimeError("no store today")

    monkeypatch.setattr(results, "submit_comparison", broken)
    serve.warm_up()  # never raises: the first page computes as it would without it
    assert "the warm-up failed" in caplog.text and not store.jobs


@pytest.mark.parametrize(("value", "on"), [(None, True), ("1", True), ("0", False), ("no", False)])
def test_the_warm_up_can_be_switched_off(monkeypatch, value, on):
    if value is None:
        monkeypatch.delenv("TWIN_UI_WARM", raising=False)
    else:
        monkeypatch.setenv("TWIN_UI_WARM", value)
    assert serve.warm_enabled() is on
