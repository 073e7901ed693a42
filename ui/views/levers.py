"""The Levers tab: one card per Industry 4.0 lever (on/off and its settings) and the investment frame.
It returns the levers and the investment as edited (the shell validates them)."""

from __future__ import annotations

import streamlit as st

import twin
from ui.editing import levers_panel

TAB = ":material/tune: Levers"


def render(base_data: dict, edit, stations: list[dict], version: int, slots: dict, currency: str):
    st.markdown("Switch each Industry 4.0 lever on or off and tune it. The Industry 4.0 line is the "
                "conventional line with the levers that are on; each lever's investment is carried "
                "by that line's costs.")
    quality_names = [s["name"] for s in stations if s.get("quality") and s.get("name")]
    levers = {}
    for name in twin.LEVER_NAMES:
        levers[name] = levers_panel.lever_card(name, base_data["levers"].get(name), edit, quality_names,
                                               f"lever.{name}@{version}", slots, currency)
    st.markdown("#### Investment frame")
    slots["investment"] = st.empty()
    invest = levers_panel.investment(base_data["investment"], f"investment@{version}")
    return levers, invest
