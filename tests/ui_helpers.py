"""Helpers of the app's tests: what a person reads in an element whose body is Markdown."""

from __future__ import annotations

import re

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_read(markdown: str) -> str:
    """The text a Markdown body shows once its backslash escapes are read (`a\\.b` → `a.b`); the app
    escapes every user-written text it puts in Markdown (ui.escape.markdown)."""
    return _ESCAPED.sub(r"\1", markdown)


def errors(at) -> list[str]:
    """The error elements of an AppTest run, as read."""
    return [as_read(e.value) for e in at.error]
