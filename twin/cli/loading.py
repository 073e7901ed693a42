"""Reading the file a command is given, with its command-line overrides validated with it."""

from __future__ import annotations

from pathlib import Path

from twin.config import Line
from twin.errors import ConfigError
from twin.io import load_study, read_yaml, validate_as


def is_study(path: Path) -> bool:
    """Whether a file is a study (it has `line:`) rather than a plain line."""
    data = read_yaml(path)
    return isinstance(data, dict) and "line" in data and "stations" not in data


def load_with_overrides(path: Path, horizon: str | None = None, warmup: str | None = None,
                        replications: int | None = None, seed: int | None = None) -> Line:
    """Load a line file and apply command-line overrides, validating the result as a whole.

    The options are validated with the file, by the same rules and messages; a problem with an
    option's value is reported under the option's name (`--warmup: must be < horizon (1d), got 2d`).
    """
    data = read_yaml(path)
    if isinstance(data, dict) and "line" in data and "stations" not in data:
        # a study file: run its (conventional) line
        data = load_study(path).line.model_dump(mode="json", by_alias=True)
    given = {"horizon": horizon, "warmup": warmup, "replications": replications, "seed": seed}
    update = {name: value for name, value in given.items() if value is not None}
    if not update or not isinstance(data, dict):
        return validate_as(Line, data, str(path))
    try:
        return validate_as(Line, {**data, **update})
    except ConfigError as exc:
        if exc.field in update:
            option = f"--{exc.field}"
            problem = str(exc).split(": ", 1)[1]
            raise ConfigError(f"{option}: {problem}", field=exc.field, source=option) from None
        options = " ".join(f"--{name} {value}" for name, value in update.items())
        raise ConfigError(f"{path} (with {options}): {exc}", field=exc.field,
                          source=str(path)) from None


