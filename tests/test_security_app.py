"""The app under hostile input (issue 9): what an upload or a link can make the server read, and what
user-written text can make a page or a report do.

- The escaping helpers (ui/presenting/escape.py): each one's output, read back by the very parser of its place
  (CommonMark, html.parser, Plotly's entities, Graphviz's), is the text itself and never markup.
- Hostile uploads and `?preset=` values through Streamlit's AppTest: each gets one line next to the
  uploader, no exception, the study unchanged, and no file outside configs/ is opened (a spy on
  `open`/`os.open`, and a sentinel file outside configs/ whose content must never appear anywhere).
- A study whose every name is hostile: on the page, in the diagram and in the HTML report it is text;
  the report's only scripts are its own (hash-pinned by its Content-Security-Policy)."""

from __future__ import annotations

import base64
import builtins
import hashlib
import html
import io
import math
import os
import re
import sys
import time
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

import twin
import twin.limits
from twin.errors import show

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest
from ui_helpers import (
    CHARACTERISTIC,
    CURRENCY,
    HOSTILE_TEXTS,
    LINE_NAME,
    STATIONS,
    as_read,
    errors,
    hostile_study_text,
)

from ui.computing import results
from ui.computing.jobs import Job
from ui.presenting import diagram, escape, narrative
from ui.presenting import report as report_module
from ui.shell import sidebar

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "app.py")
CONFIGS = ROOT / "configs"
DEMO = CONFIGS / "lighthouse_demo.yaml"
SENTINEL = "SENTINEL-5b1e-never-shown"
OURS = (str(ROOT / "ui") + os.sep, str(ROOT / "twin") + os.sep)
EXTRA = ["[/]", "[bold red]x[/]", "=cmd|' /C calc'!A0", "\x1b[2J\x07bell", "a\nb\r\nc\td", "# heading",
         "1. list", "> quote", "- item", "<!-- c -->", "&amp; &#60;", "\\", "x  \ny", ":material/home:",
         "www.example.invalid", "http://example.invalid/x.png", "<a href='javascript:alert(1)'>l</a>",
         "| a | b |\n|---|---|", "~~s~~", "Fräsen ü 測定", "\u202eevil\u2066", "%{y}<extra>x</extra>"]
TEXTS = HOSTILE_TEXTS + EXTRA


# ---------------------------------------------------------------------------------------------
# The escaping helpers, read back by the parser of their place


def test_markdown_breaks_bare_urls_and_addresses():
    """GFM autolinks bare URLs after escapes are read: a word joiner keeps them text."""
    for text in ("http://example.invalid/x", "HTTPS://example.invalid", "www.example.invalid",
                 "mail me@example.invalid"):
        shown = escape.markdown(text).replace("\\", "")
        assert not re.search(r"https?://|www\.|\w@\w", shown, re.IGNORECASE), shown


def test_plain_shows_control_characters_as_escapes():
    assert escape.plain("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m"
    assert escape.plain("a\nb\tc\r") == "a\\x0ab\\x09c\\x0d"
    assert escape.plain("\u202eevil") == "\\u202eevil"
    assert escape.plain("Fräsen ü 測定 — ok") == "Fräsen ü 測定 — ok"
    assert escape.plain(None) == ""


def _markdown_reads_as_text(text: str) -> None:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])  # raw HTML on: the strictest reader
    rendered = md.render(f"x{escape.markdown(text)}x").replace(escape.WORD_JOINER, "")
    assert rendered == f"<p>x{escapeHtml(escape.plain(text))}x</p>\n"
    # Streamlit's own syntax (:icon:, :red[..], $math$) and GFM autolinks: no punctuation unescaped
    assert not re.search(r"[!-/:-@\[-`{-~]", re.sub(r"\\.", "", escape.markdown(text)))


@pytest.mark.parametrize("text", TEXTS)
def test_markdown_escaping_renders_the_text_itself(text):
    _markdown_reads_as_text(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_markdown_escaping_renders_any_text_itself(text):
    _markdown_reads_as_text(text)


class _Collect(HTMLParser):
    """Start tags with their attributes, text outside <script>/<style>, and the scripts' text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in is None:
            self.text.append(data)


def parse_html(text: str) -> _Collect:
    parser = _Collect()
    parser.feed(text)
    parser.close()
    return parser


@pytest.mark.parametrize("text", TEXTS)
def test_html_escaping_is_text_and_attribute_safe(text):
    parsed = parse_html(f'<p title="{escape.html(text)}">{escape.html(text)}</p>')
    assert parsed.tags == [("p", [("title", escape.plain(text))])]
    assert "".join(parsed.text) == escape.plain(text)


@pytest.mark.parametrize("text", TEXTS)
def test_plotly_and_dot_escaping_leave_no_markup(text):
    shown = escape.plotly(text)
    assert not set("<>%") & set(shown)
    assert "%{" not in html.unescape(shown) or "%{" in text  # a template only as text, never as one
    assert html.unescape(shown) == escape.plain(text)
    assert all(m.group(0) in ("&amp;", "&lt;", "&gt;", "&#37;") for m in re.finditer(r"&[^;]*;", shown))
    label = escape.dot(text)
    assert not set('<>"\\') & set(label)
    assert html.unescape(label) == escape.plain(text)


def test_file_stem_never_leaves_the_download_folder():
    assert escape.file_stem("../../etc/passwd") == "etc_passwd"
    assert escape.file_stem('<img src=x onerror="1">') == "img_src_x_onerror_1"
    assert escape.file_stem("...") == escape.file_stem("") == "study"
    assert escape.file_stem("Fräsen line") == "fräsen_line"


# ---------------------------------------------------------------------------------------------
# What an upload or a link can make the server open


@pytest.fixture
def outside(tmp_path):
    """Files outside configs/ an attacker might name: a valid line holding the sentinel, and a FIFO
    (reading it would block the server forever)."""
    secret = tmp_path / "secret.yaml"
    secret.write_text(f"name: {SENTINEL}\nstations:\n  - {{name: {SENTINEL}, process: {{dist: deterministic, "
                      "mean: 1}}\n", encoding="utf-8")
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    return {"secret": secret, "fifo": fifo, "tmp": tmp_path}


def _opened_by_the_app() -> bool:
    """Whether the open() being called comes from ui/ or twin/ (through the standard library), not
    from Streamlit itself (which scans installed packages' metadata on its own)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith(OURS):
            return True
        if "site-packages" in name:
            return False
        frame = frame.f_back
    return False


@pytest.fixture
def opened(monkeypatch):
    """Every path the app opens through open(), io.open or os.open while the test runs."""
    seen: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy_open(file, *args, **kwargs):
        if not isinstance(file, int) and _opened_by_the_app():
            seen.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    def spy_os_open(path, *args, **kwargs):
        if _opened_by_the_app():
            seen.append(os.fspath(path))
        return real_os_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    return seen


def forbidden(paths: list[str], outside: dict) -> list[str]:
    """The opened paths among those the hostile inputs name: system files, devices, the repository's
    own files outside configs/, and the test's files outside configs/ (the sentinel, the FIFO)."""
    targets = {Path(p) for p in ("/etc/passwd", "/etc/shadow", "/dev/zero")} | {ROOT / "pyproject.toml"}
    return [path for path in paths
            if (resolved := Path(os.path.abspath(path))) in targets or outside["tmp"] in resolved.parents]


def every_text(at: AppTest) -> str:
    """Everything the page holds: the protobuf of every element, as text."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def start(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["autorun"] = "0"
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


BOMB = "".join(f"{k}: &{k} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['x'] * 9)}]\n"
               for p, k in zip(["", "a", "b", "c", "d", "e"], "abcdef", strict=True))
BOMB += "g: [*f, *f, *f, *f]\n"  # 4 × 9**6 values once expanded: a 'billion laughs' in 200 bytes
STATION = "{name: a, process: {dist: deterministic, mean: 1}}"


def hostile_uploads(outside: dict) -> list[tuple[str, bytes, str]]:
    """(file name, content, what the one-line message says) for every hostile upload."""
    relative_secret = os.path.relpath(outside["secret"], CONFIGS)
    refused = "may name only a preset"
    twice = f"{{name: '{STATIONS['Milling']}', process: {{dist: deterministic, mean: 1}}}}"
    studies = [("/etc/passwd", refused), ("/etc/shadow", refused), ("/dev/zero", refused),
               ("../../etc/passwd", refused), ("configs/../pyproject.toml", refused),
               ("../pyproject.toml", refused), (str(outside["secret"]), refused), (relative_secret, refused),
               (str(outside["fifo"]), refused), ("~/.ssh/id_rsa", refused), ("file:///etc/passwd", refused),
               ("configs/", refused), (".", refused)]
    cases = [(f"study{i}.yaml", f"# {i}\nline: {path}\n".encode(), message)
             for i, (path, message) in enumerate(studies)]
    cases += [
        ('<img src=x onerror="window.__pwned=1">.yaml', b"# named\nline: /etc/passwd\n", refused),
        ("![x](http:example.invalid/x.png) [/] \x1b[31m.yaml", b"# n2\nline: /etc/passwd\n", refused),
        ("bad.yaml", b"name: [unclosed\n", "YAML syntax error"),
        ("bomb.yaml", BOMB.encode(), "expands to more than"),
        ("deep.yaml", b"[" * 5000 + b"]" * 5000, "nested deeper than"),
        ("deep-map.yaml", "".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode(), "nested deeper than"),
        ("huge.yaml", b"#" * (twin.limits.MAX_FILE_BYTES + 1), "file too large"),
        ("latin1.yaml", "name: Fräsen\n".encode("latin-1"), "not a UTF-8 text file"),
        ("binary.yaml", bytes(range(256)) * 4, "not a UTF-8 text file"),
        ("nul.yaml", b"name: a\x00b\n", "special characters are not allowed"),
        ("twice.yaml", f"name: x\nstations:\n  - {twice}\n  - {twice}\n".encode(), "duplicate station name"),
        ("key.yaml", f"name: x\n'{STATIONS['Turning']}': 1\nstations: [{STATION}]\n".encode(), "unknown key"),
        ("ansi.yaml", f'name: x\nhorizon: "\\e[31m1w"\nstations: [{STATION}]\n'.encode(),
         "must not contain control characters"),
        ("rich.yaml", f'name: x\nhorizon: "[/]"\nstations: [{STATION}]\n'.encode(), "expected a duration"),
        ("csv.yaml", f"name: x\nhorizon: \"=cmd|' /C calc'!A0\"\nstations: [{STATION}]\n".encode(),
         "expected a duration"),
        ("list.yaml", b"- 1\n- 2\n", "expected a mapping"),
    ]
    return cases


def test_hostile_uploads_get_one_line_and_change_nothing(outside, opened):
    at = start()
    before, version = twin.config_hash(at.session_state["base"]), at.session_state["version"]
    for name, data, message in hostile_uploads(outside):
        opened.clear()
        at.sidebar.file_uploader[0].upload(name, data, "application/x-yaml").run()
        assert not at.exception, name
        shown = errors(at)
        assert len(shown) == 1 and "\n" not in shown[0], (name, shown)
        assert message in shown[0], (name, shown)
        assert "server log" not in shown[0]  # refused by twin's rules, not by a bug
        assert twin.config_hash(at.session_state["base"]) == before and at.session_state["version"] == version
        assert at.data_editor[0].value["name"].iloc[0] == "Turning"  # the demo is still there
        assert forbidden(opened, outside) == [], name
        assert SENTINEL not in every_text(at)
        for raw in ("<img", "example.invalid"):  # the hostile file name and values are escaped
            assert raw not in re.sub(r"\\.", "", at.error[0].value), name
    # and a good upload after all of them still loads: the rule refuses paths, not studies
    at.sidebar.file_uploader[0].upload("ok.yaml", b"line: machining_line.yaml\n", "application/x-yaml").run()
    assert not at.exception and not at.error
    assert at.session_state["base"].line == twin.load(CONFIGS / "machining_line.yaml")


def test_the_upload_limit_is_the_twin_limit():
    """Streamlit's server refuses bigger uploads before the app sees them (config.toml, read by
    `make run` from the repository root); the uploader says so in the browser; the app checks the
    exact byte count (test above)."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    if "TWIN_MAX_FILE_BYTES" not in os.environ:
        assert config["server"]["maxUploadSize"] == math.ceil(twin.limits.MAX_FILE_BYTES / 2**20) == 1
    assert math.ceil(twin.limits.MAX_FILE_BYTES / 2**20) == sidebar.UPLOAD_MB


PRESET_VALUES = ["/etc/passwd", "../../etc/passwd", "configs/../pyproject.toml", "../pyproject.toml",
                 "/dev/zero", "lighthouse_demo.yaml/../../pyproject.toml",
                 '<img src=x onerror="window.__pwned=1">', "{secret}", "{fifo}", "{relative}"]


@pytest.mark.parametrize("value", PRESET_VALUES)
def test_preset_parameter_takes_only_preset_names(value, outside, opened):
    value = value.format(secret=outside["secret"], fifo=outside["fifo"],
                         relative=os.path.relpath(outside["secret"], CONFIGS))
    opened.clear()
    at = start(preset=value)
    shown = errors(at)
    assert shown == [f"?preset: not one of the presets ({', '.join(sorted_presets())}), got {show(value)}"]
    assert twin.config_hash(at.session_state["base"]) == twin.config_hash(twin.load_study(DEMO))
    assert forbidden(opened, outside) == []
    assert SENTINEL not in every_text(at)


def sorted_presets() -> list[str]:
    names = sorted(p.name for p in CONFIGS.glob("*.yaml"))
    return ["lighthouse_demo.yaml", *(n for n in names if n != "lighthouse_demo.yaml")]


@pytest.mark.parametrize("value", ["machining_line.yaml", "configs/machining_line.yaml"])
def test_preset_parameter_loads_a_preset_by_name(value):
    at = start(preset=value)
    assert not at.error
    assert at.session_state["base"] == twin.load_study(CONFIGS / "machining_line.yaml")
    assert at.selectbox(key="preset").value == "machining_line.yaml"


def test_the_operator_may_start_on_any_path(outside, monkeypatch):
    """TWIN_UI_CONFIG (like `streamlit run ui/app.py -- path.yaml`) is the operator's, not a client's."""
    monkeypatch.setenv("TWIN_UI_CONFIG", str(outside["secret"]))
    at = start()
    assert not at.error
    assert at.session_state["base"].line.name == SENTINEL


# ---------------------------------------------------------------------------------------------
# Hostile names: text on the page, in the diagram and in the report


def markdown_bodies(at: AppTest) -> list[str]:
    """Every element body and label Streamlit renders as Markdown."""
    bodies = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success")
              for e in getattr(at, kind)]
    bodies += [e.label for kind in ("expander", "number_input", "text_input", "toggle", "checkbox")
               for e in getattr(at, kind)]
    bodies += [part for m in at.metric for part in (m.label, m.value, m.proto.delta)]
    return bodies


LEAKS = ("<img", "<script", "onerror=", "](", "example.invalid", "%{y}", ":red[", "\x1b", "\u202e")
"""What a hostile name leaves in a Markdown body if it was not escaped (read with every escaped
character dropped: `\\<img` leaves `img`)."""


def assert_markdown_inert(at: AppTest) -> None:
    for body in markdown_bodies(at):
        bare = re.sub(r"\\.", "", body)
        assert not [leak for leak in LEAKS if leak in bare], body


def test_hostile_names_are_text_on_the_page():
    at = start()
    uploader = at.sidebar.file_uploader[0]
    uploader.upload("hostile.yaml", hostile_study_text().encode(), "application/x-yaml").run()
    assert not at.exception and not at.error
    assert at.session_state["base"].line.name == LINE_NAME
    assert f"### {escape.markdown(LINE_NAME)}" in [m.value for m in at.markdown]
    at.session_state["tab"] = at.tabs[0].label  # the Line tab: its diagram is drawn only while open
    at.run()
    labels = [as_read(e.label) for e in at.expander]
    for name in STATIONS.values():
        assert any(escape.plain(name) in label for label in labels)
        assert escape.dot(name) in at.get("graphviz_chart")[0].proto.spec
    version = at.session_state["version"]
    at.session_state[f"s0@{version}.open"] = True  # a station's details and a lever's parameters,
    at.session_state[f"lever.automation@{version}.params"] = True  # drawn only while open
    at.run()
    assert any(escape.plain(CURRENCY) in as_read(n.label) for n in at.number_input)
    assert_markdown_inert(at)
    # a comparison: the cards carry the currency (on the Compare tab, drawn only while open)
    from ui.views import registry

    at.session_state["tab"] = registry.OPENING_TAB
    at.button(key="run").click().run()
    deadline = time.monotonic() + 90
    while not (at.metric and at.button(key="run").disabled) and time.monotonic() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception and at.metric, [e.value for e in at.error]
    assert any(escape.plain(CURRENCY) in as_read(m.value) for m in at.metric)
    assert_markdown_inert(at)


def test_the_diagram_keeps_names_inside_their_labels():
    study = twin.study_from_text(hostile_study_text(), source="hostile.yaml")
    enabled = results.enabled_levers(study)
    text = diagram.dot(study.line, twin.apply_levers(study.line, study.levers, enabled),
                       {"conventional": {STATIONS["Grinding"]: 0.6, STATIONS["Milling"]: 0.4},
                        "industry40": {STATIONS["Milling"]: 1.0}}, enabled)
    for name in [*STATIONS.values(), CHARACTERISTIC]:
        assert escape.dot(name) in text
    for label in re.findall(r"label=<(.*?)>\];", text):
        bare = re.sub(r'</?(b|br|font)\b[^<>]*>', "", label)
        assert "<" not in bare and ">" not in bare, label
    for line in text.splitlines():
        assert '\\"' not in line and line.count('"') % 2 == 0, line  # every quoted string closes


@pytest.fixture(scope="module")
def hostile_report() -> tuple[str, results.TourBundle, results.ComparisonBundle]:
    """The HTML report of the hostile study with the trainer's tour, the tour and the comparison."""
    study = twin.study_from_text(hostile_study_text(), source="hostile.yaml")
    key = results.comparison_key(study)
    bundle = results.run_comparison(study, key, Job(key=key, kind="compare", label="test"))
    tour = results.run_tour(study, f"{key}:tour", Job(key=key, kind="tour", label="test"))
    return report_module.build(bundle, None, tour), tour, bundle


def test_the_station_chart_keeps_one_row_per_station(hostile_report):
    """Rows are positions: both lines share them even when their bottlenecks differ, and every tick
    is an escaped name."""
    *_, bundle = hostile_report
    fig = bundle.figure("states")
    rows = list(range(len(STATIONS)))
    assert all(list(trace.y) == rows for trace in fig.data)
    ticks = fig.layout.yaxis.ticktext
    assert all(escape.plotly(name) in tick for name, tick in zip(STATIONS.values(), ticks, strict=True))


def test_the_trainer_narrative_escapes_names_and_currency(hostile_report):
    """The page renders each paragraph with st.markdown: no name may become an image or a link."""
    _, tour, _ = hostile_report
    paragraphs = [p for _, step in narrative.narrative(tour) for p in step]
    assert any(escape.markdown(STATIONS["Turning"]) in p for p in paragraphs)
    for paragraph in paragraphs:
        bare = re.sub(r"\\.", "", paragraph)
        assert not [leak for leak in LEAKS if leak in bare], paragraph


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "b", "br", "div",
                "table", "thead", "tbody", "tr", "th", "td", "script", "strong", "em", "code"}


def test_the_report_shows_hostile_names_as_text(hostile_report):
    text, *_ = hostile_report
    parsed = parse_html(text)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    assert not [(tag, name) for tag, attrs in parsed.tags for name, _ in attrs if name.startswith("on")]
    shown = " ".join(parsed.text)
    for name in [LINE_NAME, *STATIONS.values(), CHARACTERISTIC, CURRENCY]:
        assert escape.plain(name) in shown, name
    narrative = [escape.plain(STATIONS["Turning"]), escape.plain(STATIONS["Grinding"])]  # closed loop at …
    assert all(name in shown for name in narrative)


def test_the_report_runs_only_its_own_scripts(hostile_report):
    text, *_ = hostile_report
    parsed = parse_html(text)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert all(dict(attrs).keys() <= {"type", "charset"} for attrs in scripts)  # no src=: nothing fetched
    assert "plotly.js v" in parsed.scripts[1]
    figures = parsed.scripts[2:]
    assert any("&lt;img src=x onerror=" in code for code in figures)  # the names are there, escaped
    assert len(figures) == text.count("Plotly.newPlot") and all("Plotly.newPlot" in s for s in figures)
    for code in figures:  # names reach plotly escaped (its JSON writes < as \u003c)
        assert not re.search(r"\\u003c(img|script|a)\b", code, re.IGNORECASE), code[:200]
    policy = [dict(a)["content"] for t, a in parsed.tags if t == "meta" and
              dict(a).get("http-equiv") == "Content-Security-Policy"]
    assert len(policy) == 1 and "default-src 'none'" in policy[0] and "http" not in policy[0]
    pinned = set(re.findall(r"'sha256-([^']+)'", policy[0]))
    assert pinned == {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in parsed.scripts}
    assert "unsafe-inline" not in policy[0].split("script-src")[1].split(";")[0]


def test_the_report_narrative_renders_no_html_links_or_images():
    rendered = report_module.narrative_renderer().render(
        '**b** <img src=x onerror="1"> ![i](http://example.invalid/i.png) [l](http://example.invalid) '
        "<http://example.invalid> <script>x</script>")
    tags = {tag for tag, _ in parse_html(rendered).tags}
    assert tags == {"p", "strong"}
