"""Which engine runs a line: the fast max-plus engine where its recursion is exact, SimPy otherwise.

The fast engine computes every part's start, end and departure from a departure-time recursion,
which is exact only while each machine's future depends on its own history and on the parts handed
to it in order. Whatever couples machines through a shared resource (a limited repair crew, the
operator pool), sends parts backwards (rework), or needs an event order the recursion does not
track is out of its scope; `fast_scope_problem` names the first such feature, so `--engine fast`
can refuse it in one line and `auto` can run the line on SimPy instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from twin.config import Line, PredictiveMaintenance, PreventiveMaintenance
from twin.errors import ConfigError

if TYPE_CHECKING:
    from twin.state import LineState

EngineName = Literal["auto", "simpy", "fast"]
ENGINES: tuple[str, ...] = ("auto", "simpy", "fast")


def fast_scope_problem(line: Line) -> str | None:
    """The first feature of `line` the fast engine cannot run exactly, as `field: why`, or None."""
    for index, spec in enumerate(line.stations):
        where = f"stations[{index}]"
        stops = spec.failures is not None or isinstance(spec.maintenance, PreventiveMaintenance)
        if line.maintenance_crew is not None and stops:
            return f"{where}: a limited maintenance_crew needs the SimPy engine"
        if spec.operator is not None and line.operators is not None:
            return f"{where}.operator: the operator pool needs the SimPy engine"
        if spec.failures is not None and spec.failures.mode == "calendar":
            return f"{where}.failures: failures on the calendar clock need the SimPy engine"
        if spec.failures is not None and isinstance(spec.maintenance, PredictiveMaintenance):
            return f"{where}.maintenance: predictive maintenance needs the SimPy engine"
        inspection = spec.inspection
        if inspection is not None and inspection.where != "none" and inspection.action == "rework":
            return f"{where}.inspection: rework sends parts back and needs the SimPy engine"
    return None


FAST_START_STATES = ("starved", "busy", "blocked", "down")
"""Machine states the fast engine starts from (a state with others needs the SimPy engine)."""


def state_scope_problem(line: Line, state: LineState | None) -> str | None:
    """Why the fast engine cannot start `line` from `state`, as `field: why`, or None.

    The fast engine runs from the default state only (an empty line at clock 0): its recursion
    starts every part at the first station, so parts placed downstream, work under way and a
    calendar seen from another clock need the SimPy engine, which `auto` then picks."""
    if state is None or state.is_empty():
        return None
    return "initial_state: a run from a non-empty line state (or a clock other than 0) needs the SimPy engine"


def choose_engine(line: Line, engine: str = "auto", initial_state: LineState | None = None, *,
                  states: bool = False) -> Literal["simpy", "fast"]:
    """The engine that runs `line` (from `initial_state`, when given): `auto` takes the fast one
    when the line and the state are in its scope; asking for `fast` on a line or state out of
    scope is a ConfigError naming the feature, never a fallback. A run that keeps the
    machine-state log (`states`) needs SimPy: the fast engine computes parts' times, not each
    change of a machine's state."""
    if engine not in ENGINES:
        raise ConfigError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}", field="engine")
    if states and engine == "fast":
        raise ConfigError("--states-out: the fast engine keeps no machine-state log; use --engine "
                          "simpy or auto", field="states-out")
    if engine == "simpy" or states:
        return "simpy"
    problem = fast_scope_problem(line) or state_scope_problem(line, initial_state)
    if problem is None:
        return "fast"
    if engine == "fast":
        raise ConfigError(problem, field=problem.split(":", 1)[0])
    return "simpy"
