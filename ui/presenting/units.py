"""Durations as people read them. The engine counts minutes; the page shows '45 s', '2.2 min', '8 h'
and writes what the user types ('90s', '2h') into the config unchanged, so twin parses and checks it
exactly as it would in a YAML file."""

from __future__ import annotations

import math

TIME_UNITS: dict[str, float] = {"s": 1 / 60, "min": 1.0, "h": 60.0, "d": 24 * 60.0, "w": 7 * 24 * 60.0}
"""Minutes per unit, for the units a table offers."""

MISSING_CELL = "—"
"""What a results table shows for a value that does not apply (Streamlit would print "None"); an
editable grid shows an empty cell instead, since empty is what the user types there."""


def round_sig(value: float, digits: int = 6) -> float:
    """`value` to `digits` significant figures (0.7499999999 → 0.75), so shown numbers stay clean."""
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def pick_unit(minutes: float, choices: tuple[str, ...] = ("s", "min", "h")) -> str:
    """The unit a person would use: seconds below a minute, hours from two hours on."""
    if minutes < 1 and "s" in choices:
        return "s"
    if minutes >= 2 * 24 * 60 and "d" in choices:
        return "d"
    if minutes >= 120 and "h" in choices:
        return "h"
    return "min"


def in_unit(minutes: float, unit: str) -> float:
    return round_sig(minutes / TIME_UNITS[unit])


def duration_text(minutes: float) -> str:
    """'45 s', '2.2 min', '8 h', '3 d' (for labels, not for parsing)."""
    if minutes is None or not math.isfinite(minutes):
        return "–"
    unit = pick_unit(minutes, ("s", "min", "h", "d"))
    return f"{in_unit(minutes, unit):g} {unit}"


def duration_input(minutes: float) -> str:
    """A duration as the user would type it in YAML ('1w', '8h', '90s'), reloading to `minutes`."""
    for unit in ("w", "d", "h", "min"):
        value = minutes / TIME_UNITS[unit]
        if value >= 1 and abs(value - round(value)) < 1e-9:
            return f"{round(value)}{unit}"
    if minutes < 1 and abs(minutes * 60 - round(minutes * 60)) < 1e-9:
        return f"{round(minutes * 60)}s"
    return f"{minutes:g}min"
