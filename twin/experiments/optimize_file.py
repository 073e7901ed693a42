"""The optimisation file of `twin optimize`: the run settings of `ExperimentBase`, the decision
space (`twin.experiments.optimize_space`), a budget and a selection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from twin.config.base import StrictModel, field_error
from twin.experiments.optimize_space import Constraint, Decision, KPIConstraint, Objective, SumConstraint
from twin.experiments.spec import ExperimentBase
from twin.limits import MAX_EXPERIMENT_POINTS, MAX_REPLICATIONS


class Budget(StrictModel):
    evaluations: int = Field(ge=1, le=MAX_EXPERIMENT_POINTS)
    """Designs simulated by the search (each for the file's replications)."""


class SelectionSettings(StrictModel):
    """Ranking and selection of the search's best designs (fresh replications, common random
    numbers): the answer is the best of them, or one within `indifference`, with `confidence`."""

    indifference: float = Field(gt=0, allow_inf_nan=False)
    confidence: float = Field(default=0.95, ge=0.5, le=0.999)
    procedure: Literal["kn", "ocba"] = "kn"
    finalists: int = Field(default=5, ge=1, le=20)
    """How many of the search's best feasible designs go to the selection."""
    max_replications: int = Field(default=200, ge=2, le=MAX_REPLICATIONS)
    """Replications per finalist at most (KN stops earlier when it can; OCBA spends
    finalists × this / 4 in all)."""


class OptimizeFile(ExperimentBase):
    """`twin optimize`: decisions, an objective (or two), constraints, a budget and a selection."""

    objective: Objective | list[Objective]
    decisions: list[Decision] = Field(min_length=1, max_length=50)
    constraints: list[Constraint] = Field(default_factory=list, max_length=50)
    budget: Budget
    selection: SelectionSettings | None = None
    """Required with one objective; a Pareto front (two objectives) has no selection."""

    @model_validator(mode="after")
    def _consistent(self) -> OptimizeFile:
        objectives = self.objectives
        if not 1 <= len(objectives) <= 2:
            raise field_error("objective", f"one objective, or two for a Pareto front, got {len(objectives)}")
        if len(objectives) == 1 and self.selection is None:
            raise field_error("selection", "required with one objective, e.g. {indifference: 0.5}")
        if len({o.kpi for o in objectives}) < len(objectives):
            raise field_error("objective", "the two objectives name the same KPI")
        paths = [d.path for d in self.decisions]
        for index, path in enumerate(paths):
            if path in paths[:index]:
                raise field_error(f"decisions[{index}].path", f"duplicate decision, got {path!r}")
        by_path = {d.path: d for d in self.decisions}
        for index, constraint in enumerate(self.constraints):
            if isinstance(constraint, SumConstraint):
                for j, path in enumerate(constraint.sum):
                    decision = by_path.get(path)
                    if decision is None:
                        raise field_error(f"constraints[{index}].sum[{j}]",
                                          f"not a decision path, got {path!r}")
                    if decision.values is not None and not all(
                            isinstance(v, int | float) for v in decision.values):
                        raise field_error(f"constraints[{index}].sum[{j}]",
                                          f"a sum needs numeric decisions, got {path!r}")
        return self

    @property
    def objectives(self) -> list[Objective]:
        return self.objective if isinstance(self.objective, list) else [self.objective]

    @property
    def judged_kpis(self) -> list[str]:
        """The KPIs designs are judged on: the objectives', then the constrained ones."""
        return [o.kpi for o in self.objectives] + [c.kpi for c in self.kpi_constraints]

    @property
    def sums(self) -> list[SumConstraint]:
        return [c for c in self.constraints if isinstance(c, SumConstraint)]

    @property
    def kpi_constraints(self) -> list[KPIConstraint]:
        return [c for c in self.constraints if isinstance(c, KPIConstraint)]
