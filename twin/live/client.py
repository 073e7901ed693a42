"""The live twin's OPC UA side: connect, check the address space, read it whole, subscribe, and
notice when the server goes away.

The subscription's callback does one thing: put `(key, value)` on an asyncio queue. Everything else
(rebuilding the state, forecasting) happens in the main loop, so a slow forecast never holds up
the client's notifications or keep-alives. After a reconnection the address space is checked and
read whole again, so nothing that the server still knows is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from twin.config import Line
from twin.display import plain
from twin.errors import ConfigError, RunError
from twin.live.address import Value, forecast_values, line_key, line_values
from twin.live.endpoint import Endpoint
from twin.live.mapping import Mapping

CONNECT_TIMEOUT = 4.0
PROBE_TIMEOUT = 3.0


class Lost(Exception):
    """The connection to the server is gone (it stopped, restarted or the network dropped)."""


@dataclass
class LiveConnection:
    """One session with the server: the resolved nodes, their last values, the update queue."""

    line: Line
    endpoint: Endpoint
    mapping: Mapping
    updates: asyncio.Queue[tuple[str, object]] = field(default_factory=asyncio.Queue)
    client: Any = None
    nodes: dict[str, Any] = field(default_factory=dict)
    keys: dict[Any, str] = field(default_factory=dict)
    forecast_nodes: dict[str, Any] = field(default_factory=dict)

    async def open(self, write_back: bool = False) -> dict[str, object]:
        """Connect, resolve every node (refusing a mismatch, naming the missing node), read every
        value and subscribe to them all. Returns the values read."""
        from asyncua import Client

        self.client = Client(self.endpoint.url, timeout=CONNECT_TIMEOUT)
        try:
            await self.client.connect()
        except Exception as exc:  # no server, a timeout, or a status it answered (BadTooManySessions)
            self.client = None
            raise Lost(_reason(exc)) from None
        try:
            self.nodes = await self._resolve(line_values(self.line))
            if write_back:
                self.forecast_nodes = await self._resolve(forecast_values())
            self.keys = {node.nodeid: key for key, node in self.nodes.items()}
            values = await self.read_all()
            subscription = await self.client.create_subscription(100, _Handler(self))
            await subscription.subscribe_data_change(list(self.nodes.values()))
        except (ConfigError, Lost):
            await self.close()
            raise
        except Exception as exc:  # the transport dropped, or the server refused a read or the subscription
            await self.close()
            raise Lost(_reason(exc)) from None
        return values

    async def _resolve(self, values: list[Value]) -> dict[str, Any]:
        from asyncua import ua

        mapped = self.mapping.nodes
        index: int | None = None
        if any(v.key not in mapped for v in values):
            try:
                index = await self.client.get_namespace_index(self.mapping.namespace)
            except ValueError:
                raise ConfigError(f"{self.endpoint.url}: the server has no namespace "
                                  f"{self.mapping.namespace!r} (is it a Lighthouse Twin address space? "
                                  f"a --mapping file names a plant's own nodes)",
                                  field="opcua") from None
        nodes: dict[str, Any] = {}
        for value in values:
            if value.key in mapped:
                node = self.client.get_node(mapped[value.key])
                try:
                    await node.read_browse_name()
                except ua.UaStatusCodeError:
                    raise _missing(self.endpoint, value.key, f"mapped to {mapped[value.key]}") from None
            else:
                try:
                    node = await self.client.nodes.objects.get_child([f"{index}:{n}" for n in value.path])
                except ua.UaStatusCodeError:
                    raise _missing(self.endpoint, value.key, "") from None
            nodes[value.key] = node
        return nodes

    async def read_all(self) -> dict[str, object]:
        keys = list(self.nodes)
        read = await self.client.read_values([self.nodes[k] for k in keys])
        return dict(zip(keys, read, strict=True))

    async def probe(self) -> None:
        """Raise `Lost` unless the server answers a read of the clock in time."""
        try:
            await asyncio.wait_for(self.nodes[line_key("Clock")].read_value(), PROBE_TIMEOUT)
        except Exception as exc:
            raise Lost(_reason(exc)) from None

    async def write_forecast(self, values: dict[str, object]) -> None:
        """Write the forecast values (by key) to the server's `Line/Forecast/...` nodes."""
        from asyncua import ua

        from twin.live.address import VARIANT_TYPES

        for key, value in values.items():
            variant = getattr(ua.VariantType, VARIANT_TYPES[key.rsplit("/", 1)[-1]])
            try:
                await self.forecast_nodes[key].write_value(ua.DataValue(ua.Variant(value, variant)))
            except ua.UaStatusCodeError as exc:
                raise ConfigError(f"--write-back: the server refused {key} ({type(exc).__name__})",
                                  field="write-back") from None
            except Exception as exc:
                raise Lost(_reason(exc)) from None

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            await asyncio.wait_for(client.disconnect(), 2)
        except Exception:  # the server is gone already: nothing to close politely
            with contextlib.suppress(Exception):
                client.disconnect_socket()


class _Handler:
    """asyncua's subscription handler: hands each change to the queue, nothing more."""

    def __init__(self, connection: LiveConnection) -> None:
        self.connection = connection

    def datachange_notification(self, node: Any, val: object, data: object) -> None:
        key = self.connection.keys.get(node.nodeid)
        if key is not None:
            self.connection.updates.put_nowait((key, val))

    def status_change_notification(self, status: object) -> None:
        self.connection.updates.put_nowait(("", None))  # the main loop probes on its next turn


def _missing(endpoint: Endpoint, key: str, how: str) -> ConfigError:
    detail = f" ({how})" if how else ""
    return ConfigError(f"{endpoint.url}: the address space has no node {key}{detail}; it does not "
                       f"match this line (docs/live.md), or a --mapping file should name it",
                       field="opcua")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())[:120]
    return plain(text) or type(exc).__name__


def connection_error(endpoint: Endpoint, reason: str) -> RunError:
    return RunError(f"--opcua: cannot reach an OPC UA server at {endpoint.url} ({reason})")
