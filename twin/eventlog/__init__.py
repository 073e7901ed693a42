"""Event logs: one schema for what the twin writes and what a shop floor's MES records.

`read_events` / `read_states` turn a CSV or Parquet log (with its own column names, time unit and
state codes) into the canonical frames of `twin.eventlog.schema`; `write_events` / `write_states`
write them. The twin's own output (`twin run --events-out/--states-out`) is a valid input, so a
calibration can be tested on a line whose truth is known.
"""

from twin.eventlog.reader import parse_mapping, read_events, read_states
from twin.eventlog.schema import EVENT_COLUMNS, EVENTS, OUTCOMES, STATE_COLUMNS
from twin.eventlog.writer import write_events, write_states

__all__ = ["EVENTS", "EVENT_COLUMNS", "OUTCOMES", "STATE_COLUMNS", "parse_mapping", "read_events",
           "read_states", "write_events", "write_states"]
