"""The calibrated line as YAML a person can check: every fitted parameter carries a comment with its
family, number of observations, mean CI and goodness of fit, and what was assumed says so.

The text is written by hand (PyYAML drops comments) and read back through `twin.io.line_from_text`
before anyone sees it, so it is exactly what `twin validate` accepts and what `calibrate` found.
"""

from __future__ import annotations

from typing import Any

import yaml

from twin.calibration.calibrate import Calibration
from twin.io import line_from_text


def line_yaml(calibration: Calibration, source: str = "the log") -> str:
    """The calibrated line as commented YAML (checked to read back as the same line)."""
    line = calibration.line
    fits = calibration.fits
    found = calibration.shape
    out = [f"# Calibrated by `twin calibrate` from {_comment(source)}: {len(found.stations)} stations "
           f"over {calibration.span / 60:.1f} h of log.",
           "# Each fitted distribution: the family chosen by AIC among the schema's, its number of",
           "# observations n, the 95% CI of its mean and the Kolmogorov-Smirnov p-value of the fit.",
           f"name: {_flow(line.name)}", f"horizon: {_flow(line.horizon)}",
           f"warmup: {_flow(line.warmup)}", "source:"]
    source_spec = line.model_dump(mode="json", by_alias=True, exclude_defaults=False)["source"]
    out.append(f"  kind: {source_spec['kind']}")
    if "source.interarrival" in fits:
        out.append(_fitted("  interarrival", fits["source.interarrival"]))
    out.append("stations:")
    for index, station in enumerate(line.stations):
        where = f"stations[{index}]"
        name = station.name
        out.append(f"  - name: {_flow(name)}")
        out.append(f"    machines: {station.machines}  # most parts in process at once: "
                   f"{found.concurrency[name]}")
        if station.buffer is not None:
            seen = found.queues[name] == station.buffer
            held = "parts waited at the source" if index == 0 else "parts held upstream"
            why = f"seen full ({held})" if seen else "given by --buffer"
            out.append(f"    buffer: {station.buffer}  # {why}")
        elif index > 0 or not found.saturated:
            out.append(f"    # buffer: unbounded (assumed: never seen full; at most "
                       f"{found.queues[name]} waiting)")
        out.append(_fitted("    process", fits[f"{where}.process"]))
        if station.process_by_product:
            out.append("    process_by_product:")
            for product in station.process_by_product:
                out.append(_fitted(f"      {_flow(product)}", fits[f"{where}.process_by_product.{product}"]))
        if station.failures is not None:
            out.append("    failures:")
            out.append(_fitted("      mtbf", fits[f"{where}.failures.mtbf"], " (busy time)"))
            out.append(_fitted("      mttr", fits[f"{where}.failures.mttr"]))
        if station.setup is not None:
            out.append(_fitted("    setup", fits[f"{where}.setup"]))
        facts = calibration.quality.get(name, {})
        if "inspected" in facts:
            out.append(f"    # inspected {facts['inspected']:,}: scrap {facts['scrap_rate']:.2%}, "
                       f"rework {facts['rework_rate']:.2%} (not modelled here)")
        if "characteristic" in facts:
            c = facts["characteristic"]
            out.append(f"    # characteristic: n={c['n']:,}, mean {c['mean']:.6g}, sigma "
                       f"{c['sigma']:.4g}, drift {c['drift_per_hour']:.3g}/h (p={c['drift_p_value']:.2g})")
    if line.products:
        out.append("products:  # shares and lot sizes as released at the first station")
        for item in line.products:
            out.append(f"  - {_flow({'name': item.name, 'share': item.share, 'lot_size': item.lot_size})}")
    text = "\n".join(out) + "\n"
    if line_from_text(text, "calibrated line") != line:
        raise AssertionError("the calibrated YAML does not read back as the calibrated line")
    return text


def _fitted(key: str, fit: Any, what: str = "") -> str:
    return f"{key}: {_flow(fit.spec)}  # {_comment(fit.comment())}{what}"


def _flow(value: Any) -> str:
    """A value in YAML flow style on one line (strings quoted where YAML would misread them)."""
    return yaml.safe_dump([value], default_flow_style=True, width=10_000, allow_unicode=True,
                          sort_keys=False).strip()[1:-1]


def _comment(text: str) -> str:
    """Text safe inside a YAML comment: one line."""
    return " ".join(str(text).split())
