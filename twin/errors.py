"""One-line, field-naming messages for bad input (`stations[2].buffer: must be >= 0, got -3`).

Every entry point (CLI, API, UI) turns a pydantic `ValidationError` or a YAML error into a
`ConfigError` here, so the wording is the same wherever the user meets it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from twin.config.dists import DIST_NAMES


class ConfigError(ValueError):
    """Bad input, with a message fit to show a person as it is (no traceback)."""


# Discriminator values pydantic inserts into error locations; they are not fields of the YAML.
_TAGS = frozenset(DIST_NAMES) | {
    "saturated", "arrivals", "conwip", "reactive", "preventive", "predictive",
    "none", "spc", "closed_loop", "function-after[_unique_names(), list[Station]]",
}


def format_location(loc: Sequence[int | str]) -> str:
    """('stations', 2, 'buffer') → 'stations[2].buffer', dropping union tags and wrappers."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _TAGS or part.startswith(("function-", "tagged-union")):
            continue
        elif part.startswith("["):
            text += part
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict | list) and len(repr(value)) > 60:
        return repr(value)[:57] + "..."
    return repr(value) if value is not None else "null"


def describe_error(error: dict[str, Any], model: type | None = None) -> str:
    """One pydantic error dict → one line naming the field and the offending value."""
    loc = list(error.get("loc", ()))
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    value = error.get("input")
    if kind == "field_error":
        field = ctx.get("field", "")
        location = format_location(loc)
        if field.startswith("["):
            location = location + field if location != "(top level)" else field
        else:
            location = f"{location}.{field}" if location != "(top level)" else field
        return f"{location}: {ctx.get('message', error.get('msg'))}"
    where = format_location(loc)
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        hint = _suggest(name, error.get("_siblings", ()))
        return f"{where}: unknown key{hint}"
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        tag_field = ctx.get("discriminator", "").strip("'")
        location = f"{where}.{tag_field}" if tag_field else where
        return f"{location}: unknown value {ctx.get('tag')!r}, expected one of {expected}"
    if kind == "union_tag_not_found":
        return f"{where}: needs a {ctx.get('discriminator', 'kind')} key"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        sign = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
                "less_than_equal": "<="}[kind]
        bound = next(iter(ctx.values()), "?")
        return f"{where}: must be {sign} {bound}, got {_show(value)}"
    if kind == "too_short":
        return f"{where}: must not be empty, got {_show(value)}"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"{where}: expected a whole number, got {_show(value)}"
    if kind in {"float_type", "float_parsing"}:
        return f"{where}: expected a number, got {_show(value)}"
    if kind in {"string_type"}:
        return f"{where}: expected text, got {_show(value)}"
    if kind in {"list_type"}:
        return f"{where}: expected a list, got {_show(value)}"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"{where}: expected a mapping of keys, got {_show(value)}"
    if kind == "literal_error":
        return f"{where}: expected {ctx.get('expected', '?')}, got {_show(value)}"
    if kind == "duration":
        return f"{where}: {error.get('msg')}"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    return f"{where}: {message}, got {_show(value)}"


def _suggest(name: str, siblings: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(siblings), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _siblings_at(model: type, loc: Sequence[int | str]) -> list[str]:
    """Field names valid at the parent of `loc`, for 'did you mean' hints on unknown keys."""
    from pydantic import BaseModel

    candidates: list[Any] = [model]
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        found: list[Any] = []
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                field = candidate.model_fields.get(str(part))
                if field is not None:
                    found.extend(_flatten(field.annotation))
        if part in _TAGS:
            found = [c for c in candidates if getattr(c, "model_fields", None)
                     and _tag_of(c) == part] or candidates
        candidates = found
    return [name for c in candidates for name in getattr(c, "model_fields", {})]


def _tag_of(model: Any) -> str | None:
    for key in ("dist", "kind", "policy"):
        field = model.model_fields.get(key)
        if field is not None:
            return field.default
    return None


def _flatten(annotation: Any) -> list[Any]:
    from typing import Annotated, Union, get_args, get_origin

    origin = get_origin(annotation)
    if origin is Annotated:
        return _flatten(get_args(annotation)[0])
    if origin in (list, tuple, set, dict):
        args = get_args(annotation)
        return [x for arg in args[-1:] for x in _flatten(arg)]
    import types

    if origin is Union or isinstance(annotation, types.UnionType):
        return [x for arg in get_args(annotation) for x in _flatten(arg)]
    return [annotation]


def from_validation_error(exc: ValidationError, model: type, source: str = "") -> ConfigError:
    """The first error of `exc` as a ConfigError; the count of any further ones is appended."""
    errors = exc.errors(include_url=False)
    first = dict(errors[0])
    if first.get("type") == "extra_forbidden":
        first["_siblings"] = _siblings_at(model, first.get("loc", ()))
    line = describe_error(first, model)
    if len(errors) > 1:
        line += f" (+{len(errors) - 1} more)"
    return ConfigError(f"{source}: {line}" if source else line)
