"""The event-log schema: the one home of its column names, event kinds, outcomes and time units.

A part-event log has one row per event of a part at a station:

    time, station, machine, part, product, event, outcome, value

`event` is ENTER (the part came into the station's buffer), START (processing began), END
(processing ended) or EXIT (the part left for the next station, or the line). A log with only
ENTER/EXIT rows is valid too. `machine`, `product`, `outcome` (good | scrap | rework) and `value`
(a measured characteristic) are optional. A machine-state log has one row per change of state:

    time, station, machine, state

with the twin's states (`twin.engine.states.STATES`); a row says the machine is in `state` from
`time` until its next row. Times are minutes in the canonical frames (docs/event-logs.md).
"""

from __future__ import annotations

from twin.engine.states import STATES

TIME, STATION, MACHINE, PART, PRODUCT, EVENT, OUTCOME, VALUE, STATE = (
    "time", "station", "machine", "part", "product", "event", "outcome", "value", "state")

EVENT_COLUMNS: tuple[str, ...] = (TIME, STATION, MACHINE, PART, PRODUCT, EVENT, OUTCOME, VALUE)
"""Columns of a part-event log, in the order the twin writes them."""

EVENT_REQUIRED: tuple[str, ...] = (TIME, STATION, PART, EVENT)
"""Columns every part-event log must have; the others are optional."""

STATE_COLUMNS: tuple[str, ...] = (TIME, STATION, MACHINE, STATE)
"""Columns of a machine-state log (`machine` optional: one machine per station then)."""

STATE_REQUIRED: tuple[str, ...] = (TIME, STATION, STATE)

ENTER, START, END, EXIT = "ENTER", "START", "END", "EXIT"
EVENTS: tuple[str, ...] = (ENTER, START, END, EXIT)
"""Event kinds, in the order they happen to a part at one station (ties are sorted this way)."""

GOOD, SCRAP, REWORK = "good", "scrap", "rework"
OUTCOMES: tuple[str, ...] = (GOOD, SCRAP, REWORK)
"""What an inspection decided about a part, on the END (or EXIT) row of the visit."""

STATE_NAMES: tuple[str, ...] = STATES
"""The states a state log may name: the twin's own (a mapping file translates a plant's codes)."""

TIME_UNITS: dict[str, float] = {"ms": 1 / 60_000, "s": 1 / 60, "min": 1.0, "h": 60.0}
"""Minutes per unit of a numeric `time` column (`--time-unit`); text times are ISO 8601."""

DEFAULT_MACHINE = "1"
"""The machine of a row that names none (a station with one machine, or a log that does not say);
machines are text, and the twin numbers a station's machines from 1."""
