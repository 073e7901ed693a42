"""The condition monitor of predictive maintenance: which failures it sees, and its false alarms."""

from __future__ import annotations

from collections.abc import Iterator

from twin.config.line import PredictiveMaintenance
from twin.engine.sampling import Sampler


class ConditionMonitor:
    """One machine's monitor. Detection draws come from their own stream, so switching predictive
    maintenance on leaves the failure and repair streams of the line as they were."""

    def __init__(self, spec: PredictiveMaintenance, detection: Iterator[float],
                 false_alarm_gaps: Sampler | None, false_alarm_repairs: Sampler) -> None:
        self.recall = spec.recall
        self.lead_time = spec.lead_time
        self.planned_repair_factor = spec.planned_repair_factor
        self._detection = detection
        self._gaps = false_alarm_gaps
        self._repairs = false_alarm_repairs
        self.next_false_alarm = float("inf")
        self.schedule_false_alarm(0.0)

    def detects(self) -> bool:
        """Will the monitor see the next failure coming?"""
        return next(self._detection) < self.recall

    def schedule_false_alarm(self, now: float) -> None:
        self.next_false_alarm = now + self._gaps() if self._gaps is not None else float("inf")

    def false_alarm_duration(self) -> float:
        """A false alarm stops the machine for an inspection as long as a planned intervention."""
        return self._repairs() * self.planned_repair_factor
