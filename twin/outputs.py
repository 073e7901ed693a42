"""Files the twin writes are written whole or not at all, and never over one of its inputs.

A run can be interrupted (Ctrl-C, SIGTERM, a full disk) half-way through writing its output, and two
runs can write the same file at once. Writing to a temporary file in the same folder and renaming
it when complete means a reader only ever sees the old file or the whole new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from twin.errors import ConfigError


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output(path: Path, option: str, inputs: Sequence[Path] = ()) -> None:
    """Fail before a long run, not after it, when its output cannot (or must not) be written."""
    for source in inputs:
        if _same_file(path, source) or path.resolve() == Path(source).resolve():
            raise ConfigError(f"{option}: would overwrite the input file, got '{path}'", field=option)
    if path.is_dir():
        raise ConfigError(f"{option}: is a directory, got '{path}'", field=option)
    if path.exists() and not path.is_file():
        raise ConfigError(f"{option}: not a regular file (a device or pipe is never written), got "
                          f"'{path}'", field=option)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"{option}: no such directory {str(folder)!r}, got '{path}'", field=option)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"{option}: cannot write there (permission denied), got '{path}'", field=option)


def write_whole(path: Path, write: Callable[[IO[Any]], None], option: str,
                inputs: Sequence[Path] = (), *, binary: bool = False) -> bool:
    """Write a text file (a binary one with `binary`, e.g. Parquet) through `write(handle)` into a
    temporary file beside `path`, then rename it over `path`. Returns whether an existing file was
    replaced. On any failure or interruption the temporary file is removed and `path` is as it was."""
    check_output(path, option, inputs)
    replaced = path.exists()
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with (os.fdopen(fd, "wb") if binary else
              os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        mode = (path.stat().st_mode & 0o777) if replaced else (0o666 & ~_umask())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ConfigError(f"{option}: cannot write ({exc.strerror or exc}), got '{path}'",
                          field=option) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return replaced


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
