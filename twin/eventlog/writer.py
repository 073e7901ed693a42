"""Writing event and state logs in the schema, whole or not at all (CSV, or Parquet by the name).

CSV text cells a spreadsheet would run as a formula get a leading apostrophe (`twin.display`);
`read_events` takes it off again, so a written log reads back as it was.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from twin.display import spreadsheet_safe
from twin.errors import ConfigError
from twin.eventlog.schema import EVENT_COLUMNS, STATE_COLUMNS
from twin.outputs import write_whole


def write_events(events: pd.DataFrame, path: Path, option: str = "--events-out",
                 inputs: Sequence[Path] = ()) -> bool:
    """Write a part-event frame (the schema's columns; others are left out). Returns whether an
    existing file was replaced."""
    return _write(events, EVENT_COLUMNS, path, option, inputs)


def write_states(states: pd.DataFrame, path: Path, option: str = "--states-out",
                 inputs: Sequence[Path] = ()) -> bool:
    """Write a machine-state frame (the schema's columns). Returns whether a file was replaced."""
    return _write(states, STATE_COLUMNS, path, option, inputs)


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _write(frame: pd.DataFrame, columns: Sequence[str], path: Path, option: str,
           inputs: Sequence[Path]) -> bool:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"not a log of the schema: no column {', '.join(missing)}")
    table = frame[list(columns)]
    if is_parquet(path):
        return write_whole(path, lambda handle: _parquet(table, handle, option), option, inputs,
                           binary=True)
    safe = spreadsheet_safe(table)
    return write_whole(path, lambda handle: safe.to_csv(handle, index=False), option, inputs)


def _parquet(table: pd.DataFrame, handle: IO[Any], option: str) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError(f"{option}: writing Parquet needs pyarrow (pip install pyarrow)",
                          field=option) from None
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buffer)
    handle.write(buffer.getvalue())
