"""The app's Live page through Streamlit's AppTest: one button starts the emulator on the current
line and follows it; the line's state is drawn on the diagram, forecasts arrive with the fan chart,
and Stop ends both threads. (The reference line: no failures, so no machine to fail; the injection
itself is tested against a real server in tests/test_live.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from ui.views import registry

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")




def test_the_live_page_emulates_the_line_and_forecasts_its_shift() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["autorun"] = "0"
    at.run()
    at.selectbox(key="preset").set_value("reference_line.yaml").run()
    at.session_state["tab"] = next(page.tab for page in registry.PAGES if page.name == "live")
    at.run()  # drawn only while its tab is open
    assert not at.exception
    assert any("Not following a line yet" in i.value for i in at.info)
    at.number_input(key="live_speed").set_value(600.0)
    at.number_input(key="live_target").set_value(300)
    at.button(key="live_emulate").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    desk = at.session_state["live_desk"]
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not desk.snapshot().forecasts:
            time.sleep(0.5)
        at.run()
        texts = [m.value for m in at.markdown]
        assert any(t.startswith("**Forecast for the end of the shift:") for t in texts), texts
        assert any("chance of making 300" in t for t in texts)
        assert any(c.value.startswith("Line now: clock") for c in at.caption)
        assert any("no machine to fail" in c.value for c in at.caption)
        assert len(at.get("graphviz_chart")) == 1  # the line's state now (its diagram: on the Line tab)
    finally:
        at.button(key="live_stop").click().run()
    assert at.session_state["live_desk"].session is None and desk.emulator is None
