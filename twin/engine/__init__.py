"""The engines: SimPy (everything) and the fast max-plus one (serial lines in its scope), one model
of the line each, plain `RunStats` out. Knows nothing of levers."""

from twin.engine.engines import simulate_with
from twin.engine.line import PartRecord, StateRecord, simulate
from twin.engine.scope import ENGINES, choose_engine, fast_scope_problem
from twin.engine.states import STATES
from twin.engine.stats import RunStats, StationStats

__all__ = ["ENGINES", "STATES", "PartRecord", "RunStats", "StateRecord", "StationStats", "choose_engine",
           "fast_scope_problem", "simulate", "simulate_with"]
