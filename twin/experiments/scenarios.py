"""A scenario: a name and a set of overrides (`path: value`) of a base line or study.

A scenario of a study runs the study's line with the study's enabled levers applied, after the
overrides: so `levers.automation.enabled: false` or `levers.predictive_maintenance.recall: 0.8`
are scenarios like `stations[Milling].buffer: 8`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twin import levers as lever_functions
from twin.config import Line
from twin.config.study import Study
from twin.errors import ConfigError, show
from twin.experiments.paths import line_or_study, set_values

MAX_NAME_CHARS = 120


@dataclass(frozen=True)
class Scenario:
    """What to change in the base, by path (the paths are the result table's factor columns)."""

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, base: Line | Study) -> Line | Study:
        """The base with this scenario's overrides, validated again as a whole."""
        base = line_or_study(base)
        if not self.overrides:
            return base
        return set_values(base, self.overrides)

    def line(self, base: Line | Study) -> Line:
        """The line this scenario simulates: the overridden line, with a study's enabled levers
        applied."""
        return effective_line(self.apply(base))


def effective_line(model: Line | Study) -> Line:
    """A line as it is, or a study's line with its enabled levers applied."""
    if isinstance(model, Line):
        return model
    return lever_functions.apply(model.line, model.levers, lever_functions.enabled(model.levers))


def lever_switches(study: Study, on: Iterable[str]) -> dict[str, bool]:
    """Overrides that switch the levers `on` on and every other configured lever off: what makes
    the conventional line, the Industry 4.0 line and each lever subset scenarios of one study."""
    chosen = set(on)
    return {f"levers.{name}.enabled": name in chosen for name in lever_functions.LEVER_NAMES
            if getattr(study.levers, name) is not None}


def base_line(model: Line | Study) -> Line:
    """The line whose run settings (horizon, replications, seed) an experiment on `model` uses."""
    return model if isinstance(model, Line) else model.line


def check_names(scenarios: list[Scenario]) -> None:
    """Scenario names are unique, non-empty and short: they key the result table."""
    seen: set[str] = set()
    for index, scenario in enumerate(scenarios):
        name = scenario.name
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise ConfigError(f"scenarios[{index}].name: expected a name of 1 to {MAX_NAME_CHARS} "
                              f"characters, got {show(name)}", field=f"scenarios[{index}].name")
        if name in seen:
            raise ConfigError(f"scenarios[{index}].name: duplicate scenario name, got {show(name)}",
                              field=f"scenarios[{index}].name")
        seen.add(name)
