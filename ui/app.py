"""Lighthouse Twin, the app: `streamlit run ui/app.py` (or `make run`).

Streamlit runs this file as `__main__`. twin's process pool starts its workers with `spawn` once
threads run (as they do in a Streamlit server), and a spawned worker imports this file again as
`__mp_main__`: so it stays tiny, and the page (ui/shell/page.py, with Streamlit and Plotly) is only imported
when the file is run, not when a worker imports it.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if __name__ == "__main__":
    from ui.shell.page import safe_main

    safe_main()
