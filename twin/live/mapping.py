"""A plant's own node ids for the address space: which node holds which value (`--mapping FILE`).

The twin's address space (`twin.live.address`) is what the emulator publishes; a real line's
server names its tags its own way. A mapping file says where each value is, and how the plant's
machine states read as the twin's:

    nodes:
      Line/Clock: "ns=3;s=PLC1.ShiftClock"
      Line/Stations/Turning/Machines/1/State: "ns=3;s=PLC1.OP10.State"
    states:          # the plant's state codes (as text) → the twin's state names
      "1": busy
      "2": starved
      "4": down

A value not in `nodes` is looked up by its browse path under `Objects` in the namespace
`namespace` (urn:lighthouse-twin unless the file says otherwise).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from twin.config import Line
from twin.config.base import StrictModel, field_error
from twin.engine.states import STATES
from twin.errors import ConfigError, show
from twin.io import read_yaml, validate_as
from twin.live.address import NAMESPACE, forecast_values, line_values


class Mapping(StrictModel):
    namespace: str = Field(default=NAMESPACE, min_length=1, max_length=500)
    nodes: dict[str, str] = Field(default_factory=dict, max_length=100_000)
    """Key of the address space (`Line/Clock`) → the plant's node id (`ns=3;s=PLC1.Clock`)."""
    states: dict[str, str] = Field(default_factory=dict, max_length=1000)
    """A plant's machine state value, as text → a twin state name."""

    @field_validator("nodes")
    @classmethod
    def _node_ids_parse(cls, nodes: dict[str, str]) -> dict[str, str]:
        from asyncua import ua

        for key, node_id in nodes.items():
            try:
                ua.NodeId.from_string(node_id)
            except Exception:
                raise field_error(key, f"not an OPC UA node id (ns=3;s=Tag or ns=3;i=1001), "
                                       f"got {show(node_id)}") from None
        return nodes

    @field_validator("states")
    @classmethod
    def _states_known(cls, states: dict[str, str]) -> dict[str, str]:
        for code, name in states.items():
            if name not in STATES:
                raise field_error(code, f"must be one of {', '.join(STATES)}, got {show(name)}")
        return states

    def check_against(self, line: Line) -> None:
        """Every key must be a value of `line`'s address space (a typo would be silently unused)."""
        known = {v.key for v in line_values(line)} | {v.key for v in forecast_values()}
        for key in self.nodes:
            if key not in known:
                raise ConfigError(f"nodes.{key}: no such value in the address space of "
                                  f"{line.name!r} (see docs/live.md), got {show(key)}",
                                  field=f"nodes.{key}")

    def state_name(self, value: object) -> str:
        """The twin's name for a machine state as the server gave it."""
        text = str(value).strip()
        return self.states.get(text, text)


def load_mapping(path: Path | None, line: Line) -> Mapping:
    if path is None:
        return Mapping()
    mapping = validate_as(Mapping, read_yaml(path) or {}, str(path))
    try:
        mapping.check_against(line)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}", field=exc.field, source=str(path)) from None
    return mapping
