"""The `twin` command, one module per command: `shell` (the app and how it speaks), `run`, `compare`,
`emulate`, `live`, `inspect` (validate, schema, version); importing this package registers them all."""

from twin.cli import compare, emulate, inspect, live, run  # noqa: F401  (each registers its commands)
from twin.cli.shell import Engine, Format, app, err, guarded, main, out, say_error, say_note, warn

__all__ = ["Engine", "Format", "app", "err", "guarded", "main", "out", "say_error", "say_note", "warn"]
