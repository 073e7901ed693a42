"""The app's tabs, in order. The Line and Levers tabs come first: the setting is built from them, so
the shell draws them before it validates the study. Every later tab is a `Page` listed in `PAGES`
and drawn with the pass's `Context` (see ui/views/__init__.py for adding one). A page's module is
imported when its tab is first drawn, so this registry holds the labels and imports no page."""

from __future__ import annotations

from ui.views import levers, line
from ui.views.context import Page

EDITING_TABS = (line.TAB, levers.TAB)

PAGES: tuple[Page, ...] = (
    Page(":material/monitoring: Compare", "compare", lazy=True),
    Page(":material/school: Trainer", "trainer", lazy=True),
    Page(":material/explore: Explore", "explore"),
    Page(":material/dataset: Data", "data"),
    Page(":material/view_timeline: Timeline", "timeline"),
    Page(":material/sensors: Live", "live", lazy=True),
    Page(":material/functions: Theory", "theory", lazy=True),
)
"""Lazy: Compare, Trainer, Live and Theory (their inputs are held while not drawn, `HELD`; other state
lives outside widgets). Explore, Data and Timeline have inputs a pass cannot hold (uploads, grids),
so they are drawn on every pass."""

OPENING_TAB = PAGES[0].tab
"""The tab a session opens on: Compare, the results of the study it loads (computed at server start
by the warm-up, ui/serve.py)."""


def tabs() -> list[str]:
    """Every tab's label, in order: the editing tabs, then the pages."""
    return [*EDITING_TABS, *(page.tab for page in PAGES)]


def import_all() -> None:
    """Import every page's module (the warm-up does, so no first pass pays for it)."""
    for page in PAGES:
        page.module()
