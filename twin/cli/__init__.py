"""The `twin` command, one module per command: `shell` (the app and how it speaks), `run`, `compare`,
`inspect` (validate, schema, version), `experiments` (scenarios, sweep, sensitivity), `optimize`,
`calibrate`, `check` (vs theory and vs a log), `emulate`, `live`; importing this package registers
them all."""

from twin.cli import (  # noqa: F401  (each registers its commands)
    calibrate,
    check,
    compare,
    emulate,
    experiments,
    inspect,
    live,
    optimize,
    run,
)
from twin.cli.shell import Engine, Format, app, err, guarded, main, out, say_error, say_note, warn

__all__ = ["Engine", "Format", "app", "err", "guarded", "main", "out", "say_error", "say_note", "warn"]
