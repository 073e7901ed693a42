"""One-line, field-naming messages for bad input (`stations[2].buffer: must be >= 0, got -3`).

Every entry point (CLI, API, UI) turns a pydantic `ValidationError` or a YAML error into a
`ConfigError` here, so the wording is the same wherever the user meets it: `<field path>: <what is
wrong>, got <value as the user wrote it>`.

Pydantic's error locations mix fields with things that are not in the YAML (the tag of a
discriminated union, validator wrappers). They are told apart by walking the config schema along the
location, not by their spelling, so a user's unknown key that happens to be spelled like a tag
(`normal`, `none`) is still named.
"""

from __future__ import annotations

import difflib
import math
import re
import types
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError


class ConfigError(ValueError):
    """Bad input, with a message fit to show a person as it is (no traceback).

    `field` is the path of the offending field (`stations[2].buffer`) when there is one, and `source`
    the file or option the input came from, so a UI can show the message next to the input.
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.source = source


class RunError(ConfigError):
    """A run that could not complete through no fault of its input (a lost scheduler, a worker
    killed by the system): one line too, with a different exit status (1)."""


TOP_LEVEL = "(top level)"
_MAX_SHOWN = 60


# ---------------------------------------------------------------------------------------------
# Walking the schema along an error location


@dataclass
class _Place:
    """Where an error location leads in the schema: its display path and the types found there."""

    path: str = ""
    types: list[Any] = field(default_factory=list)
    """Candidate annotations at the location (several for a union before its tag is known)."""
    parent_models: list[type[BaseModel]] = field(default_factory=list)
    """The models holding the last key of the location (for 'did you mean' on unknown keys)."""


def _alternatives(annotation: Any) -> list[Any]:
    """`Annotated[X | Y | None, ...]` → [X, Y]: the concrete types a value may take."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _alternatives(get_args(annotation)[0])
    if origin is Union or isinstance(annotation, types.UnionType):
        return [alt for arg in get_args(annotation) for alt in _alternatives(arg)]
    if annotation is type(None):
        return []
    return [annotation]


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _field_named(model: type[BaseModel], key: str) -> Any | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info.annotation
    return None


def _keys_of(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _tags_of(model: type[BaseModel]) -> dict[str, str]:
    """{field: value} of the single-valued Literal fields of `model` (its union tags)."""
    tags = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if get_origin(annotation) is Literal and len(get_args(annotation)) == 1:
            tags[info.alias or name] = get_args(annotation)[0]
    return tags


def _key_text(key: str) -> str:
    return f".{key}" if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]*", key) else f"[{key!r}]"


def _join(path: str, key: str) -> str:
    text = _key_text(key)
    return text[1:] if not path and text.startswith(".") else path + text


def walk(model: type[BaseModel], loc: Sequence[int | str]) -> _Place:
    """Follow `loc` from `model`, keeping the parts that are YAML keys or list indices."""
    place = _Place(types=[model])
    for part in loc:
        candidates = [alt for t in place.types for alt in _alternatives(t)]
        models = [c for c in candidates if _is_model(c)]
        if isinstance(part, int):
            items = [get_args(c)[0] for c in candidates
                     if get_origin(c) in (list, tuple, set, frozenset) and get_args(c)]
            if items or not models:
                place.path += f"[{part}]"
            else:  # a number used as a key of a mapping (YAML `1: x`)
                place.path = _join(place.path, str(part))
            place.types = items
            continue
        # A union of several models: pydantic names the branch (its tag, or its class) first.
        branch = [m for m in models if part in _tags_of(m).values() or part == m.__name__]
        if len(models) > 1 and branch:
            place.types = branch
            continue
        owners = [m for m in models if _field_named(m, part) is not None]
        if owners:
            place.parent_models = owners
            place.types = [_field_named(m, part) for m in owners]
            place.path = _join(place.path, part)
            continue
        mappings = [c for c in candidates if get_origin(c) is dict and get_args(c)]
        if mappings:
            place.parent_models = []
            place.types = [get_args(c)[1] for c in mappings]
            place.path = _join(place.path, part)
            continue
        if branch or _is_wrapper(part, candidates):
            continue
        # Not in the schema: a key the user wrote that no model knows (an unknown key).
        place.parent_models = models
        place.types = []
        place.path = _join(place.path, part)
    return place


def _is_wrapper(part: str, candidates: list[Any]) -> bool:
    """Labels pydantic puts in locations for validators and non-model unions (`int`, `str`)."""
    if re.match(r"^(function-|tagged-union\[|nullable\[|lax-|json-or-python\[|chain\[)", part):
        return True
    return any(getattr(c, "__name__", None) == part for c in candidates)


def format_location(loc: Sequence[int | str], model: type[BaseModel] | None = None) -> str:
    """('stations', 2, 'buffer') → 'stations[2].buffer', without union tags and wrappers."""
    if model is not None:
        return walk(model, loc).path or TOP_LEVEL
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _is_wrapper(part, []):
            text = _join(text, part)
    return text or TOP_LEVEL


# ---------------------------------------------------------------------------------------------
# Showing values and describing problems


def show(value: Any) -> str:
    """A value as the user wrote it in YAML, on one line and kept short. Only the start of a long
    value is looked at, so a message about a huge list costs no more than one about a number."""
    text = _flow(value, _MAX_SHOWN + 1)
    text = " ".join(text.splitlines())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .\-/]*$")


def _flow(value: Any, budget: int, inner: bool = False) -> str:
    """YAML flow style of `value`, stopping once `budget` characters are written (text inside a
    list or mapping is bare where YAML would write it so, as in `{name: A}`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    if isinstance(value, int | float):
        return repr(value) if not isinstance(value, int) or value.bit_length() < 128 else "a huge number"
    if isinstance(value, str):
        if inner and _PLAIN.match(value[:budget]) and not value.endswith(" "):
            return value[:budget]
        return repr(value[:budget]) if len(value) <= budget else repr(value[:budget])[:-1] + "..."
    if isinstance(value, dict):
        items, opener, closer = ((f"{_flow(k, budget, True)}: ", v) for k, v in value.items()), "{", "}"
    elif isinstance(value, list | tuple):
        items, opener, closer = (("", v) for v in value), "[", "]"
    else:
        text = repr(value)
        return text[:budget]
    parts: list[str] = []
    used = 1
    for prefix, item in items:
        if used > budget:
            parts.append("...")
            break
        part = prefix + _flow(item, budget - used, True)
        parts.append(part)
        used += len(part) + 2
    return opener + ", ".join(parts) + closer


def _number(bound: Any) -> str:
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _did_you_mean(word: Any, choices: Sequence[str]) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_BOUNDS = {"greater_than": (">", "gt"), "greater_than_equal": (">=", "ge"),
           "less_than": ("<", "lt"), "less_than_equal": ("<=", "le")}


def describe_problem(error: dict[str, Any], place: _Place | None = None) -> str:
    """What is wrong with the value of one pydantic error, ending with `got <value>`."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    got = f"got {show(value)}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown key" + _unknown_key_hint(error, place)
    if kind in _BOUNDS:
        sign, key = _BOUNDS[kind]
        if isinstance(value, float) and math.isnan(value):
            return f"must be a number, {got}"
        return f"must be {sign} {_number(ctx.get(key, next(iter(ctx.values()), '?')))}, {got}"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        return (f"must be one of {', '.join(tags)}, got {show(ctx.get('tag'))}"
                f"{_did_you_mean(ctx.get('tag'), tags)}")
    if kind == "union_tag_not_found":
        return f"needs a {ctx.get('discriminator', 'kind')} key, {got}"
    if kind in {"too_short", "string_too_short"}:
        return f"must not be empty, {got}"
    if kind in {"too_long", "string_too_long"}:
        limit = ctx.get("max_length", "?")
        return f"must have at most {limit} {'characters' if 'string' in kind else 'items'}, {got}"
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return f"expected a whole number, {got}"
    if kind in {"float_type", "float_parsing", "finite_number"}:
        return f"expected a number, {got}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"expected true or false, {got}"
    if kind in {"string_type", "string_sub_type"}:
        return f"expected text, {got}"
    if kind in {"list_type", "tuple_type", "set_type"}:
        return f"expected a list (one '- ' item per line), {got}"
    if kind in {"model_type", "model_attributes_type", "dict_type", "dataclass_type"}:
        return _mapping_expected(value, place) + f", {got}"
    if kind in {"literal_error", "enum"}:
        expected = str(ctx.get("expected", "?"))
        choices = re.findall(r"'([^']*)'", expected)
        return f"expected {expected}, {got}{_did_you_mean(value, choices)}"
    if kind == "invalid_key":
        return f"keys must be text, {got}"
    if kind == "field_error":
        return str(ctx.get("message", error.get("msg", "")))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ").rstrip(".")
    message = message[:1].lower() + message[1:]
    mentions_value = ", got " in message or (value is not None and repr(value) in message)
    return message if mentions_value else f"{message}, {got}"


def _unknown_key_hint(error: dict[str, Any], place: _Place | None) -> str:
    if place is None or not place.parent_models:
        return ""
    keys = [k for model in place.parent_models for k in _keys_of(model)]
    key = str(error.get("loc", ("",))[-1])
    hint = _did_you_mean(key, keys)
    if hint:
        return hint
    model = place.parent_models[0]
    tags = _tags_of(model)
    owner = (" for {}: {}".format(*next(iter(tags.items())))
             if len(place.parent_models) == 1 and tags else "")
    if len(keys) <= 10:
        return f"{owner} (allowed: {', '.join(dict.fromkeys(keys))})"
    return owner


def _mapping_expected(value: Any, place: _Place | None) -> str:
    """`source: saturated` → 'write it as {kind: saturated}'; otherwise ask for a mapping."""
    models = [alt for t in (place.types if place else []) for alt in _alternatives(t) if _is_model(alt)]
    if isinstance(value, str):
        for model in models:
            for key, tag in _tags_of(model).items():
                if tag == value:
                    return f"expected a mapping, write it as {{{key}: {value}}}"
    return "expected a mapping (key: value)"


def describe_error(error: dict[str, Any], model: type[BaseModel] | None = None) -> str:
    """One pydantic error dict → one line naming the field and the offending value."""
    return " ".join(_field_and_problem(error, model))


def _field_and_problem(error: dict[str, Any], model: type[BaseModel] | None) -> tuple[str, str]:
    loc = list(error.get("loc", ()))
    place = walk(model, loc) if model is not None else _Place(path=format_location(loc))
    where = place.path
    if error.get("type") == "field_error":
        extra = str((error.get("ctx") or {}).get("field", ""))
        if extra:
            where = where + extra if extra.startswith("[") or not where else f"{where}.{extra}"
    elif error.get("type") == "union_tag_invalid":
        tag_field = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
        if tag_field:
            where = _join(where, tag_field)
    problem = describe_problem(error, place)
    return f"{where or TOP_LEVEL}:", " ".join(problem.splitlines())


def _priority(error: Any) -> int:
    # A misspelt key also makes the right one 'missing': name the typo, it is the cause.
    return 0 if error.get("type") == "extra_forbidden" else 1


def from_validation_error(exc: ValidationError, model: type[BaseModel], source: str = "") -> ConfigError:
    """The most telling error of `exc` as a ConfigError; the count of any further ones is appended."""
    errors = exc.errors(include_url=False)
    first = dict(min(errors, key=_priority))
    where, problem = _field_and_problem(first, model)
    line = f"{where} {problem}"
    if len(errors) > 1:
        line += f" (+{len(errors) - 1} more)"
    return ConfigError(f"{source}: {line}" if source else line, field=where.removesuffix(":"),
                       source=source or None)
