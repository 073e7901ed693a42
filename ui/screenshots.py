"""Screenshots of every page of the app for docs/screenshots (`make screenshots`).

Starts `python -m ui.serve` (what `make run` starts) on a free port (or uses `--url`), drives
Debian's Chromium through Playwright over the demo: the comparison, the lever attribution, the
guided tour and an invalid value, and saves one PNG per page. Needs /usr/bin/chromium and the dev
extras (playwright)."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WIDTH = 1500


def serve() -> tuple[str, subprocess.Popen]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.headless", "true", "--server.port",
         str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return url, server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("streamlit did not start")


def shoot(page: Page, name: str, settle: float = 2.5) -> None:
    """The whole main area (it scrolls inside the page, so grow the viewport to fit it)."""
    time.sleep(settle)
    height = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain] *'))"
                           ".map(e => e.scrollHeight))")
    page.set_viewport_size({"width": WIDTH, "height": min(int(height) + 40, 8000)})
    time.sleep(settle)
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    print("saved", OUT / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="an app already running (default: start one)")
    args = parser.parse_args()
    url, server = (args.url, None) if args.url else serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            page.goto(url)
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text("Results for this setting")).to_be_visible(timeout=300_000)
            page.get_by_role("tab", name="Compare").click()
            page.get_by_role("button", name="Compute lever attribution").click()
            expect(page.get_by_text("Interactions").first).to_be_attached(timeout=600_000)
            shoot(page, "compare")
            page.get_by_role("tab", name="Line").first.click()  # not "Timeline"
            page.get_by_text("quality, inspection, energy, cost").first.click()
            shoot(page, "line")
            page.get_by_role("tab", name="Levers").click()
            shoot(page, "levers")
            page.get_by_role("button", name="Source of the defaults").first.click()
            time.sleep(2)
            OUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUT / "lever_sources.png"))
            page.keyboard.press("Escape")
            page.get_by_role("tab", name="Trainer").click()
            page.get_by_role("button", name="Start the tour").click()
            expect(page.get_by_role("button", name="Next")).to_be_visible(timeout=600_000)
            page.get_by_role("button", name="Next").click()
            expect(page.get_by_text("Step 2 of")).to_be_visible(timeout=30_000)
            shoot(page, "trainer")
            page.get_by_role("tab", name="Line").first.click()  # not "Timeline"
            warmup = sidebar.get_by_label("Warm-up", exact=True)
            warmup.fill("2w")
            warmup.press("Enter")
            expect(page.get_by_text("must be < horizon").first).to_be_visible(timeout=30_000)
            shoot(page, "invalid_input")
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
