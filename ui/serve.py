"""Serve the app: `python -m ui.serve [streamlit options] [-- study.yaml]` (what `make run` does).

`streamlit run ui/app.py` works too, but it imports the page's modules (pandas, Plotly, the
engine) only when the first browser connects, and computes the study it opens on only then: on a
small machine that is seconds of imports and simulation after someone opened the page. This
launcher starts the same server with a warm-up thread beside it, which imports the page's modules
and then runs the opening study's comparison (the operator's study, or the demo) into the server's
shared result store, exactly as a session would start it. The first visitor finds the modules
loaded and the comparison done or under way; their page follows the running job instead of
starting another (`ui.shell.page`).

Set `TWIN_UI_WARM=0` to start without the warm-up (a server that should compute nothing until asked).
Nothing heavy is imported at this module's top: a process-pool worker spawned by the server may
import the main module again.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
ROOT = APP.parent.parent
RUNTIME_WAIT_SECONDS = 60.0
log = logging.getLogger("lighthouse_twin.ui")


def warm_enabled() -> bool:
    return os.environ.get("TWIN_UI_WARM", "1") not in ("0", "false", "no")


def warm_up() -> None:
    """Import the page's modules, then start the opening study's comparison in the shared store.

    Waits for Streamlit's runtime (the store is a `st.cache_resource`, which lives in it). Any
    failure is logged and ends the warm-up only: a session computes as it would without it."""
    try:
        from streamlit.runtime import Runtime

        import twin
        from ui.computing import results
        from ui.shell import heap, page, state  # noqa: F401  (the page's imports, the point of the warm-up)
        from ui.views import registry

        registry.import_all()  # the pages' modules (the page imports each when it first draws it)
        heap.freeze_imports()  # out of Streamlit's full collection after every script run

        deadline = time.monotonic() + RUNTIME_WAIT_SECONDS
        while not Runtime.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not Runtime.exists():
            return
        study = twin.load_study(state.operator_file())
        # the store is a st.cache_resource: reached from this thread, outside any session's run,
        # Streamlit warns of a missing ScriptRunContext, which is expected here
        quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            store = state.store()
        finally:
            quiet.setLevel(level)
        results.submit_comparison(store, study, results.comparison_key(study))
    except Exception:  # the warm-up is an optimisation; the page works without it
        log.exception("the warm-up failed (the first page computes as usual)")


def main(argv: list[str] | None = None) -> None:
    """Run `streamlit run ui/app.py ARGV...` in this process, with the warm-up beside it."""
    args = sys.argv[1:] if argv is None else argv
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if warm_enabled():
        threading.Thread(target=warm_up, name="twin-warm-up", daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", str(APP), *args]
    cli.main()


if __name__ == "__main__":
    main()
