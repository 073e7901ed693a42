"""The station table: one row per station with its machines, buffer, cycle time (mean, unit, shape),
changeover and failures, edited in place. Rows go back to the config as the YAML would say them
(`mean: 2.5min`), so twin validates them and names the field exactly as the CLI would.

A row whose cells are unchanged gives back its station as it was (any distribution shape, including
ones the table cannot show in full); a changed cell rewrites only the part it belongs to."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

import twin
from ui.presenting.units import TIME_UNITS, in_unit, pick_unit

DISTS = ["lognormal", "gamma", "normal", "exponential", "deterministic", "weibull", "uniform",
         "triangular", "empirical", "trace"]
WITH_CV = {"lognormal", "gamma", "normal"}
COLUMNS = ["name", "machines", "buffer", "dist", "mean", "unit", "cv", "setup_min", "mtbf_h", "mttr_min"]


class RowError(twin.ConfigError):
    """A table row the config cannot express (only raised for what twin itself cannot say)."""


def spec_mean(spec: dict[str, Any]) -> float:
    """Mean in minutes of a dumped distribution spec (`model_dump` of a DistSpec)."""
    if "mean" in spec:
        return float(spec["mean"])
    if "values" in spec:
        return sum(spec["values"]) / len(spec["values"])
    if "mode" in spec:
        return (spec["min"] + spec["mode"] + spec["max"]) / 3
    return (spec["min"] + spec["max"]) / 2


def with_mean(spec: dict[str, Any], text: str, minutes: float) -> dict[str, Any]:
    """The same distribution with a new mean; shapes without a mean are stretched about zero."""
    if "mean" in spec:
        return {**spec, "mean": text}
    old = spec_mean(spec)
    factor = minutes / old if old else 1.0
    if "values" in spec:
        return {**spec, "values": [v * factor for v in spec["values"]]}
    return {**spec, **{k: spec[k] * factor for k in ("min", "mode", "max") if k in spec}}


def cell(value: Any) -> Any:
    """A data-editor cell as plain Python: NaN → None, 3.0 → 3."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if hasattr(value, "item"):
        return cell(value.item())
    return value


def station_row(station: dict[str, Any]) -> dict[str, Any]:
    process = station["process"]
    minutes = spec_mean(process)
    unit = pick_unit(minutes)
    failures = station.get("failures")
    setup = station.get("setup")
    return {
        "name": station["name"], "machines": station["machines"], "buffer": station.get("buffer"),
        "dist": process["dist"], "mean": in_unit(minutes, unit), "unit": unit,
        "cv": process.get("cv"),
        "setup_min": in_unit(spec_mean(setup), "min") if setup else None,
        "mtbf_h": in_unit(spec_mean(failures["mtbf"]), "h") if failures else None,
        "mttr_min": in_unit(spec_mean(failures["mttr"]), "min") if failures else None,
    }


def table(stations: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame([station_row(s) for s in stations], columns=COLUMNS)
    for column in ("machines", "buffer"):
        frame[column] = frame[column].astype("Int64")
    for column in ("mean", "cv", "setup_min", "mtbf_h", "mttr_min"):  # empty, not "None"
        frame[column] = frame[column].astype("Float64")
    return frame


def _process(row: dict[str, Any], original: dict[str, Any] | None, where: str) -> dict[str, Any]:
    dist, mean, unit, cv = row["dist"], row["mean"], row["unit"] or "min", row["cv"]
    minutes = mean * TIME_UNITS.get(unit, 1.0) if isinstance(mean, int | float) else math.nan
    text = f"{mean:g}{unit}" if isinstance(mean, int | float) else mean
    if original is not None and original["dist"] == dist:
        spec = with_mean(original, text, minutes)
        if dist in WITH_CV:
            spec["cv"] = cv
        return spec
    if dist in WITH_CV:
        return {"dist": dist, "mean": text, "cv": cv}
    if dist in ("exponential", "deterministic", None):
        return {"dist": dist, "mean": text}
    if dist == "weibull":
        return {"dist": dist, "mean": text, "shape": 1.5}
    spread = (cv if isinstance(cv, int | float) else 0.2) * minutes
    if dist == "uniform":
        return {"dist": dist, "min": minutes - spread * 3 ** 0.5, "max": minutes + spread * 3 ** 0.5}
    if dist == "triangular":
        half = spread * 6 ** 0.5
        return {"dist": dist, "min": minutes - half, "mode": minutes, "max": minutes + half}
    raise RowError(f"{where}.process: an {dist} distribution needs its list of observed values; "
                   f"give them in the YAML file, got none", field=f"{where}.process")


def _scaled(original: dict[str, Any] | None, value: Any, unit: str, fresh: dict[str, Any]) -> dict[str, Any]:
    text = f"{value:g}{unit}" if isinstance(value, int | float) else value
    if original is None:
        return {**fresh, "mean": text}
    minutes = value * TIME_UNITS[unit] if isinstance(value, int | float) else math.nan
    return with_mean(original, text, minutes)


def station_from_row(row: dict[str, Any], original: dict[str, Any] | None,
                     original_row: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """The station a table row describes, starting from the station it was (when there was one)."""
    row = {k: cell(row.get(k)) for k in COLUMNS}
    before = original_row or {}
    station = copy.deepcopy(original) if original is not None else {}
    station["name"] = row["name"]
    if row["machines"] is None:
        station.pop("machines", None)
    else:
        station["machines"] = row["machines"]
    station["buffer"] = row["buffer"]
    process_cells = ("dist", "mean", "unit", "cv")
    if original is None or any(row[c] != before.get(c) for c in process_cells):
        station["process"] = _process(row, original and original["process"], where)
    if original is None or row["setup_min"] != before.get("setup_min"):
        if row["setup_min"] is None:
            station.pop("setup", None)
        else:
            station["setup"] = _scaled(original and original.get("setup"), row["setup_min"], "min",
                                       {"dist": "deterministic"})
    if original is None or (row["mtbf_h"], row["mttr_min"]) != (before.get("mtbf_h"), before.get("mttr_min")):
        if row["mtbf_h"] is None and row["mttr_min"] is None:
            station.pop("failures", None)
        else:
            failures = (original or {}).get("failures") or {}
            station["failures"] = {
                **failures,
                "mtbf": _scaled(failures.get("mtbf"), row["mtbf_h"], "h", {"dist": "exponential"}),
                "mttr": _scaled(failures.get("mttr"), row["mttr_min"], "min", {"dist": "exponential"}),
            }
    return station


@dataclass
class StationsEdit:
    """The stations after the table's edits, and which original station each one came from."""

    stations: list[dict[str, Any]]
    origin: list[int | None]
    """Index of the original station each row came from (None for a new row)."""
    renames: dict[str, str] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)
    error: twin.ConfigError | None = None

    def remap(self, names: list[str] | None) -> list[str] | None:
        """A list of station names after renames and deletions (levers' station lists)."""
        if names is None:
            return None
        return [self.renames.get(n, n) for n in names if n not in self.deleted]


COLUMN_CONFIG = {
    "name": st.column_config.TextColumn("Station", help="Unique name", width=170),
    "machines": st.column_config.NumberColumn("Machines", help="Identical parallel machines", step=1,
                                              default=1, width=95),
    "buffer": st.column_config.NumberColumn("Buffer", help="Parts the buffer in front holds "
                                            "(empty = unbounded)", step=1, default=5, width=80),
    "dist": st.column_config.SelectboxColumn("Cycle dist.", options=DISTS, default="lognormal",
                                             help="Shape of the processing time", width=120),
    "mean": st.column_config.NumberColumn("Cycle", help="Mean processing time per part, in the "
                                          "unit of the next column", format="%g", width=75),
    "unit": st.column_config.SelectboxColumn("Unit", options=["s", "min", "h"], default="min",
                                             width=70),
    "cv": st.column_config.NumberColumn("Cycle cv", help="Coefficient of variation (lognormal, gamma, "
                                        "normal)", format="%g", default=0.3, width=95),
    "setup_min": st.column_config.NumberColumn("Setup (min)", help="Mean changeover time when the "
                                               "product changes (empty = none)", format="%g", width=110),
    "mtbf_h": st.column_config.NumberColumn("MTBF (h)", help="Mean time between failures, operating "
                                            "hours (empty = no failures)", format="%g", width=100),
    "mttr_min": st.column_config.NumberColumn("MTTR (min)", help="Mean time to repair", format="%g",
                                              width=110),
}


def edit_stations(stations: list[dict[str, Any]], key: str) -> StationsEdit:
    """Show the station table and return the stations it now describes."""
    base = table(stations)
    edited = st.data_editor(base, key=key, num_rows="dynamic", hide_index=True, width="stretch",
                            column_config=COLUMN_CONFIG, column_order=COLUMNS, placeholder="")
    originals = base.to_dict("index")
    out, origin, renames = [], [], {}
    error = None
    for position, (label, row) in enumerate(edited.to_dict("index").items()):
        index = label if label in originals else None
        where = f"line.stations[{position}]"
        try:
            station = station_from_row(row, stations[index] if index is not None else None,
                                       {k: cell(v) for k, v in originals[index].items()}
                                       if index is not None else None, where)
        except twin.ConfigError as exc:
            error = error or exc
            station = copy.deepcopy(stations[index]) if index is not None else {"name": row.get("name")}
        out.append(station)
        origin.append(index)
        if index is not None and station.get("name") != stations[index]["name"]:
            renames[stations[index]["name"]] = station.get("name")
    kept = {i for i in origin if i is not None}
    deleted = {s["name"] for i, s in enumerate(stations) if i not in kept}
    return StationsEdit(stations=out, origin=origin, renames=renames, deleted=deleted, error=error)
