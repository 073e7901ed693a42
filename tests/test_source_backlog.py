"""Parts waiting at the source: the backlog, the wait there and lead time from arrival, by hand.

An arrival line that cannot keep up used to report lead time 1 min and WIP 1 while most of its
parts waited at the source, unseen. These deterministic lines are counted part by part.
"""

from __future__ import annotations

import pytest
from conftest import make_line, poisson

import twin
from twin.diagnostics import run_notices
from twin.engine import simulate
from twin.kpi import line_kpis


def test_an_overloaded_arrival_line_counted_by_hand() -> None:
    """Arrivals every 0.5 min (at 0.5k), one 1-min machine, no buffer, 100.25 min. Part j is taken
    at j − 0.5 and ships at j + 0.5: 99 ship, 100 are released, 200 arrive, 100 still wait at the
    end. Part j waited (j − 0.5) − 0.5j = 0.5(j − 1): over the 99 shipped, 0.5 × 4,851 = 2,425.5,
    so the wait is 24.5 min and lead time from arrival 25.5 (from release 1). The backlog's
    integral is ∫ arrivals − ∫ releases = Σₖ (T − k/2) − Σⱼ (T − j + 0.5) = 10,000 − 5,025."""
    line = make_line([{"name": "M", "process": 1.0, "buffer": 0}],
                     source={"kind": "arrivals", "interarrival": 0.5}, horizon=100.25, warmup=0)
    results = twin.run(line, replications=1, workers=1)
    stats = results.runs[0]
    assert (stats.arrived, stats.released, stats.departed, stats.backlog_end) == (200, 100, 99, 100)
    kpis = line_kpis(line, stats)
    assert kpis["lead_time_min"] == 1.0
    assert kpis["source_wait_min"] == pytest.approx(24.5, rel=1e-12)
    assert kpis["lead_time_from_arrival_min"] == pytest.approx(25.5, rel=1e-12)
    assert kpis["source_backlog"] == pytest.approx(4975 / 100.25, rel=1e-12)
    assert kpis["source_backlog_end"] == 100
    [notice] = results.warnings()
    assert notice.field == "source" and "does not keep up with arrivals" in notice.message
    assert "grew by 101" in notice.message  # 200 arrived − 99 shipped


def test_a_stable_arrival_line_gives_no_backlog_warning() -> None:
    """λ = 0.5/min into a 1-min exponential machine (ρ = 0.5): the number in the system is a
    stationary chain with mean 1 and sd ~1.4, far below 5% of the ~720 arrivals a day, so the
    parts waiting grow by nothing like that and no warning is given."""
    line = make_line([{"name": "M", "process": {"dist": "exponential", "mean": 1.0}, "buffer": 3}],
                     source=poisson(0.5), horizon="1d", warmup="1h")
    results = twin.run(line, replications=5, workers=1)
    assert run_notices(line, results.runs) == []
    assert results.warnings() == []


def test_conwip_parts_the_first_buffer_cannot_hold_wait_at_the_source() -> None:
    """CONWIP with wip_cap 10 in front of one 1-min machine with a buffer of 2: the line holds 3
    (2 waiting, 1 on the machine) and the other 7 wait at the source. In steady state a part waits
    7 min at the source, 3 in the line: WIP 3, backlog 7, lead time from arrival 10 = wip_cap /
    throughput (Little). The window 20.5-120.25 sees the completions at 21, …, 120."""
    line = make_line([{"name": "M", "process": 1.0, "buffer": 2}],
                     source={"kind": "conwip", "wip_cap": 10}, horizon=120.25, warmup=20.5)
    stats = simulate(line, 0)
    kpis = line_kpis(line, stats)
    assert stats.departed == 100
    assert (kpis["wip"], kpis["source_backlog"], stats.backlog_start, stats.backlog_end) == (
        pytest.approx(3.0, rel=1e-12), pytest.approx(7.0, rel=1e-12), 7, 7)
    assert (kpis["lead_time_min"], kpis["source_wait_min"]) == (3.0, 7.0)
    assert kpis["lead_time_from_arrival_min"] == 10.0

