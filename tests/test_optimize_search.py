"""The search over decisions: exhaustive when small, optuna otherwise, and constraints honoured."""

from __future__ import annotations

import numpy as np
import pytest

from twin.experiments.optimize_space import Decision, KPIConstraint, Objective, SumConstraint
from twin.experiments.search import enumerate_space, pareto_front, ranked, search

REPS = 8
NOISE = np.random.default_rng(0).standard_normal(REPS)  # the same draws for every design (CRN)


def noisy(value_of, sd: float = 0.1, kpi: str = "throughput_per_hour"):
    calls: list[dict] = []

    def evaluate(designs):
        calls.extend(designs)
        return [{kpi: value_of(d) + sd * NOISE} for d in designs]

    return evaluate, calls


def ints(*paths, low=0, high=4):
    return [Decision(path=p, type="int", low=low, high=high) for p in paths]


MAX = [Objective(maximize="throughput_per_hour")]


def test_small_space_is_searched_exhaustively_with_the_sum_by_construction():
    decisions = ints("a", "b", "c")
    total = SumConstraint(sum=["a", "b", "c"], equals=4)
    assert len(enumerate_space(decisions, [total], 100)) == 15  # C(6, 2)
    evaluate, calls = noisy(lambda d: -(d["a"] - 1) ** 2 - (d["b"] - 2) ** 2)
    result = search(decisions, MAX, evaluate, evaluations=20, seed=1, sums=[total])
    assert result.exhaustive and len(result.evaluations) == len(calls) == 15
    assert all(sum(d.values()) == 4 for d in calls)
    assert ranked(result.evaluations, MAX[0])[0].decisions == {"a": 1, "b": 2, "c": 1}


def test_a_space_larger_than_the_budget_goes_to_optuna_and_keeps_the_equality():
    decisions = ints("a", "b", "c", "d", high=10)
    total = SumConstraint(sum=["a", "b", "c", "d"], equals=12)
    assert enumerate_space(decisions, [total], 30) is None
    evaluate, calls = noisy(lambda d: -abs(d["a"] - 6) - abs(d["b"] - 3) - abs(d["c"] - 2))
    result = search(decisions, MAX, evaluate, evaluations=30, seed=3, sums=[total])
    assert not result.exhaustive and len(calls) == len(result.evaluations) <= 30
    assert all(sum(d.values()) == 12 and all(0 <= v <= 10 for v in d.values()) for d in calls)
    keys = [tuple(sorted(d.items())) for d in calls]
    assert len(set(keys)) == len(keys), "a design is never simulated twice"
    best = ranked(result.evaluations, MAX[0])[0]
    assert best.mean("throughput_per_hour") >= -3  # the optimum is 0 at (6, 3, 2, 1)


def test_optuna_search_is_reproducible_from_its_seed():
    decisions = [Decision(path="x", type="float", low=0, high=1), Decision(path="y", values=[1, 2, 3])]

    def run(seed):
        evaluate, calls = noisy(lambda d: d["x"] * d["y"])
        search(decisions, MAX, evaluate, evaluations=12, seed=seed)
        return calls

    assert run(5) == run(5)
    assert run(5) != run(6)


def test_at_most_sum_rejects_unsimulated():
    decisions = [Decision(path=p, type="float", low=0, high=5) for p in "ab"]
    limit = SumConstraint(sum=["a", "b"], at_most=3)
    evaluate, calls = noisy(lambda d: d["a"] + 2 * d["b"])
    result = search(decisions, MAX, evaluate, evaluations=25, seed=2, sums=[limit])
    assert calls and all(d["a"] + d["b"] <= 3 + 1e-12 for d in calls)
    assert result.rejected > 0
    best = ranked(result.evaluations, MAX[0])[0].decisions
    assert best["b"] > 2 and best["a"] + best["b"] > 2.5  # the corner (0, 3) is the optimum


def test_kpi_constraint_is_judged_on_the_whole_interval():
    decisions = [Decision(path="x", values=[0.0, 1.0, 2.0, 3.0])]

    def evaluate(designs):
        return [{"throughput_per_hour": d["x"] + 0.1 * NOISE, "lead_time_min": 10 * d["x"] + NOISE}
                for d in designs]

    cap = KPIConstraint(kpi="lead_time_min", at_most=20.0)
    result = search(decisions, MAX, evaluate, evaluations=4, seed=0, kpis=[cap])
    feasible = {e.decisions["x"]: e.feasible for e in result.evaluations}
    # x = 2: mean 20 + noise, its interval holds 20 and beyond → not taken
    assert feasible == {0.0: True, 1.0: True, 2.0: False, 3.0: False}
    assert "lead_time_min at_most 20" in result.evaluations[2].violations[0]
    assert ranked(result.evaluations, MAX[0])[0].decisions == {"x": 1.0}


def test_failed_designs_are_kept_with_their_reason():
    decisions = [Decision(path="x", values=[1, 2, 3])]

    def evaluate(designs):
        return ["x: must be <= 2, got 3" if d["x"] == 3 else {"throughput_per_hour": d["x"] + NOISE}
                for d in designs]

    result = search(decisions, MAX, evaluate, evaluations=3, seed=0)
    assert [e.failed for e in result.evaluations] == [None, None, "x: must be <= 2, got 3"]
    assert ranked(result.evaluations, MAX[0])[0].decisions == {"x": 2}


def test_pareto_front_is_the_nondominated_set():
    decisions = [Decision(path="x", values=list(range(8)))]
    cost = {0: 5.0, 1: 4.0, 2: 4.5, 3: 3.0, 4: 3.0, 5: 2.0, 6: 2.5, 7: 1.0}
    rate = {0: 10.0, 1: 9.0, 2: 8.0, 3: 8.5, 4: 7.0, 5: 6.0, 6: 5.0, 7: 1.0}

    def evaluate(designs):
        return [{"cost_per_good_part": cost[d["x"]] + 0 * NOISE,
                 "throughput_per_hour": rate[d["x"]] + 0 * NOISE} for d in designs]

    objectives = [Objective(minimize="cost_per_good_part"), Objective(maximize="throughput_per_hour")]
    result = search(decisions, objectives, evaluate, evaluations=8, seed=0)
    front = [e.decisions["x"] for e in pareto_front(result.evaluations, objectives)]
    assert front == [7, 5, 3, 1, 0]


def test_two_objectives_with_optuna():
    decisions = [Decision(path="x", type="float", low=0, high=1)]
    evaluate, _ = noisy(lambda d: d["x"])

    def both(designs):
        return [{"throughput_per_hour": s["throughput_per_hour"],
                 "cost_per_good_part": 1 + s["throughput_per_hour"] ** 2} for s in evaluate(designs)]

    objectives = [Objective(minimize="cost_per_good_part"), Objective(maximize="throughput_per_hour")]
    result = search(decisions, objectives, both, evaluations=10, seed=4)
    front = pareto_front(result.evaluations, objectives)
    assert len(result.evaluations) == 10 and len(front) == 10  # every x trades one for the other


@pytest.mark.parametrize(("data", "message"), [
    ({"path": "x", "type": "int", "low": 0}, "high"),
    ({"path": "x", "type": "int", "low": 0.5, "high": 3}, "whole"),
    ({"path": "x", "values": [1], "low": 0}, "not both"),
    ({"path": "x"}, "needs values"),
])
def test_bad_decisions_name_the_field(data, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        Decision(**data)


def test_weighted_sum_is_a_capital_budget():
    """Bool decisions with a price each, at most 300: the best affordable portfolio is found."""
    price = {"a": 120.0, "b": 200.0, "c": 30.0, "d": 100.0}
    gain = {"a": 3.0, "b": 4.0, "c": 0.5, "d": 2.0}
    decisions = [Decision(path=p, type="bool") for p in price]
    budget = SumConstraint(sum=list(price), weights=list(price.values()), at_most=300)
    evaluate, calls = noisy(lambda d: sum(gain[p] for p in d if d[p]))
    result = search(decisions, MAX, evaluate, evaluations=16, seed=0, sums=[budget])
    assert result.exhaustive and all(sum(price[p] for p in d if d[p]) <= 300 for d in calls)
    # a + c + d costs 250 for 5.5; b + d costs 300 for 6: the better one within the budget
    assert ranked(result.evaluations, MAX[0])[0].decisions == {"a": False, "b": True, "c": False, "d": True}


def test_weighted_equality_by_construction():
    decisions = ints("a", "b", high=6)
    pair = SumConstraint(sum=["a", "b"], weights=[1, 2], equals=6)
    space = enumerate_space(decisions, [pair], 100)
    assert space == [{"a": 0, "b": 3}, {"a": 2, "b": 2}, {"a": 4, "b": 1}, {"a": 6, "b": 0}]


def test_rounds_of_rejects_and_repeats_simulate_nothing():
    """Three feasible designs of nine, a budget of two: optuna's proposals are mostly rejected or
    repeated; only distinct feasible designs are simulated, and the search ends."""
    decisions = [Decision(path=p, values=[1, 2, 3]) for p in "xy"]
    total = SumConstraint(sum=["x", "y"], equals=4)
    evaluate, calls = noisy(lambda d: d["x"])
    result = search(decisions, MAX, evaluate, evaluations=2, seed=0, sums=[total])
    assert not result.exhaustive and result.rejected > 0
    assert len(calls) == 2 and all(d["x"] + d["y"] == 4 for d in calls)
    assert len({tuple(d.values()) for d in calls}) == 2
