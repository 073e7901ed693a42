"""OPC UA endpoint URLs, checked before any socket opens: `opc.tcp://host:port[/path]`.

The emulator listens on the loopback interface only unless told otherwise: an emulated line is a
training prop, and an OPC UA server without security on a shop-floor network is an open door
(docs/security.md). A client may connect anywhere.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from twin.display import plain
from twin.errors import ConfigError

LOOPBACK_NAMES = frozenset({"localhost"})


@dataclass(frozen=True)
class Endpoint:
    url: str
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        if self.host.lower() in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_endpoint(url: str, option: str = "--opcua") -> Endpoint:
    """`url` as an `Endpoint`, or a one-line ConfigError naming `option` and the value."""
    shown = plain(url)[:200]
    problem = None
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
        parts = None
        problem = "not a URL"
    if problem is None and parts is not None:
        if parts.scheme != "opc.tcp":
            problem = "must start with opc.tcp://"
        elif not host:
            problem = "names no host"
        elif port is None:
            problem = "names no port (opc.tcp://127.0.0.1:4840)"
        elif not 1 <= port <= 65535:
            problem = "port must be 1-65535"
        elif parts.username or parts.password or parts.query or parts.fragment:
            problem = "may not carry credentials, a query or a fragment"
    if problem is not None or host is None or port is None:
        raise ConfigError(f"{option}: {problem or 'not a URL'}, got {shown!r}", field=option.lstrip("-"))
    return Endpoint(url.strip(), host, port)


def listen_endpoint(url: str, allow_remote: bool = False) -> Endpoint:
    """The endpoint the emulator may listen on: loopback only unless `allow_remote`."""
    endpoint = parse_endpoint(url)
    if not endpoint.loopback and not allow_remote:
        raise ConfigError(f"--opcua: the emulator listens on loopback only (127.0.0.1, localhost); "
                          f"pass --allow-remote to listen on another address, got {plain(url)!r}",
                          field="opcua")
    return endpoint


def free_loopback_port() -> int:
    """A TCP port free on 127.0.0.1 now (for an emulator started by a program, not a person)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
