"""Text that users wrote, made safe for where it is shown: a terminal, rich markup, a spreadsheet.

A station called `\x1b]0;owned\x07` retitles the terminal, one called `[/]` breaks rich's markup
(and the command after half its output), and a product called `=cmd|' /C calc'!A0` runs in a
spreadsheet that opens the CSV. Every place that shows user text passes it through one of these.
"""

from __future__ import annotations

import re
from typing import Any

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 control characters (tab and newline aside) and the bidirectional overrides that can
make text display other than it reads."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
"""How a text cell that a spreadsheet would run as a formula starts (`spreadsheet_cell` guards it
with an apostrophe; the event-log reader takes the apostrophe off again)."""


def plain(text: object) -> str:
    """`text` with control characters replaced by U+FFFD, so it prints as what it is."""
    return CONTROL.sub("\ufffd", str(text))


def markup(text: object) -> str:
    """User text to embed in rich markup: control characters replaced, brackets escaped."""
    from rich.markup import escape

    return escape(plain(text))


def spreadsheet_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would take for a formula gets a leading apostrophe (the OWASP
    rule for CSV injection); numbers and other values are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def spreadsheet_safe(table: Any) -> Any:
    """A copy of a pandas DataFrame whose text cells (and column names) cannot run as formulas."""
    from pandas.api import types

    safe = table.copy()
    for column in safe.columns:
        if not types.is_numeric_dtype(safe[column]) and not types.is_bool_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_cell)
    safe.columns = [spreadsheet_cell(c) for c in safe.columns]
    if not types.is_numeric_dtype(safe.index):
        safe.index = safe.index.map(spreadsheet_cell)
    return safe
