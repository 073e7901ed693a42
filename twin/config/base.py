"""Shared building blocks of the config schema: strict models, duration types, field errors."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from twin.units import parse_duration


def _duration(value: object) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


class StrictModel(BaseModel):
    """Every config model forbids unknown keys: a typo in YAML must fail, not be ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def _duration_schema(**bound: float) -> WithJsonSchema:
    """JSON Schema of a duration: minutes as a number, or a string with a unit (for editors)."""
    return WithJsonSchema({"anyOf": [
        {"type": "number", **bound},
        {"type": "string", "description": "a duration such as 90s, 5min, 2h, 3d or 1w"},
    ]})


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
