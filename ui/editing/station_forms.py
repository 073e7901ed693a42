"""Forms for what the station table does not show: each station's quality characteristic, inspection,
energy draw, operator needs and machine rate; the line's source, crews and products; the cost rates.
Each form starts from the config as loaded and returns it with the user's edits (see ui.editing.widgets)."""

from __future__ import annotations

import copy
from typing import Any

import pandas as pd
import streamlit as st

from ui.editing import widgets as w
from ui.editing.line_editor import cell
from ui.presenting import escape

NEW_QUALITY = {
    "characteristic": {"name": "diameter", "unit": "mm", "nominal": 10.0, "lsl": 9.97, "usl": 10.03},
    "sigma": 0.008, "measurement_sigma": 0.001,
}
NEW_ENERGY = {"busy": 10.0, "idle": 4.0, "down": 1.0, "setup": None, "off": 0.5}


def _quality(station: dict[str, Any], key: str) -> dict[str, Any] | None:
    original = station.get("quality")
    on = w.toggle("Shapes a quality characteristic", value=original is not None, key=f"{key}.q")
    if not on:
        return None
    quality = copy.deepcopy(original) if original is not None else copy.deepcopy(NEW_QUALITY)
    spec = quality["characteristic"]
    a, b = w.columns(2)
    with a:
        spec["name"] = w.text("Characteristic", spec["name"], f"{key}.q.name")
    with b:
        spec["unit"] = w.text("Unit", spec.get("unit", ""), f"{key}.q.unit")
    a, b, c = w.columns(3)
    with a:
        spec["lsl"] = w.number("LSL", spec["lsl"], f"{key}.q.lsl", help="Lower spec limit")
    with b:
        spec["nominal"] = w.number("Nominal", spec["nominal"], f"{key}.q.nominal")
    with c:
        spec["usl"] = w.number("USL", spec["usl"], f"{key}.q.usl", help="Upper spec limit")
    a, b, c = w.columns(3)
    with a:
        quality["sigma"] = w.number("Sigma", quality["sigma"], f"{key}.q.sigma",
                                    help="Short-term standard deviation of the process")
    with b:
        quality["bias"] = w.number("Bias", quality.get("bias", 0.0), f"{key}.q.bias",
                                   help="Mean offset from nominal")
    with c:
        quality["drift_per_part"] = w.number("Wear per part", quality.get("drift_per_part", 0.0),
                                             f"{key}.q.drift", help="Drift added by each part (tool wear)")
    a, b, c = w.columns(3)
    with a:
        quality["tool_life"] = w.number("Tool life (parts)", quality.get("tool_life"), f"{key}.q.life",
                                        integer=True, placeholder="no scheduled change")
    with b:
        quality["tool_change"] = w.duration("Tool change", quality.get("tool_change", 0.0), f"{key}.q.tc")
    with c:
        quality["measurement_sigma"] = w.number("Gauge sigma", quality.get("measurement_sigma", 0.0),
                                                f"{key}.q.gauge", help="Measurement error of the gauge")
    control = quality.get("control") or {"policy": "none"}
    policy = w.choice("Control", ["none", "spc", "closed_loop"], control["policy"], f"{key}.q.policy",
                      help="none: tool change every tool life; spc: stop and recalibrate on a signal; "
                           "closed_loop: offset correction after every part")
    quality["control"] = control if policy == control["policy"] else {"policy": policy}
    return quality


def _inspection(station: dict[str, Any], names: list[str], key: str) -> dict[str, Any] | None:
    original = station.get("inspection") or {"where": "none"}
    where = w.choice("Inspection", ["none", "inline", "end_of_line", "sampling"], original.get("where"),
                     f"{key}.i.where", help="Where parts are measured and sorted")
    if where == "none" and station.get("inspection") is None:
        return None
    inspection = {**original, "where": where}
    if where == "sampling":
        inspection["fraction"] = w.number("Fraction sampled", original.get("fraction", 1.0),
                                          f"{key}.i.fraction")
    action = w.choice("Reject action", ["scrap", "rework"], original.get("action", "scrap"),
                      f"{key}.i.action")
    inspection["action"] = action
    if action == "rework":
        target = original.get("to") if original.get("to") in names else station.get("name")
        inspection["to"] = w.choice("Rework at", names, target, f"{key}.i.to")
    else:
        inspection.pop("to", None)
    return inspection


def _energy(station: dict[str, Any], key: str) -> dict[str, Any] | None:
    original = station.get("energy")
    on = w.toggle("Energy model (kW per machine)", value=original is not None, key=f"{key}.e")
    if not on:
        return None
    energy = dict(original) if original is not None else dict(NEW_ENERGY)
    a, b, c = w.columns(3)
    with a:
        energy["busy"] = w.number("Busy", energy["busy"], f"{key}.e.busy")
        energy["down"] = w.number("Down", energy.get("down", 0.0), f"{key}.e.down")
    with b:
        energy["idle"] = w.number("Idle", energy.get("idle", 0.0), f"{key}.e.idle",
                                  help="Starved, blocked or waiting")
        energy["off"] = w.number("Off shift", energy.get("off", 0.0), f"{key}.e.off")
    with c:
        energy["setup"] = w.number("Setup", energy.get("setup"), f"{key}.e.setup",
                                   placeholder="as idle")
    return energy


def station_details(station: dict[str, Any], names: list[str], line: dict[str, Any], key: str,
                    slot_key: str, slots: dict) -> tuple[dict[str, Any], Any]:
    """One station's expander; returns the station and its machine rate (None without costs).

    Its form is drawn only while the expander is open: a folded one draws nothing (the demo's five
    stations have about a hundred inputs, a large share of every page pass and of the browser's
    work) and its inputs hand back their held values (`widgets.hidden`), so edits made in it
    still count after it is folded."""
    station = copy.deepcopy(station)
    rate = None
    title = escape.markdown(station.get("name")) if station.get("name") else "(new station)"
    box = st.expander(f"**{title}** · quality, inspection, energy, cost", key=f"{key}.open",
                      on_change="rerun")
    with box, w.hidden(not box.open):
        if box.open:
            slots[slot_key] = st.empty()
        left, right = w.columns([3, 2], gap="large")
        with left:
            station["quality"] = _quality(station, key)
            if station["quality"] is None:
                station.pop("inspection", None)
            else:
                station["inspection"] = _inspection(station, names, key)
        with right:
            station["energy"] = _energy(station, key)
            if line.get("operators") is not None:
                need = station.get("operator")
                a, b = w.columns(2)
                with a:
                    process = w.checkbox("Operator to process", value=bool(need and need["process"]),
                                         key=f"{key}.op.p")
                with b:
                    setup = w.checkbox("Operator to set up", value=bool(need and need["setup"]),
                                       key=f"{key}.op.s")
                if (process, setup) == (bool(need and need["process"]), bool(need and need["setup"])):
                    pass
                elif process or setup:
                    station["operator"] = {"process": process, "setup": setup}
                else:
                    station["operator"] = None
            costs = line.get("costs")
            if costs is not None:
                current = (costs.get("stations") or {}).get(station.get("name"), {})
                currency = costs.get("currency", "")
                rate = w.number(f"Machine rate ({escape.markdown(currency)}/h)",
                                current.get("machine_rate_per_hour", 0.0),
                                f"{key}.rate", help="Depreciation and overhead per machine, on-shift hours")
    return station, rate


def line_settings(line: dict[str, Any], key: str) -> dict[str, Any]:
    """Name, source, repair crew and operator pool."""
    line = copy.deepcopy(line)
    a, b, c, d = w.columns([3, 2, 2, 2])
    with a:
        line["name"] = w.text("Line name", line.get("name"), f"{key}.name")
    source = line.get("source") or {"kind": "saturated"}
    with b:
        kind = w.choice("Source", ["saturated", "arrivals", "conwip"], source["kind"], f"{key}.source",
                        help="saturated: raw material always there; arrivals: parts arrive at random; "
                             "conwip: release a part when one leaves")
    if kind == "arrivals":
        original = source.get("interarrival") if source["kind"] == "arrivals" else None
        with b:
            minutes = original.get("mean") if original else None
            mean = w.duration("Mean interarrival", minutes, f"{key}.interarrival")
        if mean is None or mean != minutes:
            source = {"kind": "arrivals", "interarrival": {"dist": "exponential", "mean": mean}}
    elif kind == "conwip":
        with b:
            cap = w.number("WIP cap", source.get("wip_cap", 20), f"{key}.wip", integer=True)
        source = {"kind": "conwip", "wip_cap": cap}
    else:
        source = {"kind": "saturated"}
    line["source"] = source
    with c:
        line["maintenance_crew"] = w.number("Repair crew", line.get("maintenance_crew"), f"{key}.crew",
                                            integer=True, placeholder="always at hand",
                                            help="Repairers shared by all stations (empty: no limit)")
    with d:
        operators = line.get("operators")
        count = w.number("Operators", operators["count"] if operators else None, f"{key}.operators",
                         integer=True, placeholder="none",
                         help="Operators shared by the stations that need one")
        line["operators"] = None if count is None else {**(operators or {}), "count": count}
    return line


def products(line: dict[str, Any], key: str) -> list[dict[str, Any]]:
    rows = line.get("products") or []
    frame = pd.DataFrame(rows, columns=["name", "share", "lot_size"])
    config = {"name": st.column_config.TextColumn("Product"),
              "share": st.column_config.NumberColumn("Share of lots", format="%g", default=1.0),
              "lot_size": st.column_config.NumberColumn("Lot size", step=1, default=1)}
    edited = st.data_editor(frame, key=key, num_rows="dynamic", hide_index=True, placeholder="",
                            column_config=config)
    if edited.equals(frame):
        return rows
    return [{k: cell(v) for k, v in row.items()} for row in edited.to_dict("records")]


COST_FIELDS = [
    ("material_per_part", "Material per part started"), ("scrap_cost_per_part", "Scrap cost per part"),
    ("escape_cost_per_part", "Cost of an escaped defect"), ("labour_rate_per_hour", "Labour rate per hour"),
    ("energy_price_per_kwh", "Energy price per kWh"), ("co2_kg_per_kwh", "CO2 kg per kWh"),
    ("maintenance_rate_per_hour", "Maintenance rate per hour"),
    ("spare_parts_per_repair", "Spare parts per repair"),
    ("contribution_margin_per_part", "Contribution margin per extra part"),
]


def costs(line: dict[str, Any], key: str) -> dict[str, Any] | None:
    original = line.get("costs")
    on = w.toggle("Cost model", value=original is not None, key=f"{key}.on")
    if not on:
        return None
    data = copy.deepcopy(original) if original is not None else {"currency": "EUR", "period": "year"}
    a, b = w.columns(2)
    with a:
        data["currency"] = w.text("Currency", data.get("currency", "EUR"), f"{key}.currency")
    with b:
        data["period"] = w.choice("Period", ["hour", "shift", "day", "week", "month", "year"],
                                  data.get("period", "year"), f"{key}.period",
                                  help="Period that per-period figures are stated in")
    columns = w.columns(3)
    for index, (name, text) in enumerate(COST_FIELDS):
        with columns[index % 3]:
            data[name] = w.number(text, data.get(name, 0.0 if name != "co2_kg_per_kwh" else None),
                                  f"{key}.{name}")
    return data
