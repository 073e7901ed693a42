"""Lighthouse Twin: a SimPy digital twin of a production line.

The Python API for scripts and notebooks::

    import twin
    line = twin.load("configs/machining_line.yaml")
    results = twin.run(line, replications=20)
    results.summary()          # pandas DataFrame: mean and 95% CI per KPI
    results.station_summary()  # per station
    results.kpis               # one row per replication
"""

from __future__ import annotations

__version__ = "0.1.0"

from twin.config import Line
from twin.errors import ConfigError
from twin.experiment import Results, run
from twin.io import line_from_text
from twin.io import load_line as load

__all__ = ["ConfigError", "Line", "Results", "__version__", "line_from_text", "load", "run"]
