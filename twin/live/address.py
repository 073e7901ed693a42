"""The OPC UA address space of a line: one contract for the emulator that publishes it and the live
client that reads it (docs/live.md).

Every value has a *key*, its browse path below `Objects` (`Line/Clock`,
`Line/Stations/S1/Buffer`, `Line/Stations/S1/Machines/1/State`); machines are numbered from 1. The
emulator gives each node the string node id `ns=<urn:lighthouse-twin>;s=<key>`; a plant's server
names its nodes its own way, and a mapping file (`twin.live.mapping`) says which node holds which
key. Times are minutes on the line's clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.config import Line

NAMESPACE = "urn:lighthouse-twin"

LINE_VALUES: tuple[str, ...] = ("Name", "Clock", "ShiftEnd", "GoodParts", "Scrap", "WIP")
STATION_VALUES: tuple[str, ...] = ("Buffer", "PartsOut")
MACHINE_VALUES: tuple[str, ...] = ("State", "StateSince", "PartId", "Elapsed")
FORECAST_VALUES: tuple[str, ...] = ("Clock", "Mean", "P10", "P90", "P025", "P975", "ProbabilityTarget",
                                    "Bottleneck")
"""What `twin live --write-back` writes under `Line/Forecast/`."""

FAIL_METHOD = "Line/FailMachine"
"""The emulator's injection: FailMachine(station: String, machine: Int32) → String."""

VARIANT_TYPES: dict[str, str] = {
    "Name": "String", "Clock": "Double", "ShiftEnd": "Double", "GoodParts": "Int64", "Scrap": "Int64",
    "WIP": "Int64", "Buffer": "Int64", "PartsOut": "Int64", "State": "String", "StateSince": "Double",
    "PartId": "Int64", "Elapsed": "Double", "Mean": "Double", "P10": "Double", "P90": "Double",
    "P025": "Double", "P975": "Double", "ProbabilityTarget": "Double", "Bottleneck": "String",
}
"""The OPC UA type of each value, by its last name (`ua.VariantType` member names)."""


def line_key(name: str) -> str:
    return f"Line/{name}"


def station_key(station: str, name: str) -> str:
    return f"Line/Stations/{station}/{name}"


def machine_key(station: str, machine: int, name: str) -> str:
    """`machine` counts from 1, as the address space does."""
    return f"Line/Stations/{station}/Machines/{machine}/{name}"


def forecast_key(name: str) -> str:
    return f"Line/Forecast/{name}"


@dataclass(frozen=True)
class Value:
    """One published value: its key, the browse names leading to it from `Objects`, its type."""

    key: str
    path: tuple[str, ...]
    variant: str


def _value(path: tuple[str, ...]) -> Value:
    return Value("/".join(path), path, VARIANT_TYPES[path[-1]])


def line_values(line: Line) -> list[Value]:
    """Every value the address space of `line` holds (the forecast excluded), line first."""
    values = [_value(("Line", name)) for name in LINE_VALUES]
    for spec in line.stations:
        base = ("Line", "Stations", spec.name)
        values += [_value((*base, name)) for name in STATION_VALUES]
        for machine in range(1, spec.machines + 1):
            values += [_value((*base, "Machines", str(machine), name)) for name in MACHINE_VALUES]
    return values


def forecast_values() -> list[Value]:
    return [_value(("Line", "Forecast", name)) for name in FORECAST_VALUES]
