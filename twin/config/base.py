"""Shared building blocks of the config schema: strict models, duration types, field errors."""

from __future__ import annotations

import functools
import math
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from twin.display import CONTROL
from twin.errors import show
from twin.units import MAX_MAGNITUDE, parse_duration


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


class StrictModel(BaseModel):
    """Every config model forbids unknown keys: a typo in YAML must fail, not be ignored.

    Numbers are numbers: `.nan` and `.inf` are refused in every float (they would pass every bound
    and then run into 100% scrap or null KPIs), and `true`/`false` are refused where a number is
    expected (pydantic would read them as 1 and 0: `replications: true`, `buffer: false`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, bool) and not _field_takes_bool(cls, key):
                    raise field_error(str(key), f"expected a number, not true or false, got "
                                                f"{str(value).lower()}")
                texts = [value] if isinstance(value, str) else [k for k in value if isinstance(k, str)] \
                    if isinstance(value, dict) else [v for v in value if isinstance(v, str)] \
                    if isinstance(value, list) else []
                if any(CONTROL.search(text) for text in texts):
                    raise field_error(str(key), f"must not contain control characters, got "
                                                f"{show(next(t for t in texts if CONTROL.search(t)))}")
                if isinstance(value, float) and math.isfinite(value) and abs(value) > MAX_MAGNITUDE:
                    raise field_error(str(key), f"must be at most {MAX_MAGNITUDE:g} in size, got {value!r}")
        return data


def _field_takes_bool(model: type[BaseModel], key: Any) -> bool:
    """Whether the field `key` of `model` may be a boolean; a type with its own parser (a duration)
    words its own refusal, and an unknown key is left to `extra="forbid"`."""
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return any(isinstance(m, BeforeValidator) for m in info.metadata) \
                or _takes_bool(info.annotation if info.annotation is not None else Any)  # type: ignore[arg-type]
    return True


@functools.cache
def _takes_bool(annotation: Any) -> bool:
    """Whether a field's type admits a boolean (or anything at all), looking through unions."""
    if annotation is bool or annotation is Any:
        return True
    if annotation is type(None):
        return False
    origin = get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = get_args(annotation)
        return any(isinstance(m, BeforeValidator) for m in metadata) or _takes_bool(inner)
    if origin is Union or isinstance(annotation, types.UnionType):
        return any(_takes_bool(arg) for arg in get_args(annotation))
    if origin is Literal:
        return any(isinstance(arg, bool) for arg in get_args(annotation))
    return not (isinstance(annotation, type) and issubclass(annotation, int | float))


def _duration_schema(**bound: float) -> WithJsonSchema:
    """JSON Schema of a duration: minutes as a number, or a string with a unit (for editors)."""
    return WithJsonSchema({"anyOf": [
        {"type": "number", **bound},
        {"type": "string", "description": "a duration such as 90s, 5min, 2h, 3d or 1w"},
    ]})


duration_parser = _duration
"""The validator behind every duration field (so a writer can tell durations from other floats)."""

Duration = Annotated[float, BeforeValidator(_duration), _duration_schema()]
"""Minutes, of either sign; YAML may give a number (minutes) or a string with a unit."""

PositiveDuration = Annotated[
    float, BeforeValidator(_duration), Field(gt=0), _duration_schema(exclusiveMinimum=0)
]
NonNegativeDuration = Annotated[
    float, BeforeValidator(_duration), Field(ge=0), _duration_schema(minimum=0)
]


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error raised by a model validator that still names the field it is about.

    Pydantic puts model-level errors at the model's own location; `twin.errors` appends `field`
    to that location so the user reads `warmup: must be < horizon ...`, not a bare message.
    """
    return PydanticCustomError("field_error", "{message}", {"field": field, "message": message})
