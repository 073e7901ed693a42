"""The app's layers hold: what ui/computing and ui/presenting compute, say and plot runs without
Streamlit (the HTML report, the narrative, the worker processes), and twin/ never reaches up into the
app. Each import runs in a fresh interpreter, so nothing imported by an earlier test can hide a
Streamlit import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ("computing", "presenting")


def modules(package: str) -> list[str]:
    """Every module of ui/<package>, dotted, the package itself first."""
    folder = ROOT / "ui" / package
    names = [f"ui.{package}"]
    names += [f"ui.{package}.{path.stem}" for path in sorted(folder.glob("*.py")) if path.stem != "__init__"]
    return names


def test_every_layer_is_a_package_with_modules():
    for package in ("shell", "editing", "computing", "presenting", "views"):
        assert (ROOT / "ui" / package / "__init__.py").is_file(), package
    assert len(modules("computing")) > 1 and len(modules("presenting")) > 1


@pytest.mark.parametrize("package", PURE)
def test_computing_and_presenting_never_import_streamlit(package):
    names = modules(package)
    code = ("import importlib, sys\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "    assert 'streamlit' not in sys.modules, name + ' imports streamlit'\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def imported(path: Path) -> set[str]:
    """The top-level names of every module `path` imports (lazy imports inside functions too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_twin_never_imports_ui_or_streamlit():
    offenders = {str(path.relative_to(ROOT)): sorted(imported(path) & {"ui", "streamlit"})
                 for path in sorted((ROOT / "twin").rglob("*.py"))}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_twin_imports_no_streamlit_at_run_time():
    code = ("import sys, twin, twin.cli\n"
            "assert 'streamlit' not in sys.modules and 'ui' not in sys.modules\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
