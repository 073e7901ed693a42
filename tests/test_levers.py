"""Each Industry 4.0 lever, alone: what it changes in the line, and what that does to the KPIs.

Two views of every lever:
- on the line itself (`twin.levers.apply` on a small purpose-built line, no simulation): the lever
  changes exactly the fields it names, on the stations it names, and nothing else; it is pure
  (input untouched, same output every time) and adds its investment to the line's costs;
- on the KPIs (`compare` with common random numbers, one lever at a time): it moves the KPIs it
  should, in the right direction (paired 95% CI clear of zero), and leaves the others alone.
  Where the lever cannot touch the dynamics (energy management), "alone" means *exactly equal* on
  every replication; where it changes timing, the KPIs it has no mechanism to move are held to a
  small band (the observation window then holds slightly different parts).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import twin
from twin import levers as lever_functions
from twin.cli import app
from twin.comparison import Comparison, compare
from twin.config.costs import PERIOD_MINUTES
from twin.config.dists import dist_cv, dist_mean
from twin.config.line import PredictiveMaintenance, ReactiveMaintenance
from twin.config.quality import ClosedLoopControl
from twin.energy import power_by_state
from twin.engine.states import STATES

SEED = 11
REPLICATIONS = 4


def cell_line() -> dict[str, Any]:
    """Three stations with everything a lever can act on: failures with a repair crew, a drifting
    characteristic with tool changes and end-of-line inspection, a product mix with setups,
    operators, power draws and costs. Pack (longest mean cycle) is the one automation targets."""
    energy = {"busy": 10.0, "idle": 4.0, "down": 1.0, "setup": 4.0, "off": 0.5}
    return {
        "name": "Lever test cell",
        "horizon": "2d", "warmup": "4h", "replications": REPLICATIONS, "seed": SEED,
        "operators": {"count": 3},
        "maintenance_crew": 1,
        "products": [{"name": "A", "share": 0.5, "lot_size": 20},
                     {"name": "B", "share": 0.5, "lot_size": 20}],
        "stations": [
            {"name": "Cut", "buffer": 4,
             "process": {"dist": "lognormal", "mean": 1.0, "cv": 0.3},
             "process_by_product": {"B": {"dist": "lognormal", "mean": 1.1, "cv": 0.3}},
             "setup": 10.0, "operator": {"process": False, "setup": True},
             "failures": {"mtbf": {"dist": "exponential", "mean": "5h"},
                          "mttr": {"dist": "exponential", "mean": 20.0}},
             "quality": {"characteristic": {"name": "d", "unit": "mm", "nominal": 0.0,
                                            "lsl": -0.03, "usl": 0.03},
                         "sigma": 0.008, "drift_per_part": 0.0001, "tool_life": 200,
                         "tool_change": 5.0, "measurement_sigma": 0.001},
             "inspection": {"where": "end_of_line", "action": "scrap"},
             "energy": energy},
            {"name": "Finish", "buffer": 4,
             "process": {"dist": "lognormal", "mean": 1.1, "cv": 0.3},
             "setup": 8.0,
             "failures": {"mtbf": {"dist": "exponential", "mean": "6h"},
                          "mttr": {"dist": "exponential", "mean": 25.0}},
             "energy": {**energy, "busy": 8.0, "idle": 3.0, "setup": 3.0}},
            {"name": "Pack",
             "process": {"dist": "lognormal", "mean": 1.25, "cv": 0.5},
             "operator": {"process": True, "setup": False},
             "energy": {**energy, "busy": 3.0, "idle": 1.5, "setup": 1.5}},
        ],
        "costs": {"material_per_part": 10.0, "scrap_cost_per_part": 2.0,
                  "escape_cost_per_part": 100.0, "labour_rate_per_hour": 40.0,
                  "energy_price_per_kwh": 0.12, "maintenance_rate_per_hour": 50.0,
                  "spare_parts_per_repair": 30.0,
                  "stations": {"Cut": {"machine_rate_per_hour": 40.0},
                               "Finish": {"machine_rate_per_hour": 30.0},
                               "Pack": {"machine_rate_per_hour": 10.0}}},
    }


LEVERS: dict[str, Any] = {
    "predictive_maintenance": {},
    "closed_loop_quality": {"stations": ["Cut"]},
    "automation": {"stations": ["Pack"], "operators_saved": 1},
    "quick_changeover": {},
    "energy_management": {},
}


def make_study(line: dict[str, Any] | None = None, levers: dict[str, Any] | None = None) -> twin.Study:
    return twin.Study.model_validate({"line": line or cell_line(), "levers": levers or LEVERS})


def flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """A config as {path: leaf value}: `stations[0].quality.sigma` → 0.008."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, item in enumerate(value):
            out.update(flat(item, f"{prefix}[{index}]"))
        return out or {prefix: []}
    return {prefix: value}


def changed_paths(before: twin.Line, after: twin.Line) -> set[str]:
    a, b = flat(before.model_dump(mode="json")), flat(after.model_dump(mode="json"))
    return {p for p in a.keys() | b.keys() if a.get(p, "<absent>") != b.get(p, "<absent>")}


# --- purity ----------------------------------------------------------------------------------------

ALL = list(twin.LEVER_NAMES)


@pytest.mark.parametrize("names", [[n] for n in ALL] + [ALL], ids=[*ALL, "all"])
def test_apply_is_pure_and_deterministic(names):
    study = make_study()
    before = study.line.model_dump(mode="json")
    first = twin.apply_levers(study.line, study.levers, names)
    again = twin.apply_levers(study.line, study.levers, names)
    assert study.line.model_dump(mode="json") == before, "the input line was modified"
    assert first is not study.line
    assert first == again and twin.config_hash(first) == twin.config_hash(again)
    assert first != study.line


def test_applying_no_lever_returns_an_equal_line():
    study = make_study()
    same = twin.apply_levers(study.line, study.levers, [])
    assert same == study.line
    assert twin.config_hash(same) == twin.config_hash(study.line)
    assert changed_paths(study.line, same) == set()


def test_levers_switched_off_are_not_enabled_and_order_does_not_matter():
    off = make_study(levers={k: {**v, "enabled": False} for k, v in LEVERS.items()})
    assert lever_functions.enabled(off.levers) == []
    study = make_study()
    assert lever_functions.enabled(study.levers) == ALL
    # --levers picks from the configured ones, in canonical order whatever the order given
    assert lever_functions.enabled(off.levers, ["energy_management", "automation"]) == [
        "automation", "energy_management"]
    forward = twin.apply_levers(study.line, study.levers, ALL)
    backward = twin.apply_levers(study.line, study.levers, list(reversed(ALL)))
    assert forward == backward


def test_unknown_or_unconfigured_lever_names_are_config_errors():
    study = make_study(levers={"automation": {"stations": ["Pack"]}})
    with pytest.raises(twin.ConfigError, match=r"unknown lever 'teleport'.*predictive_maintenance"):
        lever_functions.enabled(study.levers, ["teleport"])
    with pytest.raises(twin.ConfigError, match=r"'quick_changeover' is not configured"):
        lever_functions.enabled(study.levers, ["quick_changeover"])


# --- what each lever changes in the line ----------------------------------------------------------

# Every path a lever may change (besides its investment in costs.investments), on the cell line.
ALLOWED = {
    "predictive_maintenance": r"stations\[[01]\]\.maintenance\.\w+",
    "closed_loop_quality": r"stations\[0\]\.(quality\.(control\.\w+|sigma)|inspection\.where)",
    "automation": r"stations\[2\]\.process\.(mean|cv)|operators\.count",
    "quick_changeover": r"stations\[[01]\]\.(setup\.mean|quality\.tool_change)",
    "energy_management": r"stations\[[012]\]\.energy\.idle",
}
# ... and the paths it must change (so a lever that does nothing fails too).
REQUIRED = {
    "predictive_maintenance": {"stations[0].maintenance.policy", "stations[1].maintenance.policy"},
    "closed_loop_quality": {"stations[0].quality.control.policy", "stations[0].quality.sigma",
                            "stations[0].inspection.where"},
    "automation": {"stations[2].process.mean", "stations[2].process.cv", "operators.count"},
    "quick_changeover": {"stations[0].setup.mean", "stations[1].setup.mean",
                         "stations[0].quality.tool_change"},
    "energy_management": {"stations[0].energy.idle", "stations[1].energy.idle",
                          "stations[2].energy.idle"},
}


@pytest.mark.parametrize("name", ALL)
def test_each_lever_changes_only_what_it_names(name):
    study = make_study()
    after = twin.apply_levers(study.line, study.levers, [name])
    paths = changed_paths(study.line, after)
    investments = {p for p in paths if p.startswith("costs.investments")}
    others = paths - investments
    stray = {p for p in others if not re.fullmatch(ALLOWED[name], p)}
    assert not stray, f"{name} changed fields it does not name: {sorted(stray)}"
    assert REQUIRED[name] <= others, sorted(REQUIRED[name] - others)
    assert investments, "the lever's investment is missing from costs.investments"


def test_predictive_maintenance_sets_the_predictive_policy_on_stations_with_failures():
    line = cell_line()
    line["stations"][1]["maintenance"] = {"policy": "preventive", "interval": "8h", "duration": 30}
    study = make_study(line, {"predictive_maintenance": {"recall": 0.7, "lead_time": "2h",
                                                          "planned_repair_factor": 0.3,
                                                          "false_alarms_per_week": 1.5}})
    after = twin.apply_levers(study.line, study.levers, ["predictive_maintenance"])
    expected = PredictiveMaintenance(recall=0.7, lead_time=120.0, planned_repair_factor=0.3,
                                     false_alarms_per_week=1.5)
    assert after.stations[0].maintenance == expected
    assert after.stations[1].maintenance == expected  # replaces the time-based plan
    assert after.stations[2].maintenance == ReactiveMaintenance()  # no failures, nothing to predict
    assert [s.failures for s in after.stations] == [s.failures for s in study.line.stations]


def test_predictive_maintenance_defaults():
    lever = make_study().levers.predictive_maintenance
    assert (lever.recall, lever.lead_time, lever.planned_repair_factor,
            lever.false_alarms_per_week) == (0.5, 60.0, 0.5, 0.5)


def test_closed_loop_quality_equips_the_named_stations():
    line = cell_line()
    grind = {**line["stations"][0], "name": "Grind", "inspection": None,
             "quality": {**line["stations"][0]["quality"], "sigma": 0.01}}
    line["stations"].insert(1, grind)
    study = make_study(line, {"closed_loop_quality": {"stations": ["Cut"], "gain": 0.3,
                                                      "measurement_sigma": 0.0005}})
    after = twin.apply_levers(study.line, study.levers, ["closed_loop_quality"])
    cut, grind_after = after.stations[0], after.stations[1]
    assert cut.quality.control == ClosedLoopControl(gain=0.3)
    assert cut.quality.sigma == pytest.approx(0.008 * 0.8, rel=1e-12)
    assert cut.quality.measurement_sigma == 0.0005
    assert cut.inspection.where == "inline" and cut.inspection.action == "scrap"
    assert cut.quality.tool_life == 200 and cut.quality.drift_per_part == 0.0001  # wear stays
    assert grind_after == study.line.stations[1]  # not named: untouched
    # stations absent: every station with a characteristic; no inspection before → in-line scrap
    every = make_study(line, {"closed_loop_quality": {"inline_inspection": True}})
    after = twin.apply_levers(every.line, every.levers, ["closed_loop_quality"])
    assert after.stations[1].quality.control.policy == "closed_loop"
    assert after.stations[1].inspection.where == "inline"
    assert after.stations[1].quality.measurement_sigma == 0.001  # kept when the lever gives none
    assert after.stations[2] == every.line.stations[2]  # no characteristic: untouched


def test_automation_speeds_and_steadies_the_named_stations_only():
    line = cell_line()
    line["stations"][2]["process_by_product"] = {"B": {"dist": "normal", "mean": 1.4, "cv": 0.2}}
    study = make_study(line, {"automation": {"stations": ["Pack"], "operators_saved": 1}})
    after = twin.apply_levers(study.line, study.levers, ["automation"])
    pack, new = study.line.stations[2], after.stations[2]
    assert dist_mean(new.process) == pytest.approx(0.9 * dist_mean(pack.process), rel=1e-12)
    assert dist_cv(new.process) == pytest.approx(0.5 * dist_cv(pack.process), rel=1e-12)
    b0, b1 = pack.process_by_product["B"], new.process_by_product["B"]
    assert (b1.mean, b1.cv) == pytest.approx((0.9 * b0.mean, 0.5 * b0.cv), rel=1e-12)
    assert after.stations[:2] == study.line.stations[:2]
    assert after.operators.count == 2
    # never below one operator
    many = make_study(line, {"automation": {"stations": ["Pack"], "operators_saved": 7}})
    assert twin.apply_levers(many.line, many.levers, ["automation"]).operators.count == 1


SHAPES = [
    {"dist": "lognormal", "mean": 2.0, "cv": 0.4},
    {"dist": "normal", "mean": 2.0, "cv": 0.2},
    {"dist": "gamma", "mean": 2.0, "cv": 0.6},
    {"dist": "exponential", "mean": 2.0},
    {"dist": "triangular", "min": 1.0, "mode": 2.0, "max": 3.0},
    {"dist": "uniform", "min": 1.0, "max": 3.0},
    {"dist": "empirical", "values": [1.0, 2.0, 3.0]},
    {"dist": "weibull", "mean": 2.0, "shape": 2.0},
]


@pytest.mark.parametrize("process", SHAPES, ids=lambda p: p["dist"])
def test_automation_scales_mean_and_cv_of_every_process_shape(process):
    study = make_study({"stations": [{"name": "M", "process": process}]},
                       {"automation": {"stations": ["M"]}})
    after = twin.apply_levers(study.line, study.levers, ["automation"])
    before, new = study.line.stations[0].process, after.stations[0].process
    assert dist_mean(new) == pytest.approx(0.9 * dist_mean(before), rel=1e-9)
    assert dist_cv(new) == pytest.approx(0.5 * dist_cv(before), rel=1e-9)


def test_quick_changeover_shortens_setups_and_tool_changes_and_nothing_else():
    line = cell_line()
    line["stations"][1]["setup_pairs"] = [{"from": "A", "to": "B", "time": 12.0}]
    study = make_study(line, {"quick_changeover": {"setup_factor": 0.25}})
    after = twin.apply_levers(study.line, study.levers, ["quick_changeover"])
    assert dist_mean(after.stations[0].setup) == pytest.approx(2.5)
    assert dist_mean(after.stations[1].setup) == pytest.approx(2.0)
    assert dist_mean(after.stations[1].setup_pairs[0].time) == pytest.approx(3.0)
    assert after.stations[0].quality.tool_change == pytest.approx(1.25)
    for old, new in zip(study.line.stations, after.stations, strict=True):
        assert new.failures == old.failures and new.maintenance == old.maintenance
        assert new.process == old.process


def test_energy_management_scales_idle_power_only():
    study = make_study()
    after = twin.apply_levers(study.line, study.levers, ["energy_management"])
    for old, new in zip(study.line.stations, after.stations, strict=True):
        assert new.energy.idle == pytest.approx(0.4 * old.energy.idle, rel=1e-12)
        assert (new.energy.busy, new.energy.down, new.energy.setup, new.energy.off) == (
            old.energy.busy, old.energy.down, old.energy.setup, old.energy.off)


IDLE_STATES = {"starved", "blocked", "waiting_operator"}


def test_energy_management_leaves_setup_power_alone_when_it_defaults_to_idle():
    study = make_study({"stations": [{"name": "M", "process": 1.0,
                                      "energy": {"busy": 10.0, "idle": 4.0}}]},
                       {"energy_management": {}})
    after = twin.apply_levers(study.line, study.levers, ["energy_management"])
    old, new = power_by_state(study.line.stations[0].energy), power_by_state(after.stations[0].energy)
    for i, state in enumerate(STATES):
        factor = 0.4 if state in IDLE_STATES else 1.0
        assert new[i] == pytest.approx(factor * old[i]), state


def test_lever_investments_are_carried_by_the_upgraded_line():
    study = make_study()
    after = twin.apply_levers(study.line, study.levers, ALL)
    carried = after.costs.investments
    assert [i.name for i in carried] == ALL
    for item in carried:
        lever = getattr(study.levers, item.name)
        assert (item.capex, item.life_years, item.opex_per_year) == (
            lever.capex, lever.life_years, lever.opex_per_year)
    totals = lever_functions.annual_cost(study.levers, ALL)
    defaults = {"predictive_maintenance": (120_000, 15_000), "closed_loop_quality": (200_000, 10_000),
                "automation": (350_000, 20_000), "quick_changeover": (30_000, 0),
                "energy_management": (20_000, 2_000)}
    assert totals["capex"] == sum(c for c, _ in defaults.values())
    assert totals["opex_per_year"] == sum(o for _, o in defaults.values())
    assert totals["depreciation_per_year"] == pytest.approx(sum(c for c, _ in defaults.values()) / 5)
    assert sum(i.per_year for i in carried) == pytest.approx(
        totals["depreciation_per_year"] + totals["opex_per_year"])
    # a line without costs stays without costs
    bare = make_study({"stations": [{"name": "M", "process": 1.0}]}, {"quick_changeover": {}})
    assert twin.apply_levers(bare.line, bare.levers, ["quick_changeover"]).costs is None


UNKNOWN_STATION = """\
line:
  stations: [{name: Turn, process: 1min}, {name: Mill, process: 1min}]
levers:
  automation: {stations: [Trun]}
"""


def test_an_unknown_lever_station_is_a_one_line_config_error(tmp_path):
    with pytest.raises(twin.ConfigError) as caught:
        twin.study_from_text(UNKNOWN_STATION, source="study.yaml")
    message = str(caught.value)
    assert "\n" not in message
    assert message == "study.yaml: levers.automation.stations[0]: no station of that name, got 'Trun'"
    assert caught.value.field == "levers.automation.stations[0]"
    path = tmp_path / "study.yaml"
    path.write_text(UNKNOWN_STATION)
    result = CliRunner().invoke(app, ["compare", str(path), "--format", "json"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "levers.automation.stations[0]" in lines[0] and "'Trun'" in lines[0]
    assert "Traceback" not in result.output and result.stdout == ""


# --- what each lever does to the KPIs (common random numbers) ------------------------------------

@functools.cache
def alone(name: str) -> Comparison:
    """Conventional vs one lever alone, paired on the same replications; computed once per process
    and per lever, so the tests of different levers can run on different workers. Breakdowns are
    rare events (about 8 per station and replication here) and the monitor's hits and misses
    decorrelate the pair, so predictive maintenance gets more replications."""
    reps = 12 if name == "predictive_maintenance" else REPLICATIONS
    return compare(make_study(), levers=[name], workers=1, replications=reps)


def paired(comparison: Comparison, kpi: str) -> pd.Series:
    return comparison.difference().loc[kpi]


def assert_up(comparison: Comparison, kpi: str) -> None:
    row = paired(comparison, kpi)
    assert row["ci_low"] > 0, f"{kpi} should rise: {row.to_dict()}"


def assert_down(comparison: Comparison, kpi: str) -> None:
    row = paired(comparison, kpi)
    assert row["ci_high"] < 0, f"{kpi} should fall: {row.to_dict()}"


def assert_about_same(comparison: Comparison, kpi: str, band: float) -> None:
    row = paired(comparison, kpi)
    assert abs(row["relative"]) <= band, f"{kpi} should stay (±{band:.0%}): {row.to_dict()}"


def station_means(results: twin.Results, kpi: str) -> pd.Series:
    return results.stations.groupby("station", sort=False)[kpi].mean()


def mean_cycle(results: twin.Results) -> pd.Series:
    """Mean processing time per station, min: busy minutes / parts completed."""
    table = results.stations
    cycle = table["utilisation"] * 60.0 / table["throughput_per_hour"]
    return cycle.groupby(table["station"], sort=False).mean()


def test_energy_management_moves_energy_and_cost_only_exactly():
    c = alone("energy_management")
    conv, i40 = c.conventional.kpis, c.industry40.kpis
    priced = [k for k in conv.columns if k.startswith(("energy_", "co2_", "cost_"))]
    # common random numbers: the dynamics are untouched, every other KPI is identical per replication
    pd.testing.assert_frame_equal(conv.drop(columns=priced), i40.drop(columns=priced))
    shares = [f"share_{s}" for s in STATES] + ["throughput_per_hour", "failures_per_day"]
    pd.testing.assert_frame_equal(c.conventional.stations[shares], c.industry40.stations[shares])
    assert (i40["energy_kwh_per_good_part"] < conv["energy_kwh_per_good_part"]).all()
    assert (i40["cost_energy_per_period"] < conv["cost_energy_per_period"]).all()
    # the cost moves by the energy saved and the lever's own cost, to the cent
    moved = i40["cost_per_period"] - conv["cost_per_period"]
    expected = (i40["cost_energy_per_period"] - conv["cost_energy_per_period"]
                + i40["cost_levers_per_period"])
    np.testing.assert_allclose(moved, expected, rtol=0, atol=1e-6)
    lever = make_study().levers.energy_management
    assert i40["cost_levers_per_period"].iloc[0] == pytest.approx(
        lever.capex / lever.life_years + lever.opex_per_year)
    assert paired(c, "throughput_per_hour")["mean"] == 0.0


def test_quick_changeover_cuts_changeover_time_by_its_factor():
    c = alone("quick_changeover")
    factor = make_study().levers.quick_changeover.setup_factor
    ratio = c.industry40.kpis["changeover_min"] / c.conventional.kpis["changeover_min"]
    # deterministic setups and CRN: each setup lasts `factor` of its time; each replication's ratio
    # is exactly `factor`: each changeover counts in full (see the test below)
    assert ratio.to_numpy() == pytest.approx(factor, rel=0.03)
    assert_down(c, "changeover_min")
    assert_down(c, "changeover_share")
    assert_up(c, "throughput_per_hour")
    assert_up(c, "oee")
    # no mechanism to move precision: the characteristic depends on parts, not on time
    assert_about_same(c, "cpk", 0.03)
    # failures are untouched in the line; more busy time only means more operating-clock failures,
    # so failures per busy hour stay where they were
    def per_busy(results: twin.Results) -> pd.Series:
        return station_means(results, "failures_per_day") / station_means(results, "utilisation")

    ratio = per_busy(c.industry40)[["Cut", "Finish"]] / per_busy(c.conventional)[["Cut", "Finish"]]
    assert ratio.to_numpy() == pytest.approx(1, abs=0.15)


def test_changeover_min_is_the_setup_time_when_setups_are_deterministic():
    line = cell_line()
    line["stations"][1]["setup"] = 10.0
    results = twin.run(make_study(line).line, workers=1)
    assert results.kpis["changeover_min"].to_numpy() == pytest.approx(10.0, rel=1e-9)


def test_closed_loop_quality_raises_cpk_and_cuts_scrap():
    c = alone("closed_loop_quality")
    assert_up(c, "cpk")
    assert_down(c, "scrap_rate")
    assert_down(c, "defect_ppm")
    assert_up(c, "quality_rate")
    assert_up(c, "throughput_per_hour")  # fewer parts scrapped at the end of the line
    assert c.industry40.kpis["cpk"].min() > c.conventional.kpis["cpk"].max()
    # no mechanism to move breakdowns or changeovers
    assert_about_same(c, "unplanned_downtime_share", 0.03)
    assert_about_same(c, "changeover_min", 0.02)


def test_predictive_maintenance_trades_breakdowns_for_planned_stops():
    c = alone("predictive_maintenance")
    assert_down(c, "unplanned_downtime_share")
    planned_before = station_means(c.conventional, "share_maintenance")
    planned_after = station_means(c.industry40, "share_maintenance")
    assert (planned_before == 0).all()
    assert (planned_after[["Cut", "Finish"]] > 0).all() and planned_after["Pack"] == 0
    down_before = station_means(c.conventional, "share_down")
    down_after = station_means(c.industry40, "share_down")
    assert (down_after[["Cut", "Finish"]] < down_before[["Cut", "Finish"]]).all()
    # a planned intervention is half the repair it replaces: less stopped time overall
    stopped = lambda r: (station_means(r, "share_down") + station_means(r, "share_maintenance")).sum()  # noqa: E731
    assert stopped(c.industry40) < stopped(c.conventional)
    # no mechanism to move precision or changeovers
    assert_about_same(c, "cpk", 0.03)
    assert_about_same(c, "scrap_rate", 0.05)
    assert_about_same(c, "changeover_min", 0.02)


def test_automation_speeds_the_named_station_and_saves_an_operator():
    c = alone("automation")
    before, after = mean_cycle(c.conventional), mean_cycle(c.industry40)
    assert after["Pack"] / before["Pack"] == pytest.approx(0.9, rel=0.02)
    assert (after[["Cut", "Finish"]] / before[["Cut", "Finish"]]).to_numpy() == pytest.approx(1, rel=0.01)
    # one operator fewer: labour per year falls by exactly one operator's hours at the labour rate
    saved = c.conventional.kpis["cost_labour_per_period"] - c.industry40.kpis["cost_labour_per_period"]
    np.testing.assert_allclose(saved, 40.0 * PERIOD_MINUTES["year"] / 60.0, rtol=1e-12)
    assert_down(c, "lead_time_min")
    assert_down(c, "cost_per_good_part")
    # no mechanism to move precision, breakdowns or changeovers
    for kpi, band in (("cpk", 0.03), ("scrap_rate", 0.05), ("unplanned_downtime_share", 0.03),
                      ("changeover_min", 0.02)):
        assert_about_same(c, kpi, band)
