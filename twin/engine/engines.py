"""One entry point for both engines: the same line, replication and streams in, `RunStats` out.

Callers name an engine (`auto`, `simpy` or `fast`) and never branch on it themselves; `auto` takes
the fast engine whenever the line is in its scope (`twin.engine.scope`), since both give the same
numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twin.config import Line
from twin.engine.line import PartRecord, StateRecord, simulate
from twin.engine.scope import choose_engine
from twin.engine.stats import RunStats

if TYPE_CHECKING:
    from twin.state import LineState


def simulate_with(line: Line, replication: int = 0, *, seed: int | None = None,
                  log: list[PartRecord] | None = None, engine: str = "auto",
                  states: list[StateRecord] | None = None,
                  initial_state: LineState | None = None) -> RunStats:
    """Run one replication of `line` on `engine` (resolved by `choose_engine`), from
    `initial_state` when given; a `states` list asks for the machine-state log, which only the
    SimPy engine keeps."""
    if choose_engine(line, engine, initial_state, states=states is not None) == "fast":
        from twin.engine.fast import simulate_fast  # numba: loaded only when the fast engine runs

        return simulate_fast(line, replication, seed=seed, log=log, initial_state=initial_state)
    return simulate(line, replication, seed=seed, log=log, states=states, initial_state=initial_state)
