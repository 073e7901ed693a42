"""Paths into a config: `stations[Milling].buffer`, `stations[2].process.mean`, `stations[*].buffer`,
`maintenance_crew`, `levers.predictive_maintenance.recall`.

A path is read and written on the plain data of a validated model (its `model_dump`), and the result
is validated again as a whole, so an override obeys every rule of the schema (bounds, cross-field
checks, units such as `"90s"`) with the same messages. A path that leads nowhere, or a value the
schema refuses, is one ConfigError naming the path and the value.

Grammar: keys separated by dots; a list is indexed by `[i]` (0-based, as in error messages), by an
element's name (`[Milling]`, quoted when it holds brackets or dots: `["Op 10.a"]`) or by `[*]`
(every element). On a study, a path that does not start with `line`, `levers` or `investment` is
taken inside its line: `stations[0].buffer` is `line.stations[0].buffer`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from twin.config import Line
from twin.config.study import Study
from twin.errors import ConfigError, from_validation_error, show

M = TypeVar("M", bound=BaseModel)

MAX_PATH_CHARS = 300
ALL = "*"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STUDY_KEYS = ("line", "levers", "investment")


@dataclass(frozen=True)
class Select:
    """A list selector: an index, an element's name, or every element (`*`)."""

    text: str
    quoted: bool = False

    def indices(self, items: list[Any], path: str) -> list[int]:
        if self.text == ALL and not self.quoted:
            return list(range(len(items)))
        if not self.quoted and re.fullmatch(r"-?[0-9]+", self.text):
            index = int(self.text)
            if not 0 <= index < len(items):
                raise ConfigError(f"{path}: no element [{index}], the list has {len(items)}",
                                  field=path)
            return [index]
        names = [item.get("name") if isinstance(item, dict) else None for item in items]
        if self.text in names:
            return [names.index(self.text)]
        known = [str(n) for n in names if n is not None]
        hint = _did_you_mean(self.text, known) if known else " (its elements have no names)"
        raise ConfigError(f"{path}: no element named {show(self.text)}{hint}", field=path)


Step = str | Select


def parse(path: Any) -> list[Step]:
    """The steps of a path; a malformed one is a ConfigError naming it."""
    if not isinstance(path, str) or not path.strip():
        raise ConfigError(f"path: expected a path such as stations[0].buffer, got {show(path)}",
                          field="path")
    text = path.strip()
    if len(text) > MAX_PATH_CHARS:
        raise ConfigError(f"path: longer than {MAX_PATH_CHARS} characters, got {show(text)}",
                          field="path")
    steps: list[Step] = []
    position = 0
    while position < len(text):
        if steps and text[position] == ".":
            position += 1
        key = _KEY.match(text, position)
        if key is None:
            raise ConfigError(f"{text}: expected a key at character {position + 1}", field=text)
        steps.append(key.group())
        position = key.end()
        while position < len(text) and text[position] == "[":
            select, position = _selector(text, position)
            steps.append(select)
        if position < len(text) and text[position] != ".":
            raise ConfigError(f"{text}: unexpected {show(text[position])} at character "
                              f"{position + 1}", field=text)
        if position == len(text) - 1:
            raise ConfigError(f"{text}: ends with a dot", field=text)
    return steps


def _selector(text: str, position: int) -> tuple[Select, int]:
    """The `[...]` at `position` (a quoted name may hold brackets and dots)."""
    inner = position + 1
    if inner < len(text) and text[inner] in "\"'":
        quote = text[inner]
        close = text.find(quote, inner + 1)
        if close < 0 or close + 1 >= len(text) or text[close + 1] != "]":
            raise ConfigError(f"{text}: unclosed quoted name at character {inner + 1}", field=text)
        return Select(text[inner + 1:close], quoted=True), close + 2
    close = text.find("]", inner)
    if close < 0 or close == inner:
        raise ConfigError(f"{text}: expected [index], [name] or [*] at character {position + 1}",
                          field=text)
    return Select(text[inner:close].strip()), close + 1


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(choices[:12])})"


def _rooted(model: BaseModel, steps: list[Step]) -> list[Step]:
    """On a study, paths outside `line`/`levers`/`investment` are taken inside its line."""
    if isinstance(model, Study) and steps and steps[0] not in _STUDY_KEYS:
        return ["line", *steps]
    if isinstance(model, Line) and steps and steps[0] in ("levers", "investment"):
        raise ConfigError(f"{_shown(steps)}: a line has no {steps[0]}; make the base a study",
                          field=_shown(steps))
    return steps


def _places(data: Any, steps: list[Step], path: str, create: bool) -> list[tuple[Any, str | int]]:
    """The (container, key) pairs a path leads to: several when it holds `[*]`. With `create`, a
    section absent from the config (`levers.automation` when the study has none) is started empty,
    so that setting one of its fields adds it with its defaults."""
    current: list[Any] = [data]
    started: set[int] = set()  # sections started here: the schema, not the dump, knows their keys
    for number, step in enumerate(steps):
        last = number == len(steps) - 1
        following: list[tuple[Any, str | int]] = []
        for node in current:
            if isinstance(step, Select):
                if not isinstance(node, list):
                    raise ConfigError(f"{path}: {_shown(steps[:number])} is not a list", field=path)
                following.extend((node, index) for index in step.indices(node, path))
                continue
            if not isinstance(node, dict):
                raise ConfigError(f"{path}: {_shown(steps[:number])} has no field {step!r}",
                                  field=path)
            if step not in node and id(node) not in started:
                raise ConfigError(f"{path}: no such field {step!r}"
                                  f"{_did_you_mean(step, [str(k) for k in node])}", field=path)
            if create and not last and node.get(step) is None:
                node[step] = {}
                started.add(id(node[step]))
            following.append((node, step))
        if last:
            return following
        current = [container[key] for container, key in following]
    return []  # pragma: no cover  (parse never returns no steps)


def _shown(steps: list[Step]) -> str:
    text = ""
    for step in steps:
        text += f"[{step.text}]" if isinstance(step, Select) else (f".{step}" if text else step)
    return text or "(top level)"


def get(model: BaseModel, path: str) -> Any:
    """The value at `path` as plain data (durations in minutes); a list of values for `[*]`."""
    steps = _rooted(model, parse(path))
    data = model.model_dump(mode="json", by_alias=True)
    places = _places(data, steps, path, create=False)
    values = [container[key] for container, key in places]
    return values if any(isinstance(s, Select) and s.text == ALL and not s.quoted for s in steps) \
        else values[0]


def set_values(model: M, overrides: Mapping[str, Any]) -> M:
    """A copy of `model` with every `path: value` of `overrides` set, validated again as a whole;
    the first path that leads nowhere or whose value the schema refuses is a ConfigError naming the
    path and the value."""
    data = model.model_dump(mode="json", by_alias=True)
    for path, value in overrides.items():
        steps = _rooted(model, parse(path))
        for container, key in _places(data, steps, path, create=True):
            container[key] = value
    try:
        return type(model).model_validate(data)
    except ValidationError as exc:
        error = from_validation_error(exc, type(model))
        raise _refusal(error, overrides, model) from None


def _refusal(error: ConfigError, overrides: Mapping[str, Any], model: BaseModel) -> ConfigError:
    """The schema's message, said of the override that caused it: `stations[0].buffer = -1:
    stations[0].buffer: must be >= 0, got -1`, naming the path as the user wrote it."""
    field = (error.field or "").removeprefix("line.") if isinstance(model, Study) else error.field
    culprit = next((p for p in overrides if _matches(p, field or "")), None)
    if culprit is None and len(overrides) == 1:
        culprit = next(iter(overrides))
    if culprit is None:
        listed = ", ".join(f"{p} = {show(v)}" for p, v in overrides.items())
        return ConfigError(f"with {listed}: {error}", field=error.field)
    said = str(error)
    if isinstance(model, Study) and not culprit.startswith("line."):
        said = said.removeprefix("line.")
    return ConfigError(f"{culprit} = {show(overrides[culprit])}: {said}", field=culprit)


def _matches(path: str, field: str) -> bool:
    """Whether the error at `field` (`stations[1].buffer`) is at or under `path` as the user wrote
    it (names and wildcards compared loosely: the error speaks in indices)."""
    written = re.sub(r"\[[^\]]*\]", "[]", path.strip().removeprefix("line."))
    reported = re.sub(r"\[[^\]]*\]", "[]", field)
    return bool(field) and (reported == written or reported.startswith(written + ".")
                            or written.startswith(reported + "."))


def check_paths(model: BaseModel, paths: list[str]) -> None:
    """Refuse, before any run, a path that leads nowhere in `model` (its value is not checked)."""
    for path in paths:
        data = model.model_dump(mode="json", by_alias=True)
        _places(data, _rooted(model, parse(path)), path, create=True)


def line_or_study(model: Any) -> Line | Study:
    """`model` itself when it is a validated Line or Study; a one-line ConfigError otherwise."""
    if not isinstance(model, Line | Study):
        raise ConfigError(f"base: expected a twin.Line or twin.Study, got {type(model).__name__}",
                          field="base")
    return model
