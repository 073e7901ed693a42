"""Machine states and their groups: the one place that says which state counts as what.

Every reader of state times (KPIs, energy, the business case, reports, the app) takes its groups
from here, so a new state or a regrouping changes every figure at once and none disagree.
"""

from __future__ import annotations

BUSY, STARVED, BLOCKED, DOWN, MAINTENANCE, SETUP, TOOL_CHANGE, WAITING_OPERATOR, OFF = range(9)

STATES: tuple[str, ...] = (
    "busy", "starved", "blocked", "down", "maintenance", "setup", "tool_change",
    "waiting_operator", "off",
)
"""Names in index order; `RunStats` arrays use these indices.

`down` is an unplanned failure (including waiting for the repair crew); `maintenance` is planned
(preventive or predictive); `tool_change` is a scheduled tool change or an SPC recalibration;
`waiting_operator` is a machine that has a part but no free operator; `off` is outside shifts.
"""

STATE_LABELS: dict[str, str] = {
    "busy": "busy", "starved": "starved", "blocked": "blocked", "down": "down (failure)",
    "maintenance": "planned maintenance", "setup": "setup", "tool_change": "tool change",
    "waiting_operator": "waiting for operator", "off": "off shift",
}
"""How a state reads in tables and charts."""

STATE_COLOURS: dict[str, str] = {
    "busy": "#22c55e", "starved": "#cbd5e1", "blocked": "#f59e0b", "down": "#ef4444",
    "maintenance": "#a855f7", "setup": "#3b82f6", "tool_change": "#93c5fd",
    "waiting_operator": "#a16207", "off": "#334155",
}
"""How a state looks in charts (shares, timelines): the same colour for a state wherever drawn."""

STATE_SHORT_LABELS: dict[str, str] = {
    "busy": "busy", "starved": "starved", "blocked": "blocked", "down": "down",
    "maintenance": "maint.", "setup": "setup", "tool_change": "tool", "waiting_operator": "wait op.",
    "off": "off",
}
"""Column headers where width is short (the station table at 80 columns)."""

ACTIVE_STATES: tuple[int, ...] = (BUSY, DOWN, MAINTENANCE, SETUP, TOOL_CHANGE)
"""Time a machine is taken by its own work or its own troubles (bottleneck detection)."""

IDLE_STATES: tuple[int, ...] = (STARVED, BLOCKED, WAITING_OPERATOR)
"""Waiting with nothing to do: shown as `off` outside shifts, and drawing `idle` power."""

UNPLANNED_STOPS: tuple[int, ...] = (DOWN,)
"""Breakdowns (incl. waiting for the crew): drawing `down` power, OEE's first big loss."""

PLANNED_STOPS: tuple[int, ...] = (MAINTENANCE, SETUP, TOOL_CHANGE)
"""Stops the line plans for (maintenance, changeovers, tool changes): drawing `setup` power."""

CHANGEOVER_STATES: tuple[int, ...] = (SETUP, TOOL_CHANGE)
"""Setups and adjustments (ISO 22400 / the six big losses): the `changeover_share` KPI."""

PLANNED_DOWNTIME: tuple[int, ...] = (MAINTENANCE, OFF)
"""Not counted as lost time in OEE (ISO 22400: planned busy time excludes planned downtime)."""

AVAILABILITY_LOSSES: tuple[int, ...] = (*UNPLANNED_STOPS, *CHANGEOVER_STATES)
"""Stops that count against availability (breakdowns, setups and adjustments)."""


def share_columns(group: tuple[int, ...]) -> list[str]:
    """The `share_<state>` KPI columns of a group, for readers of the station table."""
    return [f"share_{STATES[state]}" for state in group]


def group_minutes(minutes, group: tuple[int, ...]) -> float:
    """Minutes spent in the states of `group`, from a per-state vector of minutes."""
    return float(sum(minutes[state] for state in group))
