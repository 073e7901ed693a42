"""The `LineState` a forecast starts from, rebuilt from the values an OPC UA server publishes.

The address space says less than a `LineState` can hold, so the rebuild fills in what a shop floor
does not publish, the same way every time (docs/live.md):

- Parts in a buffer are counted, not named: they get ids below the next one to be released
  (GoodParts + Scrap + WIP + 1, the count of parts released so far), skipping the ids seen on
  machines, so the per-part log of a forecast continues the line's numbering.
- A machine `down` or in `maintenance` has been repairing since `StateSince`.
- The failure clocks (time since the last repair) are not published: the next failure is drawn
  as after a repair. Exact for exponential times between failures, an approximation otherwise.
- Parts' ages in the line are unknown (0): lead times of the parts already in the line count from
  the state, not from their release.
"""

from __future__ import annotations

from collections.abc import Mapping as AnyMapping

from pydantic import ValidationError

from twin.config import Line
from twin.errors import ConfigError, from_validation_error
from twin.live.address import line_key, machine_key, station_key
from twin.state import HOLDS_PART, NEEDS_PART, LineState, MachineState, PartState, StationState

REPAIRING = frozenset({"down", "maintenance"})


def _number(values: AnyMapping[str, object], key: str, whole: bool = False) -> float:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        raise ConfigError(f"{key}: expected a number >= 0, got {value!r}", field=key)
    if whole and int(value) != value:
        raise ConfigError(f"{key}: expected a whole number, got {value!r}", field=key)
    return float(value)


def rebuild_state(line: Line, values: AnyMapping[str, object],
                  state_name=lambda value: str(value)) -> LineState:
    """The `LineState` of `line` from the published `values` (by key), checked against the line.
    `state_name` turns a published machine state into a twin state name (a mapping's `states`)."""
    clock = _number(values, line_key("Clock"))
    released = sum(int(_number(values, line_key(k), whole=True)) for k in ("GoodParts", "Scrap", "WIP"))
    machines: list[list[tuple[str, float, int, float]]] = []
    for spec in line.stations:
        rows: list[tuple[str, float, int, float]] = []
        for number in range(1, spec.machines + 1):
            state = str(state_name(values.get(machine_key(spec.name, number, "State"))))
            since = min(clock, _number(values, machine_key(spec.name, number, "StateSince")))
            part = int(_number(values, machine_key(spec.name, number, "PartId"), whole=True))
            elapsed = _number(values, machine_key(spec.name, number, "Elapsed"))
            rows.append((state, since, part, elapsed))
        machines.append(rows)
    seen = {part for rows in machines for _, _, part, _ in rows if part > 0}
    next_id = max([released, *seen]) + 1
    free = (i for i in range(next_id - 1, 0, -1) if i not in seen)
    extra = iter(range(next_id, next_id + 1_000_000))

    def fresh() -> int:
        return next(free, None) or next(extra)

    stations = []
    for spec, rows in zip(line.stations, machines, strict=True):
        count = int(_number(values, station_key(spec.name, "Buffer"), whole=True))
        buffer = [PartState(id=fresh()) for _ in range(min(count, 1_000_000))]
        given = []
        for number, (state, since, part, elapsed) in enumerate(rows, start=1):
            where = machine_key(spec.name, number, "State")
            holds = state in HOLDS_PART and (part > 0 or state in NEEDS_PART)
            try:
                given.append(MachineState(
                    state=state, since=since,
                    part=PartState(id=part if part > 0 else fresh()) if holds else None,
                    elapsed=elapsed if holds and state != "blocked" else 0.0,
                    repair_elapsed=clock - since if state in REPAIRING and since is not None else 0.0))
            except ValidationError as exc:
                raise ConfigError(f"{where}: {from_validation_error(exc, MachineState)}",
                                  field=where) from None
        stations.append(StationState(name=spec.name, buffer=buffer, machines=given))
    used = [p.id for s in stations for p in s.buffer] + [m.part.id for s in stations for m in s.machines
                                                         if m.part is not None]
    rebuilt = LineState(clock=clock, stations=stations, next_part_id=max([next_id - 1, *used]) + 1)
    try:
        rebuilt.check_against(line)
    except ConfigError as exc:
        raise ConfigError(f"the state as published does not fit the line: {exc}", field=exc.field) from None
    return rebuilt
