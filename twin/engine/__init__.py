"""The SimPy engine: one model of the line, plain `RunStats` out. Knows nothing of levers."""

from twin.engine.line import PartRecord, simulate
from twin.engine.states import STATES
from twin.engine.stats import RunStats, StationStats

__all__ = ["STATES", "PartRecord", "RunStats", "StationStats", "simulate"]
