"""`twin optimize` and `twin.optimize` against exact answers, and the file's contract.

The buffer-allocation optimum of a small saturated exponential line is known exactly: every
allocation of the total is solved as a Markov chain (tests/markov_lines.py). The optimiser must
return it, or an allocation whose exact throughput is within the indifference δ of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hostile import assert_config_error, assert_one_line_error, cli
from markov_lines import best_allocation, exact_table

import twin
from twin.experiments.optimize import optimize

MEANS = (1.0, 1.2, 1.0, 1.1)
NAMES = ("s1", "s2", "s3", "s4")
DELTA = 0.5  # parts per hour


def line(horizon: float = 2000, replications: int = 5, seed: int = 17) -> dict:
    return {"name": "exponential line", "horizon": horizon, "warmup": 200,
            "replications": replications, "seed": seed, "source": {"kind": "saturated"},
            "stations": [{"name": n, "process": {"dist": "exponential", "mean": m}, "buffer": 0}
                         for n, m in zip(NAMES, MEANS, strict=True)]}


def allocation_file(tmp_path: Path, total: int, evaluations: int, **extra) -> Path:
    paths = [f"stations[{n}].buffer" for n in NAMES[1:]]
    spec = {"base": line(), "objective": {"maximize": "throughput_per_hour"},
            "decisions": [{"path": p, "type": "int", "low": 0, "high": total} for p in paths],
            "constraints": [{"sum": paths, "equals": total}],
            "budget": {"evaluations": evaluations},
            "selection": {"indifference": DELTA, "confidence": 0.95, "finalists": 4}, **extra}
    path = tmp_path / "optimize.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def allocation(design: dict) -> tuple[int, ...]:
    return tuple(design[f"stations[{n}].buffer"] for n in NAMES[1:])


def test_buffer_allocation_is_the_markov_chain_optimum_within_delta(tmp_path):
    exact_best, best_rate = best_allocation(MEANS, 4)
    table = exact_table(MEANS, 4)
    result = optimize(allocation_file(tmp_path, 4, evaluations=20), workers=1)
    assert result.search.exhaustive and result.evaluations == len(table) == 15
    chosen = allocation(result.best.decisions)
    assert table[chosen] >= best_rate - DELTA, (chosen, exact_best, table[chosen], best_rate)
    assert sum(chosen) == 4
    # the exact optimum reached the finalists, and the estimate of the chosen design covers its
    # exact value (the selection's replications are fresh: no winner's curse)
    assert exact_best in [allocation(f.decisions) for f in result.finalists]
    ci = result.to_json()["best"]["kpis"]["throughput_per_hour"]["ci95"]
    assert ci[0] - 0.3 <= table[chosen] <= ci[1] + 0.3
    assert result.probability_correct_selection >= 0.95


def test_buffer_allocation_with_optuna_when_the_space_exceeds_the_budget(tmp_path):
    table = exact_table(MEANS, 6)  # 28 allocations, 14 evaluations
    result = optimize(allocation_file(tmp_path, 6, evaluations=14), workers=1)
    assert not result.search.exhaustive and result.evaluations <= 14
    assert all(sum(allocation(e.decisions)) == 6 for e in result.search.evaluations)
    chosen = allocation(result.best.decisions)
    assert table[chosen] >= max(table.values()) - DELTA, (chosen, table[chosen], max(table.values()))


def test_json_contract_and_reproducibility(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=6)
    outcome = cli("optimize", path, "--format", "json", "--workers", "1", "--seed", "3")
    assert outcome.code == 0, outcome.stderr
    document = json.loads(outcome.stdout)
    assert set(document) == {"best", "finalists", "evaluations", "probability_correct_selection"}
    assert set(document["best"]) == {"decisions", "kpis"}
    assert document["evaluations"] == 6
    assert 0 <= document["probability_correct_selection"] <= 1
    assert set(document["best"]["kpis"]["throughput_per_hour"]) == {"mean", "ci95"}
    assert document["best"]["decisions"] in [f["decisions"] for f in document["finalists"]]
    again = cli("optimize", path, "--format", "json", "--workers", "2", "--seed", "3")
    assert json.loads(again.stdout) == document  # the answer does not depend on the workers
    table = cli("optimize", path, "--workers", "1", "--replications", "3")
    assert table.code == 0 and "best" in table.stdout


def test_kpi_and_sum_constraints_are_honoured(tmp_path):
    """WIP at most 3.5 on its CI and at most 4 buffer slots: the best bigger allocations are
    refused, and every finalist meets both."""
    paths = [f"stations[{n}].buffer" for n in NAMES[1:]]
    spec = {"base": line(replications=4), "objective": {"maximize": "throughput_per_hour"},
            "decisions": [{"path": p, "values": [0, 1, 2, 3]} for p in paths],
            "constraints": [{"sum": paths, "at_most": 4}, {"kpi": "wip", "at_most": 4.5}],
            "budget": {"evaluations": 64}, "selection": {"indifference": DELTA, "finalists": 3}}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = twin.optimize(path, workers=1)
    assert result.search.exhaustive
    assert all(sum(allocation(e.decisions)) <= 4 for e in result.search.evaluations)
    infeasible = [e for e in result.search.evaluations if e.violations]
    assert infeasible, "the WIP cap must bind for the test to mean something"
    for evaluation in result.search.feasible():
        assert evaluation.estimate("wip").high <= 4.5
    assert result.best.decisions in [e.decisions for e in result.search.feasible()]


def test_pareto_front_of_two_objectives(tmp_path):
    base = line(replications=3)
    base["stations"][1]["machines"] = 1
    spec = {"base": base,
            "objective": [{"minimize": "wip"}, {"maximize": "throughput_per_hour"}],
            "decisions": [{"path": "stations[s2].buffer", "values": [0, 1, 3, 6]},
                          {"path": "stations[s3].buffer", "values": [0, 2]}],
            "budget": {"evaluations": 8}}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(spec))
    document = json.loads(cli("optimize", path, "--format", "json", "--workers", "1").stdout)
    assert document["best"] is None and document["probability_correct_selection"] is None
    front = document["finalists"]
    assert len(front) >= 2
    wip = [f["kpis"]["wip"]["mean"] for f in front]
    rate = [f["kpis"]["throughput_per_hour"]["mean"] for f in front]
    assert wip == sorted(wip) and rate == sorted(rate)  # less WIP, less output: a trade-off


BAD = [
    ({"decisions": [{"path": "stations[nowhere].buffer", "type": "int", "low": 0, "high": 2}]},
     "decisions[0].path", "nowhere"),
    ({"objective": {"maximize": "throughput"}}, "objective.maximize", "throughput_per_hour"),
    ({"constraints": [{"sum": ["stations[s9].buffer"], "equals": 2}]}, "constraints[0].sum[0]"),
    ({"constraints": [{"kpi": "wip"}]}, "constraints[0]", "at_most"),
    ({"constraints": [{"limit": 3}]}, "constraints[0]"),
    ({"budget": {"evaluations": 0}}, "budget.evaluations"),
    ({"selection": {"indifference": -1}}, "selection.indifference"),
    ({"selection": None}, "selection"),
    ({"budget": {"evaluations": 9000}, "replications": 90000}, "replications"),
    ({"decisions": [{"path": "stations[s2].buffer", "type": "int", "low": 0}]}, "decisions[0].high"),
]


@pytest.mark.parametrize(("change", *"m"), [(c, m) for c, *m in BAD],
                         ids=[m[0] for _, *m in BAD])
def test_bad_file_is_one_line_naming_the_field(tmp_path, change, m):
    path = allocation_file(tmp_path, 2, evaluations=4)
    spec = yaml.safe_load(path.read_text())
    if "decisions" in change:
        spec["constraints"] = []
    spec.update(change)
    if spec.get("selection") is None:
        spec.pop("selection")
    path.write_text(yaml.safe_dump(spec))
    assert_one_line_error(cli("optimize", path), *m)


def test_work_is_bounded_before_it_starts(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=5000)
    spec = yaml.safe_load(path.read_text())
    spec["base"]["horizon"] = "30d"
    path.write_text(yaml.safe_dump(spec))
    outcome = cli("optimize", path)
    assert_one_line_error(outcome, "budget.evaluations")
    assert outcome.seconds < 10


def test_python_api_refuses_a_bad_argument(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=4)
    assert_config_error(lambda: twin.optimize(path, replications=1), "replications")


def costed_study() -> dict:
    def station(name: str, mean: float, buffer: int | None = None) -> dict:
        spec = {"name": name, "process": {"dist": "exponential", "mean": mean},
                "energy": {"busy": 10, "idle": 5},
                "failures": {"mtbf": {"dist": "exponential", "mean": "4h"},
                             "mttr": {"dist": "exponential", "mean": "40min"}}}
        return spec if buffer is None else {**spec, "buffer": buffer}

    line = {"name": "costed pair", "horizon": "1d", "warmup": "2h", "replications": 3, "seed": 5,
            "source": {"kind": "saturated"}, "stations": [station("A", 1.0), station("B", 0.9, 3)],
            "costs": {"currency": "EUR", "period": "year", "material_per_part": 5,
                      "energy_price_per_kwh": 0.2, "contribution_margin_per_part": 4,
                      "maintenance_rate_per_hour": 50,
                      "stations": {"A": {"machine_rate_per_hour": 30}, "B": {"machine_rate_per_hour": 30}}}}
    return {"line": line, "levers": {name: {"enabled": False} for name in LEVERS}}


LEVERS = ("predictive_maintenance", "energy_management", "quick_changeover")


def test_lever_portfolio_npv_under_a_capex_limit_is_the_business_case(tmp_path):
    """Each design's NPV is the business case `twin compare` gives for the same levers, seed and
    replications; the capex limit (140 000 with prices 120 000, 20 000 and 30 000) is honoured."""
    paths = [f"levers.{name}.enabled" for name in LEVERS]
    capex = dict(zip(paths, [120_000, 20_000, 30_000], strict=True))
    spec = {"base": costed_study(), "objective": {"maximize": "npv"},
            "decisions": [{"path": p, "type": "bool"} for p in paths],
            "constraints": [{"sum": paths, "weights": list(capex.values()), "at_most": 140_000}],
            "budget": {"evaluations": 8},
            "selection": {"indifference": 20_000, "finalists": 2, "max_replications": 12}}
    path = tmp_path / "npv.yaml"
    path.write_text(yaml.safe_dump(spec))
    result = twin.optimize(path, workers=1)
    assert result.evaluations == 6  # 8 portfolios, 2 over the limit
    for evaluation in result.search.evaluations:
        assert sum(capex[p] for p, on in evaluation.decisions.items() if on) <= 140_000
    study = twin.study_from_text(yaml.safe_dump(costed_study()))
    for evaluation in result.search.evaluations[1:]:  # the first is no lever at all: NPV 0
        on = [p.split(".")[1] for p, value in evaluation.decisions.items() if value]
        case = twin.business_case(twin.compare(study, levers=on, workers=1))
        assert evaluation.mean("npv") == pytest.approx(case.npv.mean, rel=1e-9, abs=1e-6), on
    assert result.best.decisions in [e.decisions for e in result.search.evaluations]


def test_objective_the_line_does_not_model_is_refused(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=4, objective={"minimize": "cost_per_good_part"})
    assert_one_line_error(cli("optimize", path), "objective.minimize", "cost_per_good_part", "costs")


def test_bad_options_are_one_line(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=4)
    assert_one_line_error(cli("optimize", path, "--dask", "not an address!"), "dask")
    assert_one_line_error(cli("optimize", tmp_path / "missing.yaml"), "missing.yaml")


def test_ocba_selection_and_responses(tmp_path):
    table = exact_table(MEANS, 4)
    path = allocation_file(tmp_path, 4, evaluations=20, responses=["wip"])
    spec = yaml.safe_load(path.read_text())
    spec["selection"].update(procedure="ocba", max_replications=80)
    path.write_text(yaml.safe_dump(spec))
    result = twin.optimize(path, workers=1)
    assert result.selection.procedure == "ocba"
    assert result.selection.total_replications == 4 * 80 // 4  # its whole budget
    chosen = allocation(result.best.decisions)
    assert table[chosen] >= max(table.values()) - DELTA
    assert set(result.to_json()["best"]["kpis"]) == {"throughput_per_hour", "wip"}


def test_engine_fast_on_a_base_out_of_its_scope_is_refused_before_any_run(tmp_path):
    path = allocation_file(tmp_path, 2, evaluations=4)
    spec = yaml.safe_load(path.read_text())
    spec["base"]["stations"][0]["failures"] = {"mtbf": 50, "mttr": 5, "mode": "calendar"}
    path.write_text(yaml.safe_dump(spec))
    assert_one_line_error(cli("optimize", path, "--engine", "fast"), "calendar clock", "SimPy")


@pytest.mark.slow
def test_probability_of_a_good_selection_over_seeds(tmp_path):
    """Over 12 seeds the answer is within δ of the exact optimum at least as often as the stated
    confidence allows (the 99% Clopper-Pearson interval of the frequency reaches 0.95)."""
    from scipy.stats import binomtest

    table = exact_table(MEANS, 4)
    best = max(table.values())
    path = allocation_file(tmp_path, 4, evaluations=20)
    good = sum(table[allocation(optimize(path, workers=1, seed=100 + s).best.decisions)] >= best - DELTA
               for s in range(12))
    assert binomtest(good, 12).proportion_ci(0.99, method="exact").high >= 0.95, good
