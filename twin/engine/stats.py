"""What one simulation run emits: plain numbers, no SimPy objects (pure input to `twin.kpi`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.engine.quality import CharacteristicStats, InspectionCounts


@dataclass
class StationStats:
    """Totals of one station over the observed window (after warm-up)."""

    name: str
    machines: int
    state_minutes: np.ndarray
    """Shape (machines, len(STATES)): minutes each machine spent in each state."""
    started: int = 0
    completed: int = 0
    completed_by_product: list[int] = field(default_factory=list)
    """Completions by product index where process times differ by product (else empty): what
    the station's ideal time is made of."""
    failures: int = 0
    planned_stops: int = 0
    buffer_area: float = 0.0
    """Time integral of the number of parts waiting in the buffer (part-minutes)."""
    characteristic: CharacteristicStats | None = None
    """The characteristic as produced here (None when the station shapes none)."""
    repair_minutes: float = 0.0
    """Hands-on repair time of the crew (excludes waiting for a repairer)."""
    planned_minutes: float = 0.0
    """Hands-on planned maintenance time (excludes waiting for the crew)."""
    setups: int = 0
    setup_minutes: float = 0.0
    """Drawn durations of the changeovers started in the window, in full."""


@dataclass
class RunStats:
    """Everything a replication measured; KPIs are pure functions of this and the line."""

    replication: int
    warmup_min: float
    horizon_min: float
    stations: list[StationStats]
    released: int = 0
    """Parts released into the line during the window."""
    departed: int = 0
    """Parts shipped (left the sink) during the window: good ones and escaped defects."""
    good: int = 0
    """Conforming parts shipped during the window."""
    escaped: int = 0
    first_pass_good: int = 0
    """Good parts shipped that were never reworked."""
    scrapped: int = 0
    reworks: int = 0
    """Rework decisions (a part sent back counts once per time)."""
    scrap_lead_time_sum: float = 0.0
    inspection: InspectionCounts = field(default_factory=InspectionCounts)
    good_by_product: list[int] = field(default_factory=list)
    lead_time_by_product: list[float] = field(default_factory=list)
    """Sum of lead times of good parts, by product index."""
    lead_time_sum: float = 0.0
    wip_area: float = 0.0
    wip_start: int = 0
    wip_end: int = 0
    released_total: int = 0
    departed_total: int = 0
    scrapped_total: int = 0
    arrived: int = 0
    """Parts that reached the source during the window (= released on a saturated source)."""
    backlog_start: int = 0
    backlog_end: int = 0
    """Parts that reached the source but still wait there, at the start and the end of the window
    (an arrival source with a full first buffer, or CONWIP parts the first buffer cannot hold):
    arrived = released + backlog_end − backlog_start."""
    backlog_area: float = 0.0
    """Time integral of the source backlog over the window (part-minutes)."""
    lead_time_from_arrival_sum: float = 0.0
    """Sum over shipped parts of their time from reaching the source to shipping (lead_time_sum
    plus their wait at the source)."""
    series: dict[str, list[float]] = field(default_factory=dict)
    """Coarse time series over the window (time, cumulative departures, WIP) for charts."""

    @property
    def observed_min(self) -> float:
        return self.horizon_min - self.warmup_min
