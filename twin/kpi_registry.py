"""Every KPI's facts in one place: label, unit, scale, direction, format and what the line needs.

The CLI's tables, the JSON, the app's cards and charts, attribution, the trainer's sentences and the
HTML report all read this registry; adding a KPI is adding one entry (and its formula in the module
named by `computed_by`). Asking for a KPI the registry does not know is an error, not a default.

Units may name the line's currency and cost period (`{currency}`, `{period}`); `unit_for` fills
them in, so "kWh/period" always says which period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from twin.config import Line

Needs = Literal["", "quality", "setups", "energy", "costs", "arrivals"]
"""The part of the model a KPI is about; without it the KPI is left out of tables (it is NaN/null)."""


@dataclass(frozen=True)
class KPI:
    name: str
    label: str
    unit: str = ""
    """Display unit after scaling: `%`, `/h`, `min`, `ppm`, `kWh`, `{currency}`, `kWh/{period}`."""
    scale: float = 1.0
    """Stored value × scale = displayed value (shares are stored as fractions, shown in %)."""
    higher_is_better: bool | None = True
    """Which way is an improvement; None when neither is (a characteristic's mean)."""
    needs: Needs = ""
    computed_by: str = "twin.kpi"
    """The module holding its formula."""
    short_label: str = ""
    """The label on a card, where space is short."""
    detail: bool = False
    """Kept out of the headline tables (still in JSON and CSV)."""
    digits: int = 3
    """Significant figures shown."""

    @property
    def card_label(self) -> str:
        return self.short_label or self.label

    @property
    def is_share(self) -> bool:
        return self.unit.startswith("%")

    def unit_for(self, line: Line | None = None) -> str:
        """The unit with the line's currency and cost period filled in."""
        costs = getattr(line, "costs", None)
        currency = costs.currency if costs is not None else ""
        period = costs.period if costs is not None else "week"
        return self.unit.format(currency=currency, period=period).strip().rstrip("/")

    def text(self, value: float | None, line: Line | None = None) -> str:
        """`value` in the display unit: 0.651 → '65.1 %', 8.65 → '8.65 /h'; '–' when undefined."""
        if value is None or not math.isfinite(value):
            return "–"
        return f"{fmt(value * self.scale, self.digits)} {self.unit_for(line)}".strip()

    def delta_text(self, delta: float | None, line: Line | None = None) -> str:
        """A signed difference: percentage points for shares, the KPI's unit otherwise."""
        if delta is None or not math.isfinite(delta):
            return "–"
        if abs(delta) < 1e-12:  # float noise of a difference that is really zero
            delta = 0.0
        sign = "+" if delta > 0 else "-" if delta < 0 else "±"
        unit = "pp" if self.is_share else self.unit_for(line)
        return f"{sign}{fmt(abs(delta) * self.scale, self.digits)} {unit}".strip()

    def improved(self, delta: float) -> bool | None:
        """Whether a change of `delta` is an improvement (None: no direction, or no change)."""
        if self.higher_is_better is None or not math.isfinite(delta) or delta == 0:
            return None
        return (delta > 0) == self.higher_is_better


def fmt(value: float | None, digits: int = 3) -> str:
    """`value` to about `digits` significant figures, with thousands separators; – when undefined."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude < -2:
        return f"{value:.{digits}g}"
    return f"{value:,.{max(0, digits - 1 - magnitude)}f}"


def _k(name: str, label: str, unit: str = "", scale: float = 1.0, better: bool | None = True,
       **facts: object) -> KPI:
    return KPI(name, label, unit, scale, better, **facts)  # type: ignore[arg-type]


_COST_ITEMS = ("machine", "labour", "energy", "maintenance", "material", "scrap", "escapes", "levers")

LINE: dict[str, KPI] = {k.name: k for k in [
    _k("throughput_per_hour", "Throughput (good parts)", "/h"),
    _k("lead_time_min", "Lead time", "min", better=False),
    _k("wip", "WIP (time average)", "parts", better=False),
    _k("availability", "Availability (constraint)", "%", 100.0),
    _k("performance", "Performance (constraint)", "%", 100.0),
    _k("quality_rate", "Quality rate", "%", 100.0),
    _k("oee", "OEE (line)", "%", 100.0),
    _k("bottleneck_share", "Bottleneck active share", "%", 100.0, None),
    _k("first_pass_yield", "First-pass yield", "%", 100.0, needs="quality"),
    _k("scrap_rate", "Scrap rate", "%", 100.0, False, needs="quality"),
    _k("escaped_ppm", "Escaped defects", "ppm", better=False, needs="quality"),
    _k("false_reject_rate", "False rejects (of good parts)", "%", 100.0, False, needs="quality"),
    _k("cp", "Cp", needs="quality"),
    _k("cpk", "Cpk", needs="quality", short_label="Cpk (worst characteristic)"),
    _k("characteristic_mean", "Characteristic mean", better=None, needs="quality", detail=True),
    _k("characteristic_sigma", "Characteristic sigma", better=False, needs="quality", detail=True),
    _k("defect_ppm", "Defects as produced", "ppm", better=False, needs="quality"),
    _k("unplanned_downtime_share", "Unplanned downtime", "% of machine time", 100.0, False),
    _k("changeover_share", "Changeovers and tool changes", "% of machine time", 100.0, False,
       needs="setups"),
    _k("changeover_min", "Changeover time (per setup)", "min", better=False, needs="setups"),
    _k("energy_kwh", "Energy", "kWh/{period}", better=False, needs="energy",
       computed_by="twin.energy"),
    _k("energy_kwh_per_good_part", "Energy per good part", "kWh", better=False, needs="energy",
       computed_by="twin.energy"),
    _k("co2_kg", "CO2", "kg/{period}", better=False, needs="energy", computed_by="twin.energy",
       detail=True),
    _k("co2_kg_per_good_part", "CO2 per good part", "kg", better=False, needs="energy",
       computed_by="twin.energy"),
    _k("cost_per_good_part", "Cost per good part", "{currency}", better=False, needs="costs",
       computed_by="twin.costs"),
    *[_k(f"cost_{item}_per_good_part", f"Cost per good part: {item}", "{currency}", better=False,
         needs="costs", computed_by="twin.costs", detail=True) for item in _COST_ITEMS],
    _k("cost_per_period", "Cost per period", "{currency}/{period}", better=False, needs="costs",
       computed_by="twin.costs"),
    *[_k(f"cost_{item}_per_period", f"Cost per period: {item}", "{currency}/{period}", better=False,
         needs="costs", computed_by="twin.costs", detail=True) for item in _COST_ITEMS],
]}
"""Line KPIs, in the order tables show them."""


def _station_kpis() -> list[KPI]:
    from twin.engine.states import STATE_LABELS, STATES

    shares = [_k(f"share_{state}", f"Share {STATE_LABELS.get(state, state)}", "%", 100.0, None)
              for state in STATES]
    return [*shares,
            _k("utilisation", "Utilisation", "%", 100.0, None),
            _k("availability", "Availability", "%", 100.0),
            _k("performance", "Performance", "%", 100.0),
            _k("quality_rate", "Quality rate", "%", 100.0),
            _k("oee", "OEE", "%", 100.0),
            _k("buffer_mean", "Buffer (time average)", "parts", better=None),
            _k("throughput_per_hour", "Throughput", "/h"),
            _k("failures_per_day", "Failures", "/day", better=False),
            _k("tool_changes_per_day", "Tool changes", "/day", better=False, needs="quality"),
            *(LINE[name] for name in ("cp", "cpk", "characteristic_mean", "characteristic_sigma",
                                      "defect_ppm")),
            _k("energy_kwh", "Energy", "kWh/{period}", better=False, needs="energy",
               computed_by="twin.energy"),
            _k("power_kw_mean", "Mean power", "kW", better=False, needs="energy",
               computed_by="twin.energy")]


STATION: dict[str, KPI] = {k.name: k for k in _station_kpis()}
"""Station KPIs (per station, per replication)."""


def line_kpi(name: str) -> KPI:
    """The registry entry of a line KPI; a KeyError naming it when the registry does not know it."""
    try:
        return LINE[name]
    except KeyError:
        raise KeyError(f"unknown line KPI {name!r} (twin.kpi_registry.LINE lists them)") from None


def station_kpi(name: str) -> KPI:
    try:
        return STATION[name]
    except KeyError:
        raise KeyError(f"unknown station KPI {name!r} (twin.kpi_registry.STATION lists them)") from None


def shown_for(line: Line, kpi: KPI) -> bool:
    """Whether the line models what the KPI is about (a line without quality blocks has no Cpk)."""
    match kpi.needs:
        case "quality":
            return any(s.quality is not None for s in line.stations)
        case "setups":
            return any(s.setup is not None or s.setup_pairs or s.quality is not None for s in line.stations)
        case "energy":
            return any(s.energy is not None for s in line.stations)
        case "costs":
            return line.costs is not None
        case "arrivals":
            return getattr(line.source, "kind", "") == "arrivals"
    return True
