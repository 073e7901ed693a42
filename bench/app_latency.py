"""App latency in a real browser: a freshly started server on the demo (`python -m ui.serve`, what
`make run` starts; `--cold` without its warm-up), Debian's Chromium through Playwright, automatic
runs on (as a trainer opens it), the page opened as soon as the server answers.

It measures, as a person sees them:
- server up: from starting the server to the health check answering;
- first page: from opening the URL to the first KPI cards of the demo: its first look (the first
  replications of both lines, marked "First look:") and its full result;
- edit → cards: a lever switched off on the Levers tab, then the Compare tab opened (the results
  are drawn only while their tab is open), from the click on the lever to the first look and to
  the full cards of the new setting; the same back to an earlier setting (served from the cache);
  a seed changed in the sidebar while on the Compare tab.

and prints the server's own breakdown of each run and page pass (the app logs `twin-ui-timing`
lines on stderr when TWIN_UI_TIMINGS=1: the job's phases with their wall and thread-CPU seconds,
and each script run). Thread-CPU is what the same work takes on a free core; on a shared, loaded
machine wall time is longer. Usage: `.venv/bin/python bench/app_latency.py [--runs 3] [--pin]`
(`--runs`: each step's median and range over the runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TIMING = re.compile(r"twin-ui-timing (.*)")


def serve(lines: list[str], warm: bool = True,
          cpus: set[int] | None = None) -> tuple[str, subprocess.Popen, float]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "TWIN_UI_TIMINGS": "1", "PYTHONUNBUFFERED": "1",
             "TWIN_UI_WARM": "1" if warm else "0"},
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)

    def pump() -> None:
        for line in server.stdout:
            if match := TIMING.search(line):
                lines.append(f"{time.perf_counter() - started:7.2f}  {match.group(1)}")

    threading.Thread(target=pump, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return url, server, time.perf_counter() - started
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("streamlit did not start")


HASHES = r"/\b[0-9a-f]{12}\b/g"


HASHES_JS = f"""((document.querySelector('[data-testid=stSidebar]')?.innerText || '')
        .match({HASHES}) || [])"""


def hashes(page: Page) -> list[str]:
    """The config hashes the sidebar shows (they change the moment an edit reaches the server)."""
    return page.evaluate(f"() => {HASHES_JS}")


def settled(page: Page, before: list[str] | None, timeout: float = 600,
            start: float | None = None) -> tuple[float | None, float]:
    """Seconds until the page shows KPI cards for the current setting: its first look (cards marked
    "First look:", None when the run had none) and its full result (the sidebar says "Results for
    this setting"), its config hashes no longer being `before` (the setting before the edit)."""
    start = time.perf_counter() if start is None else start
    script = """() => {
        // only what the current script run drew: Streamlit keeps the last run's elements, marked
        // data-stale, until the new run replaces them
        const fresh = (root, selector) => Array.from(root.querySelectorAll(selector))
            .filter(e => !e.closest('[data-stale=true]'));
        const side = document.querySelector('[data-testid=stSidebar]');
        const main = document.querySelector('[data-testid=stMain]');
        if (!side || !main || fresh(main, '[data-testid=stMetric]').length === 0) return 0;
        const said = fresh(side, '[data-testid=stCaptionContainer]').map(e => e.innerText).join(' ');
        if (said.includes('Results for this setting')) return 2;
        // the Compare tab's text, even while another tab is in front
        return fresh(main, '[data-testid=stAlert]').some(e => e.textContent.includes('First look:')) ? 1 : 0;
    }"""
    first: float | None = None
    while time.perf_counter() - start < timeout:
        if before is None or hashes(page) != before:
            shown = page.evaluate(script)
            if shown == 1 and first is None:
                first = time.perf_counter() - start
            if shown == 2:
                return first, time.perf_counter() - start
        time.sleep(0.05)
    raise TimeoutError("no cards")


class CpuMeter:
    """CPU seconds (user + system) of the server's process tree and of the browser's (Chromium's
    processes), so a step's wall time can be told apart from the work of each side: on a small
    shared machine the browser's rendering competes with the server for the same cores."""

    def __init__(self, server: subprocess.Popen) -> None:
        self.server = psutil.Process(server.pid)
        self.last = self.totals()

    @staticmethod
    def _cpu(processes: list[psutil.Process]) -> float:
        total = 0.0
        for process in processes:
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system + times.children_user + times.children_system
        return total

    def totals(self) -> tuple[float, float]:
        browser = [c for c in psutil.Process().children(recursive=True)
                   if c.pid != self.server.pid and "chrom" in (c.name() or "")]
        return self._cpu([self.server]), self._cpu(browser)

    def step(self) -> tuple[float, float]:
        now = self.totals()
        spent = (now[0] - self.last[0], now[1] - self.last[1])
        self.last = now
        return spent


Row = tuple[str, "float | None", "tuple[float, float] | None"]


def timed(rows: list[Row], name: str, page: Page, before: list[str] | None, meter: CpuMeter,
          start: float | None = None) -> None:
    first, full = settled(page, before, start=start)
    rows.append((f"{name}: first look", first, None))
    rows.append((f"{name}: full result", full, meter.step()))


def measure(args: argparse.Namespace, server_cpus: set[int] | None) -> tuple[list[Row], list[str]]:
    """One run: a fresh server, a fresh browser, the steps of the module doc."""
    lines: list[str] = []
    url, server, up = serve(lines, warm=not args.cold, cpus=server_cpus)
    meter = CpuMeter(server)
    rows: list[Row] = [("server up (start → health)", up, meter.step())]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            meter.step()
            page.goto(url)
            timed(rows, "first page (open → KPI cards)", page, None, meter)
            page.get_by_role("tab", name="Levers").click()
            time.sleep(1.0)
            toggle = page.get_by_test_id("stCheckbox").filter(has_text="Energy management").first
            before = hashes(page)
            compare = page.get_by_role("tab", name="Compare")
            meter.step()
            clicked = time.perf_counter()
            toggle.locator("label").first.click()  # then to the results, as a person does
            page.wait_for_function(f"() => JSON.stringify({HASHES_JS}) !== {json.dumps(json.dumps(before))}")
            compare.click()
            timed(rows, "edit → Compare → cards (energy management off)", page, before, meter, clicked)
            time.sleep(1.0)
            page.get_by_role("tab", name="Levers").click()
            time.sleep(1.0)
            before = hashes(page)
            meter.step()
            clicked = time.perf_counter()
            toggle.locator("label").first.click()
            page.wait_for_function(f"() => JSON.stringify({HASHES_JS}) !== {json.dumps(json.dumps(before))}")
            compare.click()
            rows.append(("back → Compare → cards (cached setting)", settled(page, before, start=clicked)[1],
                         meter.step()))
            time.sleep(1.0)
            seed = page.get_by_test_id("stSidebar").get_by_label("Seed", exact=True)
            seed.fill("43")
            before = hashes(page)
            meter.step()
            seed.press("Enter")
            timed(rows, "edit → cards (seed 43)", page, before, meter)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rows, lines


def print_run(rows: list[Row]) -> None:
    for name, seconds, cpu in rows:
        wall = "  none  " if seconds is None else f"{seconds:6.2f} s"
        spent = "" if cpu is None else f"   cpu: server {cpu[0]:5.2f} s, browser {cpu[1]:5.2f} s"
        print(f"{name:<56} {wall}{spent}")


def print_summary(runs: list[list[Row]]) -> None:
    """Each step's median over the runs and its range (the machine is shared: one run says little)."""
    print(f"\n# over {len(runs)} runs: median wall [min–max]; median CPU of the server, of the browser")
    for index, (name, _, cpu) in enumerate(runs[0]):
        walls = [run[index][1] for run in runs if run[index][1] is not None]
        wall = f"{statistics.median(walls):6.2f} s [{min(walls):.2f}–{max(walls):.2f}]" if walls else \
            "  none"
        spent = ""
        if cpu is not None:
            server = statistics.median(run[index][2][0] for run in runs if run[index][2])
            browser = statistics.median(run[index][2][1] for run in runs if run[index][2])
            spent = f"   cpu: server {server:5.2f} s, browser {browser:5.2f} s"
        print(f"{name:<56} {wall:<22}{spent}  (first look in {len(walls)} of {len(runs)})"
              if "first look" in name else f"{name:<56} {wall:<22}{spent}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=1,
                        help="measure this many times (a fresh server each), then print each step's "
                             "median and range")
    parser.add_argument("--cold", action="store_true",
                        help="start the server without its warm-up (TWIN_UI_WARM=0): the first page "
                             "imports the modules and computes the demo itself")
    parser.add_argument("--pin", action="store_true",
                        help="the server on a core of its own (the last one), the browser and this "
                             "script on the others: the issue's 'on a free core', measured in wall time")
    args = parser.parse_args()
    server_cpus: set[int] | None = None
    if args.pin:
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            raise SystemExit("--pin needs two cores or more")
        server_cpus = {available[-1]}
        os.sched_setaffinity(0, set(available[:-1]))  # Chromium and Playwright inherit it
    where = (f"server pinned to core {min(server_cpus)}, browser to the others" if server_cpus
             else "server and browser sharing every core")
    runs = []
    for _ in range(max(1, args.runs)):
        rows, lines = measure(args, server_cpus)
        runs.append(rows)
        print(f"# app latency, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, {where}, warm-up "
              f"{'off' if args.cold else 'on'} (wall seconds; CPU seconds of the server and of the "
              f"browser over each step)")
        print_run(rows)
        if lines:
            print("\n# server breakdown (seconds since `streamlit run`; phase, wall s, thread-CPU s)")
            print("\n".join(lines))
        print(flush=True)
    if len(runs) > 1:
        print_summary(runs)


if __name__ == "__main__":
    main()
