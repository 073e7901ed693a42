"""Reading a shop floor's event and state logs into the canonical frames of `twin.eventlog.schema`.

A real log names its columns its own way (`--map time=ts,station=resource`), counts time in
seconds, milliseconds or ISO 8601 timestamps (`--time-unit`), and has its own state codes (a
mapping file). It is also noisy: repeated rows, a START without its END, rows out of order, clocks
that run backwards. Every such finding is one line naming the rows (1-based data rows of the
file), appended to `notes`, or a `ConfigError` when the log cannot be read as what it claims to be.
Nothing is guessed silently.

The stable entry points (also used to compare the twin with a log): `read_events(source, ...)` and
`read_states(source, ...)`, both returning a pandas DataFrame of the schema's columns plus `row`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from twin.display import FORMULA_START
from twin.errors import ConfigError, show
from twin.eventlog.schema import (
    DEFAULT_MACHINE,
    END,
    ENTER,
    EVENT_COLUMNS,
    EVENT_REQUIRED,
    EVENTS,
    EXIT,
    OUTCOMES,
    START,
    STATE_COLUMNS,
    STATE_NAMES,
    STATE_REQUIRED,
    TIME_UNITS,
)
from twin.eventlog.visits import visits
from twin.limits import MAX_LOG_BYTES, MAX_LOG_COLUMNS, MAX_LOG_ROWS

Source = str | Path | bytes
"""A file path, or the bytes of an upload (then `label` names it, and `parquet` says its kind)."""

ROW = "row"
"""The extra column of the canonical frames: the row's number in the file (1 = first data row)."""

_SHOWN_ROWS = 5
_FORMULA_GUARD = tuple("'" + start for start in FORMULA_START)


def parse_mapping(items: str | Iterable[str] | None) -> dict[str, str]:
    """`time=ts,station=resource` (or several such options) as {schema column: file column}."""
    if items is None:
        return {}
    texts = [items] if isinstance(items, str) else list(items)
    known = set(EVENT_COLUMNS) | set(STATE_COLUMNS)
    mapping: dict[str, str] = {}
    for text in texts:
        for pair in filter(None, (p.strip() for p in text.split(","))):
            column, sep, name = (part.strip() for part in pair.partition("="))
            if not sep or not name:
                raise ConfigError(f"--map: expected schema_column=file_column pairs such as "
                                  f"time=ts, got {show(pair)}", field="map")
            if column not in known:
                raise ConfigError(f"--map: {show(column)} is not a column of the event-log schema "
                                  f"({', '.join(sorted(known))})", field="map")
            mapping[column] = name
    return mapping


def read_events(source: Source, *, mapping: Mapping[str, str] | None = None, time_unit: str = "min",
                origin: pd.Timestamp | None = None, stations: Sequence[str] | None = None,
                notes: list[str] | None = None, label: str | None = None,
                parquet: bool | None = None) -> pd.DataFrame:
    """A part-event log as the canonical frame: columns `EVENT_COLUMNS` plus `row`, sorted by time.

    `mapping` renames the file's columns ({schema column: file column}); `time_unit` is the unit of a
    numeric time column (ms, s, min, h); ISO 8601 times become minutes since `origin` (default: the
    log's first timestamp, kept in `frame.attrs["origin"]` to read its state log on the same clock).
    `stations`, when given, are the only station names allowed. Findings that do not stop the read
    (duplicates dropped, rows sorted, a START without END, parts whose times run backwards, which are
    dropped) are appended to `notes` as one line each."""
    label = label or (str(source) if not isinstance(source, bytes) else "upload")
    notes = notes if notes is not None else []
    raw = _table(source, label, parquet)
    columns = _columns(raw, mapping or {}, EVENT_COLUMNS, EVENT_REQUIRED, label)
    frame, origin = _located(raw, columns, time_unit, origin, label)
    frame["part"] = _names(raw, columns, "part", label, required=True)
    frame["product"] = _names(raw, columns, "product", label)
    frame["event"] = _choice(raw[columns["event"]].str.strip().str.upper(), EVENTS, "event", label)
    outcome = (raw[columns["outcome"]].str.strip().str.lower() if "outcome" in columns
               else pd.Series("", index=raw.index))
    frame["outcome"] = _choice(outcome, ("", *OUTCOMES), "outcome", label)
    frame["value"] = _numbers(raw, columns, "value", label)
    _check_stations(frame, stations, label)
    frame = _deduplicate(frame, ["time", "station", "machine", "part", "event"], label, notes)
    frame = _sorted(frame, label, notes)
    frame = _check_visits(frame, label, notes)
    frame = frame[[*EVENT_COLUMNS, ROW]].reset_index(drop=True)
    frame.attrs["origin"] = origin
    return frame


def read_states(source: Source, *, mapping: Mapping[str, str] | None = None, time_unit: str = "min",
                origin: pd.Timestamp | None = None, state_names: Mapping[str, str] | str | Path | None = None,
                stations: Sequence[str] | None = None, notes: list[str] | None = None,
                label: str | None = None, parquet: bool | None = None) -> pd.DataFrame:
    """A machine-state log as the canonical frame: columns `STATE_COLUMNS` plus `row`, sorted by
    time. `state_names` translates the plant's state codes into the twin's states (a mapping, or a
    YAML file of `code: state` lines); a state neither the twin's nor mapped is an error naming it.
    Pass the event log's `attrs["origin"]` as `origin` when both logs use ISO 8601 timestamps.
    `mapping` may be the event log's: a column it names that this file lacks is looked up under the
    schema's own name."""
    label = label or (str(source) if not isinstance(source, bytes) else "upload")
    notes = notes if notes is not None else []
    translate = _state_mapping(state_names)
    raw = _table(source, label, parquet)
    columns = _columns(raw, mapping or {}, STATE_COLUMNS, STATE_REQUIRED, label, lenient=True)
    frame, origin = _located(raw, columns, time_unit, origin, label)
    codes = raw[columns["state"]].str.strip()
    frame["state"] = _choice(codes.map(lambda code: translate.get(code, code.lower())), STATE_NAMES,
                             "state", label, shown=codes)
    _check_stations(frame, stations, label)
    frame = _deduplicate(frame, ["time", "station", "machine", "state"], label, notes)
    frame = _sorted(frame, label, notes)
    frame = frame[[*STATE_COLUMNS, ROW]].reset_index(drop=True)
    frame.attrs["origin"] = origin
    return frame


# --- the file ---------------------------------------------------------------------------------

def _table(source: Source, label: str, parquet: bool | None) -> pd.DataFrame:
    """The file as a frame of text cells (Parquet or CSV, by `parquet` or the file's name/magic)."""
    if isinstance(source, bytes):
        data = source
        if len(data) > MAX_LOG_BYTES:
            raise ConfigError(f"{label}: file too large ({len(data):,} bytes; the limit is "
                              f"{MAX_LOG_BYTES:,}, see docs/security.md)", source=label)
    else:
        from twin.io import read_bytes_file

        data = read_bytes_file(source, MAX_LOG_BYTES, label)
        if parquet is None:
            parquet = Path(source).suffix.lower() in (".parquet", ".pq")
    binary = parquet or (parquet is None and data[:4] == b"PAR1")
    table = _parquet(data, label) if binary else _csv(data, label)
    if len(table.columns) > MAX_LOG_COLUMNS:
        raise ConfigError(f"{label}: {len(table.columns):,} columns; the limit is {MAX_LOG_COLUMNS:,}",
                          source=label)
    if len(table) > MAX_LOG_ROWS:
        raise ConfigError(f"{label}: {len(table):,} rows; the limit is {MAX_LOG_ROWS:,} "
                          f"(TWIN_MAX_LOG_ROWS, see docs/security.md)", source=label)
    if table.empty:
        raise ConfigError(f"{label}: no rows", source=label)
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _csv(data: bytes, label: str) -> pd.DataFrame:
    from twin.io import text_from_bytes

    text = text_from_bytes(data, label, MAX_LOG_BYTES)
    if not text.strip():
        raise ConfigError(f"{label}: no rows", source=label)
    first = text.split("\n", 1)[0]
    if first.count(",") + 1 > MAX_LOG_COLUMNS:
        raise ConfigError(f"{label}: {first.count(',') + 1:,} columns; the limit is {MAX_LOG_COLUMNS:,}",
                          source=label)
    if text.count("\n") > MAX_LOG_ROWS + 1:
        raise ConfigError(f"{label}: more than {MAX_LOG_ROWS:,} rows (TWIN_MAX_LOG_ROWS, see "
                          f"docs/security.md)", source=label)
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ConfigError(f"{label}: not a CSV table ({reason})", source=label) from None
    # undo the apostrophe `twin run` puts before text a spreadsheet would run as a formula
    return table.apply(lambda col: col.where(~col.str.startswith(_FORMULA_GUARD), col.str[1:]))


def _parquet(data: bytes, label: str) -> pd.DataFrame:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError(f"{label}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    try:
        handle = pq.ParquetFile(pa.BufferReader(data))
        rows, width = handle.metadata.num_rows, handle.metadata.num_columns
        if rows > MAX_LOG_ROWS or width > MAX_LOG_COLUMNS:
            raise ConfigError(f"{label}: {rows:,} rows and {width:,} columns; the limits are "
                              f"{MAX_LOG_ROWS:,} rows and {MAX_LOG_COLUMNS:,} columns (see "
                              f"docs/security.md)", source=label)
        table = handle.read().to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise ConfigError(f"{label}: not a Parquet file ({reason})", source=label) from None
    out = pd.DataFrame(index=table.index)
    for column in table.columns:
        series = table[column]
        if pd.api.types.is_datetime64_any_dtype(series):
            stamps = pd.to_datetime(series, utc=True)
            out[str(column)] = stamps.map(lambda t: "" if pd.isna(t) else t.isoformat())
        else:
            out[str(column)] = series.map(lambda v: "" if v is None or (isinstance(v, float) and
                                                                        np.isnan(v)) else str(v))
    return out


def _columns(raw: pd.DataFrame, mapping: Mapping[str, str], schema: Sequence[str],
             required: Sequence[str], label: str, lenient: bool = False) -> dict[str, str]:
    """{schema column: file column} for the schema's columns the file has (renamed or by name)."""
    found = list(raw.columns)
    columns: dict[str, str] = {}
    for column in schema:
        name = mapping.get(column, column)
        if name in found:
            columns[column] = name
        elif lenient and column in found:  # the map of the event log: the state log may use the
            columns[column] = column          # schema's own name
        elif column in mapping:
            raise ConfigError(f"{label}: --map {column}={show(name)}: no such column (the file has "
                              f"{_list(found)})", field="map", source=label)
    missing = [c for c in required if c not in columns]
    if missing:
        raise ConfigError(f"{label}: no {', '.join(repr(c) for c in missing)} column (the file has "
                          f"{_list(found)}; name yours with --map {missing[0]}=YOUR_COLUMN)",
                          source=label)
    return columns


# --- cells ------------------------------------------------------------------------------------

def _located(raw: pd.DataFrame, columns: Mapping[str, str], time_unit: str,
             origin: pd.Timestamp | None, label: str) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """The columns both logs share: the row number, time, station and machine of each row."""
    frame = pd.DataFrame({ROW: np.arange(1, len(raw) + 1)})
    frame["time"], origin = _minutes(raw[columns["time"]], time_unit, origin, label)
    frame["station"] = _names(raw, columns, "station", label, required=True)
    frame["machine"] = _names(raw, columns, "machine", label, default=DEFAULT_MACHINE)
    return frame, origin


def _minutes(raw: pd.Series, unit: str, origin: pd.Timestamp | None,
             label: str) -> tuple[np.ndarray, pd.Timestamp | None]:
    """Times in minutes: numbers in `unit`, or ISO 8601 timestamps since `origin`."""
    if unit not in TIME_UNITS:
        raise ConfigError(f"--time-unit: must be one of {', '.join(TIME_UNITS)}, got {show(unit)}",
                          field="time-unit")
    text = raw.str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().any():
        bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float))
        if bad.any():
            raise ConfigError(f"{label}: time: {_rows(bad)} are not numbers (e.g. "
                              f"{show(text[bad].iloc[0])}); a log's times are all numbers or all "
                              f"ISO 8601 timestamps", field="time", source=label)
        return numbers.to_numpy(dtype=float) * TIME_UNITS[unit], origin
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = stamps.isna()
    if bad.any():
        raise ConfigError(f"{label}: time: {_rows(bad)} are neither numbers nor ISO 8601 timestamps "
                          f"(e.g. {show(text[bad].iloc[0])})", field="time", source=label)
    origin = stamps.min() if origin is None else pd.Timestamp(origin)
    if origin.tzinfo is None:
        origin = origin.tz_localize("UTC")
    minutes = (stamps - origin) / pd.Timedelta(minutes=1)
    return minutes.to_numpy(dtype=float), origin


def _names(raw: pd.DataFrame, columns: Mapping[str, str], column: str, label: str, *,
           required: bool = False, default: str = "") -> pd.Series:
    if column not in columns:
        return pd.Series(default, index=raw.index, dtype=object)
    values = raw[columns[column]].str.strip()
    empty = values == ""
    if required and empty.any():
        raise ConfigError(f"{label}: {column}: {_rows(empty)} are empty", field=column, source=label)
    return values.where(~empty, default)


def _numbers(raw: pd.DataFrame, columns: Mapping[str, str], column: str, label: str) -> np.ndarray:
    if column not in columns:
        return np.full(len(raw), np.nan)
    text = raw[columns[column]].str.strip()
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & (text != "")
    if bad.any():
        raise ConfigError(f"{label}: {column}: {_rows(bad)} are not numbers (e.g. "
                          f"{show(text[bad].iloc[0])})", field=column, source=label)
    return numbers.to_numpy(dtype=float)


def _choice(values: pd.Series, allowed: Sequence[str], column: str, label: str,
            shown: pd.Series | None = None) -> pd.Series:
    bad = ~values.isin(allowed)
    if bad.any():
        written = (shown if shown is not None else values)[bad]
        names = ", ".join(show(v) for v in written.drop_duplicates().head(3))
        hint = " (translate a plant's codes with a state mapping file)" if column == "state" else ""
        raise ConfigError(f"{label}: {column}: {_rows(bad)} are not one of "
                          f"{', '.join(a for a in allowed if a)}, got {names}{hint}",
                          field=column, source=label)
    return values


def _state_mapping(names: Mapping[str, str] | str | Path | None) -> dict[str, str]:
    """{plant code: twin state} from a mapping or a YAML file (`Execute: busy`, `3: down`)."""
    if names is None:
        return {}
    where = "state mapping"
    if isinstance(names, str | Path):
        from twin.io import read_yaml

        where = str(names)
        names = read_yaml(names)
    if not isinstance(names, Mapping):
        raise ConfigError(f"{where}: expected a mapping of plant state codes to the twin's states "
                          f"({', '.join(STATE_NAMES)})", source=where)
    translate: dict[str, str] = {}
    for code, state in names.items():
        if state not in STATE_NAMES:
            raise ConfigError(f"{where}: {show(code)}: must map to one of {', '.join(STATE_NAMES)}, "
                              f"got {show(state)}", field=str(code), source=where)
        translate[str(code).strip()] = str(state)
    return translate


# --- checks -----------------------------------------------------------------------------------

def _check_stations(frame: pd.DataFrame, stations: Sequence[str] | None, label: str) -> None:
    if stations is None:
        return
    bad = ~frame["station"].isin(list(stations))
    if bad.any():
        names = ", ".join(show(v) for v in frame.loc[bad, "station"].drop_duplicates().head(3))
        raise ConfigError(f"{label}: station: {_rows(bad, frame)} name stations the line does not "
                          f"have ({names}; the line has {_list(stations)})", field="station",
                          source=label)


def _deduplicate(frame: pd.DataFrame, keys: list[str], label: str, notes: list[str]) -> pd.DataFrame:
    repeated = frame.duplicated(subset=keys, keep="first")
    if repeated.any():
        notes.append(f"{label}: {_rows(repeated, frame)}: repeat earlier rows exactly; dropped "
                     f"({int(repeated.sum()):,})")
        frame = frame[~repeated]
    return frame


def _sorted(frame: pd.DataFrame, label: str, notes: list[str]) -> pd.DataFrame:
    """Rows in time order; rows at one instant keep the file's order (a log written in order
    stays exactly as it was)."""
    steps = np.diff(frame["time"].to_numpy())
    if (steps < 0).any():
        notes.append(f"{label}: rows are not in time order ({int((steps < 0).sum()):,} steps back in "
                     f"time); sorted")
        return frame.sort_values(["time", ROW], kind="stable")
    return frame


def _check_visits(frame: pd.DataFrame, label: str, notes: list[str]) -> pd.DataFrame:
    """Pair each part's k-th START with its k-th END at a station (and ENTER/EXIT likewise): a
    START without END is noted; a visit whose times run backwards drops the part, noted."""
    table = visits(frame)
    times = table[list(EVENTS)]
    rows = table[[f"row_{event}" for event in EVENTS]].set_axis(list(EVENTS), axis=1)
    if frame["event"].isin([START, END]).any():
        lonely = times[START].notna() & times[END].isna()
        if lonely.any():
            notes.append(f"{label}: {name_rows(rows.loc[lonely, START])}: START without an END (in "
                         f"process when the log ends, or a lost event); no processing time taken")
        orphan = times[END].notna() & times[START].isna()
        if orphan.any():
            notes.append(f"{label}: {name_rows(rows.loc[orphan, END])}: END without a START; no "
                         f"processing time taken")
    backwards = pd.Series(False, index=times.index)
    for early, late in ((ENTER, START), (START, END), (END, EXIT), (ENTER, EXIT)):
        backwards |= times[late] < times[early]
    if backwards.any():
        bad_rows = rows.loc[backwards].min(axis=1)
        parts = sorted({str(p) for p, _, _ in times.index[backwards]})
        notes.append(f"{label}: {name_rows(bad_rows)}: times run backwards within a part (e.g. END "
                     f"before START); dropped the {len(parts):,} part(s) {_list(parts)}")
        frame = frame[~frame["part"].isin(parts)]
    return frame


# --- naming rows ------------------------------------------------------------------------------

def _rows(mask: pd.Series, frame: pd.DataFrame | None = None) -> str:
    """`rows 3, 9, 12 (+40 more)` for the True entries of `mask` (numbered as in the file)."""
    if frame is not None:
        return name_rows(frame.loc[mask[mask].index, ROW])
    return name_rows(pd.Series(np.flatnonzero(mask.to_numpy()) + 1))


def name_rows(numbers: pd.Series) -> str:
    """`rows 3, 9, 12 (+40 more)` for row numbers (as in the file), for one-line messages."""
    values = sorted(int(n) for n in numbers.dropna())
    shown = ", ".join(str(n) for n in values[:_SHOWN_ROWS])
    more = f" (+{len(values) - _SHOWN_ROWS:,} more)" if len(values) > _SHOWN_ROWS else ""
    return f"{'row' if len(values) == 1 else 'rows'} {shown}{more}"


def _list(names: Iterable[object]) -> str:
    items = [show(str(n)) for n in names]
    return ", ".join(items[:8]) + (f" (+{len(items) - 8} more)" if len(items) > 8 else "")
