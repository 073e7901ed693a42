"""What a log shows: a line's KPIs measured from its part events (and machine states), pure.

The same measurement serves both sides of `twin check LINE LOG`: the shop floor's log, and the
twin's own logs of each replication (in the same schema), so any bias of measuring from a log
(parts already in the line when it starts, visits cut by its end) is the same on both sides.

Over a window [t0, t1] (default: the log's first and last event):
- a part is *released* at its ENTER (or, in a log without ENTER rows, START) at the first station
  and *departs* at its EXIT (or END) at the last; it is *scrapped* when a row says `scrap`;
- throughput: good departures (not scrapped) per hour; scrap rate: scrapped / (good + scrapped);
- lead time: departure − release of good parts with both inside the window (mean, quantiles, and
  the sample for an ECDF);
- WIP: time-average number of parts in the line; a part is in from its release (from t0 when its
  first row in the window is not its release: it was already in) until it departs or is scrapped
  (or t1);
- processing share per station: START to END of each visit (interruptions included) / (machines ×
  window);
- state shares per station, from the state log: the time its machines spent in each state over the
  time the log covers them (a machine is in a row's state until its next row, or t1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.engine.states import STATES
from twin.eventlog.visits import visits

LEAD_TIME_QUANTILES: tuple[float, ...] = (0.1, 0.5, 0.9)
"""The lead-time quantiles compared besides the mean (the distribution's body and tail)."""

PROCESSING_SHARE = "processing_share"
"""Share of a station's machine time between START and END: its busy time plus whatever
interrupted a part in process (a failure), as a log without machine states can tell it."""

MEASURED_LABELS: dict[str, tuple[str, str, float]] = {
    PROCESSING_SHARE: ("Processing, START to END (interruptions included)", "%", 100.0),
    **{f"lead_time_p{round(q * 100):02d}_min": (f"Lead time, {round(q * 100)}th percentile", "min", 1.0)
       for q in LEAD_TIME_QUANTILES},
}
"""Label, unit and display scale of the KPIs only a log measures (the others are in
`twin.kpi_registry`)."""


@dataclass
class Observed:
    """KPIs keyed by (kpi, station or None); samples for ECDFs."""

    window: tuple[float, float]
    kpis: dict[tuple[str, str | None], float] = field(default_factory=dict)
    lead_times: np.ndarray = field(default_factory=lambda: np.empty(0))
    processing: dict[str, np.ndarray] = field(default_factory=dict)


def quantile_name(q: float) -> str:
    return f"lead_time_p{round(q * 100):02d}_min"  # the keys of MEASURED_LABELS


def _first_of(events: pd.DataFrame, station: str, kinds: Sequence[str]) -> pd.Series:
    """Per part, the first time of the first kind in `kinds` the log has at `station`."""
    for kind in kinds:
        if (events["event"] == kind).any():
            rows = events[(events["station"] == station) & (events["event"] == kind)]
            return rows.groupby("part")["time"].min()
    return pd.Series(dtype=float)


def _last_of(events: pd.DataFrame, station: str, kinds: Sequence[str]) -> pd.Series:
    for kind in kinds:
        if (events["event"] == kind).any():
            rows = events[(events["station"] == station) & (events["event"] == kind)]
            return rows.groupby("part")["time"].max()
    return pd.Series(dtype=float)


def observe(events: pd.DataFrame, stations: Sequence[str], machines: Mapping[str, int],
            states: pd.DataFrame | None = None,
            window: tuple[float, float] | None = None) -> Observed:
    """The KPIs `events` (canonical frame of `twin.eventlog`) and `states` show over `window`."""
    if window is None:
        window = (float(events["time"].min()), float(events["time"].max()))
    t0, t1 = window
    span = t1 - t0
    inside = events[(events["time"] >= t0) & (events["time"] <= t1)]
    result = Observed(window=(t0, t1))
    if span <= 0 or inside.empty:
        return result
    first, last = stations[0], stations[-1]
    released = _first_of(inside, first, ("ENTER", "START"))
    departed = _last_of(inside, last, ("EXIT", "END"))
    scrap_rows = inside[inside["outcome"] == "scrap"]
    scrapped = scrap_rows.groupby("part")["time"].max()
    good = departed.drop(scrapped.index, errors="ignore")
    kpis = result.kpis
    kpis[("throughput_per_hour", None)] = len(good) / span * 60
    left = len(good) + len(scrapped)
    kpis[("scrap_rate", None)] = len(scrapped) / left if left else 0.0

    lead = (good - released.reindex(good.index)).dropna().to_numpy(dtype=float)
    result.lead_times = np.sort(lead)
    if len(lead):
        kpis[("lead_time_min", None)] = float(lead.mean())
        for q in LEAD_TIME_QUANTILES:
            kpis[(quantile_name(q), None)] = float(np.quantile(lead, q))

    first_seen = inside.groupby("part")["time"].min()
    starts = released.reindex(first_seen.index)
    starts = starts.where(starts <= first_seen, t0).fillna(t0)  # already in before its first row
    ends = pd.concat([good, scrapped]).groupby(level=0).min().reindex(first_seen.index).fillna(t1)
    kpis[("wip", None)] = float((ends - starts).clip(lower=0).sum() / span)

    if "row" not in inside:  # the twin's own log, not read from a file
        inside = inside.assign(row=np.arange(1, len(inside) + 1))
    table = visits(inside)
    paired = table[table["START"].notna() & table["END"].notna()]
    at = paired.index.get_level_values("station")
    for station in stations:
        rows = paired[at == station]
        times = (rows["END"] - rows["START"]).to_numpy(dtype=float)
        result.processing[station] = np.sort(times)
        if len(rows) or (inside["event"] == "START").any():
            kpis[(PROCESSING_SHARE, station)] = float(times.sum() / (machines[station] * span))
    if states is not None and not states.empty:
        kpis.update(state_shares(states, window))
    return result


def state_shares(states: pd.DataFrame, window: tuple[float, float]) -> dict[tuple[str, str | None], float]:
    """Per station, the share of its machines' covered time in each of the twin's states."""
    t0, t1 = window
    table = states.sort_values(["station", "machine", "time"], kind="stable").copy()
    table["until"] = table.groupby(["station", "machine"])["time"].shift(-1).fillna(t1)
    table["minutes"] = (table["until"].clip(upper=t1) - table["time"].clip(lower=t0)).clip(lower=0)
    shares: dict[tuple[str, str | None], float] = {}
    for station, rows in table.groupby("station", sort=False):
        total = rows["minutes"].sum()
        if total <= 0:
            continue
        by_state = rows.groupby("state")["minutes"].sum()
        for state in STATES:
            shares[(f"share_{state}", str(station))] = float(by_state.get(state, 0.0) / total)
    return shares
