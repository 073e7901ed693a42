"""State groups: one definition in `twin.engine.states`, and every reader agrees with it."""

from __future__ import annotations

import pytest
from conftest import make_line

import twin
from twin.engine.states import (
    ACTIVE_STATES,
    AVAILABILITY_LOSSES,
    BUSY,
    IDLE_STATES,
    OFF,
    PLANNED_DOWNTIME,
    PLANNED_STOPS,
    STATES,
    UNPLANNED_STOPS,
)


def test_groups_partition_the_states() -> None:
    """Each reading of the state clock covers every state exactly once: bottleneck (active / idle /
    off), energy (busy / idle / down / planned stops / off) and OEE (busy / idle / losses /
    planned downtime)."""
    everything = sorted(range(len(STATES)))
    assert sorted([*ACTIVE_STATES, *IDLE_STATES, OFF]) == everything
    assert sorted([BUSY, *IDLE_STATES, *UNPLANNED_STOPS, *PLANNED_STOPS, OFF]) == everything
    assert sorted([BUSY, *IDLE_STATES, *AVAILABILITY_LOSSES, *PLANNED_DOWNTIME]) == everything


def test_bottleneck_share_counts_tool_changes_like_the_kpi() -> None:
    """A saturated deterministic station with a tool change of 6 min every 10 parts of 1 min is
    never idle: its active share is exactly 1 (10 busy + 6 tool change per 16 min), not the busy
    share 10/16 that leaving `tool_change` out gives. `Results.bottleneck()` and the
    `bottleneck_share` KPI must both say so."""
    line = make_line([
        {"name": "Mill", "process": 1.0, "buffer": 5,
         "quality": {"characteristic": {"name": "d", "nominal": 0, "lsl": -1, "usl": 1},
                     "sigma": 1e-6, "tool_life": 10, "tool_change": 6}},
        {"name": "Wash", "process": 0.5},
    ], horizon=1600, warmup=0)
    results = twin.run(line, replications=2, workers=1)
    neck = results.bottleneck()
    assert neck["station"] == "Mill"
    assert neck["share"]["mean"] == pytest.approx(1.0, abs=1e-12)
    assert results.kpis["bottleneck_share"].to_numpy() == pytest.approx([1.0, 1.0], abs=1e-12)
