"""Energy and cost KPIs, and the setup and shift behaviour they rest on.

- A deterministic one-station line gives the hand-computed cost per good part exactly (two variants:
  failures with escapes; preventive maintenance with end-of-line scrap). The arithmetic is written
  out below, from the machine's timeline to every cost item.
- Energy is Σ state minutes × kW exactly, for random lines (failures on both clocks, shifts,
  setups, tool changes, preventive maintenance, operators), and the cost breakdown sums to its total.
- Setups: a two-product line with deterministic times runs at the Factory Physics effective process
  time te = t0 + ts/Ns of its slowest station, for two lot sizes.
- Shifts: 2 × 8 h a day on deterministic times gives 2/3 of the 24 h throughput, the constraint is
  busy for every on-shift minute, and no part is lost across shift ends.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import twin
from twin.config.costs import PERIOD_MINUTES
from twin.costs import COST_ITEMS, COST_KPIS, cost_breakdown, cost_kpis, on_shift_minutes
from twin.energy import ENERGY_KPIS, energy_kpis, station_energy_kpis, station_energy_kwh
from twin.engine import STATES, simulate

EXACT = 1e-12
"""Relative tolerance of an "exact" comparison: floating-point rounding only."""

ONE_STATION = """
name: one station, hand-computed
horizon: 327
source: {kind: saturated}
operators: {count: 2}
costs:
  currency: USD
  period: shift
  material_per_part: 12.5
  scrap_cost_per_part: 2
  escape_cost_per_part: 100
  labour_rate_per_hour: 39.86
  energy_price_per_kwh: 0.0806
  co2_kg_per_kwh: 0.4
  maintenance_rate_per_hour: 50
  spare_parts_per_repair: 150
  stations: {Mill: {machine_rate_per_hour: 40}}
stations:
  - name: Mill
    process: {dist: deterministic, mean: 6}
    energy: {busy: 12, idle: 4, down: 1, setup: 6, "off": 0.5}
    quality:
      characteristic: {name: bore, nominal: 0, lsl: -1, usl: 1}
      sigma: 1.0e-6
      drift_per_part: 0.13
      tool_life: 10
      tool_change: 6
"""
FAILURES = """    failures:
      mtbf: {dist: deterministic, mean: 120}
      mttr: {dist: deterministic, mean: 30}
"""
PREVENTIVE_AND_SCRAP = """    maintenance:
      {policy: preventive, interval: 120, duration: {dist: deterministic, mean: 30}}
    inspection: {where: end_of_line, action: scrap}
"""


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=EXACT, abs_tol=1e-9)


def check_cost_kpis(line: twin.Line, stats, amounts: dict[str, float], good: int) -> None:
    """Every KPI of `cost_kpis` against the hand-computed window amounts."""
    kpis = cost_kpis(line, stats)
    assert tuple(kpis) == COST_KPIS
    to_period = PERIOD_MINUTES[line.costs.period] / stats.observed_min
    for item, amount in amounts.items():
        assert close(kpis[f"cost_{item}_per_good_part"], amount / good), item
        assert close(kpis[f"cost_{item}_per_period"], amount * to_period), item
    total = sum(amounts.values())
    assert close(kpis["cost_per_good_part"], total / good)
    assert close(kpis["cost_per_period"], total * to_period)


def test_one_station_cost_per_part_with_failures_and_escapes():
    """The machine's timeline (deterministic: 6 min a part, a failure every 120 busy minutes,
    30 min to repair, a 6-min tool change every 10 parts, wear 0.13 a part since the tool change):

      parts  1-10   busy   0-60,  tool change  60-66
      parts 11-20   busy  66-126, fails at 126 (120 busy min) at the end of part 20, down 126-156,
                    tool change 156-162
      parts 21-40   the same again, 162-324 (failure at 288, down 288-318)
      part  41      released at 324, busy 324-327 when the window ends (not finished)

    busy 40 × 6 + 3 = 243 min, down 2 × 30 = 60, tool change 4 × 6 = 24: 327 min in all.
    Deviation of the k-th part of a tool = 0.13 × (k − 1): parts 9 (1.04) and 10 (1.17) of every tool
    are beyond usl = 1, so 8 of the 40 shipped parts are defects; with no inspection they escape.
    Good parts: 32.
    """
    line = twin.line_from_text(ONE_STATION + FAILURES)
    stats = simulate(line, 0)
    mill = stats.stations[0]
    minutes = dict(zip(STATES, mill.state_minutes[0], strict=True))
    assert (minutes["busy"], minutes["down"], minutes["tool_change"]) == (243, 60, 24)
    assert sum(minutes.values()) == 327
    assert (stats.released, stats.departed, stats.good, stats.escaped, stats.scrapped) == (41, 40, 32, 8, 0)
    assert (mill.failures, mill.repair_minutes, mill.planned_minutes) == (2, 60, 0)

    hours = 327 / 60                                    # 5.45 h observed, no calendar: all on shift
    kwh = (243 * 12 + 60 * 1 + 24 * 6) / 60             # busy, down, tool change (setup kW): 52 kWh
    amounts = {
        "machine": 40 * hours,                          # 218.00
        "labour": 2 * hours * 39.86,                    # 434.474
        "energy": kwh * 0.0806,                         # 4.1912
        "maintenance": 60 / 60 * 50 + 2 * 150,          # 350.00: 1 h of repair + 2 repairs' parts
        "material": 41 * 12.5,                          # 512.50: every part started
        "scrap": 0 * 2,                                 # 0
        "escapes": 8 * 100,                             # 800.00
    }
    total = 218.0 + 434.474 + 4.1912 + 350.0 + 512.5 + 0.0 + 800.0     # 2319.1652
    assert close(sum(amounts.values()), total)
    assert close(total / 32, 72.4739125)
    breakdown = cost_breakdown(line, stats)
    for item in COST_ITEMS:
        assert close(breakdown[item], amounts[item]), item
    check_cost_kpis(line, stats, amounts, good=32)
    assert close(cost_kpis(line, stats)["cost_per_good_part"], 72.4739125)

    energy = energy_kpis(line, stats)
    assert close(energy["energy_kwh_per_good_part"], 52 / 32)          # 1.625 kWh
    assert close(energy["co2_kg_per_good_part"], 0.4 * 52 / 32)        # 0.65 kg
    assert close(energy["energy_kwh"], 52 * 480 / 327)                  # per 8-h shift
    assert close(energy["co2_kg"], 0.4 * 52 * 480 / 327)


def test_one_station_cost_per_part_with_preventive_maintenance_and_scrap():
    """As above, but a 30-min preventive stop every 120 busy minutes instead of failures, and an
    end-of-line inspection (no gauge error) that scraps the 8 defects:

      parts  1-10   busy   0-60,  tool change  60-66
      parts 11-20   busy  66-126, tool change 126-132, maintenance 132-162 (age 120 busy min)
      parts 21-40   the same again, 162-324
      part  41      busy 324-327 (not finished)

    busy 243, maintenance 60, tool change 24. Good 32, scrapped 8, none escape.
    """
    line = twin.line_from_text(ONE_STATION + PREVENTIVE_AND_SCRAP)
    stats = simulate(line, 0)
    mill = stats.stations[0]
    minutes = dict(zip(STATES, mill.state_minutes[0], strict=True))
    assert (minutes["busy"], minutes["maintenance"], minutes["tool_change"]) == (243, 60, 24)
    assert (stats.released, stats.good, stats.escaped, stats.scrapped) == (41, 32, 0, 8)
    assert (mill.failures, mill.repair_minutes, mill.planned_minutes) == (0, 0, 60)

    hours = 327 / 60
    kwh = (243 * 12 + 60 * 6 + 24 * 6) / 60             # maintenance and tool change at setup kW: 57
    amounts = {
        "machine": 40 * hours,                          # 218.00
        "labour": 2 * hours * 39.86,                    # 434.474
        "energy": kwh * 0.0806,                         # 4.5942
        "maintenance": 60 / 60 * 50 + 0 * 150,          # 50.00: 1 h planned, no repair, no parts
        "material": 41 * 12.5,                          # 512.50
        "scrap": 8 * 2,                                 # 16.00: disposal on top of the material
        "escapes": 0 * 100,                             # 0
    }
    total = 218.0 + 434.474 + 4.5942 + 50.0 + 512.5 + 16.0 + 0.0       # 1235.5682
    assert close(sum(amounts.values()), total)
    check_cost_kpis(line, stats, amounts, good=32)
    assert close(cost_kpis(line, stats)["cost_per_good_part"], 38.61150625)
    assert close(energy_kpis(line, stats)["energy_kwh_per_good_part"], 57 / 32)


def test_without_costs_block_costs_are_nan_and_energy_is_per_week():
    line = twin.line_from_text("""
horizon: 2d
stations:
  - {name: A, process: 5, energy: {busy: 10, idle: 2}}
  - {name: B, process: 4}
""")
    stats = simulate(line, 0)
    costs = cost_kpis(line, stats)
    assert set(costs) == set(COST_KPIS) and all(math.isnan(v) for v in costs.values())
    energy = energy_kpis(line, stats)
    assert tuple(energy) == ENERGY_KPIS
    a_minutes = stats.stations[0].state_minutes[0]
    kwh = (a_minutes[0] * 10 + (a_minutes[1] + a_minutes[2]) * 2) / 60   # B has no energy block
    assert station_energy_kwh(line, stats.stations[1], 1) == 0
    assert close(energy["energy_kwh"], kwh * 7 / 2)                     # a week from 2 days
    assert close(energy["energy_kwh_per_good_part"], kwh / stats.good)
    assert math.isnan(energy["co2_kg"]) and math.isnan(energy["co2_kg_per_good_part"])


def test_extra_items_per_period_count_in_the_totals():
    line = twin.line_from_text(ONE_STATION + FAILURES)
    stats = simulate(line, 0)
    base = cost_kpis(line, stats)
    extra = cost_kpis(line, stats, extra_per_period={"lever_opex": 96.0})
    assert close(extra["cost_lever_opex_per_period"], 96.0)
    assert close(extra["cost_lever_opex_per_good_part"], 96.0 * 327 / 480 / 32)
    assert close(extra["cost_per_period"], base["cost_per_period"] + 96.0)
    with pytest.raises(ValueError, match="energy"):
        cost_kpis(line, stats, extra_per_period={"energy": 1.0})


# --- energy = Σ state minutes × kW, exactly, on random lines ---------------------------------------

POWER_KEY = {
    "busy": "busy", "starved": "idle", "blocked": "idle", "waiting_operator": "idle", "down": "down",
    "maintenance": "setup", "setup": "setup", "tool_change": "setup", "off": "off",
}
"""Which `energy:` field each machine state draws (setup falls back to idle)."""


def random_line(seed: int) -> twin.Line:
    """A small random line with most features on: failures, shifts, setups, quality, operators."""
    rng = np.random.default_rng(seed)
    products = [{"name": "P", "lot_size": int(rng.integers(1, 6))},
                {"name": "Q", "lot_size": int(rng.integers(1, 6)), "share": 0.5}]
    stations = []
    for k in range(int(rng.integers(1, 4))):
        mean = float(rng.uniform(2, 6))
        station: dict = {
            "name": f"S{k}", "machines": int(rng.integers(1, 3)), "buffer": int(rng.integers(0, 4)),
            "process": [{"dist": "exponential", "mean": mean}, {"dist": "deterministic", "mean": mean},
                        {"dist": "lognormal", "mean": mean, "cv": 0.3}][int(rng.integers(0, 3))],
            "setup": {"dist": "exponential", "mean": float(rng.uniform(1, 15))},
        }
        if rng.random() < 0.8:
            station["failures"] = {"mtbf": {"dist": "exponential", "mean": float(rng.uniform(60, 400))},
                                   "mttr": {"dist": "exponential", "mean": float(rng.uniform(5, 40))},
                                   "mode": str(rng.choice(["operating", "calendar"]))}
        if rng.random() < 0.4:
            station["maintenance"] = {"policy": "preventive", "interval": float(rng.uniform(100, 300)),
                                      "duration": {"dist": "deterministic", "mean": 15}}
        if rng.random() < 0.4:
            station["quality"] = {"characteristic": {"name": "d", "nominal": 0, "lsl": -1, "usl": 1},
                                  "sigma": 0.4, "drift_per_part": 0.02, "tool_life": 30,
                                  "tool_change": 5}
            station["inspection"] = {"where": str(rng.choice(["inline", "end_of_line"]))}
        if rng.random() < 0.4:
            station["operator"] = {"process": bool(rng.random() < 0.5), "setup": True}
        if rng.random() < 0.85:
            station["energy"] = {"busy": float(rng.uniform(8, 20)), "idle": float(rng.uniform(3, 8)),
                                 "down": float(rng.uniform(0, 2)), "off": float(rng.uniform(0, 1))}
            if rng.random() < 0.5:
                station["energy"]["setup"] = float(rng.uniform(3, 10))
        stations.append(station)
    settings: dict = {"horizon": 3 * 24 * 60.0, "warmup": float(rng.uniform(0, 600)),
                      "products": products, "maintenance_crew": 1 if rng.random() < 0.5 else None,
                      "operators": {"count": 1 + int(rng.integers(0, 2))},
                      "costs": {"period": "day", "labour_rate_per_hour": 39.86,
                                "energy_price_per_kwh": 0.0806, "material_per_part": 10,
                                "maintenance_rate_per_hour": 45, "spare_parts_per_repair": 80,
                                "scrap_cost_per_part": 3, "escape_cost_per_part": 50,
                                "stations": {s["name"]: {"machine_rate_per_hour": 40} for s in stations}}}
    if rng.random() < 0.7:
        settings["calendar"] = {"days_per_week": int(rng.choice([5, 7])),
                                "shifts": [{"start": "6h", "end": "14h"}, {"start": "14h", "end": "22h"}]}
    if rng.random() < 0.5:
        settings["release_sequence"] = ["P", "Q"]
    return twin.Line.model_validate({"stations": stations, **settings})


@pytest.mark.parametrize("seed", range(8))
def test_energy_is_state_minutes_times_power_exactly(seed: int):
    line = random_line(seed)
    stats = simulate(line, 0, seed=seed)
    observed = stats.observed_min
    expected_kwh = 0.0
    for spec, station in zip(line.stations, stats.stations, strict=True):
        station_kwh = 0.0
        for machine_minutes in station.state_minutes:
            # the state clock is what energy rests on: every machine's states fill the window
            assert math.isclose(machine_minutes.sum(), observed, rel_tol=1e-9)
            for state, minutes in zip(STATES, machine_minutes, strict=True):
                if spec.energy is None:
                    continue
                kw = getattr(spec.energy, POWER_KEY[state])
                if kw is None:                              # setup not given: idle power
                    kw = spec.energy.idle
                station_kwh += minutes / 60 * kw
        index = line.station_index(spec.name)
        assert close(station_energy_kwh(line, station, index), station_kwh)
        assert close(station_energy_kpis(line, station, index, observed)["energy_kwh"],
                     station_kwh * PERIOD_MINUTES["day"] / observed)
        expected_kwh += station_kwh
    energy = energy_kpis(line, stats)
    if all(spec.energy is None for spec in line.stations):
        # no energy model at all: undefined (NaN), not a misleading zero
        assert all(math.isnan(value) for value in energy.values())
    else:
        assert close(energy["energy_kwh"], expected_kwh * PERIOD_MINUTES["day"] / observed)
        assert stats.good > 0
        assert close(energy["energy_kwh_per_good_part"], expected_kwh / stats.good)

    # the cost breakdown sums to its total, per good part and per period; energy cost is kWh × price
    costs = cost_kpis(line, stats)
    for scope in ("good_part", "period"):
        items = [costs[f"cost_{item}_per_{scope}"] for item in COST_ITEMS]
        assert all(math.isfinite(v) and v >= 0 for v in items)
        assert close(costs[f"cost_per_{scope}"], sum(items))
    assert close(cost_breakdown(line, stats)["energy"], expected_kwh * 0.0806)

    # conservation: every part released is shipped, scrapped or still in the line
    assert stats.released_total == stats.departed_total + stats.scrapped_total + stats.wip_end
    assert stats.wip_start + stats.released == stats.departed + stats.scrapped + stats.wip_end


# --- setups: Factory Physics effective process time -------------------------------------------------

TWO_PRODUCTS = """
name: two products in lots
horizon: {horizon}
warmup: {warmup}
replications: 1
source: {{kind: saturated}}
products: [{{name: A, lot_size: {lot}}}, {{name: B, lot_size: {lot}}}]
release_sequence: [A, B]
stations:
  - name: Saw
    buffer: 10
    process: {{dist: deterministic, mean: 2}}
    setup: {{dist: deterministic, mean: 10}}
  - name: Mill
    buffer: 10
    process: {{dist: deterministic, mean: 2}}
    process_by_product:
      A: {{dist: deterministic, mean: 1.5}}
      B: {{dist: deterministic, mean: 2.5}}
    setup: {{dist: deterministic, mean: 30}}
"""


@pytest.mark.parametrize("lot", [5, 10])
def test_setups_give_the_factory_physics_effective_process_time(lot: int):
    """te = t0 + ts/Ns (Hopp & Spearman, Factory Physics, ch. 8): every lot of Ns parts pays one
    setup ts. Saw: t0 = 2, ts = 10; Mill: t0 = (1.5 + 2.5)/2 = 2 (the mix is half A, half B), ts = 30.
    Ns = 5:  Saw te = 2 + 10/5 = 4,  Mill te = 2 + 30/5 = 8 → capacity 60/8 = 7.5 parts/h.
    Ns = 10: Saw te = 2 + 10/10 = 3, Mill te = 2 + 30/10 = 5 → capacity 60/5 = 12 parts/h.
    Mill is the constraint only through its setups (both stations have t0 = 2). The window (4,000
    min) is a whole number of A+B cycles for both lot sizes, so the count is exact to one part.
    """
    observed = 4000.0
    line = twin.line_from_text(TWO_PRODUCTS.format(horizon=600 + observed, warmup=600, lot=lot))
    te = 2 + 30 / lot
    results = twin.run(line, workers=1)
    throughput = results.summary().loc["throughput_per_hour", "mean"]
    assert abs(throughput * observed / 60 - observed / te) <= 1, (throughput, 60 / te)
    mill = results.stations[results.stations["station"] == "Mill"].iloc[0]
    assert mill["share_setup"] == pytest.approx((30 / lot) / te, abs=30 / observed)
    assert mill["share_busy"] == pytest.approx(2 / te, abs=2.5 / observed)
    assert mill["share_starved"] == 0


# --- shifts ----------------------------------------------------------------------------------------

THREE_STATIONS = """
name: deterministic three-station line
horizon: 8d
warmup: 1d
replications: 1
source: {kind: saturated}
stations:
  - {name: Turn, buffer: 3, process: {dist: deterministic, mean: 3}}
  - {name: Mill, buffer: 3, process: {dist: deterministic, mean: 4}}
  - {name: Wash, buffer: 3, process: {dist: deterministic, mean: 3.5}}
"""
TWO_SHIFTS = """
calendar:
  days_per_week: 7
  shifts: [{start: 6h, end: 14h}, {start: 15h, end: 23h}]
"""


def test_two_shifts_give_two_thirds_of_round_the_clock_capacity():
    """Mill (4 min) is the constraint: 15 parts/h around the clock. Working 2 × 8 h a day it has
    2/3 of that, 10 parts/h, 240 a day, 1,680 in the 7-day window, within one part per shift (14).
    Parts in progress at a shift end pause and resume, so Mill is busy for every on-shift minute
    (7 × 16 h = 6,720 min), every machine is off exactly the 7 × 8 h = 3,360 off-shift minutes,
    and none is lost: released = shipped + WIP.
    """
    around_the_clock = twin.run(twin.line_from_text(THREE_STATIONS), workers=1)
    line = twin.line_from_text(THREE_STATIONS + TWO_SHIFTS)
    on_shifts = twin.run(line, workers=1)
    full = around_the_clock.summary().loc["throughput_per_hour", "mean"]
    shifted = on_shifts.summary().loc["throughput_per_hour", "mean"]
    observed_h, shifts = 7 * 24, 7 * 2
    assert abs(full * observed_h - 15 * observed_h) <= 1
    assert abs(shifted * observed_h - 2 / 3 * full * observed_h) <= shifts
    assert abs(shifted * observed_h - 1680) <= 1

    stats = on_shifts.runs[0]
    assert on_shift_minutes(line) == 7 * 16 * 60
    for station in stats.stations:
        off = station.state_minutes[:, STATES.index("off")]
        assert np.all(off == 7 * 8 * 60), station.name
    mill = stats.stations[line.station_index("Mill")]
    assert mill.state_minutes[0, STATES.index("busy")] == 7 * 16 * 60
    assert stats.released_total == stats.departed_total + stats.scrapped_total + stats.wip_end
    assert stats.wip_start + stats.released == stats.departed + stats.scrapped + stats.wip_end


ONE_SHIFT = """
horizon: 1d
source: {kind: saturated}
calendar: {days_per_week: 7, shifts: [{start: 0, end: 8h}]}
"""


def test_no_setup_or_processing_outside_shifts():
    """Lots of 5 at 7 min, 20-min changeovers, one shift 0-8 h. Lot k runs 55(k−1) to 55(k−1)+35,
    so lot 9 ends at 475 and its changeover starts 5 min before the shift ends: on shift 45 parts
    (busy 315 min) and 8 × 20 + 5 = 165 min of setup, off the other 960 min of the day."""
    line = twin.line_from_text(ONE_SHIFT + """
products: [{name: A, lot_size: 5}, {name: B, lot_size: 5}]
release_sequence: [A, B]
stations:
  - {name: M, process: 7, setup: 20}
""")
    stats = simulate(line, 0)
    minutes = dict(zip(STATES, stats.stations[0].state_minutes[0], strict=True))
    assert (stats.stations[0].completed, minutes["busy"], minutes["setup"]) == (45, 315, 165)


def test_no_processing_outside_shifts_after_a_repair():
    """10 min a part, a failure after 475 busy minutes (5 min into part 48), 20 min repair, one
    shift 0-8 h: on shift 47 parts and 475 busy minutes; part 48 must wait for the next shift."""
    line = twin.line_from_text(ONE_SHIFT + """
stations:
  - name: M
    process: 10
    failures: {mtbf: {dist: deterministic, mean: 475}, mttr: {dist: deterministic, mean: 20}}
""")
    stats = simulate(line, 0)
    busy = stats.stations[0].state_minutes[0, STATES.index("busy")]
    assert (stats.stations[0].completed, busy) == (47, 475)
