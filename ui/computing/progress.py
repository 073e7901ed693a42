"""Where the current setting's run stands, and the words the page uses for it (the same words in every
place that shows it). No Streamlit: the shell (ui/shell/progress.py) reads the session's cancelled
runs and draws the panel; this is what it says."""

from __future__ import annotations

from dataclasses import dataclass

from ui.computing.jobs import Job
from ui.presenting import escape


@dataclass(frozen=True)
class Status:
    """Where the current setting's run stands, as this session sees it."""

    valid: bool
    autorun: bool
    job: Job | None
    cancelled: bool
    """The user cancelled the run of this very setting (so it is not started again by itself)."""

    @property
    def running(self) -> bool:
        return self.job is not None and self.job.status == "running"

    def sentence(self) -> str:
        """Why there are no results for the current setting yet, and what to do (Markdown)."""
        if not self.valid:
            return "The current setting is not valid (see the message above), so it cannot run."
        if self.running:
            return "The current setting is running: its progress is at the top of the page."
        if self.job is not None and self.job.status == "failed":
            return f"The run of the current setting failed: {escape.markdown(self.job.error)}"
        if self.cancelled:
            return "You cancelled the run of the current setting. Press **Run comparison** to run it."
        if self.autorun:
            return "The current setting starts running now."
        return "Automatic runs are off: press **Run comparison** in the sidebar to run the current setting."


def job_line(job: Job) -> str:
    runs = f"{job.label}: {job.done}/{job.total} runs"
    note = f" · {job.note}" if job.note and job.done >= job.total else ""
    return f"{runs}{note} · {job.elapsed:.0f} s"
