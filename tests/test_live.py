"""The live twin against a real asyncua server on 127.0.0.1: the emulator's address space, its
injection, forecasts (and their JSON contract), reconnection, and refusals in one line.

One emulator serves the module (an asyncua server takes seconds to initialise): a three-station
line whose middle station fails, at 120 simulated seconds per second, over a shift longer than the
tests take. Forecasts run to a clock `AHEAD` minutes after the moment (`--until`), so each is a
short run (200 replications of at most 10 minutes).
"""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import twin
from twin.cli import app
from twin.errors import ConfigError
from twin.live.address import NAMESPACE, line_values
from twin.live.emulator import Emulation
from twin.live.endpoint import free_loopback_port, listen_endpoint, parse_endpoint
from twin.live.forecast import forecast, forecast_line
from twin.live.mapping import Mapping
from twin.live.rebuild import rebuild_state
from twin.live.server import EmulatorThread, quiet_asyncua
from twin.live.watch import LiveOptions, Update, watch
from twin.state import LineState

LINE_YAML = """\
name: Live test line
seed: 11
stations:
  - {name: Saw, buffer: 3, process: {dist: exponential, mean: 1.0min}}
  - name: Mill
    buffer: 3
    process: {dist: exponential, mean: 1.2min}
    failures: {mtbf: {dist: exponential, mean: 40min}, mttr: {dist: exponential, mean: 6min}}
  - {name: Wash, buffer: 3, process: {dist: exponential, mean: 0.9min}}
"""
SHIFT = 7 * 24 * 60.0
SPEED = 120.0
AHEAD = 10.0


@pytest.fixture(scope="module")
def line_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("live") / "line.yaml"
    path.write_text(LINE_YAML)
    return path


@pytest.fixture(scope="module")
def line(line_file: Path) -> twin.Line:
    return twin.load(line_file)


@pytest.fixture(scope="module")
def emulator(line: twin.Line):
    quiet_asyncua()
    endpoint = parse_endpoint(f"opc.tcp://127.0.0.1:{free_loopback_port()}")
    with EmulatorThread(Emulation(line, shift=SHIFT), endpoint, speed=SPEED) as running:
        yield running


def url(emulator: EmulatorThread) -> str:
    return emulator.server.endpoint.url


def ahead(emulator: EmulatorThread) -> float:
    """A clock `AHEAD` minutes from now on the emulated line: where the tests' forecasts end."""
    return round(emulator.emulation.clock + AHEAD)


async def _children(node) -> dict[str, object]:
    return {(await child.read_browse_name()).Name: child for child in await node.get_children()}


def test_the_address_space_is_browsable_by_a_plain_client(emulator: EmulatorThread, line) -> None:
    from asyncua import Client

    async def browse() -> dict[str, object]:
        async with Client(url(emulator)) as client:
            assert NAMESPACE in await client.get_namespace_array()
            line_node = (await _children(client.nodes.objects))["Line"]
            top = await _children(line_node)
            stations = await _children(top["Stations"])
            mill = await _children(stations["Mill"])
            machine = await _children((await _children(mill["Machines"]))["1"])
            name = await top["Name"].read_value()
            state = await machine["State"].read_value()
            end = await top["ShiftEnd"].read_value()
            return {"top": set(top), "stations": list(stations), "mill": set(mill),
                    "machine": set(machine), "name": name, "state": state, "end": end}

    seen = asyncio.run(browse())
    assert {"Name", "Clock", "ShiftEnd", "GoodParts", "Scrap", "WIP", "Stations", "Forecast",
            "FailMachine"} <= seen["top"]
    assert seen["stations"] == ["Saw", "Mill", "Wash"]
    assert seen["mill"] == {"Buffer", "PartsOut", "Machines"}
    assert seen["machine"] == {"State", "StateSince", "PartId", "Elapsed"}
    assert seen["name"] == "Live test line"
    assert seen["state"] in twin.engine.STATES
    assert seen["end"] == SHIFT


def test_values_change_as_the_line_runs(emulator: EmulatorThread) -> None:
    from asyncua import Client

    async def read_until_parts_move() -> tuple[float, float, bool]:
        async with Client(url(emulator)) as client:
            index = await client.get_namespace_index(NAMESPACE)
            stations = await client.nodes.objects.get_child([f"{index}:Line", f"{index}:Stations"])
            outs = [await station.get_child([f"{index}:PartsOut"])
                    for station in await stations.get_children()]
            clock = await client.nodes.objects.get_child([f"{index}:Line", f"{index}:Clock"])
            first, parts = await clock.read_value(), await client.read_values(outs)
            moved = False
            for _ in range(20):  # a failure of Mill may hold the line for a few simulated minutes
                await asyncio.sleep(0.25)
                if await client.read_values(outs) != parts:
                    moved = True
                    break
            return first, await clock.read_value(), moved

    clock0, clock1, moved = asyncio.run(read_until_parts_move())
    assert clock1 > clock0 and moved


def test_the_injection_fails_a_machine(emulator: EmulatorThread) -> None:
    from asyncua import Client

    async def inject() -> tuple[str, str, str]:
        async with Client(url(emulator)) as client:
            index = await client.get_namespace_index(NAMESPACE)
            line_node = await client.nodes.objects.get_child([f"{index}:Line"])
            state = await line_node.get_child([f"{index}:Stations", f"{index}:Mill", f"{index}:Machines",
                                              f"{index}:1", f"{index}:State"])
            refused = await line_node.call_method(f"{index}:FailMachine", "Saw", 1)
            answer = await line_node.call_method(f"{index}:FailMachine", "Mill", 1)
            await asyncio.sleep(0.3)  # the next publication
            return refused, answer, await state.read_value()

    refused, answer, state = asyncio.run(inject())
    assert refused.startswith("refused: station: 'Saw' has no failures")
    assert "failed" in answer or "already down" in answer, answer
    assert state == "down"


def _one_forecast(line, emulator: EmulatorThread, **options) -> tuple[Update, list[str]]:
    updates: list[Update] = []
    notes: list[str] = []
    settings = LiveOptions(**{"every": 0.5, "forecasts": 1, "seed": 5, "until": ahead(emulator),
                              **options})
    asyncio.run(watch(line, emulator.server.endpoint, Mapping(), settings, updates.append, notes.append))
    return updates[0], notes


def test_a_forecast_matches_a_run_from_the_same_state(line, emulator: EmulatorThread) -> None:
    update, _ = _one_forecast(line, emulator, target=50)
    state, result = update.state, update.forecast
    assert 0 < state.clock < result.until
    again = twin.run(forecast_line(line), replications=200, seed=5, workers=1, initial_state=state,
                     horizon=result.until - state.clock)
    expected = result.good_so_far + np.array([run.good for run in again.runs])
    assert np.array_equal(result.totals, expected)
    good = result.good_parts
    assert good["p025"] <= good["p10"] <= good["mean"] <= good["p90"] <= good["p975"]
    assert result.probability_target == pytest.approx(float(np.mean(expected >= 50)))
    assert result.bottleneck == again.bottleneck()["station"]


def test_a_forecast_from_the_start_of_a_shift_is_a_plain_run(line) -> None:
    start = forecast(line, LineState.empty(line), 0, AHEAD, replications=200, seed=9)
    plain = twin.run(line.model_copy(update={"horizon": AHEAD, "warmup": 0.0}), replications=200,
                     seed=9, workers=1)
    assert np.array_equal(start.totals, [run.good for run in plain.runs])


def test_json_lines_have_exactly_the_contract_keys(line_file: Path, emulator: EmulatorThread) -> None:
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", url(emulator), "--format", "json",
                                      "--every", "1s", "--forecasts", "1", "--target", "20",
                                      "--until", f"{ahead(emulator)}min"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    document = json.loads(lines[0])
    assert set(document) == {"clock", "state", "forecast"}
    assert set(document["forecast"]) == {"good_parts", "probability_target", "bottleneck"}
    assert set(document["forecast"]["good_parts"]) == {"mean", "p10", "p90", "p025", "p975"}
    assert 0 <= document["forecast"]["probability_target"] <= 1
    assert document["forecast"]["bottleneck"] in {"Saw", "Mill", "Wash"}
    assert LineState.model_validate(document["state"]).clock == document["clock"]


def test_write_back_publishes_the_forecast(line, emulator: EmulatorThread) -> None:
    from asyncua import Client

    update, _ = _one_forecast(line, emulator, write_back=True)

    async def read() -> float:
        async with Client(url(emulator)) as client:
            index = await client.get_namespace_index(NAMESPACE)
            node = await client.nodes.objects.get_child([f"{index}:Line", f"{index}:Forecast",
                                                         f"{index}:Mean"])
            return float(await node.read_value())

    assert asyncio.run(read()) == pytest.approx(update.forecast.good_parts["mean"])


def test_the_live_twin_reconnects_after_the_server_restarts(line, emulator: EmulatorThread) -> None:
    updates: list[Update] = []
    notes: list[str] = []

    def emit(update: Update) -> None:
        updates.append(update)
        if len(updates) == 1:  # the server goes away for a second, with the line running on
            threading.Thread(target=emulator.outage, args=(1.0,), daemon=True).start()

    settings = LiveOptions(every=0.5, forecasts=3, seed=1, until=ahead(emulator) + 10)
    asyncio.run(watch(line, emulator.server.endpoint, Mapping(), settings, emit, notes.append))
    assert len(updates) == 3
    assert any(n.startswith("lost the connection to ") for n in notes), notes
    assert any(n.startswith("reconnected to ") for n in notes), notes
    assert updates[-1].state.clock > updates[0].state.clock


def test_a_mismatched_address_space_is_refused_in_one_line(tmp_path: Path, line_file: Path,
                                                           emulator: EmulatorThread) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(LINE_YAML + "  - {name: Pack, process: 1min}\n")
    result = CliRunner().invoke(app, ["live", str(other), "--opcua", url(emulator), "--forecasts", "1"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "has no node Line/Stations/Pack/Buffer" in message, message


def test_a_mapping_names_a_plants_own_nodes(tmp_path: Path, line, line_file: Path,
                                            emulator: EmulatorThread) -> None:
    mapping = tmp_path / "plant.yaml"
    mapping.write_text('nodes:\n  Line/Clock: "ns=2;s=Line/NoSuchTag"\n')
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", url(emulator), "--mapping",
                                      str(mapping), "--forecasts", "1"])
    assert result.exit_code == 2
    assert "has no node Line/Clock (mapped to ns=2;s=Line/NoSuchTag)" in result.stderr
    bad = tmp_path / "typo.yaml"
    bad.write_text('nodes:\n  Line/Clok: "ns=2;s=X"\n')
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", url(emulator),
                                      "--mapping", str(bad)])
    assert result.exit_code == 2 and "nodes.Line/Clok: no such value" in result.stderr
    assert {v.key for v in line_values(line)} >= {"Line/Clock", "Line/Stations/Mill/Machines/1/State"}


@pytest.mark.parametrize(("args", "message"), [
    (["--opcua", "http://127.0.0.1:4840"], "--opcua: must start with opc.tcp://"),
    (["--opcua", "opc.tcp://127.0.0.1"], "--opcua: names no port"),
    (["--opcua", "opc.tcp://10.1.2.3:4840"], "--opcua: the emulator listens on loopback only"),
    (["--opcua", "opc.tcp://127.0.0.1:4840", "--speed", "1e9"], "--speed: must be between 0.1 and"),
    (["--opcua", "opc.tcp://127.0.0.1:4840", "--shift", "2x"], "--shift: unknown time unit"),
])
def test_emulate_refuses_bad_options_in_one_line(line_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["emulate", str(line_file), *args])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {message}"), result.stderr
    assert "\n" not in result.stderr.strip()


@pytest.mark.parametrize(("args", "message"), [
    (["--replications", "50"], "--replications: must be between 200"),
    (["--every", "0s"], "--every: must be between"),
    (["--until", "soon"], "--until: expected a duration"),
])
def test_live_refuses_bad_options_in_one_line(line_file: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", "opc.tcp://127.0.0.1:1", *args])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"error: {message}"), result.stderr


def test_no_server_is_one_line_and_exit_1(line_file: Path) -> None:
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", f"opc.tcp://127.0.0.1:{free_loopback_port()}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --opcua: cannot reach an OPC UA server at ")


def test_endpoints() -> None:
    assert listen_endpoint("opc.tcp://localhost:4840").port == 4840
    assert listen_endpoint("opc.tcp://[::1]:4840").loopback
    with pytest.raises(ConfigError, match="port must be 1-65535"):
        parse_endpoint("opc.tcp://127.0.0.1:0")


def test_the_table_shows_the_forecast_over_the_line(line_file: Path, emulator: EmulatorThread) -> None:
    result = CliRunner().invoke(app, ["live", str(line_file), "--opcua", url(emulator), "--every", "1s",
                                      "--forecasts", "1", "--target", "20",
                                      "--until", f"{ahead(emulator)}min"])
    assert result.exit_code == 0, result.output
    assert "Forecast at" in result.stdout and "80% interval" in result.stdout
    assert all(name in result.stdout for name in ("Saw", "Mill", "Wash"))
    assert "% of 20" in result.stdout


def test_the_rebuilt_state_numbers_parts_and_reads_a_plants_state_codes(line) -> None:
    emulation = Emulation(line, shift=60.0, seed=3)
    emulation.advance_to(25.0)
    values = emulation.values()
    state = rebuild_state(line, values)
    assert state.clock == 25.0
    assert state.wip == values["Line/WIP"]
    released = sum(int(values[f"Line/{k}"]) for k in ("GoodParts", "Scrap", "WIP"))  # type: ignore[call-overload]
    assert state.next_part_id == released + 1
    ids = [part.id for _, part in state.parts()]
    assert len(set(ids)) == len(ids) and max(ids) <= released
    codes = {"1": "busy", "2": "starved", "3": "blocked", "4": "down"}
    plant = Mapping(states=codes)
    coded = {key: ({v: k for k, v in codes.items()}[value] if key.endswith("/State") else value)
             for key, value in values.items()}
    assert rebuild_state(line, coded, plant.state_name) == state
    with pytest.raises(ConfigError, match=r"^Line/Stations/Saw/Machines/1/State: state: must be one of"):
        rebuild_state(line, {**values, "Line/Stations/Saw/Machines/1/State": "running"})


def test_a_session_on_a_thread_keeps_the_latest_state_and_forecasts(line, emulator: EmulatorThread) -> None:
    import time

    from twin.live.session import LiveSession

    session = LiveSession(line, emulator.server.endpoint,
                          LiveOptions(every=0.5, seed=2, until=ahead(emulator))).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not session.snapshot().forecasts:
            time.sleep(0.2)
        snapshot = session.snapshot()
    finally:
        session.stop()
    assert snapshot.error is None and snapshot.forecasts and snapshot.state is not None
    assert snapshot.state.clock >= snapshot.forecasts[-1].state.clock
    assert not session.running
