"""Machine states. At every instant a machine is in exactly one of them."""

from __future__ import annotations

BUSY, STARVED, BLOCKED, DOWN, MAINTENANCE, SETUP, OFF = range(7)

STATES: tuple[str, ...] = ("busy", "starved", "blocked", "down", "maintenance", "setup", "off")
"""Names in index order; `RunStats` arrays use these indices."""

ACTIVE_STATES: tuple[int, ...] = (BUSY, DOWN, MAINTENANCE, SETUP)
"""Time a machine is taken by its own work or its own troubles (bottleneck detection)."""
