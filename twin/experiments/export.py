"""The tidy table as a file: CSV for spreadsheets (formula-like cells neutralised) or Parquet,
written whole or not at all (`twin.outputs.write_whole`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from twin.display import spreadsheet_safe
from twin.errors import ConfigError
from twin.experiments.table import ExperimentTable
from twin.outputs import write_whole


def write_table(table: ExperimentTable, path: Path, option: str, inputs: Sequence[Path] = ()) -> bool:
    """Write the table to `path` (.csv or .parquet by its suffix); returns whether a file was
    replaced."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        safe = spreadsheet_safe(table.frame)
        return write_whole(path, lambda handle: safe.to_csv(handle, index=False), option, inputs)
    if suffix == ".parquet":
        data = parquet_bytes(table, option)
        return write_whole(path, lambda handle: _write_bytes(handle, data), option, inputs)
    raise ConfigError(f"{option}: expected a .csv or .parquet file, got '{path}'", field=option)


def parquet_bytes(table: ExperimentTable, option: str = "--out") -> bytes:
    """The table as Parquet (factor columns holding mixed values are stored as text)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise ConfigError(f"{option}: writing Parquet needs pyarrow (pip install "
                          "'lighthouse-twin[parquet]'), or write a .csv", field=option) from None
    frame = table.frame.copy()
    for column in table.factors:
        if frame[column].map(type).nunique() > 1 or frame[column].dtype == object:
            frame[column] = frame[column].map(lambda v: None if v is None else str(v))
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _write_bytes(handle: IO[str], data: bytes) -> None:
    """Binary content through the text handle `write_whole` gives: its underlying buffer."""
    handle.flush()
    handle.buffer.write(data)  # type: ignore[attr-defined]
