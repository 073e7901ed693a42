"""The precision model at one machine: deviation, wear, control (SPC / closed loop), measurement.

Per machine, because each machine has its own tool: its own wear counter, controller state and
random streams (process noise and gauge error), so a lever that adds closed-loop control sees the
same noise as the conventional line (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

from scipy import special

from twin.config.quality import ClosedLoopControl, Inspection, Quality, SpcControl
from twin.engine.sampling import Purpose, Streams, _batched


def standard_normals(streams: Streams, station: int, purpose: Purpose,
                     machine: int | None = None) -> Iterator[float]:
    return _batched(streams.generator(station, purpose, machine), special.ndtri)


@dataclass
class CharacteristicStats:
    """Counts and moments of a characteristic as produced (before inspection), per station."""

    produced: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    defects: int = 0
    tool_changes: int = 0
    signals: int = 0

    def reset(self) -> None:
        """Forget what was counted (at the end of the warm-up); the object is shared, so in place."""
        self.produced = self.defects = self.tool_changes = self.signals = 0
        self.total = self.total_sq = 0.0

    def add(self, deviation: float, defective: bool) -> None:
        self.produced += 1
        self.total += deviation
        self.total_sq += deviation * deviation
        if defective:
            self.defects += 1


class Tool:
    """One machine's tool and controller: produces a deviation per part, says when to stop."""

    def __init__(self, spec: Quality, stats: CharacteristicStats, streams: Streams, station: int,
                 machine: int) -> None:
        self.spec = spec
        self.stats = stats
        self.low, self.high = spec.characteristic.deviation_limits
        self.noise = standard_normals(streams, station, Purpose.QUALITY, machine).__next__
        self.gauge = standard_normals(streams, station, Purpose.MEASUREMENT, machine).__next__
        self.since_change = 0
        self.correction = 0.0
        self.ewma = 0.0
        control = spec.control
        self.closed_loop_gain = control.gain if isinstance(control, ClosedLoopControl) else 0.0
        self.spc = control if isinstance(control, SpcControl) else None
        self.measures = self.spc is not None or self.closed_loop_gain > 0
        in_control_sd = math.hypot(spec.sigma, spec.measurement_sigma)
        if self.spc is not None and self.spc.chart == "ewma":
            lam = self.spc.lambda_
            self.limit = self.spc.L * in_control_sd * math.sqrt(lam / (2 - lam))
        elif self.spc is not None:
            self.limit = self.spc.k * in_control_sd
        self.last_measurement: float | None = None

    def produce(self) -> tuple[float, bool]:
        """Deviation of the next part and whether the machine must stop for a tool change after it."""
        spec = self.spec
        deviation = (spec.bias + spec.drift_per_part * self.since_change + spec.sigma * self.noise()
                     + self.correction)
        self.since_change += 1
        self.stats.add(deviation, not self.low <= deviation <= self.high)
        stop = False
        self.last_measurement = None
        if self.measures:
            measured = deviation + spec.measurement_sigma * self.gauge()
            self.last_measurement = measured
            if self.closed_loop_gain:
                self.correction -= self.closed_loop_gain * measured
            else:
                stop = self._spc_signal(measured)
        if spec.tool_life is not None and self.since_change >= spec.tool_life:
            stop = True
        return deviation, stop

    def _spc_signal(self, measured: float) -> bool:
        assert self.spc is not None
        if self.spc.chart == "ewma":
            lam = self.spc.lambda_
            self.ewma = lam * measured + (1 - lam) * self.ewma
            signal = abs(self.ewma) > self.limit
        else:
            signal = abs(measured) > self.limit
        if signal:
            self.stats.signals += 1
        return signal

    def changed(self) -> None:
        """After a tool change or recalibration: wear and the chart restart."""
        self.stats.tool_changes += 1
        self.since_change = 0
        self.ewma = 0.0
        self.correction = 0.0


@dataclass
class InspectionCounts:
    """Line-wide sorting outcomes (over the window)."""

    inspected_conforming: int = 0
    false_rejects: int = 0
    inspected_defective: int = 0
    caught: int = 0


class Inspector:
    """Sorting by measurement against the spec: inline at a station or at the end of the line."""

    def __init__(self, spec: Inspection, quality: Quality, counts: InspectionCounts,
                 streams: Streams, station: int) -> None:
        self.spec = spec
        self.counts = counts
        self.low, self.high = quality.characteristic.deviation_limits
        self.gauge_sigma = quality.measurement_sigma
        self.gauge = standard_normals(streams, station, Purpose.INSPECTION).__next__
        self.sample = (streams.uniforms(station, Purpose.ROUTING).__next__
                       if spec.where == "sampling" else None)

    def rejects(self, deviation: float, measured: float | None = None) -> bool:
        """Measure (unless a measurement is given) and say whether the part is rejected."""
        if self.sample is not None and self.sample() >= self.spec.fraction:
            return False
        if measured is None:
            measured = deviation + self.gauge_sigma * self.gauge()
        conforming = self.low <= deviation <= self.high
        rejected = not self.low <= measured <= self.high
        counts = self.counts
        if conforming:
            counts.inspected_conforming += 1
            if rejected:
                counts.false_rejects += 1
        else:
            counts.inspected_defective += 1
            if rejected:
                counts.caught += 1
        return rejected
