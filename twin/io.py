"""Reading line files: YAML (safe_load) → validated `Line`, with errors a person can act on."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from twin.config import Line
from twin.config.base import duration_parser as _duration_parser
from twin.config.study import Study
from twin.errors import TOP_LEVEL, ConfigError, from_validation_error, show
from twin.limits import MAX_FILE_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES
from twin.units import format_minutes, parse_duration

M = TypeVar("M", bound=BaseModel)


def read_text_file(path: str | Path, limit: int | None = None, what: str = "") -> str:
    """The text of a regular file of at most `limit` bytes, or a one-line ConfigError.

    Only regular files are read: a device (`/dev/zero`), a FIFO (which would block forever) or a
    directory is refused before a byte is read, and a file over the limit is refused without being
    read whole. Messages name the path and never echo what the file holds.
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    return text_from_bytes(read_bytes_file(path, limit, what), what or str(path), limit)


def read_bytes_file(path: str | Path, limit: int | None = None, what: str = "") -> bytes:
    """The bytes of a regular file of at most `limit` bytes (a Parquet log, or the text of any
    file before decoding), with the same refusals as `read_text_file`."""
    path = Path(path)
    limit = MAX_FILE_BYTES if limit is None else limit
    label = what or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file", source=str(path)) from None
    except IsADirectoryError:
        raise ConfigError(f"{label}: is a directory", source=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"{label}: cannot read ({exc.strerror or exc})", source=str(path)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "is a directory" if stat.S_ISDIR(info.st_mode) else \
            "not a regular file (a device, pipe or socket is never read)"
        raise ConfigError(f"{label}: {kind}", source=str(path))
    with os.fdopen(fd, "rb") as handle:
        if info.st_size > limit:
            raise ConfigError(f"{label}: file too large ({info.st_size:,} bytes; the limit is "
                              f"{limit:,}, see docs/security.md)", source=str(path))
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise ConfigError(f"{label}: cannot read ({exc.strerror or exc})", source=str(path)) from None
    if len(data) > limit:  # the file grew while it was read
        raise ConfigError(f"{label}: file too large ({len(data):,} bytes or more; the limit is "
                          f"{limit:,}, see docs/security.md)", source=str(path))
    return data


def text_from_bytes(data: bytes, label: str, limit: int | None = None) -> str:
    """The UTF-8 text of a file's bytes (read from disk or uploaded), or a one-line ConfigError:
    over the size limit, or not UTF-8."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if len(data) > limit:
        raise ConfigError(f"{label}: file too large ({len(data):,} bytes or more; the limit is "
                          f"{limit:,}, see docs/security.md)", source=label)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not a UTF-8 text file (byte {data[exc.start]:#04x} at "
                          f"offset {exc.start})", source=label) from None


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file (a regular file within the size limit); syntax errors name the line."""
    return parse_yaml(read_text_file(path), source=str(path))


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


class _BoundedLoader(_StrictLoader):
    """Also bounds the work a document can ask for: its nesting depth while it is composed, and the
    number of values once aliases are expanded before anything is built from it. A 'billion
    laughs' alias bomb or a self-referencing alias is refused in microseconds instead of costing
    minutes and gigabytes downstream (validation and error messages would walk every copy)."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _TooLarge(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                self.peek_event().start_mark)
            node = super().compose_node(parent, index)
            assert node is not None  # compose_node is only called where a node follows
            return node
        finally:
            self._depth -= 1

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, value_node in node.value:  # name the key of an over-long number
            if value_node.tag == "tag:yaml.org,2002:int" and len(str(value_node.value)) > _MAX_DIGITS:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                key = key if re.fullmatch(r"[A-Za-z0-9_]{1,40}", key) else show(key[:40])
                raise _TooLarge(None, None, f"{key}: a number with more than {_MAX_DIGITS} "
                                            f"digits", value_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _TooLarge(yaml.constructor.ConstructorError):
    pass


_MAX_DIGITS = 40


def _bounded_int(loader: _BoundedLoader, node: yaml.ScalarNode) -> int:
    """Whole numbers of at most 40 digits (Python refuses to parse 4,300 and takes quadratic time
    before that; no field of a line needs more than 19)."""
    if len(str(node.value)) > _MAX_DIGITS:
        raise _TooLarge(None, None, f"a number with more than {_MAX_DIGITS} digits", node.start_mark)
    return loader.construct_yaml_int(node)


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


def _check_expanded_size(root: yaml.Node) -> None:
    """Count the values of a composed document as if every alias were copied out, stopping as soon
    as the count passes the limit; a node that contains itself is refused too."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_YAML_NODES:
                raise _TooLarge(None, None, f"expands to more than {MAX_YAML_NODES:,} values once "
                                            f"its aliases are copied out (see docs/security.md)",
                                node.start_mark)
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _TooLarge(None, None, "an alias refers to a value that contains it", node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def parse_yaml(text: str, source: str = "") -> Any:
    """Parse YAML safely (no object construction), with YAML 1.2 booleans and no repeated keys.

    A syntax error names the line and column: `file:3:7: ...`, or `line 3, column 7: ...` for text.
    """
    if not isinstance(text, str):  # the API's callers: a list or None must not reach PyYAML
        raise ConfigError(f"{source or 'YAML'}: expected YAML text, got {type(text).__name__}",
                          source=source or None)
    if len(text) > MAX_FILE_BYTES:
        raise ConfigError(f"{source or 'YAML'}: too large ({len(text):,} characters; the limit is "
                          f"{MAX_FILE_BYTES:,}, see docs/security.md)", source=source or None)
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # a yaml.SafeLoader subclass: no Python objects
    except RecursionError:
        raise ConfigError(f"{source or 'YAML'}: nested too deeply", source=source or None) from None
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
        kind = "" if isinstance(exc, _DuplicateKey | _TooLarge) else "YAML syntax error: "
        raise ConfigError(f"{where}: {kind}{problem}", source=source or None) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(f"{source or 'YAML'}: YAML syntax error: {message}",
                          source=source or None) from None


def validate_as(model: type[M], data: Any, source: str = "") -> M:
    """Validate plain data against a config model, turning failures into a one-line ConfigError."""
    if not isinstance(data, dict):
        # never the value itself: a file that is not a line (/etc/passwd) must not be echoed
        if data is None:
            got = "an empty file"
        elif isinstance(data, list):
            got = f"a list of {len(data)} items"
        elif isinstance(data, str):
            got = f"a text of {len(data)} characters"
        else:
            got = f"a {type(data).__name__}"
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{TOP_LEVEL}: expected a mapping of keys such as 'stations:', got {got}",
                          field=TOP_LEVEL, source=source or None)
    if data and not any(_near_a_key(key, model) for key in data):
        # a mapping with nothing of a line in it (/etc/shadow reads as one): its keys are its content
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{TOP_LEVEL}: expected a mapping of keys such as 'stations:', got a "
                          f"mapping of {len(data)} keys, none of them a key of a "
                          f"{model.__name__.lower()}", field=TOP_LEVEL, source=source or None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, model, source) from None


def _near_a_key(key: Any, model: type[BaseModel]) -> bool:
    """Whether `key` is a key of `model` or close enough to one to be a typo of it."""
    keys = [info.alias or name for name, info in model.model_fields.items()]
    return isinstance(key, str) and (key in keys or bool(difflib.get_close_matches(key, keys, n=1,
                                                                                   cutoff=0.6)))


def load_line(path: str | Path) -> Line:
    """Read and validate a line file."""
    return validate_as(Line, read_yaml(path), str(path))


def line_from_text(text: str, source: str = "") -> Line:
    """Validate a line given as YAML text; messages name the field (and `source`, when given)."""
    return validate_as(Line, parse_yaml(text, source), source)


LineResolver = Callable[[str], Path]
"""Turns a study's `line: <name>` into the file to read, or refuses it with a ConfigError."""


def files_relative_to(base: Path | None) -> LineResolver:
    """The CLI's and the API's rule: `line:` names any file, relative to the study's folder."""
    def resolve(reference: str) -> Path:
        return (base or Path.cwd()) / reference
    return resolve


def presets_in(folder: Path) -> LineResolver:
    """The app's rule for uploads: `line:` may name only one of the presets in `folder`, by its file
    name (`machining_line.yaml`, or `configs/machining_line.yaml`); any other path is refused
    without being looked at, so an upload can never make the server read one of its files."""
    def resolve(reference: str) -> Path:
        names = sorted(p.name for p in folder.glob("*.yaml") if p.is_file())
        name = reference.removeprefix(f"{folder.name}/")
        if name in names:
            return folder / name
        raise ConfigError(f"line: an uploaded study may name only a preset ({', '.join(names)}) or "
                          f"carry its line inline, got {show(reference)}", field="line")
    return resolve


def study_from_data(data: Any, source: str, base: Path | None = None, *,
                    lines: LineResolver | None = None) -> Study:
    """A study from parsed YAML: `line:` is a file name (resolved by `lines`; by default relative to
    `base`, the study's folder) or a mapping; a plain line file is a study without levers."""
    if not isinstance(data, dict) or "line" not in data:
        return Study(line=validate_as(Line, data, source))
    if isinstance(data.get("line"), str):
        where = f"{source}: " if source else ""
        try:
            line_path = (lines or files_relative_to(base))(data["line"])
        except ConfigError as exc:
            raise ConfigError(f"{where}{exc}", field="line", source=source or None) from None
        if not line_path.exists():
            raise ConfigError(f"{where}line: no such file, got {show(data['line'])}", field="line",
                              source=source or None)
        data = {**data, "line": load_line(line_path)}
    return validate_as(Study, data, source)


def load_study(path: str | Path) -> Study:
    """Read and validate a study file (a line plus levers and an investment frame)."""
    path = Path(path)
    return study_from_data(read_yaml(path), str(path), path.parent)


def study_from_text(text: str, source: str = "", base: Path | None = None, *,
                    lines: LineResolver | None = None) -> Study:
    """Validate a study (or a plain line) given as YAML text; a `line:` path is resolved by `lines`
    (by default relative to `base`, the working directory when absent). A server that takes
    uploads passes `lines=presets_in(folder)`."""
    return study_from_data(parse_yaml(text, source), source, base, lines=lines)


def config_digest(model: BaseModel) -> str:
    """The SHA-256 of a validated config's canonical JSON: what identifies its numbers (a memo of
    results keys on it whole)."""
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def config_hash(model: BaseModel) -> str:
    """A short, stable fingerprint of a validated config (stamped on every result): the first 12
    hex digits of `config_digest`."""
    return config_digest(model)[:12]


def dump_yaml(model: BaseModel) -> str:
    """A config as YAML that reloads to the same model, durations written with a unit the way a
    person writes them (`horizon: 1w`, not `10080.0`) wherever that reads back exactly."""
    data = _with_duration_units(model, model.model_dump(mode="json", by_alias=True))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _with_duration_units(model: BaseModel, data: dict[str, Any]) -> dict[str, Any]:
    """`data` (the model's JSON dump) with each duration field as `format_minutes` writes it."""
    for name, info in type(model).model_fields.items():
        key = info.alias or name
        if key not in data:
            continue
        value = getattr(model, name)
        if isinstance(value, float) and any(getattr(m, "func", None) is _duration_parser
                                            for m in info.metadata):
            text = format_minutes(value)
            data[key] = text if parse_duration(text) == value else value
        elif isinstance(value, BaseModel):
            data[key] = _with_duration_units(value, data[key])
        elif isinstance(value, list | tuple):
            data[key] = [_with_duration_units(v, d) if isinstance(v, BaseModel) else d
                         for v, d in zip(value, data[key], strict=True)]
        elif isinstance(value, dict):
            data[key] = {k: _with_duration_units(v, d) if isinstance(v, BaseModel) else d
                         for (k, v), d in zip(value.items(), data[key].values(), strict=True)}
    return data
