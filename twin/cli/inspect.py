"""`twin validate`, `twin schema`, `twin version`: look at a file or at the twin without running it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from twin import __version__
from twin.cli.loading import is_study
from twin.cli.shell import (
    app,
    guarded,
    out,
    warn,
)
from twin.config import Line
from twin.diagnostics import line_notices
from twin.display import plain
from twin.io import config_hash, load_study


@app.command()
def validate(file: Annotated[Path, typer.Argument(help="A line or study YAML file.")]) -> None:
    """Check a line or study file; print a one-line summary, or the first problem and exit 2."""
    study = guarded(lambda: load_study(file))
    line = study.line
    warn(line_notices(line))
    levers = [name for name in type(study.levers).model_fields
              if getattr(study.levers, name) is not None and getattr(study.levers, name).enabled]
    extra = f", levers: {', '.join(levers)}" if levers else ""
    hashes = (f"study {config_hash(study)}, line {config_hash(line)}" if is_study(file)
              else f"line {config_hash(line)}")
    out.print(f"ok: {plain(line.name)}: {len(line.stations)} stations, horizon {line.horizon:g} min, "
              f"{line.replications} replications{extra} ({hashes})",
              highlight=False, markup=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of a line file (for editors and other tools)."""
    sys.stdout.write(json.dumps(Line.model_json_schema(), indent=2) + "\n")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


