"""The Timeline page through Streamlit's AppTest: it draws the Gantt, the buffer levels and a part's
path for one logged replication of the demo and for an uploaded log; a hostile upload is one error
line, and names written in a log reach the charts only escaped."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from test_ui_apptest import HORIZON, start
from ui_helpers import errors

from ui.presenting import escape
from ui.presenting.timeline_charts import BUFFERS_TITLE
from ui.views import timeline as page

HOSTILE = "<img src=x onerror=window.__pwned=1> %{y}"
LOG = "\n".join([
    "time,station,machine,part,event",
    f'0,"{HOSTILE}",1,p1,ENTER', f'0,"{HOSTILE}",1,p1,START', f'2,"{HOSTILE}",1,p1,END',
    f'2,"{HOSTILE}",1,p1,EXIT', "2,Pack,1,p1,ENTER", "2,Pack,1,p1,START", "3,Pack,1,p1,END",
    "3,Pack,1,p1,EXIT", f'1,"{HOSTILE}",1,p2,ENTER', f'2,"{HOSTILE}",1,p2,START',
    f'4,"{HOSTILE}",1,p2,END', f'4,"{HOSTILE}",1,p2,EXIT', "4,Pack,1,p2,ENTER", "4,Pack,1,p2,START",
    "5,Pack,1,p2,END", "5,Pack,1,p2,EXIT",
]).encode()
STATES = "\n".join(["time,station,state", f'0,"{HOSTILE}",busy', f'4,"{HOSTILE}",starved',
                    "0,Pack,starved", "2,Pack,busy", "3,Pack,starved", "4,Pack,busy",
                    "5,Pack,starved"]).encode()


def timeline_charts(at: AppTest) -> list[dict]:
    """The figures on the page (with automatic runs off, only the Timeline draws any)."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def part_box(at: AppTest):
    return next(w for w in at.text_input if w.label.startswith("Part id"))


def titles(at: AppTest) -> list[str]:
    return [spec["layout"]["title"]["text"] for spec in timeline_charts(at)]


def upload(at: AppTest, events: bytes, states: bytes | None = None, name: str = "log.csv") -> None:
    at.radio(key="timeline.source").set_value(page.UPLOAD).run()
    at.file_uploader(key="timeline.events").upload(name, events, "text/csv").run()
    if states is not None:
        at.file_uploader(key="timeline.states").upload("states.csv", states, "text/csv").run()
    assert not at.exception


def test_the_demo_run_draws_the_gantt_buffers_and_a_path():
    at = start()
    version = at.session_state["version"]
    at.text_input(key=f"run.horizon@{version}").input(HORIZON).run()
    at.button(key="timeline.run").click().run()
    deadline = time.monotonic() + 90
    while not any("Machine states" in t for t in titles(at)) and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert not at.exception and not at.error
    shown = titles(at)
    assert shown[-3:] == ["Machine states", BUFFERS_TITLE,
                          f"Path of part {part_box(at).value}"]
    gantt = timeline_charts(at)[-3]
    assert {t["type"] for t in gantt["data"]} == {"scattergl"}
    assert "Turning" in gantt["layout"]["yaxis"]["ticktext"]


def test_an_uploaded_log_is_drawn_with_its_names_escaped():
    at = start()
    upload(at, LOG, STATES)
    assert not at.error
    specs = timeline_charts(at)
    assert [s["layout"]["title"]["text"] for s in specs[-3:]] == [
        "Machine states", BUFFERS_TITLE, "Path of part p1"]
    text = json.dumps(specs)
    assert "<img" not in text and "%{y}" not in text
    assert specs[-3]["layout"]["yaxis"]["ticktext"] == [escape.plotly(HOSTILE), "Pack"]
    part_box(at).input("nope").run()
    assert errors(at) == ["part: no part 'nope' in the log (e.g. 'p1', 'p2')"]


@pytest.mark.parametrize(("name", "data", "start_of_message"), [
    ("garbage.csv", b"\x00\xff\xfe\x00 not text", "garbage.csv: "),
    ("columns.csv", b"when,where\n1,2\n", "columns.csv: no 'time', 'station', 'part', 'event' column"),
    ("fake.parquet", b"PAR1 this is not parquet", "fake.parquet: not a Parquet file"),
    ("events.csv", b"time,station,part,event\n1,A,p,EXPLODE\n", "events.csv: event: row 1 are not one of"),
])
def test_a_hostile_upload_is_one_error_line(name, data, start_of_message):
    at = start()
    upload(at, data, name=name)
    shown = errors(at)
    assert len(shown) == 1 and "\n" not in shown[0], shown
    assert shown[0].startswith(start_of_message), shown[0]
    assert not timeline_charts(at) or all("Path of part" not in t for t in titles(at))


def test_a_log_on_a_wall_clock_says_when_time_zero_is():
    at = start()
    stamped = b"time,station,part,event\n2026-03-02T06:00:00Z,A,p1,ENTER\n2026-03-02T06:02:30Z,A,p1,EXIT\n"
    upload(at, stamped)
    assert not at.error
    assert any("Time 0 is 2026-03-02T06:00:00+00:00" in c.value.replace("\\", "") for c in at.caption)
    assert titles(at)[-2:] == [BUFFERS_TITLE, "Path of part p1"]
