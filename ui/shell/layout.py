"""What keeps the page readable from a trainer's 800 px projector to a wide monitor: KPI card values
that wrap instead of being cut to "2.1…", and a sidebar that folds away by itself on a narrow
window (Streamlit folds it only below 768 px; at 800 px it would leave the cards a third of the
width). Both are constant text written here, never anything from a study."""

from __future__ import annotations

import streamlit as st

NARROW_PX = 1000
"""Below this window width the sidebar starts folded (the user can open it again)."""

CSS = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 2.4vw, 2rem); }
[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] p {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere; }
[data-testid="stMetricDelta"] > div { white-space: normal !important; overflow-wrap: anywhere; }
</style>"""

FOLD_SIDEBAR = """<script>
(() => {
  const doc = window.parent?.document ?? document;
  if (doc.defaultView.__twinFolded) return;  // once per page load: the user may open it again
  doc.defaultView.__twinFolded = true;
  if (doc.defaultView.innerWidth >= NARROW_PX) return;
  const fold = (tries) => {
    const side = doc.querySelector('[data-testid="stSidebar"]');
    const button = doc.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (side && button && side.dataset.collapsed === 'false') button.click();
    else if (tries > 0) setTimeout(() => fold(tries - 1), 100);
  };
  fold(50);
})();
</script>""".replace("NARROW_PX", str(NARROW_PX))


def narrow_screens() -> None:
    """The page's own style and the sidebar fold, once at the top of every run."""
    st.html(CSS + FOLD_SIDEBAR, unsafe_allow_javascript=True)
