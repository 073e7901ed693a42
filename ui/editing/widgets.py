"""Input widgets that hand back config values. An untouched widget returns the original value itself,
so a config that nobody edited keeps its exact config hash (and its cached results); an edited one
returns what the user typed, for twin to validate with the same message as the CLI. No bounds are
set on inputs: twin's validation is the one gatekeeper, and its message is shown next to the field.

Inside `hidden()` nothing is drawn: each input returns what its widget holds (the value kept from
the pass that last drew it, else its original) and keeps that value for the next pass, since
Streamlit forgets the state of a widget a pass does not draw. A folded form (a station's details)
so costs no widgets in the page and none in the browser, and its edits still count."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

import streamlit as st

from ui.presenting.units import duration_input

_HIDDEN: ContextVar[bool] = ContextVar("hidden_inputs", default=False)
_MISSING = object()


@contextmanager
def hidden(on: bool = True) -> Iterator[None]:
    """The inputs inside (of this module) are not drawn, their values held (see the module doc)."""
    token = _HIDDEN.set(on)
    try:
        yield
    finally:
        _HIDDEN.reset(token)


def is_hidden() -> bool:
    return _HIDDEN.get()


def held(key: str, default: Any) -> Any:
    """The value of the widget `key` without drawing it, kept for the next pass."""
    ss = st.session_state
    value = ss.get(key, _MISSING)  # not `key in ss`: Streamlit answers that by copying all the state
    if value is _MISSING:
        return default
    ss[key] = value  # from widget state to the session's own: it survives this undrawn pass
    return value


def columns(spec: int | Sequence[float], **kwargs: Any) -> list[Any]:
    """`st.columns`, or as many empty contexts when hidden."""
    if is_hidden():
        return [nullcontext() for _ in range(spec if isinstance(spec, int) else len(spec))]
    return list(st.columns(spec, **kwargs))


def toggle(label: str, value: bool, key: str) -> bool:
    return bool(held(key, value)) if is_hidden() else st.toggle(label, value=value, key=key)


def checkbox(label: str, value: bool, key: str, *, help: str | None = None, disabled: bool = False) -> bool:
    if is_hidden():
        return bool(held(key, value))
    return st.checkbox(label, value=value, key=key, help=help, disabled=disabled)


def multiselect(label: str, options: list[str], default: list[str], key: str, *, help: str | None = None,
                disabled: bool = False) -> list[str]:
    if is_hidden():
        return [o for o in held(key, default) if o in options]
    return st.multiselect(label, options, default=default, key=key, help=help, disabled=disabled)



def _step(value: float | None) -> float:
    if not value or not math.isfinite(value):
        return 0.01
    return 10.0 ** (math.floor(math.log10(abs(value))) - 1)


def number(label: str, original: float | int | None, key: str, *, integer: bool = False,
           help: str | None = None, disabled: bool = False, placeholder: str | None = None) -> Any:
    """A number; None allowed when the original is None (an empty box)."""
    if is_hidden():
        shown = None if original is None else (int(original) if integer else float(original))
        value = held(key, shown)
    elif integer:
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
    text = held(key, shown) if is_hidden() else st.text_input(
        label, value=shown, key=key, help=help or "a duration such as 90s, 5min, 2h, 3d", disabled=disabled)
    if text == shown:
        return original_minutes
    text = text.strip()
    return text or None


def text(label: str, original: str | None, key: str, *, help: str | None = None) -> Any:
    if is_hidden():
        value = held(key, original or "")
    else:
        value = st.text_input(label, value=original or "", key=key, help=help)
    return original if value == (original or "") else value


def choice(label: str, options: list[str], original: str | None, key: str, *, help: str | None = None,
           disabled: bool = False) -> Any:
    index = options.index(original) if original in options else 0
    if is_hidden():
        value = held(key, options[index])
        return value if value in options else options[index]
    return st.selectbox(label, options, index=index, key=key, help=help, disabled=disabled)
