"""The Industry 4.0 levers: a switch per lever, its parameters with their defaults, what it costs, and
the source of each default one click away. Parameters are read from the lever's config model, so a
new parameter in twin shows up here without a change."""

from __future__ import annotations

import copy
import hashlib
import types
import typing
from typing import Any

import streamlit as st

import twin
from ui.editing import widgets as w
from ui.editing.line_editor import StationsEdit
from ui.presenting import docs, escape

MONEY = ("capex", "life_years", "opex_per_year")
ICONS = {"predictive_maintenance": ":material/build:", "closed_loop_quality": ":material/target:",
         "automation": ":material/precision_manufacturing:", "quick_changeover": ":material/timer:",
         "energy_management": ":material/bolt:"}
UNITS = {"lead_time": "", "capex": "", "opex_per_year": "/year"}
LABELS = {"life_years": "Write-off life (years)", "cv_factor": "Cycle cv factor",
          "mean_factor": "Cycle time factor"}


def _is_duration(info) -> bool:
    return any(getattr(getattr(m, "func", None), "__name__", "") == "_duration" for m in info.metadata)


def _kind(info) -> str:
    annotation = info.annotation
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    args = [a for a in typing.get_args(annotation) if a is not type(None)] if union else [annotation]
    if _is_duration(info):
        return "duration"
    if args[0] is bool:
        return "bool"
    if args[0] is int:
        return "int"
    if typing.get_origin(args[0]) is list:
        return "stations"
    return "float"


def _label(field: str, currency: str) -> str:
    if field in LABELS:
        return LABELS[field]
    text = field.replace("_", " ").capitalize()
    unit = UNITS.get(field, "")
    if field in ("capex", "opex_per_year"):
        unit = f"{escape.markdown(currency)}{unit}" if currency else unit.strip("/")
    return f"{text} ({unit})" if unit else text


def _field(name: str, field: str, info, original: Any, edit: StationsEdit, quality_names: list[str],
           key: str, disabled: bool, help: str, currency: str) -> Any:
    kind = _kind(info)
    label = _label(field, currency)
    if kind == "bool":
        value = w.checkbox(label, value=bool(original), key=key, help=help, disabled=disabled)
        return original if value == bool(original) else value
    if kind == "duration":
        return w.duration(label, original, key, help=help, disabled=disabled)
    if kind == "stations":
        names = [s.get("name") for s in edit.stations if s.get("name")]
        options = quality_names if name == "closed_loop_quality" else names
        tag = hashlib.sha1("|".join(options).encode()).hexdigest()[:8]
        current = edit.remap(original)
        if name == "closed_loop_quality":
            every = w.checkbox("Every station with a quality block", value=current is None,
                               key=f"{key}.all.{tag}", disabled=disabled, help=help)
            if every:
                return None
        chosen = w.multiselect(label, options, [n for n in (current or []) if n in options],
                               key=f"{key}.{tag}", help=help, disabled=disabled)
        return original if chosen == (original or []) and current == original else chosen
    return w.number(label, original, key, integer=kind == "int", help=help, disabled=disabled,
                    placeholder="keep the station's" if original is None else None)


def lever_card(name: str, original: dict[str, Any] | None, edit: StationsEdit, quality_names: list[str],
               key: str, slots: dict, currency: str) -> dict[str, Any] | None:
    """One lever's panel; returns its config (None when it is absent and untouched)."""
    model = docs.lever_model(name)
    field_docs = docs.field_docs(model)
    with st.container(border=True):
        head, source = st.columns([5, 2], vertical_alignment="center")
        with head:
            on = st.toggle(f"{ICONS.get(name, '')} **{twin.LEVER_LABELS[name]}**",
                           value=bool(original and original.get("enabled", True)), key=f"{key}.on")
            st.caption(docs.lever_summary(name))
        with source, st.popover("Source of the defaults", icon=":material/menu_book:", width="stretch"):
            text, from_docs = docs.lever_source_markdown(name)
            st.markdown(text)
            st.caption(f"From docs/levers.md#{name}" if from_docs else
                       f"Summarised from the lever's model ({model.__name__}); the full citations are "
                       f"in docs/levers.md#{name}.")
        slots[f"lever:{name}"] = st.empty()
        values: dict[str, Any] = {}
        changed = False
        fields = [(f, i) for f, i in model.model_fields.items() if f != "enabled"]
        params = [(f, i) for f, i in fields if f not in MONEY]
        money = [(f, i) for f, i in fields if f in MONEY]
        # drawn while open only (as a station's details): folded, the inputs hold their values
        box = st.expander("Parameters, capex and opex", key=f"{key}.params", on_change="rerun")
        with box, w.hidden(not box.open):
            for group in (params, money):
                columns = w.columns(max(3, min(4, len(group))))
                for index, (field, info) in enumerate(group):
                    default = info.get_default(call_default_factory=True)
                    start = original.get(field, default) if original is not None else default
                    help = field_docs.get(field, "")
                    help = f"{help} Default: {default!r}.".strip()
                    with columns[index % len(columns)]:
                        value = _field(name, field, info, start, edit, quality_names, f"{key}.{field}",
                                       not on, help, currency)
                    values[field] = value
                    changed = changed or value != start
    if original is None and not on and not changed:
        return None
    if original is None:
        lever = {"enabled": on}
        lever.update({f: v for f, v in values.items()
                      if v != model.model_fields[f].get_default(call_default_factory=True)})
        return lever
    lever = copy.deepcopy(original)
    lever["enabled"] = on
    lever.update(values)
    return lever


def investment(original: dict[str, Any], key: str) -> dict[str, Any]:
    data = dict(original)
    a, b, _ = st.columns(3)
    with a:
        data["discount_rate"] = w.number("Discount rate", data.get("discount_rate", 0.08), f"{key}.rate",
                                         help="Yearly rate for the NPV, e.g. 0.08 for 8%")
    with b:
        data["horizon_years"] = w.number("Horizon (years)", data.get("horizon_years", 5), f"{key}.years",
                                         integer=True, help="Years the business case looks ahead")
    return data
