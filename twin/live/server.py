"""The emulated shop floor's OPC UA server: publishes an `Emulation` under the address space of
`twin.live.address`, advancing it against the wall clock × speed, and takes injections.

Everything runs on one asyncio loop: the simulation steps between publications, and the
`FailMachine` method runs between steps, so the model is never touched from two places at once.
`EmulatorThread` runs the same server on a background thread (the app's button, the tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from twin.errors import ConfigError, RunError
from twin.live.address import (
    FAIL_METHOD,
    NAMESPACE,
    Value,
    forecast_values,
    line_values,
)
from twin.live.emulator import Emulation, check_speed
from twin.live.endpoint import Endpoint

TICK_SECONDS = 0.1
"""Wall time between publications: subscribers see values at most this stale."""


def quiet_asyncua() -> None:
    """asyncua logs every dropped connection as a warning with a traceback; the twin reports what
    matters itself, in one line."""
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)


class EmulatorServer:
    """An asyncua server publishing `emulation` at `endpoint`, `speed` simulated seconds per second."""

    def __init__(self, emulation: Emulation, endpoint: Endpoint, speed: float = 60.0,
                 tick: float = TICK_SECONDS) -> None:
        self.emulation = emulation
        self.endpoint = endpoint
        self.speed = check_speed(speed)
        self.tick = tick
        self.nodes: dict[str, Any] = {}
        self._published: dict[str, object] = {}
        self._variants: dict[str, Any] = {}
        self._server: Any = None

    async def _build(self, server: Any) -> None:
        from asyncua import ua

        idx = await server.register_namespace(NAMESPACE)
        parents: dict[tuple[str, ...], Any] = {(): server.nodes.objects}

        async def parent_of(path: tuple[str, ...]) -> Any:
            if path not in parents:
                above = await parent_of(path[:-1])
                parents[path] = await above.add_object(_node_id("/".join(path), idx),
                                                       ua.QualifiedName(path[-1], idx))
            return parents[path]

        values = self.emulation.values()
        specs: list[tuple[Value, bool]] = [(v, False) for v in line_values(self.emulation.line)]
        specs += [(v, True) for v in forecast_values()]
        for value, writable in specs:
            variant = getattr(ua.VariantType, value.variant)
            initial = values.get(value.key, _zero(value.variant))
            parent = await parent_of(value.path[:-1])
            node = await parent.add_variable(_node_id(value.key, idx),
                                             ua.QualifiedName(value.path[-1], idx),
                                             ua.Variant(initial, variant), varianttype=variant)
            if writable:
                await node.set_writable()
            self.nodes[value.key] = node
            self._variants[value.key] = variant
        self._published = dict(values)

        from asyncua.common.methods import uamethod

        @uamethod
        def fail_machine(parent: object, station: str, machine: int) -> str:
            return self.fail(station, int(machine))

        station_arg = ua.Argument(Name="station", DataType=_node_id(ua.ObjectIds.String), ValueRank=-1)
        machine_arg = ua.Argument(Name="machine", DataType=_node_id(ua.ObjectIds.Int32), ValueRank=-1)
        result_arg = ua.Argument(Name="result", DataType=_node_id(ua.ObjectIds.String), ValueRank=-1)
        line_node = parents[("Line",)]
        await line_node.add_method(_node_id(FAIL_METHOD, idx), ua.QualifiedName("FailMachine", idx),
                                   fail_machine, [station_arg, machine_arg], [result_arg])

    def fail(self, station: str, machine: int) -> str:
        """The injection, by name and number from 1; a refusal is the answer, not an error."""
        try:
            return self.emulation.fail(station, machine)
        except ConfigError as exc:
            return f"refused: {exc}"

    async def outage(self, seconds: float) -> None:
        """The server goes away for `seconds` (every session dropped, nothing listening) and comes
        back with the line still running: what a restart of a plant's server looks like to a client
        (the tests' and the trainers' way to show the live twin reconnecting)."""
        await self._server.stop()
        await asyncio.sleep(seconds)
        await self._server.start()

    async def publish(self) -> None:
        """Write the values that changed since the last publication."""
        from asyncua import ua

        for key, value in self.emulation.values().items():
            if self._published.get(key) != value:
                await self.nodes[key].write_value(ua.Variant(value, self._variants[key]))
                self._published[key] = value

    async def serve(self, stop: asyncio.Event, ready: Callable[[], None] | None = None,
                    on_shift_over: Callable[[], None] | None = None) -> None:
        """Serve until `stop` is set; the line runs in scaled real time from the first tick."""
        from asyncua import Server, ua

        quiet_asyncua()
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint.url)
        server.set_server_name(f"Lighthouse Twin emulator: {self.emulation.line.name}")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        await self._build(server)
        self._server = server
        try:
            await server.start()
        except OSError as exc:
            raise RunError(f"--opcua: cannot listen on {self.endpoint.url} "
                           f"({exc.strerror or type(exc).__name__})") from None
        loop = asyncio.get_running_loop()
        try:
            if ready is not None:
                ready()
            started, clock0, announced = loop.time(), self.emulation.clock, False
            while not stop.is_set():
                target = clock0 + (loop.time() - started) * self.speed / 60.0
                if not self.emulation.over:
                    self.emulation.advance_to(target)
                await self.publish()
                if self.emulation.over and not announced:
                    announced = True
                    if on_shift_over is not None:
                        on_shift_over()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.tick)
        finally:
            await server.stop()


def _node_id(identifier: Any, index: Any = 0) -> Any:
    """A node id (typed loosely: asyncua's stubs want its own str and int subclasses)."""
    from asyncua import ua

    return ua.NodeId(identifier, index)


def _zero(variant: str) -> object:
    return "" if variant == "String" else 0.0 if variant == "Double" else 0


class EmulatorThread:
    """An `EmulatorServer` on its own thread and event loop, started and stopped from outside:

        with EmulatorThread(emulation, endpoint, speed=600) as emulator:
            emulator.fail("S2", 1)
    """

    def __init__(self, emulation: Emulation, endpoint: Endpoint, speed: float = 60.0,
                 tick: float = TICK_SECONDS) -> None:
        self.server = EmulatorServer(emulation, endpoint, speed, tick)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="twin-emulator", daemon=True)

    @property
    def emulation(self) -> Emulation:
        return self.server.emulation

    def _main(self) -> None:
        async def body() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.server.serve(self._stop, ready=self._ready.set)

        try:
            asyncio.run(body())
        except BaseException as exc:  # reported to the starter; the thread just ends
            self._error = exc
        finally:
            self._ready.set()

    def start(self, timeout: float = 30.0) -> EmulatorThread:
        self._thread.start()
        self._ready.wait(timeout)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise RunError(f"the emulator did not start within {timeout:g} s")
        return self

    def fail(self, station: str, machine: int) -> str:
        """Inject a failure from another thread (runs on the server's loop, between steps)."""
        if self._loop is None:
            raise RunError("the emulator is not running")

        async def inject() -> str:
            return self.server.fail(station, machine)

        return asyncio.run_coroutine_threadsafe(inject(), self._loop).result(10)

    def outage(self, seconds: float) -> None:
        """`EmulatorServer.outage` from another thread; returns when the server is back."""
        if self._loop is None:
            raise RunError("the emulator is not running")
        asyncio.run_coroutine_threadsafe(self.server.outage(seconds), self._loop).result(seconds + 30)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
