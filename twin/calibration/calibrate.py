"""From a part-event log (and a machine-state log) to a line: `calibrate(events, states)`.

The pieces are measured by `structure` (stations, machines, buffers, source) and `downtime`
(net processing, failures, setups), each distribution is chosen by `fitting`, and the result is a
validated `Line` plus everything a reader needs to judge it: the fit behind every parameter, the
facts the line file cannot hold (scrap and rework rates, the characteristic's mean, sigma and
drift, state shares), and one-line warnings for whatever was assumed or is thin.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from twin.calibration.downtime import Downtime, downtime
from twin.calibration.fitting import MIN_OBSERVATIONS, Fit, fit_durations
from twin.calibration.structure import Shape, shape
from twin.config import Line
from twin.errors import ConfigError, show
from twin.eventlog.reader import Source, name_rows, read_events, read_states
from twin.eventlog.schema import END, ENTER, EXIT, REWORK, SCRAP, START
from twin.eventlog.visits import visits
from twin.io import validate_as


@dataclass
class Calibration:
    """A calibrated line and what it rests on."""

    line: Line
    fits: dict[str, Fit]
    """The fit behind each distribution, by its field path (`stations[1].failures.mtbf`)."""
    shape: Shape
    quality: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per station: inspected parts, scrap and rework rates, the characteristic's statistics."""
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the reader found in the logs (duplicates dropped, rows sorted...)."""
    span: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line.model_dump(mode="json", by_alias=True, exclude_unset=True),
            "span_min": self.span,
            "stations": [{"name": s, "machines": self.shape.machines[s],
                          "most_in_process": self.shape.concurrency[s],
                          "buffer": self.shape.buffers.get(s), "most_waiting": self.shape.queues[s],
                          "state_shares": self.shares.get(s, {}), "quality": self.quality.get(s, {})}
                         for s in self.shape.stations],
            "source": "saturated" if self.shape.saturated else "arrivals",
            "rework_visits": self.shape.rework_visits,
            "fits": {path: fit.to_json() for path, fit in self.fits.items()},
            "warnings": self.warnings, "notes": self.notes,
        }


def calibrate(events: pd.DataFrame, states: pd.DataFrame | None = None, *, buffer: int | None = None,
              name: str = "Calibrated line", notes: list[str] | None = None) -> Calibration:
    """The line a part-event log (canonical frame of `read_events`) and an optional machine-state
    log (`read_states`) describe; `buffer` is the capacity assumed where the log never shows one."""
    if events.empty:
        raise ConfigError("log: no events left to calibrate from")
    start = float(min(events["time"].min(), states["time"].min() if states is not None else math.inf))
    events = events.assign(time=events["time"] - start)  # a log on an epoch clock starts at 0 here
    table = visits(events)
    found = shape(table, buffer)
    warnings = list(found.warnings)
    if states is not None:
        states = states.assign(time=states["time"] - start)
        unknown = sorted(set(states["station"]) - set(found.stations))
        if unknown:
            warnings.append(f"state log: stations {', '.join(show(s) for s in unknown[:5])} have no "
                            f"part events; their states are not used")
    span = float(max(events["time"].max(), states["time"].max() if states is not None else 0.0))
    clocks = downtime(states, span) if states is not None else None
    if clocks is None:
        warnings.append("no state log: processing times are gross (a repair inside a cycle counts "
                        "as processing), and failures and setups are not inferred (give --states)")
    fits: dict[str, Fit] = {}
    products = _products(table, found.stations[0])
    stations = []
    for index, station in enumerate(found.stations):
        own = table.xs(station, level="station")
        where = f"stations[{index}]"
        spec: dict[str, Any] = {"name": station, "machines": found.machines[station]}
        if found.buffers.get(station) is not None:
            spec["buffer"] = found.buffers[station]
        times, rows = _processing(own, clocks, station, found.machines[station], warnings)
        spec["process"] = _fitted(fits, f"{where}.process", times, (), rows, station, "processing",
                                  warnings)
        if len(products) > 1:
            spec["process_by_product"] = _by_product(own, times, rows, products, fits, where,
                                                     station, warnings)
        if clocks is not None:
            _downtime_specs(spec, clocks, station, where, fits, warnings, len(products))
        stations.append(spec)
    source = _source(found, fits, warnings)
    document: dict[str, Any] = {"name": name, "horizon": _horizon(span), "warmup": 0.0,
                                "source": source, "stations": stations}
    if len(products) > 1:
        document["products"] = [{"name": p, "share": share, "lot_size": lot}
                                for p, (share, lot) in products.items()]
    line = validate_as(Line, document, "calibrated line")
    result = Calibration(line, fits, found, warnings=warnings, notes=list(notes or []), span=span,
                         shares=clocks.shares if clocks is not None else {})
    result.quality = {s: _quality(table.xs(s, level="station")) for s in found.stations}
    for station, facts in result.quality.items():
        if facts.get("scrap_rate") or facts.get("rework_rate"):
            warnings.append(f"{station}: scrap {facts['scrap_rate']:.1%}, rework "
                            f"{facts['rework_rate']:.1%} of {facts['inspected']:,} parts; the line "
                            f"file models scrap through a characteristic and its spec limits "
                            f"(docs/precision.md): not written, see the report")
    return result


def from_logs(events: Source, states: Source | None = None, *, mapping: Mapping[str, str] | None = None,
              time_unit: str = "min", state_names: Mapping[str, str] | str | Path | None = None,
              buffer: int | None = None, name: str = "Calibrated line",
              labels: tuple[str | None, str | None] = (None, None)) -> Calibration:
    """Read a part-event log and an optional state log (paths or uploaded bytes, `labels` naming
    them in messages) on one clock, and calibrate: what `twin calibrate` and the app's Data page
    do. The reader's findings are the result's `notes`."""
    notes: list[str] = []
    frame = read_events(events, mapping=mapping, time_unit=time_unit, notes=notes, label=labels[0])
    machine_states = None
    if states is not None:
        machine_states = read_states(states, mapping=mapping, time_unit=time_unit,
                                     origin=frame.attrs.get("origin"), state_names=state_names,
                                     notes=notes, label=labels[1])
    return calibrate(frame, machine_states, buffer=buffer, name=name, notes=notes)


def _by_product(own: pd.DataFrame, times: pd.Series, rows: pd.Series, products: dict[str, Any],
                fits: dict[str, Fit], where: str, station: str,
                warnings: list[str]) -> dict[str, Any]:
    """Process times per product, written only where a product's mean CI excludes the pooled mean
    (otherwise one distribution serves all products)."""
    pooled = fits[f"{where}.process"].mean
    found: dict[str, tuple[Fit, dict[str, Any]]] = {}
    for product in products:
        mask = (own["product"] == product).reindex(times.index, fill_value=False)
        if mask.sum() >= 1:
            path = f"{where}.process_by_product.{product}"
            spec = _fitted(fits, path, times[mask], (), rows[mask], station,
                           f"processing of {product}", warnings)
            found[product] = (fits[path], spec)
    differ = any(not fit.mean_ci[0] <= pooled <= fit.mean_ci[1] for fit, _ in found.values())
    if not differ:
        for product in found:
            del fits[f"{where}.process_by_product.{product}"]
        return {}
    return {product: spec for product, (_, spec) in found.items()}


def _processing(own: pd.DataFrame, clocks: Downtime | None, station: str, machines: int,
                warnings: list[str]) -> tuple[pd.Series, pd.Series]:
    """Processing times of a station's complete visits (net of interruptions when the state log
    covers the machine), and the rows they come from."""
    done = own[START].notna() & own[END].notna()
    if not done.any():
        return _from_departures(own, station, machines, warnings)
    visits_done = own[done]
    times = (visits_done[END] - visits_done[START]).astype(float)
    rows = visits_done["row_" + START]
    if clocks is not None:
        missing = []
        for machine, group in visits_done.groupby("machine"):
            clock = clocks.clocks.get((station, str(machine)))
            if clock is None:
                missing.append(str(machine))
                continue
            times.loc[group.index] = clock.busy_between(group[START].to_numpy(), group[END].to_numpy())
        if missing:
            warnings.append(f"{station}: machine(s) {', '.join(missing[:5])} have no rows in the state "
                            f"log; their processing times are gross")
    return times, rows


def _from_departures(own: pd.DataFrame, station: str, machines: int,
                     warnings: list[str]) -> tuple[pd.Series, pd.Series]:
    """A log with only ENTER/EXIT: a single machine's service time is the time from when it could
    start (its ENTER, or the previous part's EXIT) to its EXIT (blocking included)."""
    seen = own[own[ENTER].notna() & own[EXIT].notna()].sort_values(EXIT)
    free = seen[EXIT].shift(1).fillna(-math.inf)
    times = (seen[EXIT] - np.maximum(seen[ENTER], free)).astype(float)
    if machines > 1:
        times = (seen[EXIT] - seen[ENTER]).astype(float)
        warnings.append(f"{station}: no START/END and {machines} machines: processing times are "
                        f"taken as ENTER to EXIT (waiting included, an overestimate)")
    else:
        warnings.append(f"{station}: no START/END: processing times are taken from departures "
                        f"(ENTER or the previous EXIT to EXIT; blocking included)")
    return times, seen["row_" + ENTER]


def _fitted(fits: dict[str, Fit], path: str, values: Any, censored: Any, rows: pd.Series, station: str,
            what: str, warnings: list[str]) -> dict[str, Any]:
    values = np.asarray(values, dtype=float)
    positive = values[np.isfinite(values) & (values > 0)]
    if len(positive) == 0:
        raise ConfigError(f"{station}: no positive {what} time in the log ({name_rows(rows)}); "
                          f"cannot calibrate it")
    fit = fit_durations(positive, censored)
    fits[path] = fit
    if fit.n < MIN_OBSERVATIONS:
        warnings.append(f"{station}: only {fit.n} {what} time(s) ({name_rows(rows)}): too few to "
                        f"choose a distribution; {fit.family} with mean {fit.mean:.4g} min")
    return fit.spec


def _downtime_specs(spec: dict[str, Any], clocks: Downtime, station: str, where: str,
                    fits: dict[str, Fit], warnings: list[str], n_products: int) -> None:
    ttr, ttr_open = clocks.ttr.get(station, []), clocks.ttr_censored.get(station, [])
    if ttr or ttr_open:
        if not ttr:
            warnings.append(f"{station}: its only failure is still under repair at the end of the "
                            f"log; no repair time to fit")
        else:
            ttf = clocks.ttf.get(station, [])
            ttf_open = clocks.ttf_censored.get(station, [])
            failures: dict[str, Any] = {}
            for key, values, censored, what in (("mtbf", ttf, ttf_open, "time between failures"),
                                                ("mttr", ttr, ttr_open, "repair")):
                fit = fit_durations(values, censored, random=True)
                fits[f"{where}.failures.{key}"] = fit
                failures[key] = fit.spec
                if fit.n < MIN_OBSERVATIONS:
                    warnings.append(f"{station}: only {fit.n} {what} observation(s): "
                                    f"{fit.family} with mean {fit.mean:.4g} min "
                                    f"({fit.comment().split(', ', 2)[-1]})")
            spec["failures"] = failures
    setups = clocks.setups.get(station, [])
    if setups:
        if n_products < 2:
            warnings.append(f"{station}: {len(setups)} setup(s) in the state log but one product in "
                            f"the part log; the twin sets up only at product changes: not written")
        else:
            fit = fit_durations(setups)
            fits[f"{where}.setup"] = fit
            spec["setup"] = fit.spec
    other = {s: share for s, share in clocks.shares.get(station, {}).items()
             if s in ("maintenance", "tool_change", "off", "waiting_operator") and share > 0}
    if other:
        named = ", ".join(f"{s} {share:.1%}" for s, share in other.items())
        warnings.append(f"{station}: {named} of its time in states not calibrated (maintenance "
                        f"policy, tool changes, shifts, operators); processing times are net of them")


def _source(found: Shape, fits: dict[str, Fit], warnings: list[str]) -> dict[str, Any]:
    if found.saturated:
        return {"kind": "saturated"}
    gaps = found.interarrivals[found.interarrivals > 0]
    if len(gaps) < 2:
        warnings.append("source: fewer than 3 arrivals at the first station; taken as saturated")
        return {"kind": "saturated"}
    fit = fit_durations(gaps, random=True)
    fits["source.interarrival"] = fit
    return {"kind": "arrivals", "interarrival": fit.spec}


def _products(table: pd.DataFrame, first: str) -> dict[str, tuple[float, int]]:
    """{product: (share of parts, typical lot size)} from the parts' first visits."""
    if "product" not in table:
        return {}
    own = table.xs(first, level="station")
    start = own[START].fillna(own[ENTER])
    sequence = own.assign(_t=start).sort_values("_t")["product"]
    sequence = sequence[sequence != ""]
    if sequence.nunique() < 2:
        return {}
    runs = (sequence != sequence.shift()).cumsum()
    lengths = sequence.groupby(runs).agg(["first", "size"]).iloc[1:-1]  # the ends are cut short
    counts = sequence.value_counts()
    return {str(p): (round(float(counts[p] / counts.sum()), 4), _lot_size(lengths, p))
            for p in sorted(counts.index)}


def _lot_size(runs: pd.DataFrame, product: str) -> int:
    """The most common run length of a product: lots of one product drawn one after the other
    merge into runs of 2, 3... lots, but a single lot is the likeliest run."""
    own = runs.loc[runs["first"] == product, "size"]
    return int(own.mode().min()) if len(own) else 1


def _quality(own: pd.DataFrame) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    decided = own["outcome"][own["outcome"] != ""] if "outcome" in own else pd.Series(dtype=object)
    if len(decided):
        facts["inspected"] = len(decided)
        facts["scrap_rate"] = float((decided == SCRAP).mean())
        facts["rework_rate"] = float((decided == REWORK).mean())
    values = own[["value", END]].dropna() if "value" in own else pd.DataFrame()
    if len(values) >= 3:
        slope = stats.linregress(values[END].to_numpy() / 60.0, values["value"].to_numpy())
        facts["characteristic"] = {"n": len(values), "mean": float(values["value"].mean()),
                                   "sigma": float(values["value"].std(ddof=1)),
                                   "drift_per_hour": float(slope.slope),
                                   "drift_p_value": float(slope.pvalue)}
    return facts


def _horizon(span: float) -> float:
    """The log's span, rounded up to a whole minute (the twin's run covers the whole log)."""
    return float(max(1.0, math.ceil(span)))
