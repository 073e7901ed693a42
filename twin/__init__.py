"""Lighthouse Twin: a SimPy digital twin of a production line.

The Python API for scripts and notebooks::

    import twin
    line = twin.load("configs/machining_line.yaml")
    results = twin.run(line, replications=20)
    results.summary()          # pandas DataFrame: mean and 95% CI per KPI
    results.station_summary()  # per station
    results.kpis               # one row per replication

    study = twin.load_study("configs/lighthouse_demo.yaml")
    comparison = twin.compare(study)          # conventional vs Industry 4.0, paired (CRN)
    comparison.difference()                   # per KPI: both means, paired difference, CI
    twin.business_case(comparison)            # savings, payback, ROI, NPV
    twin.attribute(study).one_at_a_time()     # what each lever buys
"""

from __future__ import annotations

__version__ = "0.1.0"

from twin.attribution import Attribution, attribute
from twin.business import BusinessCase, business_case, oee_bridge, six_big_losses
from twin.compare import Comparison, compare
from twin.config import Line
from twin.config.study import Study
from twin.errors import ConfigError
from twin.experiment import Results, run
from twin.io import config_hash, dump_yaml, line_from_text, load_study, study_from_text
from twin.io import load_line as load
from twin.levers import LEVER_LABELS, LEVER_NAMES
from twin.levers import apply as apply_levers

__all__ = [
    "LEVER_LABELS",
    "LEVER_NAMES",
    "Attribution",
    "BusinessCase",
    "Comparison",
    "ConfigError",
    "Line",
    "Results",
    "Study",
    "__version__",
    "apply_levers",
    "attribute",
    "business_case",
    "compare",
    "config_hash",
    "dump_yaml",
    "line_from_text",
    "load",
    "load_study",
    "oee_bridge",
    "run",
    "six_big_losses",
    "study_from_text",
]
