"""Helpers of the app's tests: what a person reads in an element whose body is Markdown."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from twin.io import parse_yaml

_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def as_read(markdown: str) -> str:
    """The text a Markdown body shows once its backslash escapes are read (`a\\.b` → `a.b`); the app
    escapes every user-written text it puts in Markdown (ui.presenting.escape.markdown)."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")  # and the word joiners that stop autolinks


def errors(at) -> list[str]:
    """The error elements of an AppTest run, as read."""
    return [as_read(e.value) for e in at.error]


# ---------------------------------------------------------------------------------------------
# A study whose every user-written text is hostile: the demo with its names replaced

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "configs" / "lighthouse_demo.yaml"
OUTSIDE = "example.invalid"
"""The host every hostile image or link points at: a request to it means Markdown ran."""

LINE_NAME = f'<img src=x onerror="window.__pwned=1"> ![line](http://{OUTSIDE}/line.png) "quoted"'
STATIONS = {
    "Turning": '<img src=x onerror="window.__pwned=1">',
    "Milling": f"![m](http://{OUTSIDE}/milling.png)",
    "Drilling": "<script>window.__pwned=1</script>",
    "Grinding": "=cmd|' /C calc'!A0 [/] %{y} back\\",
    # control characters and bidi overrides are refused by the schema (tests/test_security_output.py)
    "Assembly and test": "ANSI :red[x] $x$ **b** `c` &lt;b&gt; [l](http://example.invalid)",
}
PRODUCTS = {"VB-100": "<img src=x onerror=window.__pwned=1>", "VB-200": f"![p](http://{OUTSIDE}/p.png)"}
CHARACTERISTIC = f"![c](http://{OUTSIDE}/c.png)<b>c</b>"
UNIT = "<i>mm</i>%{y}"
CURRENCY = f"![e](http://{OUTSIDE}/eur.png)<img src=x onerror=window.__pwned=1>"
HOSTILE_TEXTS = [LINE_NAME, *STATIONS.values(), *PRODUCTS.values(), CHARACTERISTIC, UNIT, CURRENCY]
"""Every hostile text of the study (each must reach the page and the report only as text)."""


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {names.get(k, k): _renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def hostile_study_text(replications: int = 2, horizon: str = "1d") -> str:
    """The demo study (levers, costs, quality, products) with hostile names everywhere, as YAML."""
    data = _renamed(parse_yaml(DEMO.read_text(encoding="utf-8")), {**STATIONS, **PRODUCTS})
    line = data["line"]
    line.update(name=LINE_NAME, replications=replications, horizon=horizon)
    line["costs"]["currency"] = CURRENCY
    for station in line["stations"]:
        if "quality" in station:
            station["quality"]["characteristic"].update(name=CHARACTERISTIC, unit=UNIT)
    data["levers"]["automation"]["stations"].append(STATIONS["Milling"])  # a lever's list shows it as a chip
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
