"""The calibration report: what was fitted and how well, as JSON or a self-contained HTML page.

Everything the log's author wrote (station and product names) is escaped in the HTML; the JSON is
plain data (no NaN: missing numbers are null).
"""

from __future__ import annotations

import html
import json
from typing import Any

from twin.calibration.calibrate import Calibration


def fit_frame(calibration: Calibration) -> Any:
    """The fitted parameters as a table (one row per parameter: family, n, censored, mean and its
    CI, cv, KS p-value), for the terminal and the app."""
    import pandas as pd

    return pd.DataFrame([{
        "parameter": _named(calibration, path), "family": fit.family, "n": fit.n,
        "censored": fit.censored, "mean": fit.mean, "ci_low": fit.mean_ci[0],
        "ci_high": fit.mean_ci[1], "cv": fit.cv, "ks_p": fit.ks_p,
    } for path, fit in calibration.fits.items()])


def fit_table(calibration: Calibration) -> Any:
    """The fitted parameters as a rich table for the terminal (names escaped)."""
    from rich.table import Table

    from twin.display import markup

    table = Table(title=f"Calibrated line: {len(calibration.line.stations)} stations",
                  title_justify="left")
    for column in ("parameter", "family", "n", "mean", "95% CI", "cv", "KS p"):
        table.add_column(column, justify="left" if column in ("parameter", "family") else "right",
                         no_wrap=column != "parameter")
    for row in fit_frame(calibration).itertuples():
        table.add_row(markup(row.parameter), row.family, f"{row.n:,}", _num(row.mean),
                      f"{_num(row.ci_low, 3)}–{_num(row.ci_high, 3)}", _num(row.cv, 2),
                      _num(row.ks_p, 2))
    return table


def _named(calibration: Calibration, path: str) -> str:
    """`stations[1].process` as `Weld process` (what a person reads in a table)."""
    if not path.startswith("stations["):
        return path.replace(".", " ")
    index, rest = path[len("stations["):].split("]", 1)
    return f"{calibration.line.stations[int(index)].name} {rest.lstrip('.')}"


def report_json(calibration: Calibration) -> str:
    return json.dumps(calibration.to_json(), indent=2, allow_nan=False) + "\n"


def report_html(calibration: Calibration, source: str = "the log") -> str:
    data = calibration.to_json()
    rows = []
    for path, fit in data["fits"].items():
        ci = fit["mean_ci"]
        rows.append([path, fit["family"], fit["n"], fit["censored"], _num(fit["mean"]),
                     f"[{_num(ci[0])}, {_num(ci[1])}]", _num(fit["cv"]), _num(fit["ks_p"])])
    stations = [[s["name"], s["machines"], s["most_in_process"],
                 "unbounded" if s["buffer"] is None else s["buffer"], s["most_waiting"],
                 ", ".join(f"{k} {v:.1%}" for k, v in s["state_shares"].items() if v > 0)]
                for s in data["stations"]]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Calibration</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>",
        f"<h1>Calibration of {_esc(source)}</h1>",
        f"<p>{len(data['stations'])} stations over {calibration.span / 60:.1f} h of log; source: "
        f"{_esc(data['source'])}; {data['rework_visits']:,} rework visits.</p>",
        "<h2>Stations</h2>",
        _table(["station", "machines", "most in process", "buffer", "most waiting", "state shares"],
               stations),
        "<h2>Fitted distributions</h2><p>Family chosen by AIC among the line schema's; mean CI 95%; "
        "KS p-value of the complete values against the fit (optimistic: fitted on the same data)."
        "</p>",
        _table(["parameter", "family", "n", "censored", "mean", "mean 95% CI", "cv", "KS p"], rows),
    ]
    quality = [[s["name"], s["quality"].get("inspected", ""),
                _pct(s["quality"].get("scrap_rate")), _pct(s["quality"].get("rework_rate")),
                _characteristic(s["quality"].get("characteristic"))]
               for s in data["stations"] if s["quality"]]
    if quality:
        parts += ["<h2>Quality (not modelled in the line file)</h2>",
                  _table(["station", "inspected", "scrap", "rework", "characteristic"], quality)]
    for title, items in (("Warnings", data["warnings"]), ("Notes on the log", data["notes"])):
        if items:
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li>{_esc(i)}</li>" for i in items)
                         + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _esc(value: Any) -> str:
    from twin.display import plain

    return html.escape(plain(value))


def _num(value: float | None, digits: int = 4) -> str:
    return "" if value is None or value != value else f"{value:.{digits}g}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:.2%}"


def _characteristic(facts: dict[str, Any] | None) -> str:
    if not facts:
        return ""
    return (f"n={facts['n']}, mean {facts['mean']:.6g}, sigma {facts['sigma']:.4g}, drift "
            f"{facts['drift_per_hour']:.3g}/h (p={facts['drift_p_value']:.2g})")
