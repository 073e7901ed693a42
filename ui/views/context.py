"""What every result page is given: the current setting and where its run stands, computed once per
pass of the script by the shell (ui/shell/page.py), so a page only draws."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from ui.computing import results
from ui.computing.jobs import Store
from ui.computing.progress import Status

if TYPE_CHECKING:  # twin's names load lazily; the annotations only name them
    from twin.config.study import Study


@dataclass(frozen=True)
class Context:
    """One pass of the page, as the result pages see it."""

    study: Study | None
    """The current setting, validated; None while it is not valid."""
    current: Study
    """What the page's title and diagram show: the study, else the last valid one, else as loaded."""
    version: int
    """Which study is loaded (a new preset or upload is a new version; edits are not)."""
    store: Store
    """The server's jobs and results (shared by every session)."""
    key: str | None
    """The current setting's comparison key (None while it is not valid)."""
    bundle: results.Bundle | None
    """The current setting's results, once they are there."""
    shown: results.Bundle | None
    """What to show: the current setting's results, else those last shown for this same study (an
    earlier setting, marked so), never those of another study."""
    status: Status
    """Where the current setting's run stands, in the words the page uses for it."""
    attribution_key: str
    tour_key: str


@dataclass(frozen=True)
class Page:
    """One tab of the app after the editing tabs: its label and the module that draws it.

    The module (`ui.views.<name>`, with `show(ctx)`) is imported when the page is first drawn, not
    with the registry: a lazy page a session never opens costs it no import."""

    tab: str
    """The tab's label: a `:material/…:` icon and one or two words."""
    name: str
    """The page's module in ui/views/."""
    lazy: bool = False
    """Drawn only while its tab is open (a page without inputs that must outlive a tab switch:
    Streamlit forgets the state of a widget a pass does not draw, except the keys the module lists
    in `HELD`, which are kept while it is not drawn). A lazy page costs nothing, on the server or
    in the browser, while someone edits on another tab."""

    def module(self) -> ModuleType:
        return importlib.import_module(f"ui.views.{self.name}")

    def show(self, ctx: Context) -> None:
        self.module().show(ctx)

    def hold(self) -> None:
        """Keep the state of the widgets the page lists in `HELD` (its sections' folding, a picked
        station) through a pass that does not draw it."""
        from ui.editing.widgets import held

        for key in getattr(self.module(), "HELD", ()):
            held(key, None)
