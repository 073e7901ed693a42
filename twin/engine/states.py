"""Machine states. At every instant a machine is in exactly one of them."""

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

ACTIVE_STATES: tuple[int, ...] = (BUSY, DOWN, MAINTENANCE, SETUP, TOOL_CHANGE)
"""Time a machine is taken by its own work or its own troubles (bottleneck detection)."""

PLANNED_DOWNTIME: tuple[int, ...] = (MAINTENANCE, OFF)
"""Not counted as lost time in OEE (ISO 22400: planned busy time excludes planned downtime)."""

AVAILABILITY_LOSSES: tuple[int, ...] = (DOWN, SETUP, TOOL_CHANGE)
"""Stops that count against availability (breakdowns, setups and adjustments)."""

IDLE_STATES: tuple[int, ...] = (STARVED, BLOCKED, WAITING_OPERATOR)
"""Waiting with nothing to do: shown as `off` outside shifts, and drawing `idle` power."""
