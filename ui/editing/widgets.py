"""Input widgets that hand back config values. An untouched widget returns the original value itself,
so a config that nobody edited keeps its exact config hash (and its cached results); an edited one
returns what the user typed, for twin to validate with the same message as the CLI. No bounds are
set on inputs: twin's validation is the one gatekeeper, and its message is shown next to the field."""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from ui.presenting.units import duration_input


def _step(value: float | None) -> float:
    if not value or not math.isfinite(value):
        return 0.01
    return 10.0 ** (math.floor(math.log10(abs(value))) - 1)


def number(label: str, original: float | int | None, key: str, *, integer: bool = False,
           help: str | None = None, disabled: bool = False, placeholder: str | None = None) -> Any:
    """A number; None allowed when the original is None (an empty box)."""
    if integer:
        shown = None if original is None else int(original)
        value = st.number_input(label, value=shown, step=1, key=key, help=help, disabled=disabled,
                                placeholder=placeholder)
    else:
        shown = None if original is None else float(original)
        value = st.number_input(label, value=shown, step=_step(shown), format="%g", key=key, help=help,
                                disabled=disabled, placeholder=placeholder)
    return original if value == shown else value


def duration(label: str, original_minutes: float | None, key: str, *, help: str | None = None,
             disabled: bool = False) -> Any:
    """A duration typed as in YAML ('90s', '8h'); the original minutes when untouched, else the text."""
    shown = "" if original_minutes is None else duration_input(original_minutes)
    text = st.text_input(label, value=shown, key=key, help=help or "a duration such as 90s, 5min, 2h, 3d",
                         disabled=disabled)
    if text == shown:
        return original_minutes
    text = text.strip()
    return text or None


def text(label: str, original: str | None, key: str, *, help: str | None = None) -> Any:
    value = st.text_input(label, value=original or "", key=key, help=help)
    return original if value == (original or "") else value


def choice(label: str, options: list[str], original: str | None, key: str, *, help: str | None = None,
           disabled: bool = False) -> Any:
    index = options.index(original) if original in options else 0
    value = st.selectbox(label, options, index=index, key=key, help=help, disabled=disabled)
    return value
