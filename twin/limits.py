"""The bounds on what one request may cost: every input is checked against them before work starts.

A line file, a study, an upload and a command line are all untrusted: a few hundred bytes of YAML
can ask for gigabytes or for a run that never ends. Each limit here is a documented promise
(docs/security.md); an operator who needs more sets the environment variable named beside it.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    """A limit from the environment (a positive whole number), or the default when unset or bad."""
    raw = os.environ.get(name, "").strip().replace("_", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return default


MAX_FILE_BYTES = _env_int("TWIN_MAX_FILE_BYTES", 1 << 20)
"""Largest YAML file or upload read (1 MiB; PyYAML parses about 150 kB/s, so ~7 s at worst)."""

MAX_YAML_NODES = _env_int("TWIN_MAX_YAML_NODES", 200_000)
"""Values a YAML document may hold once aliases are expanded (stops 'billion laughs' bombs)."""

MAX_YAML_DEPTH = _env_int("TWIN_MAX_YAML_DEPTH", 64)
"""Nesting depth of a YAML document (a line file needs about 8)."""

MAX_EVENTS_PER_REPLICATION = _env_int("TWIN_MAX_EVENTS_PER_REPLICATION", 20_000_000)
"""Estimated engine events (part visits, failures, repairs, setups, arrivals, shift changes) one
replication may take: about 5 minutes of one core for the SimPy engine."""

MAX_EVENTS_PER_REQUEST = _env_int("TWIN_MAX_EVENTS_PER_REQUEST", 400_000_000)
"""Estimated events of one command or app run over all its replications and scenarios."""

MAX_REPLICATIONS = _env_int("TWIN_MAX_REPLICATIONS", 100_000)
"""Replications of one line in one run (the schema's bound as well)."""

MAX_PARTS_IN_LINE = _env_int("TWIN_MAX_PARTS_IN_LINE", 100_000)
"""Parts a line may hold at once by construction (a CONWIP cap, a lot, an initial fill)."""

MAX_SEED = 2**63 - 1
"""Seeds are whole numbers from 0 to 2**63 - 1 (what numpy's SeedSequence takes without surprise)."""

MAX_WORKERS = _env_int("TWIN_MAX_WORKERS", max(1, os.cpu_count() or 1))
"""Local worker processes: never more than the machine's cores (nor than the tasks)."""

MAX_EXPERIMENT_POINTS = _env_int("TWIN_MAX_EXPERIMENT_POINTS", 10_000)
"""Scenarios (design points) of one experiment: a grid of six factors with ten values each is a
million points, refused before any is built; the events of all points together are bounded by
`MAX_EVENTS_PER_REQUEST` as well."""

MAX_LOG_BYTES = _env_int("TWIN_MAX_LOG_BYTES", 256 << 20)
"""Largest event or state log read (256 MiB: a week of a ten-station line is about 100 MiB of
CSV); the same bound holds for an upload."""

MAX_LOG_ROWS = _env_int("TWIN_MAX_LOG_ROWS", 5_000_000)
"""Rows of an event or state log (a Parquet file compresses far below its row count: checked on
its metadata before it is read)."""

MAX_LOG_COLUMNS = _env_int("TWIN_MAX_LOG_COLUMNS", 500)
"""Columns of an event or state log (a real MES export has a few dozen)."""
