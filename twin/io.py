"""Reading line files: YAML (safe_load) → validated `Line`, with errors a person can act on."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from twin.config import Line
from twin.config.study import Study
from twin.errors import TOP_LEVEL, ConfigError, from_validation_error, show

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; syntax errors become a ConfigError with the file's line number."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not a UTF-8 text file (byte {exc.object[exc.start]:#04x} at "
                          f"offset {exc.start})", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})", source=str(path)) from None
    return parse_yaml(text, source=str(path))


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false are booleans, so `off: 0.5` (a machine
    state's power) stays the key "off" instead of becoming False as YAML 1.1 would have it."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


class _StrictLoader(_Yaml12Loader):
    """Also refuses a key given twice in one mapping (YAML keeps the last one silently, so a second
    `horizon:` further down a file would quietly win)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node.start_mark)
            except TypeError:  # an unhashable key: the base constructor reports it
                continue
            if first is not key_node.start_mark:
                raise _DuplicateKey(None, None, f"duplicate key {key!r} (first given on line "
                                                f"{first.line + 1})", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str = "") -> Any:
    """Parse YAML safely (no object construction), with YAML 1.2 booleans and no repeated keys.

    A syntax error names the line and column: `file:3:7: ...`, or `line 3, column 7: ...` for text.
    """
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        if mark is None:
            where = source or "YAML"
        elif source:
            where = f"{source}:{mark.line + 1}:{mark.column + 1}"
        else:
            where = f"line {mark.line + 1}, column {mark.column + 1}"
        problem = str(exc.problem or "invalid YAML")
        if exc.context and problem.startswith("but "):  # "expected a single document, but found ..."
            problem = f"{exc.context}, {problem}"
        problem = " ".join(problem.split())
        kind = "" if isinstance(exc, _DuplicateKey) else "YAML syntax error: "
        raise ConfigError(f"{where}: {kind}{problem}", source=source or None) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(f"{source or 'YAML'}: YAML syntax error: {message}",
                          source=source or None) from None


def validate_as(model: type[M], data: Any, source: str = "") -> M:
    """Validate plain data against a config model, turning failures into a one-line ConfigError."""
    if not isinstance(data, dict):
        if data is None:
            got = "an empty file"
        elif isinstance(data, list):
            got = f"a list {show(data)}"
        else:
            got = show(data)
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{TOP_LEVEL}: expected a mapping of keys such as 'stations:', got {got}",
                          field=TOP_LEVEL, source=source or None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, model, source) from None


def load_line(path: str | Path) -> Line:
    """Read and validate a line file."""
    return validate_as(Line, read_yaml(path), str(path))


def line_from_text(text: str, source: str = "") -> Line:
    """Validate a line given as YAML text; messages name the field (and `source`, when given)."""
    return validate_as(Line, parse_yaml(text, source), source)


def study_from_data(data: Any, source: str, base: Path | None = None) -> Study:
    """A study from parsed YAML: `line:` is a path (relative to the study file) or a mapping; a
    plain line file is a study without levers."""
    if not isinstance(data, dict) or "line" not in data:
        return Study(line=validate_as(Line, data, source))
    if isinstance(data, dict) and isinstance(data.get("line"), str):
        line_path = (base or Path.cwd()) / data["line"]
        if not line_path.exists():
            where = f"{source}: " if source else ""
            raise ConfigError(f"{where}line: no such file, got {data['line']!r}")
        data = {**data, "line": load_line(line_path)}
    return validate_as(Study, data, source)


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (a line plus levers and an investment frame)."""
    path = Path(path)
    return study_from_data(read_yaml(path), str(path), path.parent)


def study_from_text(text: str, source: str = "", base: Path | None = None) -> Study:
    """Validate a study (or a plain line) given as YAML text; a `line:` path is read relative to
    `base` (the working directory when absent)."""
    return study_from_data(parse_yaml(text, source), source, base)


def config_hash(model: BaseModel) -> str:
    """A short, stable fingerprint of a validated config (stamped on every result)."""
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def dump_yaml(model: BaseModel) -> str:
    """A config as YAML that reloads to the same model (durations written in minutes)."""
    data = model.model_dump(mode="json", by_alias=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
