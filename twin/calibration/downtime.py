"""What the machine-state log says: processing net of interruptions, failures, setups.

Each machine's state log is a step function of time. Its busy clock B(t), the busy minutes up to
t, is piecewise linear with breakpoints at the state changes, so a part's net processing time is
B(END) - B(START): a repair, a shift end or a tool change inside the cycle does not count.

Failures are on the twin's default `operating` clock: a time between failures is the busy time
from the end of one `down` stretch to the start of the next; the stretch from the last repair to
the end of the log is right-censored (it would have lasted at least that long), as is a `down`
stretch still open when the log ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from twin.eventlog.schema import STATE_NAMES

BUSY, DOWN, SETUP = "busy", "down", "setup"


@dataclass
class MachineClock:
    """One machine's states as stretches, with its busy clock."""

    starts: np.ndarray
    ends: np.ndarray
    states: np.ndarray
    busy_at: np.ndarray
    """Busy minutes up to each stretch's start (one more entry: up to the last stretch's end)."""

    def busy_between(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        bounds = np.append(self.starts, self.ends[-1])
        return np.interp(end, bounds, self.busy_at) - np.interp(start, bounds, self.busy_at)


@dataclass
class Downtime:
    clocks: dict[tuple[str, str], MachineClock]
    ttf: dict[str, list[float]] = field(default_factory=dict)
    ttf_censored: dict[str, list[float]] = field(default_factory=dict)
    ttr: dict[str, list[float]] = field(default_factory=dict)
    ttr_censored: dict[str, list[float]] = field(default_factory=dict)
    setups: dict[str, list[float]] = field(default_factory=dict)
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    """Share of each station's machine time in each state."""


def downtime(states: pd.DataFrame, end: float) -> Downtime:
    """Clocks, failures, repairs and setups of every machine of a state log that ends at `end`."""
    result = Downtime(clocks={})
    for (station, machine), own in states.groupby(["station", "machine"], sort=False):
        times = own["time"].to_numpy(dtype=float)
        names = own["state"].to_numpy()
        ends = np.append(times[1:], max(end, times[-1]))
        length = ends - times
        busy = np.concatenate([[0.0], np.cumsum(np.where(names == BUSY, length, 0.0))])
        result.clocks[(str(station), str(machine))] = MachineClock(times, ends, names, busy)
        shares = result.shares.setdefault(str(station), dict.fromkeys(STATE_NAMES, 0.0))
        for state, minutes in pd.Series(length).groupby(names).sum().items():
            shares[str(state)] += float(minutes)
        _failures(result, str(station), names, length, busy)
        setups = result.setups.setdefault(str(station), [])
        setups.extend(_stretches(names, length, SETUP)[0])
    for shares in result.shares.values():
        total = sum(shares.values())
        for state in shares:
            shares[state] = shares[state] / total if total > 0 else 0.0
    return result


def _stretches(names: np.ndarray, length: np.ndarray, state: str) -> tuple[list[float], bool]:
    """Durations of the maximal runs of `state` (consecutive rows of it merged), and whether the
    last run is still open at the end of the log."""
    runs: list[float] = []
    inside = False
    for name, minutes in zip(names, length, strict=True):
        if name == state:
            if inside:
                runs[-1] += float(minutes)
            else:
                runs.append(float(minutes))
            inside = True
        else:
            inside = False
    return runs, bool(len(names) and names[-1] == state)


def _failures(result: Downtime, station: str, names: np.ndarray, length: np.ndarray,
              busy: np.ndarray) -> None:
    repairs, open_repair = _stretches(names, length, DOWN)
    if open_repair:
        result.ttr_censored.setdefault(station, []).append(repairs.pop())
    result.ttr.setdefault(station, []).extend(repairs)
    ttf = result.ttf.setdefault(station, [])
    since = 0.0
    previous = None
    for index, name in enumerate(names):
        if name == DOWN and previous != DOWN:
            ttf.append(float(busy[index] - since))
        if name != DOWN and previous == DOWN:
            since = float(busy[index])
        previous = name
    if len(names) and names[-1] != DOWN:
        result.ttf_censored.setdefault(station, []).append(float(busy[-1] - since))
