"""Where a lever's defaults come from: its section of docs/levers.md (one section per lever, anchored by
the lever's name), else the docstrings of its config model, which cite the same sources in short."""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
import typing
from functools import cache
from pathlib import Path

from pydantic import BaseModel

import twin

REPO = Path(__file__).resolve().parents[2]
LEVERS_DOC = REPO / "docs" / "levers.md"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\{#[^}]*\}", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(heading: str, first_lines: str) -> set[str]:
    found = {slug(heading)}
    found.update(re.findall(r"\{#([\w\-]+)\}", heading))
    found.update(re.findall(r"<a\s+(?:id|name)=[\"']([\w\-]+)[\"']", heading + first_lines))
    return found


def sections(text: str) -> list[tuple[int, str, str]]:
    """(level, heading, body) of every heading of a markdown text (code blocks ignored)."""
    out: list[tuple[int, str, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            out.append((len(match.group(1)), match.group(2), []))
        elif out:
            out[-1][2].append(line)
    return [(level, heading, "\n".join(body)) for level, heading, body in out]


def lever_section(name: str, path: Path = LEVERS_DOC) -> str | None:
    """The section of docs/levers.md about lever `name` (with its subsections), or None."""
    if not path.exists():
        return None
    parts = sections(path.read_text(encoding="utf-8"))
    wanted = {name, name.replace("_", "-")}
    for index, (level, heading, body) in enumerate(parts):
        if wanted & _anchors(heading, body[:300]) or f"`{name}`" in heading:
            chunks = [f"{'#' * max(level, 4)} {heading}", body]
            for deeper, sub, sub_body in parts[index + 1:]:
                if deeper <= level:
                    break
                chunks += [f"{'#' * max(deeper, 5)} {sub}", sub_body]
            return "\n".join(chunks).strip()
    return None


def lever_model(name: str) -> type[BaseModel]:
    """The config model of lever `name` (e.g. PredictiveMaintenanceLever), found through twin.Study."""
    levers = twin.Study.model_fields["levers"].annotation
    annotation = levers.model_fields[name].annotation
    return next(a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel))


@cache
def field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Attribute docstrings (the string under a field) of `model` and its bases."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        except (OSError, TypeError, SyntaxError):
            continue
        body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
        for first, second in itertools.pairwise(body):
            if (isinstance(first, ast.AnnAssign) and isinstance(first.target, ast.Name)
                    and isinstance(second, ast.Expr) and isinstance(second.value, ast.Constant)
                    and isinstance(second.value.value, str)):
                docs[first.target.id] = " ".join(second.value.value.split())
    return docs


def lever_summary(name: str) -> str:
    doc = inspect.getdoc(lever_model(name)) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def lever_source_markdown(name: str) -> tuple[str, bool]:
    """Markdown on where lever `name`'s defaults come from, and whether docs/levers.md had it."""
    section = lever_section(name)
    if section:
        return section, True
    model = lever_model(name)
    lines = [inspect.getdoc(model) or ""]
    docs = field_docs(model)
    defaults = []
    for field, info in model.model_fields.items():
        if field == "enabled":
            continue
        default = info.get_default(call_default_factory=True)
        note = f" — {docs[field]}" if field in docs else ""
        defaults.append(f"- `{field}`: **{default!r}**{note}")
    return "\n\n".join([*lines, "**Defaults**", "\n".join(defaults)]), False
