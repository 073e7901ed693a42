"""The Live page: follow a running line over OPC UA (a URL, or the emulator started on the current
line with one button), its state on the diagram and the shift forecast as a fan chart against the
target; on the emulator's side, a button that fails a machine so the forecast can be seen to react.
The machinery is ui/computing/live.py (twin.live underneath), the pictures ui/presenting/live.py."""

from __future__ import annotations

import streamlit as st

import twin
from ui.computing.live import DEFAULT_SPEED, LiveDesk
from ui.presenting import escape
from ui.views.context import Context

REFRESH_SECONDS = 2.0
HELD = ("live_target", "live_speed", "live_url", "live_fail_station", "live_fail_machine")
"""The inputs the page keeps while its tab is not drawn (`ui.views.context.Page.hold`)."""


def desk() -> LiveDesk:
    ss = st.session_state
    if "live_desk" not in ss:
        ss["live_desk"] = LiveDesk()
    return ss["live_desk"]


def show(ctx: Context) -> None:
    st.markdown("### :material/sensors: The live twin")
    st.markdown("Follow a running line over OPC UA: its state now, and where the shift will end, "
                "forecast from that state every few seconds (200 runs of the rest of the shift, with "
                "80% and 95% intervals). No plant at hand? Start the emulator: the current line, run "
                "in scaled real time and published over OPC UA, with a button that fails a machine.")
    line = (ctx.study or ctx.current).line
    here = desk()
    target = st.number_input("Target (good parts this shift)", min_value=0, value=None, step=10,
                             key="live_target", help="The forecast says how likely the shift makes it")
    left, right = st.columns(2, gap="large")
    with left:
        speed = st.number_input("Emulator speed (simulated seconds per second)", min_value=1.0,
                                max_value=3600.0, value=DEFAULT_SPEED, step=30.0, key="live_speed")
        if st.button("Start the emulator on this line", icon=":material/play_arrow:", type="primary",
                     key="live_emulate", disabled=ctx.study is None):
            with st.spinner("Starting the emulator (an OPC UA server prepares its address space)…"):
                try:
                    url = here.emulate(line, speed)
                    here.follow(line, url.url, target)
                except twin.ConfigError as exc:
                    st.error(str(exc))
    with right:
        url = st.text_input("OPC UA server", value="opc.tcp://127.0.0.1:4840", key="live_url")
        if st.button("Connect", icon=":material/link:", key="live_connect"):
            try:
                here.follow(line, url, target)
            except twin.ConfigError as exc:
                st.error(str(exc))
    if here.session is None:
        st.info("Not following a line yet: start the emulator, or connect to a server.",
                icon=":material/sensors_off:")
        return
    if st.button("Stop", icon=":material/stop:", key="live_stop"):
        here.stop()
        st.rerun()
    live_view(here)


@st.fragment(run_every=REFRESH_SECONDS)
def live_view(here: LiveDesk) -> None:
    """Redrawn every couple of seconds: the state as last published, the forecasts so far."""
    from ui.presenting import live as pictures

    snapshot = here.snapshot()
    if snapshot is None or here.line is None:
        return
    if snapshot.error is not None:
        st.error(snapshot.error)
    for note in snapshot.notes[-3:]:
        st.caption(f":material/info: {escape.markdown(note)}")
    line = here.line
    if snapshot.state is None:
        st.caption("Waiting for the line's values…")
    else:
        st.caption(f"Line now: clock {snapshot.state.clock:.1f} min, {snapshot.state.wip} parts in the line")
    st.graphviz_chart(pictures.state_dot(line, snapshot.state), width="stretch")
    if snapshot.forecasts:
        last = snapshot.forecasts[-1].forecast
        good = last.good_parts
        chance = "" if last.probability_target is None else \
            f" · {last.probability_target:.0%} chance of making {last.target:,}"
        st.markdown(f"**Forecast for the end of the shift: {good['mean']:,.0f} good parts** (80%: "
                    f"{good['p10']:,.0f} to {good['p90']:,.0f}; 95%: {good['p025']:,.0f} to "
                    f"{good['p975']:,.0f}){chance} · bottleneck: {escape.markdown(last.bottleneck or '-')}")
        st.plotly_chart(pictures.fan_chart(snapshot.forecasts, here.target), width="stretch",
                        key="live_fan")
    else:
        st.caption("The first forecast is being computed…")
    if here.emulated_url is not None:
        failing = [s for s in line.stations if s.failures is not None]
        if not failing:
            st.caption("No station of this line has failures: there is no machine to fail.")
            return
        cols = st.columns([2, 1, 2])
        name = cols[0].selectbox("Station", [s.name for s in failing], key="live_fail_station")
        spec = next(s for s in failing if s.name == name)
        number = cols[1].number_input("Machine", min_value=1, max_value=spec.machines, value=1,
                                      key="live_fail_machine")
        if cols[2].button("Fail this machine now", icon=":material/build:", key="live_fail"):
            st.session_state["live_failed"] = here.fail(name, int(number))
        if "live_failed" in st.session_state:
            st.caption(escape.markdown(st.session_state["live_failed"]))
