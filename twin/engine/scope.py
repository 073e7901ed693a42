"""Which engine runs a line: the fast max-plus engine where its recursion is exact, SimPy otherwise.

The fast engine computes every part's start, end and departure from a departure-time recursion,
which is exact only while each machine's future depends on its own history and on the parts handed
to it in order (a failure on the calendar clock does: its instant is the machine's own, and the
recursion books it in whatever the machine is doing then). Whatever couples machines through a
shared resource (a limited repair crew, the operator pool), sends parts backwards (rework), or
needs an event order the recursion does not track is out of its scope; `fast_scope_problem` names
the first such feature, so `--engine fast` can refuse it in one line and `auto` can run the line
on SimPy instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from twin.config import ConwipSource, Line, PredictiveMaintenance, PreventiveMaintenance
from twin.config.dists import Exponential, Gamma, Lognormal, Triangular, Uniform, Weibull
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
            problem = _calendar_problem(line, spec)
            if problem is not None:
                return f"{where}.failures: {problem}"
        inspection = spec.inspection
        if inspection is not None and inspection.where != "none" and inspection.action == "rework":
            return f"{where}.inspection: rework sends parts back and needs the SimPy engine"
    return None


CALENDAR_LIVES = (Exponential, Gamma, Weibull, Lognormal, Uniform, Triangular)
"""Distributions of the time between failures on the calendar clock that the fast engine runs:
continuous ones, so a failure never strikes at the very instant of a part's event (where the
SimPy engine's order of simultaneous events would decide what happens first). A deterministic
one (a lognormal or gamma of cv 0 too), a discrete one (empirical, trace) or a normal one (cut at
zero) can, and stays on SimPy."""


def _calendar_problem(line: Line, spec) -> str | None:
    """Why the fast engine cannot run the calendar-clock failures of station `spec`, or None: its
    recursion runs them on a line of single machines without scrap under CONWIP, with a continuous
    time between failures."""
    if needs_events(line):
        return ("failures on the calendar clock on a line with parallel machines (or scrap under "
                "CONWIP) need the SimPy engine")
    life = spec.failures.mtbf
    if not isinstance(life, CALENDAR_LIVES) or (isinstance(life, Lognormal | Gamma) and life.cv == 0):
        kind = f"{life.dist} of cv 0" if isinstance(life, Lognormal | Gamma) else life.dist
        return (f"failures on the calendar clock with an mtbf of kind {kind} need the SimPy engine "
                "(a failure could strike at the instant of a part's event)")
    return None


FAST_START_STATES = ("starved", "busy", "blocked", "down", "maintenance", "tool_change", "setup", "off")
"""Machine states the fast engine starts from: every state a machine of a line in its scope can be
in (`waiting_operator` needs an operator pool, which puts the line out of its scope)."""


def needs_events(line: Line) -> bool:
    """Whether `line` (in the fast engine's scope) needs the event kernel rather than the
    recursion: parallel machines (parts overtake one another), or scrap under a CONWIP source (a
    part scrapped mid-line releases the next one, out of the recursion's order)."""
    if any(spec.machines > 1 for spec in line.stations):
        return True
    return isinstance(line.source, ConwipSource) and any(
        spec.inspection is not None and spec.inspection.where != "none" for spec in line.stations)


def events_state_problem(line: Line, state: LineState | None) -> str | None:
    """Why the event kernel cannot start `line` from `state`, as `field: why`, or None: it runs
    from the empty line at clock 0 only, so `auto` picks SimPy for such a run."""
    if state is None or state.is_empty() or not needs_events(line):
        return None
    return ("initial_state: a run from a non-empty line state of a line with parallel machines (or "
            "scrap under CONWIP) needs the SimPy engine")


def state_scope_problem(line: Line, state: LineState | None) -> str | None:
    """Why the fast engine cannot start `line` from `state`, as `field: why`, or None.

    The fast engine starts from the same placement as the SimPy engine (`twin.engine.start`): the
    state's parts are the first parts of its recursion, downstream first, each at its own station
    (in the buffer, on the machine with the rest of its work, or finished and blocked); each
    machine first finishes the stop it has under way, with its clocks and counters from the state;
    the lot under way is released first; the calendar is seen from the state's clock. So it starts
    from every machine state of `FAST_START_STATES`, which are all a machine of a line in its
    scope can be in. What it cannot start from: a part reworked before the run (the first-pass
    yield needs each part's rework history, which the fast engine does not keep), refused by its
    field, any non-empty state of a line the event kernel runs (`events_state_problem`), and any of
    a line with predictive maintenance (a state does not hold the monitors' detections and false
    alarms)."""
    if state is None or state.is_empty():
        return None
    if (problem := events_state_problem(line, state)) is not None:
        return problem
    for index, spec in enumerate(line.stations):
        if spec.failures is not None and spec.failures.mode == "calendar":
            return (f"stations[{index}].failures: a run from a non-empty line state with failures on the "
                    "calendar clock needs the SimPy engine")
        if spec.failures is not None and isinstance(spec.maintenance, PredictiveMaintenance):
            return (f"stations[{index}].maintenance: a run from a non-empty line state with predictive "
                    "maintenance needs the SimPy engine")
    for where, part in state.parts():
        if part.reworks:
            return f"{where}.reworks: a part reworked before the run needs the SimPy engine"
    return None


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
