"""The Content-Security-Policy of every self-contained HTML page twin writes (the app's report,
`twin check --report`): only the page's own scripts run, each allowed by the SHA-256 of its text,
and nothing is loaded from anywhere. Text that slipped past escaping could neither run (an injected
`<script>` or `onerror=` handler has no hash) nor fetch or send anything outside the file.
'unsafe-eval' and `worker-src blob:` are for plotly.js itself."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.DOTALL)
"""The text of each inline script of a page."""


def content_security_policy(scripts: Iterable[str]) -> str:
    """The policy allowing exactly these inline scripts."""
    hashes = " ".join(sorted({"'sha256-" + base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
                              + "'" for code in scripts}))
    return (f"default-src 'none'; script-src {hashes} 'unsafe-eval'; style-src 'unsafe-inline'; "
            "img-src data: blob:; font-src data:; worker-src blob:; base-uri 'none'; form-action 'none'")


def script_policy(page: str) -> str:
    """The policy allowing exactly the inline scripts `page` holds."""
    return content_security_policy(SCRIPT.findall(page))
