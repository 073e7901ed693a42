"""Twin vs theory as the app shows it: one table per exact case, every value formatted as the CLI
prints it. Cells are plain text (a dataframe shows them as they are); captions go through
`escape.markdown` where they are drawn. No Streamlit here."""

from __future__ import annotations

import math

import pandas as pd

from twin.checks.theory_run import Row, TheoryCheck, verdict_rows
from twin.kpi_registry import fmt


def case_tables(check: TheoryCheck) -> list[tuple[str, str, pd.DataFrame]]:
    """(subject, model, table) per case, in the order the check ran them."""
    rows = verdict_rows(check)
    out = []
    for result in check.results:
        subject = result.case.subject
        mine = [r for r in rows if r.subject == subject]
        out.append((subject, result.case.model, pd.DataFrame([_cells(r) for r in mine])))
    return out


def _cells(row: Row) -> dict[str, str]:
    where = f"{row.station}: " if row.station else ""
    unit = f" ({row.unit})" if row.unit else ""
    error = row.relative_error
    return {"KPI": f"{where}{row.kpi}{unit}", "exact": fmt(row.exact), "twin": fmt(row.twin),
            "95% CI": f"[{fmt(row.low)}, {fmt(row.high)}]",
            "rel. error": f"{error:+.1%}" if math.isfinite(error) else "–",
            "verdict": "inside" if row.inside else "outside"}
