"""Durations: the engine's unit is the minute; YAML may say "45s", "5min", "2h", "3d", "1w".

A bare number is minutes. Parsing lives here so that the config, the CLI flags (`--horizon 2d`) and
the UI all read durations the same way.
"""

from __future__ import annotations

import math
import re

MINUTES_PER_UNIT: dict[str, float] = {
    "s": 1 / 60,
    "sec": 1 / 60,
    "min": 1.0,
    "m": 1.0,
    "h": 60.0,
    "hr": 60.0,
    "d": 24 * 60.0,
    "w": 7 * 24 * 60.0,
}

MAX_MAGNITUDE = 1e12
"""Largest size of a number in a config (a duration in minutes, a cost, a rate): far beyond any
real line, and small enough that sums of them never overflow into inf."""

_DURATION = re.compile(r"^\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_EXAMPLES = "a duration such as 90s, 5min, 2h, 3d or 1w"


def parse_duration(value: object) -> float:
    """Return `value` in minutes; raise ValueError with a one-line reason when it is not a duration.

    The sign is kept (`-2h` is -120): whether a negative or zero time is allowed is the caller's
    rule, so the message can say `must be >= 0, got '-2h'` rather than `not a duration`.
    The reason ends with `got <value>` as the user wrote it.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {_EXAMPLES}, got {str(value).lower()}")
    if isinstance(value, int | float):
        minutes = float(value)
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"expected {_EXAMPLES}, got {value!r}")
        number, unit = match.groups()
        unit = unit.lower() or "min"
        if unit not in MINUTES_PER_UNIT:
            raise ValueError(f"unknown time unit {unit!r} (use s, min, h, d or w), got {value!r}")
        minutes = float(number) * MINUTES_PER_UNIT[unit]
    else:
        shown = "null" if value is None else repr(value)
        raise ValueError(f"expected {_EXAMPLES}, got {shown}")
    if not math.isfinite(minutes):
        raise ValueError(f"must be a finite duration, got {value!r}")
    if abs(minutes) > MAX_MAGNITUDE:
        raise ValueError(f"must be at most {MAX_MAGNITUDE:g} minutes, got {value!r}")
    return minutes


def format_minutes(minutes: float) -> str:
    """A short human label for a duration in minutes (for tables and the UI)."""
    if minutes >= 7 * 24 * 60 and minutes % (7 * 24 * 60) == 0:
        return f"{minutes / (7 * 24 * 60):.10g}w"
    if minutes >= 24 * 60 and minutes % (24 * 60) == 0:
        return f"{minutes / (24 * 60):.10g}d"
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:.10g}h"
    if minutes < 1:
        return f"{minutes * 60:.10g}s"
    return f"{minutes:.10g}min"
