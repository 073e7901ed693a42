"""End-to-end smoke: the reference preset runs and its KPIs are internally consistent."""

from pathlib import Path

import twin

ROOT = Path(__file__).resolve().parents[1]


def test_reference_line_runs_and_obeys_littles_law():
    line = twin.load(ROOT / "configs" / "reference_line.yaml")
    results = twin.run(line, replications=3, workers=1)
    summary = results.summary()
    throughput_per_min = summary.loc["throughput_per_hour", "mean"] / 60
    assert 0.70 < throughput_per_min < 0.76
    little = summary.loc["wip", "mean"] / (throughput_per_min * summary.loc["lead_time_min", "mean"])
    assert abs(little - 1) < 0.02
