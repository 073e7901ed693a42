"""One home for every KPI's facts: what the KPI functions compute is exactly what the registry lists,
and a KPI the registry does not know is an error, never a default."""

import pytest

import twin
from twin import kpi_registry as registry
from twin.engine import simulate
from twin.kpi import line_kpis, station_kpis

LINE = """
horizon: 1d
warmup: 2h
source: {kind: arrivals, interarrival: {dist: exponential, mean: 1.2}}
stations:
  - name: A
    buffer: 3
    process: {dist: gamma, mean: 1, cv: 0.5}
    failures: {mtbf: 4h, mttr: 15min}
    energy: {busy: 5, idle: 1}
    quality: {characteristic: {name: d, unit: mm, nominal: 10, lsl: 9.9, usl: 10.1}, sigma: 0.03}
  - {name: B, process: 0.8}
costs: {currency: USD, period: month, material_per_part: 2}
"""


def test_the_kpi_functions_compute_exactly_what_the_registry_lists():
    line = twin.line_from_text(LINE)
    stats = simulate(line, 0, seed=3)
    assert set(line_kpis(line, stats)) == set(registry.LINE)
    assert set(station_kpis(line, stats.stations[0], 0, stats.observed_min)) == set(registry.STATION)


def test_an_unknown_kpi_is_an_error_not_a_default():
    with pytest.raises(KeyError, match="unknown line KPI 'throughput'"):
        registry.line_kpi("throughput")
    from ui.presenting import kpis

    with pytest.raises(KeyError):
        kpis.higher_is_better("no_such_kpi")


def test_units_name_the_lines_currency_and_period():
    line = twin.line_from_text(LINE)
    assert registry.line_kpi("cost_per_good_part").unit_for(line) == "USD"
    assert registry.line_kpi("cost_per_period").unit_for(line) == "USD/month"
    assert registry.line_kpi("energy_kwh").unit_for(line) == "kWh/month"
    bare = twin.line_from_text("stations: [{name: A, process: 1}]")
    assert registry.line_kpi("energy_kwh").unit_for(bare) == "kWh/week"


def test_shares_are_shown_in_percent_and_differences_in_points():
    oee = registry.line_kpi("oee")
    assert oee.text(0.651) == "65.1 %"
    assert oee.delta_text(0.021) == "+2.10 pp"
    assert registry.line_kpi("lead_time_min").improved(-3.0) is True
    assert registry.line_kpi("bottleneck_share").improved(0.1) is None


def test_what_a_kpi_needs_decides_whether_a_line_shows_it():
    line = twin.line_from_text(LINE)
    saturated = twin.line_from_text("stations: [{name: A, process: 1}]")
    wait = registry.line_kpi("source_wait_min")
    assert registry.shown_for(line, wait) and not registry.shown_for(saturated, wait)
    assert not registry.shown_for(saturated, registry.line_kpi("cpk"))
