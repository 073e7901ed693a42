"""The app in a real browser: `streamlit run ui/app.py` headless on a free local port, Debian's Chromium
driven by Playwright. Set a small run, run the comparison, check the KPI cards and the charts appear,
download the YAML and reload it to the same config. Then hostile input through the real uploader:
a study naming /etc/passwd gets one line; a study whose names carry script and outside images shows
them as text, runs nothing and fetches nothing, and so does the HTML report it exports.

Skipped only when Chromium or Playwright is missing on a developer's machine; with CI=true it runs
(`.ci/run` installs Chromium), so a missing browser fails the build instead of hiding it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import twin

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("ui")]

if not IN_CI:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); CI runs this test",
                    allow_module_level=True)
    pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402
from ui_helpers import CURRENCY, LINE_NAME, OUTSIDE, STATIONS, hostile_study_text  # noqa: E402

from ui.presenting import escape  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"streamlit did not become healthy at {url} in {timeout} s")


@pytest.fixture(scope="module")
def app_url():
    port = free_port()
    env = {**os.environ, "TWIN_UI_WORKERS": "1", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
         "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def commit(field) -> None:
    """Streamlit takes a typed value on Enter (or when the field loses focus)."""
    field.press("Enter")


def test_a_comparison_in_chromium(app_url, tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            page.goto(f"{app_url}/?autorun=0")
            sidebar = page.get_by_test_id("stSidebar")
            expect(page.get_by_role("heading", name="Lighthouse demo")).to_be_visible(timeout=60_000)
            page.get_by_role("tab", name="Line").first.click()  # the diagram is drawn on its tab
            expect(page.get_by_test_id("stGraphVizChart").locator("svg")).to_be_attached(timeout=30_000)

            replications = sidebar.get_by_label("Replications", exact=True)
            replications.fill("2")
            commit(replications)
            horizon = sidebar.get_by_label("Horizon", exact=True)
            horizon.fill("1d")
            commit(horizon)
            expected = twin.load_study(DEMO)
            expected = expected.model_copy(update={"line": expected.line.model_copy(
                update={"replications": 2, "horizon": 24 * 60.0})})
            expect(sidebar.get_by_text(twin.config_hash(expected))).to_be_visible(timeout=30_000)

            sidebar.get_by_role("button", name="Run comparison").click()
            page.get_by_role("tab", name="Compare").click()
            cards = page.get_by_test_id("stMetric")
            expect(cards.first).to_be_visible(timeout=60_000)
            expect(sidebar.get_by_text("Results for this setting")).to_be_visible(timeout=60_000)
            labels = " ".join(cards.all_inner_texts())
            for label in ("Throughput", "OEE", "Cpk", "Scrap", "Lead time", "Energy", "Cost per good part",
                          "Payback"):
                assert label in labels
            charts = page.locator(".js-plotly-plot")
            expect(charts.first).to_be_attached(timeout=30_000)  # the OEE bridge, with the cards
            time.sleep(1)
            assert charts.count() == 1  # the other charts wait for their section to be opened
            drawn = 1
            for section, more in (("Flow: where time goes", 3), ("Precision:", 1), ("Six big losses", 1),
                                  ("Business case: cash flow", 2)):
                page.get_by_test_id("stExpander").filter(has_text=section).locator("summary").click()
                drawn += more
                expect(charts.nth(drawn - 1)).to_be_attached(timeout=30_000)
            assert charts.count() == 8  # OEE bridge; states, flow, cost; precision; losses; cash, savings
            expect(page.get_by_text("Where machine time goes")).to_be_visible()

            with page.expect_download() as download:
                sidebar.get_by_role("button", name="Download YAML").click()
            saved = tmp_path / "downloaded.yaml"
            download.value.save_as(saved)
            reloaded = twin.load_study(saved)
            assert twin.config_hash(reloaded) == twin.config_hash(expected)
            shown = re.search(r"study\s+([0-9a-f]{12})\s+·\s+lines\s+([0-9a-f]{12})", sidebar.inner_text())
            assert shown and shown.groups() == (twin.config_hash(reloaded), twin.config_hash(reloaded.line))

            # an edit, and Export the moment it is offered: the new setting's report, by name (the
            # earlier setting's button, shown with its results while the run went on, exported the
            # earlier report, or nothing; a click while the job drew its charts lost the file name)
            seed = sidebar.get_by_label("Seed", exact=True)
            seed.fill("7")
            seed.press("Enter")
            main = page.get_by_test_id("stMain")
            expect(main.get_by_text("These results are for an earlier setting")).to_be_visible(timeout=30_000)
            assert main.get_by_role("button", name="Export HTML report").count() == 0  # not the earlier one
            sidebar.get_by_role("button", name="Run comparison").click()
            expect(sidebar.get_by_text("Results for this setting")).to_be_visible(timeout=60_000)
            export = main.get_by_role("button", name="Export HTML report")
            expect(export).to_be_visible(timeout=60_000)
            with page.expect_download(timeout=30_000) as download:
                export.click()
            assert download.value.suggested_filename.endswith("_report.html")
            report = (tmp_path / "report.html")
            download.value.save_as(report)
            assert "seed 7" in report.read_text(encoding="utf-8")
        finally:
            browser.close()


CUT = """(selector) => [...document.querySelectorAll(selector)]
    .filter(e => e.scrollWidth > e.clientWidth + 1 || e.innerText.includes('…'))
    .map(e => e.innerText)"""
"""The texts of the elements `selector` finds that are cut (wider than their box, or ellipsised)."""


def in_view(box: dict | None, width: int, height: int) -> bool:
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width \
        and box["y"] + box["height"] <= height


def test_at_800_px_cards_read_whole_and_progress_is_in_view(app_url, tmp_path):
    """A trainer's projector: the sidebar folds, no card value or button is cut, and while a run is
    under way its progress and Cancel button are in view without scrolling."""
    width, height = 800, 1000
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(app_url)  # the demo (the warm-up has run it), automatic runs on, as a trainer opens it
            sidebar = page.get_by_test_id("stSidebar")
            page.get_by_role("tab", name="Compare").click(timeout=60_000)
            expect(page.get_by_test_id("stMetric").first).to_be_visible(timeout=120_000)
            expect(page.get_by_role("button", name="Export HTML report")).to_be_visible(timeout=30_000)
            expect(sidebar).to_have_attribute("data-collapsed", "true")
            time.sleep(1)
            page.screenshot(path=str(tmp_path / "compare_800.png"), full_page=True)
            values = page.get_by_test_id("stMetricValue").all_inner_texts()
            assert len(values) >= 6 and all(v.strip() for v in values)
            assert page.evaluate(CUT, "[data-testid=stMetricValue], [data-testid=stMetricValue] div") == []
            assert page.evaluate(CUT, "[data-testid=stMetricLabel] p") == []
            export = page.get_by_role("button", name="Export HTML report").inner_text()
            assert export.strip().endswith("Export HTML report")  # after its icon's name
            assert page.evaluate(CUT, "[data-testid=stMain] [data-testid=stDownloadButton] button") == []

            page.get_by_test_id("stExpandSidebarButton").click()  # a longer run, to watch it
            horizon = sidebar.get_by_label("Horizon", exact=True)
            horizon.fill("52w")
            commit(horizon)
            page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
            bar = page.get_by_test_id("stProgress").first
            expect(bar).to_be_visible(timeout=60_000)
            cancel = page.get_by_role("button", name="Cancel")
            boxes = bar.bounding_box(), cancel.bounding_box()
            page.screenshot(path=str(tmp_path / "progress_800.png"))
            assert all(in_view(box, width, height) for box in boxes), boxes
            cancel.click()
            expect(page.get_by_text("You cancelled the run").first).to_be_attached(timeout=60_000)
        finally:
            browser.close()


LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def watch(page: Page) -> tuple[list[str], list[str]]:
    """The URLs of every request the page makes to another host, and the CSP violations it logs."""
    outside, refused = [], []
    page.on("request", lambda r: outside.append(r.url) if urllib.parse.urlsplit(r.url).scheme in (
        "http", "https", "ws", "wss") and urllib.parse.urlsplit(r.url).hostname not in LOCAL_HOSTS else None)
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return outside, refused


def read(text: str) -> str:
    """Text as a person reads it: without the invisible word joiners that keep URLs from linking."""
    return text.replace(escape.WORD_JOINER, "").strip()


def upload(page: Page, name: str, data: bytes) -> None:
    """The study upload in the sidebar (pages have uploaders of their own)."""
    page.get_by_test_id("stSidebar").get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/x-yaml", "buffer": data}])


def test_hostile_input_in_chromium(app_url, tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
            outside, _ = watch(page)
            page.goto(f"{app_url}/?autorun=0")
            sidebar = page.get_by_test_id("stSidebar")
            expect(page.get_by_role("heading", name="Lighthouse demo")).to_be_visible(timeout=60_000)

            # a study naming a server file, under a file name that is itself hostile: one line, as text
            upload(page, "<img src=x onerror=window.__pwned=1>.yaml", b"line: /etc/passwd\n")
            alert = sidebar.get_by_test_id("stAlertContentError")
            expect(alert).to_contain_text("may name only a preset", timeout=30_000)
            assert "<img src=x onerror=window.__pwned=1>.yaml: line: " in alert.inner_text()
            expect(page.get_by_role("heading", name="Lighthouse demo")).to_be_visible()  # unchanged

            # a study with hostile names everywhere loads, and shows them as text
            upload(page, "hostile.yaml", hostile_study_text().encode())
            heading = page.locator("h3", has_text="![line](http")
            expect(heading).to_be_visible(timeout=30_000)
            assert read(heading.inner_text()) == LINE_NAME  # shown as written: no image, no link
            page.get_by_role("tab", name="Line").first.click()  # not "Timeline"
            diagram = page.get_by_test_id("stGraphVizChart").locator("svg")
            expect(diagram).to_contain_text(STATIONS["Drilling"], timeout=30_000)
            assert diagram.locator("img, image, script, foreignObject").count() == 0
            expect(page.get_by_text(STATIONS["Milling"]).first).to_be_attached()

            sidebar.get_by_role("button", name="Run comparison").click()
            page.get_by_role("tab", name="Compare").click()
            cards = page.get_by_test_id("stMetric")
            expect(cards.first).to_be_visible(timeout=60_000)
            assert escape.plain(CURRENCY) in read(" ".join(cards.all_inner_texts()))
            assert page.locator(f"img[src='x'], img[src*='{OUTSIDE}'], a[href*='{OUTSIDE}']").count() == 0
            assert page.evaluate("() => window.__pwned") is None
            assert outside == []

            # the run has ended (its end reruns the page, which would cancel a download under way)
            expect(page.get_by_test_id("stProgress")).to_have_count(0, timeout=60_000)
            with page.expect_download() as download:
                page.get_by_role("button", name="Export HTML report").click()
            saved = tmp_path / "report.html"
            download.value.save_as(saved)

            report = browser.new_page(viewport={"width": 1300, "height": 1000})
            outside, refused = watch(report)
            report.goto(saved.as_uri())
            expect(report.locator(".js-plotly-plot").nth(6)).to_be_attached(timeout=30_000)  # plotly runs
            assert report.locator("h1").inner_text() == LINE_NAME
            cells = report.locator("td").all_inner_texts()
            assert all(escape.plain(name) in cells for name in STATIONS.values())
            expect(report.locator(".js-plotly-plot").first).to_contain_text(STATIONS["Turning"])
            assert report.locator("img").count() == 0
            assert report.evaluate("() => window.__pwned") is None
            assert outside == [] and refused == []
        finally:
            browser.close()
