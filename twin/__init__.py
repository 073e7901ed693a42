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

    twin.sweep(study, [{"path": "stations[Milling].buffer", "values": [0, 2, 4, 8]}])
    twin.scenarios(study, [{"name": "today"}, {"name": "b8", "set": {"stations[0].buffer": 8}}])
    twin.sensitivity(study, factors, {"kind": "sobol", "samples": 64})   # docs/experiments.md
    twin.optimize("docs/examples/optimize_buffers.yaml").to_json()   # best design, with confidence
"""

from __future__ import annotations

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, str]] = {
    "Attribution": ("twin.attribution", "Attribution"),
    "attribute": ("twin.attribution", "attribute"),
    "BusinessCase": ("twin.business", "BusinessCase"),
    "business_case": ("twin.business", "business_case"),
    "oee_bridge": ("twin.losses", "oee_bridge"),
    "six_big_losses": ("twin.losses", "six_big_losses"),
    "check_reality": ("twin.checks.reality_run", "check_reality"),
    "check_theory": ("twin.checks.theory_run", "check_theory"),
    "Comparison": ("twin.comparison", "Comparison"),
    "compare": ("twin.comparison", "compare"),
    "Line": ("twin.config", "Line"),
    "Study": ("twin.config.study", "Study"),
    "ConfigError": ("twin.errors", "ConfigError"),
    "Results": ("twin.experiment", "Results"),
    "run": ("twin.experiment", "run"),
    "config_hash": ("twin.io", "config_hash"),
    "dump_yaml": ("twin.io", "dump_yaml"),
    "line_from_text": ("twin.io", "line_from_text"),
    "load_study": ("twin.io", "load_study"),
    "presets_in": ("twin.io", "presets_in"),
    "study_from_text": ("twin.io", "study_from_text"),
    "text_from_bytes": ("twin.io", "text_from_bytes"),
    "show": ("twin.errors", "show"),
    "check_workload": ("twin.workload", "check_study"),
    "load": ("twin.io", "load_line"),
    "LEVER_LABELS": ("twin.levers", "LEVER_LABELS"),
    "LEVER_NAMES": ("twin.levers", "LEVER_NAMES"),
    "apply_levers": ("twin.levers", "apply"),
    "Optimization": ("twin.experiments.optimize", "Optimization"),
    "optimize": ("twin.experiments.optimize", "optimize"),
    "Scenario": ("twin.experiments.scenarios", "Scenario"),
    "memoize_replications": ("twin.experiments.memo", "enable"),
    "run_experiment": ("twin.experiments.runner", "run_experiment"),
    "scenarios": ("twin.experiments.commands", "scenarios"),
    "sweep": ("twin.experiments.commands", "sweep"),
    "sensitivity": ("twin.experiments.commands", "sensitivity"),
    "load_experiment": ("twin.experiments.spec", "load_experiment"),
}


def __getattr__(name: str) -> object:
    """Import on first use: `twin validate` need not pay for pandas and the engine."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'twin' has no attribute {name!r}")
    import importlib

    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


__all__ = [
    "LEVER_LABELS",
    "LEVER_NAMES",
    "Attribution",
    "BusinessCase",
    "Comparison",
    "ConfigError",
    "Line",
    "Optimization",
    "Results",
    "Scenario",
    "Study",
    "__version__",
    "apply_levers",
    "attribute",
    "business_case",
    "check_reality",
    "check_theory",
    "check_workload",
    "compare",
    "config_hash",
    "dump_yaml",
    "line_from_text",
    "load",
    "load_experiment",
    "load_study",
    "memoize_replications",
    "oee_bridge",
    "optimize",
    "presets_in",
    "run",
    "run_experiment",
    "scenarios",
    "sensitivity",
    "show",
    "six_big_losses",
    "study_from_text",
    "sweep",
    "text_from_bytes",
]
