"""The experiment file: `base:` (a line or study, inline or a path) and what to do with it.

    base: machining_line.yaml          # or a mapping: a line, or a study with `line:`
    replications: 10                   # optional: the base line's own otherwise
    seed: 7                            # optional
    responses: [throughput_per_hour]   # KPI names; the headline KPIs by default
    scenarios:                         # twin scenarios
      - {name: today}
      - {name: bigger buffer, set: {stations[Milling].buffer: 8}}
    factors:                           # twin sweep / twin sensitivity
      - {path: stations[Milling].buffer, values: [0, 2, 4, 8]}
      - {path: stations[Grinding].process.mean, low: 2.5, high: 3.5, type: float}
    design: {kind: grid, samples: 5}   # grid | lhs | sobol | morris

Each command reads its own model (`ScenariosFile`, `SweepFile`); other commands subclass
`ExperimentBase` with their own keys, so a key that belongs to no command is still refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, model_validator

from twin.config.base import StrictModel, field_error
from twin.config.study import Study
from twin.errors import ConfigError, show
from twin.io import LineResolver, files_relative_to, parse_yaml, read_yaml, study_from_data, validate_as
from twin.limits import MAX_EXPERIMENT_POINTS, MAX_REPLICATIONS, MAX_SEED

E = TypeVar("E", bound="ExperimentBase")


class ExperimentBase(StrictModel):
    """What every experiment file has: the base and the run settings."""

    base: str | dict[str, Any]
    """A line or study file (relative to the experiment file's folder), or one inline."""
    replications: int | None = Field(default=None, ge=2, le=MAX_REPLICATIONS)
    """Replications of every scenario (the base line's own by default)."""
    seed: int | None = Field(default=None, ge=0, le=MAX_SEED)
    responses: list[str] | None = Field(default=None, min_length=1, max_length=200)
    """KPIs to report (names of line KPIs); the headline KPIs the line models by default."""


class ScenarioSpec(StrictModel):
    name: str = Field(min_length=1, max_length=120)
    overrides: dict[str, Any] = Field(default_factory=dict, alias="set", max_length=200)
    """`path: value` overrides of the base (`stations[Milling].buffer: 8`)."""


class ScenariosFile(ExperimentBase):
    """`twin scenarios`: named scenarios, each compared with the first."""

    scenarios: list[ScenarioSpec] = Field(min_length=1, max_length=MAX_EXPERIMENT_POINTS)


class Factor(StrictModel):
    """One factor: a path and either its `values` or a range `low`..`high` of a `type`."""

    path: str = Field(min_length=1, max_length=300)
    values: list[Any] | None = Field(default=None, min_length=1, max_length=MAX_EXPERIMENT_POINTS)
    low: float | None = None
    high: float | None = None
    type: Literal["int", "float"] = "float"

    @model_validator(mode="after")
    def _values_or_range(self) -> Factor:
        ranged = self.low is not None or self.high is not None
        if self.values is not None and ranged:
            raise field_error("values", "give either values or low and high, got both")
        if self.values is None:
            if self.low is None or self.high is None:
                raise field_error("low" if self.low is None else "high",
                                  "a factor needs values, or both low and high, got none")
            if not self.low < self.high:
                raise field_error("high", f"must be > low ({self.low:g}), got {self.high:g}")
            if self.type == "int" and not (self.low.is_integer() and self.high.is_integer()):
                raise field_error("low", f"an int factor needs whole bounds, got {self.low:g} and "
                                         f"{self.high:g}")
        return self

    @property
    def bounds(self) -> tuple[Any, Any]:
        """The low and high ends (the first and last of `values`)."""
        if self.values is not None:
            return self.values[0], self.values[-1]
        assert self.low is not None and self.high is not None
        if self.type == "int":
            return int(self.low), int(self.high)
        return self.low, self.high


class Design(StrictModel):
    """How points are drawn from the factors: `grid` (every combination of each factor's values, or
    of `samples` evenly spaced levels of a range, 3 by default), `lhs` (`samples` Latin-hypercube
    points), `sobol` (Saltelli's scheme for Sobol indices: `samples` × (factors + 2) points) and
    `morris` (`samples` trajectories of factors + 1 points on `levels` levels)."""

    kind: Literal["grid", "lhs", "sobol", "morris"] = "grid"
    samples: int | None = Field(default=None, ge=1, le=MAX_EXPERIMENT_POINTS)
    levels: int = Field(default=4, ge=2, le=100)
    """Levels of a Morris grid."""


class SweepFile(ExperimentBase):
    """`twin sweep` and `twin sensitivity`: factors and a design."""

    factors: list[Factor] = Field(min_length=1, max_length=50)
    design: Design = Design()

    @model_validator(mode="after")
    def _distinct_paths(self) -> SweepFile:
        seen: set[str] = set()
        for index, factor in enumerate(self.factors):
            if factor.path in seen:
                raise field_error(f"factors[{index}].path", f"duplicate factor, got {factor.path!r}")
            seen.add(factor.path)
        return self


def load_experiment(path: str | Path, model: type[E]) -> tuple[E, Study]:
    """Read an experiment file as `model` and resolve its base (a path relative to the file's
    folder, like a study's `line:`)."""
    path = Path(path)
    return experiment_from_data(read_yaml(path), model, str(path), path.parent)


def experiment_from_text(text: str, model: type[E], source: str = "", base: Path | None = None, *,
                         lines: LineResolver | None = None) -> tuple[E, Study]:
    """An experiment given as YAML text; `lines` resolves its `base:` path (and a base study's
    `line:`) as for `twin.io.study_from_text` (an upload server passes `presets_in(folder)`)."""
    return experiment_from_data(parse_yaml(text, source), model, source, base, lines=lines)


def experiment_from_data(data: Any, model: type[E], source: str, folder: Path | None = None, *,
                         lines: LineResolver | None = None) -> tuple[E, Study]:
    spec = validate_as(model, data, source)
    where = f"{source}: " if source else ""
    if isinstance(spec.base, str):
        try:
            base_path = (lines or files_relative_to(folder))(spec.base)
        except ConfigError as exc:
            raise ConfigError(f"{where}base: {str(exc).removeprefix('line: ')}", field="base",
                              source=source or None) from None
        if not base_path.is_file():
            raise ConfigError(f"{where}base: no such file, got {show(spec.base)}", field="base",
                              source=source or None)
        study = study_from_data(read_yaml(base_path), str(base_path), base_path.parent, lines=lines)
    else:
        study = study_from_data(spec.base, f"{where}base", folder, lines=lines)
    return spec, study
