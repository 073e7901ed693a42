"""Warnings that are not errors: the model is valid and the run is sound, but its user should know.

A tool that wears without limit, or a line that cannot keep up with its arrivals, gives numbers
that are right for the model and misleading for the shop floor. Each warning is a `Notice` naming
the field (or the part of the model) it is about; the CLI prints it as `warning: <field>: <message>`
on stderr and goes on. They are computed by functions of the line and its runs, never kept as state.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import TYPE_CHECKING

from twin.config import Line

if TYPE_CHECKING:  # the CLI imports this module to validate: keep it free of the engine
    from twin.engine.stats import RunStats

BACKLOG_GROWTH = 0.05
"""Warn when the parts waiting at the source or in the line grow by more than this share of the
window's arrivals (mean over replications). A stable line ends the window with about as many as it
started with, a number that does not grow with the window; one that cannot keep up gains
(λ − capacity) × window parts, a fixed share of the arrivals."""


@dataclass(frozen=True)
class Notice:
    """One warning: the field it is about (`stations[2].quality.drift_per_part`) and what to know."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def line_notices(line: Line) -> list[Notice]:
    """Warnings about a valid line, known before it runs (`twin validate` prints them)."""
    notices = []
    for index, spec in enumerate(line.stations):
        quality = spec.quality
        if (quality is not None and quality.drift_per_part != 0 and quality.tool_life is None
                and quality.control.policy == "none"):
            notices.append(Notice(
                f"stations[{index}].quality.drift_per_part",
                f"the tool wears {quality.drift_per_part:g} per part without limit (no tool_life and "
                "control: none), so the characteristic drifts further off nominal all run long; "
                "set tool_life or an spc/closed_loop control"))
    return notices


def run_notices(line: Line, runs: list[RunStats]) -> list[Notice]:
    """Warnings about what the runs of `line` show (`twin run` prints them after the tables)."""
    if line.source.kind != "arrivals" or not runs:
        return []
    arrived = fmean(run.arrived for run in runs)
    growth = fmean(run.arrived - run.departed - run.scrapped for run in runs)
    if arrived <= 0 or growth <= BACKLOG_GROWTH * arrived:
        return []
    return [Notice("source", (
        f"the line does not keep up with arrivals: the parts waiting at the source or in the line "
        f"grew by {growth:,.0f} over the window ({growth / arrived:.0%} of the {arrived:,.0f} "
        f"arrivals, mean of {len(runs)} replications), so the source backlog, the wait at the "
        "source and lead time from arrival grow with the horizon"))]
