"""The ideal cycle of a part is the mean process time of its own product (ISO 22400 performance).

With `process_by_product`, a station's `process` is only the default: judging every part against
it let performance and OEE reach 200% (process 2 min, both products 1 min). Exact deterministic
cases pin the part-by-part ideal time, the line's OEE and the constraint over the mix.
"""

from __future__ import annotations

import pytest
from conftest import make_line

import twin
from twin.kpi import constraint_index, ideal_cycle, product_mix

PRODUCTS = [{"name": "A"}, {"name": "B"}]


def test_both_products_quicker_than_the_default_keep_oee_at_most_one() -> None:
    """One saturated machine, 1 min for either product (default 2 min), 600 min: parts finish at
    1, 2, …, 599 (the one due at 600 is cut by the horizon), every one at its ideal cycle, and the
    machine is busy throughout: performance = OEE = 599 / 600 exactly (it was 2 × that)."""
    line = make_line([{"name": "M", "process": 2.0, "process_by_product": {"A": 1.0, "B": 1.0}}],
                     products=PRODUCTS, horizon=600, warmup=0)
    results = twin.run(line, replications=1, workers=1)
    station = results.stations.iloc[0]
    assert station["performance"] == pytest.approx(599 / 600, rel=1e-12)
    assert station["oee"] == pytest.approx(599 / 600, rel=1e-12)
    assert results.kpis["oee"].iloc[0] == pytest.approx(599 / 600, rel=1e-12)
    assert results.kpis["performance"].iloc[0] <= 1.0


def test_each_part_counts_its_own_product_ideal_cycle() -> None:
    """Lots of one A (1 min) then one B (3 min), default 2 min, 400 min: pairs end at 4k, so 100 A
    and 99 B finish (the B due at 400 is cut). Ideal time 100 × 1 + 99 × 3 = 397 of 400 busy
    minutes: performance 397/400, not 199 × 2 / 400."""
    line = make_line([{"name": "M", "process": 2.0, "process_by_product": {"A": 1.0, "B": 3.0}}],
                     products=PRODUCTS, release_sequence=["A", "B"], horizon=400, warmup=0)
    results = twin.run(line, replications=1, workers=1)
    run = results.runs[0]
    assert run.stations[0].completed_by_product == [100, 99]
    assert run.good_by_product == [100, 99]
    assert results.stations.iloc[0]["performance"] == pytest.approx(397 / 400, rel=1e-12)
    assert results.kpis["oee"].iloc[0] == pytest.approx(397 / 400, rel=1e-12)


def test_constraint_is_judged_over_the_product_mix() -> None:
    """Station Mill takes 1 min for both; Drill's default is 0.5 min but A needs 2 min there. With
    lots A×3, B×1 in sequence, 3/4 of the parts are A: Drill's ideal cycle over the mix is
    0.75 × 2 + 0.25 × 0.5 = 1.625 min, so Drill, not Mill, is the designed constraint."""
    line = make_line([{"name": "Mill", "process": 1.0},
                      {"name": "Drill", "process": 0.5, "process_by_product": {"A": 2.0}}],
                     products=[{"name": "A", "lot_size": 3}, {"name": "B"}],
                     release_sequence=["A", "B"])
    assert product_mix(line) == [0.75, 0.25]
    assert ideal_cycle(line, 1) == pytest.approx(1.625, rel=1e-12)
    assert constraint_index(line) == 1
