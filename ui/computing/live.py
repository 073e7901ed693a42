"""The Live page's machinery, without Streamlit: one desk per browser session holding the emulator
it started (if any) and the live twin following a server (twin.live), both on their own threads, so
the page only reads snapshots and draws."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import twin
from twin.live.emulator import Emulation
from twin.live.endpoint import Endpoint, free_loopback_port, parse_endpoint
from twin.live.server import EmulatorThread, quiet_asyncua
from twin.live.session import LiveSession, Snapshot
from twin.live.watch import LiveOptions, check_every

DEFAULT_SPEED = 60.0
DEFAULT_EVERY = 5.0


HOSTS_VARIABLE = "TWIN_LIVE_HOSTS"
"""Comma-separated host names or addresses (besides loopback) the app may connect to over OPC UA.
Anyone who opens the app can type a URL: without this list the server would connect wherever it is
told, which lets a stranger probe the server's network."""


def allowed_hosts() -> frozenset[str]:
    return frozenset(h.strip().lower() for h in os.environ.get(HOSTS_VARIABLE, "").split(",") if h.strip())


@dataclass
class LiveDesk:
    """What one browser session runs: an emulator of the current line, a live twin, or both."""

    emulator: EmulatorThread | None = None
    session: LiveSession | None = None
    line: twin.Line | None = None
    target: int | None = None
    notes: list[str] = field(default_factory=list)

    def emulate(self, line: twin.Line, speed: float = DEFAULT_SPEED) -> Endpoint:
        """Start the emulator on `line` on a free loopback port (seconds: an OPC UA server
        initialises its address space first); returns its endpoint."""
        self.stop()
        quiet_asyncua()
        endpoint = parse_endpoint(f"opc.tcp://127.0.0.1:{free_loopback_port()}")
        self.emulator = EmulatorThread(Emulation(line), endpoint, speed=speed).start()
        return endpoint

    def follow(self, line: twin.Line, url: str, target: int | None = None,
               every: float = DEFAULT_EVERY) -> None:
        """Follow the server at `url` with the live twin of `line` (a bad URL is a ConfigError)."""
        endpoint = parse_endpoint(url, "URL")
        if not (endpoint.loopback or endpoint.host.lower() in allowed_hosts()):
            raise twin.ConfigError(
                f"URL: the app connects only to this server's own OPC UA servers (loopback) or to "
                f"the hosts its operator lists in {HOSTS_VARIABLE}, got host {endpoint.host!r}",
                field="URL")
        if self.session is not None:
            self.session.stop()
        quiet_asyncua()
        self.line, self.target = line, target
        self.session = LiveSession(line, endpoint, LiveOptions(every=check_every(every), target=target,
                                                               seed=line.seed)).start()

    def fail(self, station: str, machine: int) -> str:
        if self.emulator is None or not self.emulator.running:
            return "the emulator is not running"
        return self.emulator.fail(station, machine)

    def snapshot(self) -> Snapshot | None:
        return self.session.snapshot() if self.session is not None else None

    @property
    def emulated_url(self) -> str | None:
        if self.emulator is None or not self.emulator.running:
            return None
        return self.emulator.server.endpoint.url

    def stop(self) -> None:
        """Stop the live twin and the emulator (their threads end within seconds)."""
        if self.session is not None:
            self.session.stop()
            self.session = None
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None
