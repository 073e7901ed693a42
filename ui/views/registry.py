"""The app's tabs, in order. The Line and Levers tabs come first: the setting is built from them, so
the shell draws them before it validates the study. Every later tab is a `Page` listed in `PAGES`
and drawn with the pass's `Context` (see ui/views/__init__.py for adding one)."""

from __future__ import annotations

from ui.views import compare, data, explore, levers, line, live, theory, timeline, trainer
from ui.views.context import Page

EDITING_TABS = (line.TAB, levers.TAB)
OPENING_TAB = compare.TAB
"""The tab a session opens on: the results of the study it loads (computed at server start by
the warm-up, ui/serve.py)."""

PAGES: tuple[Page, ...] = (
    Page(compare.TAB, compare.show, lazy=True),
    Page(trainer.TAB, trainer.show),
    Page(explore.TAB, explore.show),
    Page(data.TAB, data.show),
    Page(timeline.TAB, timeline.show),
    Page(live.TAB, live.show),
    Page(theory.TAB, theory.show),
)


def tabs() -> list[str]:
    """Every tab's label, in order: the editing tabs, then the pages."""
    return [*EDITING_TABS, *(page.tab for page in PAGES)]
