"""The server freezes its heap once the modules are imported (ui/shell/heap.py), so Streamlit's
full garbage collection after every script run, and so after every progress poll, no longer walks
the modules, classes and functions that live as long as the process.

Each check runs in a fresh interpreter: the freeze is for the whole process, once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_imports_are_frozen_once_and_what_comes_after_is_still_collected():
    out = run("""
import gc
import twin
from ui.shell import heap

def tracked(obj):
    return any(o is obj for o in gc.get_objects())

print(tracked(vars(twin)), gc.get_freeze_count() == 0)
print(heap.freeze_imports(), heap.freeze_imports())
print(tracked(vars(twin)), gc.get_freeze_count() > 1_000)

class Node:
    pass

later = Node()
later.me = later  # a cycle made after the freeze: the collector still frees it
del later
print(gc.collect() >= 1)
""")
    assert out.split() == ["True", "True", "True", "False", "False", "True", "True"]


def test_the_warm_up_freezes_after_importing_the_pages():
    # Runtime never starts here, so the warm-up stops after its imports (it waits for it 60 s:
    # shortened), and its freeze has taken the pages' modules with it
    out = run("""
import gc, sys
from ui import serve
serve.RUNTIME_WAIT_SECONDS = 0.0
serve.warm_up()
print(gc.get_freeze_count() > 10_000, "ui.views.compare" in sys.modules)
print(any(o is vars(sys.modules["ui.views.compare"]) for o in gc.get_objects()))
""")
    assert out.split() == ["True", "True", "False"]
