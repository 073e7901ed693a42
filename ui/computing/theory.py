"""Twin vs theory for the app: which exact models the current line has, and the job that runs them
(`twin.checks`), in the result store like every other run. No Streamlit here."""

from __future__ import annotations

import twin
from twin.checks.exact import exact_cases
from twin.checks.theory_run import TheoryCheck, check_theory
from ui.computing.jobs import Job, workers_for


def theory_key(study: twin.Study) -> str:
    """The store's key of a line's theory check: its line's config hash (levers play no part)."""
    return f"{twin.config_hash(study.line)}:theory"


def case_count(study: twin.Study) -> int:
    """How many exact cases the check would run (0: nothing applies), for the button's label."""
    return len(exact_cases(study.line)[0])


def run_theory(study: twin.Study, job: Job) -> TheoryCheck:
    """The check at the line's own replications (at least 2: an interval needs them)."""
    replications = max(2, study.line.replications)
    cases = max(1, case_count(study))
    return check_theory(study.line, replications=replications, workers=workers_for(study, cases),
                        progress=job.progress)
