"""Regenerate every figure the README and docs/*.md quote from a run of the twin, or check them.

    python docs/figures.py            # rewrite the Markdown files in place (`make docs-figures`)
    python docs/figures.py --check    # list every stale figure and exit 1; writes nothing
    python docs/figures.py --check --part 1/2   # only the first of two shares of the runs (tests)

Why: the docs quote many numbers from `twin run` and `twin compare`, and every change to the engine
moves some of them. Hand-copied figures drift; these are computed, so they cannot.

The Markdown holds invisible markers around each generated piece (see MARKERS below):

    <!-- fig demo.difference.throughput_per_hour.relative rel -->+23.7<!-- /fig -->
    <!-- out twin run docs/examples/cell.yaml --> ```…``` <!-- /out -->
    <!-- file docs/examples/cell.yaml --> ```yaml…``` <!-- /file -->
    <!-- table demo.compare --> | … | <!-- /table -->

A `fig` names a run (a key of RUNS), a dotted path into that run's `--format json` output and a
format (a key of FORMATS, default `g`: three significant figures as the CLI prints them; a name, a
seed or a count with no format is quoted as it is). Lists of named records (stations, products) are
indexed by name, spaces written `_` (`stations.Placement_ICs`); the attribution's one-at-a-time
records by lever, then KPI (`attribution.alone.quick_changeover.oee.alone_relative`); `derived`
holds the few figures one arithmetic step away from the JSON (see derive). `out` runs the real CLI
(its entry point, in a worker process: see invoke) at COLUMNS=100 and quotes what it prints (each
command on one core, with `--workers 1`: the results do not depend on it); `file` quotes a file of
the repository; `table` is a Markdown table built by a function of TABLES.

To add a figure: write the number in the Markdown wrapped in a `fig` marker with its path, run
`make docs-figures`, and check the diff. A figure from a new command: add it to RUNS. Timings are
machine-dependent and never generated: label them as measured, with the date.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import itertools
import json
import multiprocessing
import os
import re
import shlex
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.io import load_study
from twin.kpi_registry import fmt, line_kpi
from twin.outputs import write_whole

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("README.md", "docs/levers.md", "docs/presets.md", "docs/precision.md", "docs/costs.md",
        "docs/model.md", "docs/experiments.md", "docs/validation.md")
COLUMNS = "100"
"""Terminal width of the quoted CLI outputs: wide enough for the tables, as a user sees them."""
CLI_ENV = {"COLUMNS": COLUMNS, "NO_COLOR": "1", "TERM": "dumb"}
"""The environment the commands run in: that width, plain text (no colour, no progress bars)."""
WORKERS_OPTION = frozenset({"run", "compare", "check", "scenarios", "sweep", "sensitivity", "optimize"})
"""The commands with `--workers`: each runs on one core (`compute` runs two commands at a time)."""
PIPE_BUFFER = 4096
"""Block size of a pipe: how much of stdout a `twin` process holds back before writing it."""
MINUS = "\u2212"
WINDOW_H, WORKING_H = 160, 78
"""A two-shift week's window after an 8 h warm-up (9,600 min) and the working hours it holds
(Monday 08:00–22:00 and four 16-h days): docs/presets.md converts throughput per window hour."""

MARKERS = re.compile(
    r"<!-- (?P<kind>fig|out|file|table) (?P<name>[^>]*?) -->(?P<body>.*?)<!-- /(?P=kind) -->", re.S)

BORE = "docs/examples/bore.yaml"
BORE_CONTROL = "control: {policy: none}"

RUNS: dict[str, tuple[str, ...]] = {
    # name: the twin command whose `--format json` output the figures of that name come from
    "demo": ("compare", "configs/lighthouse_demo.yaml", "--attribution"),
    "demo_line": ("run", "configs/lighthouse_demo.yaml"),
    "machining": ("run", "configs/machining_line.yaml"),
    "electronics": ("run", "configs/electronics_assembly.yaml"),
    "packaging": ("run", "configs/packaging_line.yaml"),
    "cell": ("run", "docs/examples/cell.yaml"),
    "bore_none": ("run", BORE),
    "bore_shewhart": ("run", f"{BORE}#control: {{policy: spc, chart: shewhart, k: 3}}"),
    "bore_ewma": ("run", f"{BORE}#control: {{policy: spc, chart: ewma, lambda: 0.2, L: 3}}"),
    "bore_loop03": ("run", f"{BORE}#control: {{policy: closed_loop, gain: 0.3}}"),
    "bore_loop10": ("run", f"{BORE}#control: {{policy: closed_loop, gain: 1.0}}"),
}
"""A file argument `path#control: …` is that file with its `control:` line replaced, as
docs/precision.md tells the reader to do."""


def _signed(value: float, digits: int) -> str:
    """+x.y / −x.y; an exact zero unsigned, as the docs write a lever that changes nothing."""
    return f"{0:.{digits}f}" if value == 0 else f"{value:+.{digits}f}".replace("-", MINUS)


def _typeset(text: str) -> str:
    """The docs' prose uses the typographic minus; the CLI's tables keep the ASCII one."""
    return re.sub(r"(?<![\w\]])-(?=\d)", MINUS, text)


FORMATS: dict[str, Callable[[float], str]] = {
    "g": lambda v: _typeset(fmt(v)),                 # as the CLI prints: 3 significant figures
    "g2": lambda v: _typeset(fmt(v, 2)),
    "g4": lambda v: _typeset(fmt(v, 4)),
    "pct": lambda v: _typeset(fmt(v * 100)),         # a share as a percentage, 3 significant figures
    "pct2": lambda v: _typeset(fmt(v * 100, 2)),
    "pct1": lambda v: f"{v * 100:.1f}",              # a share as a percentage, one decimal
    "pct0": lambda v: f"{v * 100:.0f}",
    "rel": lambda v: _signed(v * 100, 1),            # a relative change or difference in points
    "drop0": lambda v: f"{-v * 100:.0f}",            # a fall, as "cuts it by 46 %"
    "drop1": lambda v: f"{-v * 100:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "f3": lambda v: f"{v:.3f}",
    "tens": lambda v: f"{round(v, -1):,.0f}",
    "f0": lambda v: f"{v:.0f}",
    "money": lambda v: _typeset(fmt(v)) if abs(v) >= 1 else f"{v:.2f}",   # $86.5, $0.40
    "workhour": lambda v: f"{v * WINDOW_H / WORKING_H:.1f}",             # per window hour → per working hour
    "bottles": lambda v: f"{round(v * 24, -2):,.0f}",                    # cases of 24 → bottles, to hundreds
    "f1": lambda v: f"{v:.1f}",
    "f4": lambda v: f"{v:.4f}",
    "int": lambda v: f"{v:,.0f}",
    "hundreds": lambda v: f"{round(v, -2):,.0f}",
    "millions": lambda v: f"{v / 1e6:.1f}",
    "months": lambda v: f"{v:.0f}",
    "um": lambda v: f"{v * 1000:.2f}",               # mm as µm
}


@dataclass(frozen=True)
class Stale:
    """One figure whose quoted text differs from what the twin computes today."""

    file: str
    marker: str
    quoted: str
    computed: str


def run_cli(args: list[str], shown: bool = False) -> str:
    """What `twin ARGS` prints, run from the repository root at COLUMNS wide. `shown`: an output the
    docs quote, stderr included and exit 2 allowed (a config error shown on purpose); otherwise any
    failure stops the script. Runs in a process of `command_pool` (see `invoke`)."""
    extra = ["--workers", "1"] if args[0] in WORKERS_OPTION else []
    code, stdout, stderr = invoke([*args, *extra], merged=shown)
    if code not in ((0, 2) if shown else (0,)):
        raise SystemExit(f"twin {' '.join(args)} failed ({code}): {(stderr or stdout).strip()}")
    return stdout


class _Pipe(io.RawIOBase):
    """The read end of a pipe, kept: what a process wrote to it, in the order it arrived."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, chunk: Any) -> int:
        self.data += chunk
        return len(chunk)


def invoke(argv: list[str], merged: bool) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of the `twin` script's own entry point (`twin.cli.main`) run on
    `argv` in this process, as a `twin` process would give them through pipes: stdout held back in
    blocks and stderr line by line, both flushed at the end, stdout first (`merged`: one pipe for
    both, as `2>&1`). No interpreter start-up per command; each worker process imports the twin
    once (`command_pool`)."""
    from twin.cli import main

    pipes = (_Pipe(),) * 2 if merged else (_Pipe(), _Pipe())
    stdout = io.TextIOWrapper(io.BufferedWriter(pipes[0], PIPE_BUFFER), encoding="utf-8")
    stderr = io.TextIOWrapper(io.BufferedWriter(pipes[1], PIPE_BUFFER), encoding="utf-8",
                              line_buffering=True)
    saved = sys.argv, sys.stdout, sys.stderr
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    sys.argv, sys.stdout, sys.stderr = [str(Path(sys.executable).with_name("twin")), *argv], stdout, stderr
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except Exception:  # a crash, as the process would have shown it
        stderr.write(traceback.format_exc())
        code = 1
    finally:
        sys.argv, sys.stdout, sys.stderr = saved
        for sig, handler in handlers.items():  # `main` ignores signals once its work is done
            signal.signal(sig, handler)
        stdout.flush()
        stderr.flush()
    return code, pipes[0].data.decode("utf-8"), pipes[1].data.decode("utf-8")


def _command_worker() -> None:
    """A command process: the CLI's environment first, then the twin (its consoles read the width
    and colour settings when imported), from the repository root, stdout and stderr not a terminal."""
    os.environ.pop("FORCE_COLOR", None)
    os.environ.update(CLI_ENV)
    os.chdir(ROOT)
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  (the process's)
    import twin.cli  # noqa: F401


def command_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    """Processes that run the commands, fresh ones (spawned: nothing of this process's state)."""
    return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                  initializer=_command_worker)


def json_of(run: str, folder: Path) -> dict[str, Any]:
    """The `--format json` output of RUNS[run], with `path#control: …` files written to `folder`."""
    command, target, *rest = RUNS[run]
    if "#" in target:
        path, control = target.split("#", 1)
        text = (ROOT / path).read_text(encoding="utf-8")
        if BORE_CONTROL not in text:
            raise SystemExit(f"{path}: no line '{BORE_CONTROL}' to replace")
        variant = folder / f"{run}.yaml"
        variant.write_text(text.replace(BORE_CONTROL, control), encoding="utf-8")
        target = str(variant)
    return derive(indexed(json.loads(run_cli([command, target, *rest, "--format", "json"]))))


def indexed(node: Any) -> Any:
    """Lists of named records become dicts by name (spaces as _), so a marker's path can say
    `stations.Milling` or `stations.Placement_ICs`;
    the attribution's one-at-a-time records become `alone.<lever>.<kpi>`."""
    if isinstance(node, dict):
        out = {key: indexed(value) for key, value in node.items()}
        records = node.get("one_at_a_time")
        if isinstance(records, list):
            out["alone"] = {}
            for record in records:
                out["alone"].setdefault(record["lever"], {})[record["kpi"]] = record
        return out
    if isinstance(node, list) and node and all(isinstance(x, dict) and "name" in x for x in node):
        return {x["name"].replace(" ", "_"): indexed(x) for x in node}
    return [indexed(x) for x in node] if isinstance(node, list) else node


def derive(data: dict[str, Any]) -> dict[str, Any]:
    """Add `derived` figures the prose quotes that are a step away from the JSON (so the step is
    taken here once, not by hand in the text)."""
    if "difference" in data:
        return derive_comparison(data)
    if "kpis" in data:
        return derive_run(data)
    return data


def derive_comparison(data: dict[str, Any]) -> dict[str, Any]:
    """Each lever's KPI value alone (baseline + effect), the conventional line's good parts a year
    (on the business case's year) and how many unpaired replications common random numbers save."""
    for kpis in data.get("attribution", {}).get("alone", {}).values():
        for record in kpis.values():
            record["alone_value"] = record["baseline"] + record["alone"]
    bridge = data["oee_bridge"]
    bridge["conventional"], bridge["industry40"] = bridge["conventional OEE"], bridge["Industry 4.0 OEE"]
    throughput = data["difference"]["throughput_per_hour"]
    hours_per_year = data["business_case"]["extra_good_parts_per_year"]["mean"] / throughput["mean"]
    data["derived"] = {
        "good_parts_per_year": data["conventional"]["kpis"]["throughput_per_hour"]["mean"] * hours_per_year,
        "unpaired_replications": throughput["variance_reduction"] * data["replications"],
    }
    return data


def derive_run(data: dict[str, Any]) -> dict[str, Any]:
    """In how many replications the bottleneck was the bottleneck, material's share of the cost
    per good part, and each station's state shares of on-shift (not off) time."""
    kpis = data["kpis"]
    data["derived"] = {"bottleneck_replications": data["bottleneck"]["frequency"] * data["replications"]}
    if (kpis.get("cost_material_per_good_part") or {}).get("mean") is not None:
        data["derived"]["cost_material_share"] = (kpis["cost_material_per_good_part"]["mean"]
                                                  / kpis["cost_per_good_part"]["mean"])
    for station in data["stations"].values():
        on_shift = 1 - station["kpis"]["share_off"]["mean"]
        station["derived"] = {f"{key}_on_shift": value["mean"] / on_shift
                              for key, value in station["kpis"].items() if key.startswith("share_")}
    return data


def lookup(runs: dict[str, Any], path: str) -> Any:
    """The value at `run.key.key…` (a numeric key indexes a list)."""
    run, *keys = path.split(".")
    node = runs[run]
    for key in keys:
        try:
            node = node[int(key)] if isinstance(node, list) else node[key]
        except (KeyError, IndexError, ValueError):
            raise SystemExit(f"<!-- fig {path} -->: no '{key}' there") from None
    return node


def figure(runs: dict[str, Any], name: str) -> str:
    """The text of `<!-- fig PATH [FORMAT] -->`: a number, or a list of numbers joined by ', '."""
    path, _, format_name = name.partition(" ")
    value = lookup(runs, path)
    if not format_name and isinstance(value, str | int):
        return str(value)                                # names, seeds, counts of replications
    format_value = FORMATS[format_name.strip() or "g"]
    if isinstance(value, list):
        return ", ".join(format_value(float(v)) for v in value)
    return format_value(float(value))


def demo_compare_table(runs: dict[str, Any]) -> str:
    """`twin compare` of the demo as a Markdown table: the rows and labels the CLI prints."""
    from twin.cli.compare import comparison_row_shown  # not at the top: see _command_worker

    demo = runs["demo"]
    demo_line = load_study(ROOT / "configs/lighthouse_demo.yaml").line
    lines = ["| KPI | conventional | Industry 4.0 | difference (95 % CI) | change |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for kpi, diff in demo["difference"].items():
        conventional = demo["conventional"]["kpis"][kpi]["mean"]
        industry40 = demo["industry40"]["kpis"][kpi]["mean"]
        if not comparison_row_shown(demo_line, kpi, conventional, industry40):
            continue
        entry = line_kpi(kpi)
        label, unit, scale = entry.label, entry.unit_for(demo_line), entry.scale
        low, high = (fmt(x * scale) for x in diff["ci95"])
        cells = [f"{label} ({unit})" if unit else label, fmt(conventional * scale),
                 fmt(industry40 * scale), f"{fmt(diff['mean'] * scale)} [{low}, {high}]",
                 f"{_signed(diff['relative'] * 100, 1)} %"]
        lines.append(_typeset("| " + " | ".join(cells) + " |"))
    return "\n".join(lines)


ATTRIBUTION_COLUMNS = [("throughput", "throughput_per_hour"), ("OEE", "oee"),
                       ("unplanned downtime", "unplanned_downtime_share"), ("scrap rate", "scrap_rate"),
                       ("lead time", "lead_time_min"), ("energy / good part", "energy_kwh_per_good_part"),
                       ("cost / good part", "cost_per_good_part")]


def demo_attribution_table(runs: dict[str, Any]) -> str:
    """Each lever alone against the conventional line, relative change (`--attribution`)."""
    alone = runs["demo"]["attribution"]["alone"]
    lines = ["| lever | " + " | ".join(label for label, _ in ATTRIBUTION_COLUMNS) + " |",
             "| --- |" + " ---: |" * len(ATTRIBUTION_COLUMNS)]
    for lever, kpis in alone.items():
        cells = [f"{_signed(kpis[kpi]['alone_relative'] * 100, 1)} %" for _, kpi in ATTRIBUTION_COLUMNS]
        lines.append(f"| {lever} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def demo_variance_json(runs: dict[str, Any]) -> str:
    """The throughput entry of the demo's `difference` JSON, rounded to four decimals to fit."""
    d = runs["demo"]["difference"]["throughput_per_hour"]
    r = {key: round(d[key], 4) if isinstance(d[key], float) else [round(x, 4) for x in d[key]]
         for key in ("mean", "ci95", "relative", "relative_ci95")}
    return ("```json\n\"difference\": {\n"
            f'  "throughput_per_hour": {{"mean": {r["mean"]}, "ci95": {r["ci95"]}, '
            f'"relative": {r["relative"]},\n'
            f'                          "relative_ci95": {r["relative_ci95"]}, '
            f'"variance_reduction": {round(d["variance_reduction"], 2)}}},\n'
            "  ...\n}\n```")


TABLES: dict[str, Callable[[dict[str, Any]], str]] = {
    "demo.compare": demo_compare_table,
    "demo.attribution": demo_attribution_table,
    "demo.variance_json": demo_variance_json,
}


def cli_output(command: str) -> str:
    """A fenced block of `$ COMMAND` and what it prints (a `twin …` command, run from the root)."""
    args = shlex.split(command)
    if args[0] != "twin":
        raise SystemExit(f"<!-- out {command} -->: only twin commands are run")
    printed = run_cli(args[1:], shown=True).rstrip()
    printed = "\n".join(line.rstrip() for line in printed.splitlines())   # rich pads lines to the width
    return f"\n```\n$ {command}\n{printed}\n```\n"


def file_block(path: str) -> str:
    """A fenced block holding the file, so the example shown is the example that runs."""
    language = {".yaml": "yaml", ".yml": "yaml", ".py": "python"}.get(Path(path).suffix, "")
    return f"\n```{language}\n{(ROOT / path).read_text(encoding='utf-8').rstrip()}\n```\n"


def runs_needed(texts: Iterable[str]) -> set[str]:
    """The RUNS that the `fig` and `table` markers of these texts read."""
    needed = set()
    for text in texts:
        for match in MARKERS.finditer(text):
            if match["kind"] in ("fig", "table"):
                needed.add(match["name"].split(".", 1)[0])
    unknown = needed - RUNS.keys()
    if unknown:
        raise SystemExit(f"markers name unknown runs: {', '.join(sorted(unknown))}")
    return needed


def generate(kind: str, name: str, runs: dict[str, Any], outputs: dict[str, str]) -> str:
    """The text a marker should hold today."""
    if kind == "fig":
        return figure(runs, name)
    if kind == "table":
        return f"\n{TABLES[name](runs)}\n"
    if kind == "file":
        return file_block(name)
    return outputs[name]


Job = tuple[str, str]
"""("run", a key of RUNS) or ("out", a command an `out` marker quotes)."""


def jobs(texts: Iterable[str]) -> list[Job]:
    """Every run and CLI output the markers of these texts need, each once, longest first (the
    comparisons, the demo's with attribution above all)."""
    texts = list(texts)
    runs = sorted(runs_needed(texts), key=lambda r: (RUNS[r][0] != "compare", "--attribution" not in RUNS[r]))
    commands = sorted({m["name"] for t in texts for m in MARKERS.finditer(t) if m["kind"] == "out"},
                      key=lambda c: " compare " not in f" {c} ")
    return [("run", run) for run in runs] + [("out", command) for command in commands]


def share(all_jobs: list[Job], part: int, parts: int) -> list[Job]:
    """Part `part` (1-based) of `parts` shares of the jobs, for checks run side by side (the test
    suite's workers): the longest job alone, as long as many others, in the first share; the rest
    dealt in turn over the others (or over all shares when there is one)."""
    if parts == 1:
        return all_jobs
    first, rest = all_jobs[:1], all_jobs[1:]
    if part == 1:
        return first
    return rest[part - 2::parts - 1]


def compute(wanted: list[Job], workers: int = 2) -> tuple[dict[str, Any], dict[str, str]]:
    """The runs and CLI outputs of `wanted`, on `workers` processes, each job on one core (no pool
    start-up per command, and the cores stay busy), longest first."""
    with tempfile.TemporaryDirectory() as folder, command_pool(workers) as pool:
        futures = {job: pool.submit(json_of, job[1], Path(folder)) if job[0] == "run"
                   else pool.submit(cli_output, job[1]) for job in wanted}
        results = {job: future.result() for job, future in futures.items()}
    return ({name: value for (kind, name), value in results.items() if kind == "run"},
            {name: value for (kind, name), value in results.items() if kind == "out"})


def checked(kind: str, name: str, wanted: list[Job], part: int = 1) -> bool:
    """Whether a check of `wanted` (share `part`) regenerates this marker: the markers of its runs and
    commands, and the files' markers in the first share."""
    if kind in ("fig", "table"):
        return ("run", name.split(".", 1)[0]) in wanted
    if kind == "out":
        return ("out", name) in wanted
    return part == 1


def refresh(text: str, runs: dict[str, Any], outputs: dict[str, str], file: str,
            stale: list[Stale], only: Callable[[str, str], bool] | None = None) -> str:
    """`text` with every marker's content regenerated (`only`: the markers it accepts, by kind and
    name); what changed is appended to `stale`."""
    def replace(match: re.Match[str]) -> str:
        if only is not None and not only(match["kind"], match["name"]):
            return match[0]
        wanted = generate(match["kind"], match["name"], runs, outputs)
        if match["body"] != wanted:
            stale.append(Stale(file, f"{match['kind']} {match['name']}", match["body"].strip(),
                               wanted.strip()))
        return f"<!-- {match['kind']} {match['name']} -->{wanted}<!-- /{match['kind']} -->"

    return MARKERS.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the docs (or, with --check, list what is stale and exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="list stale figures, write nothing")
    parser.add_argument("--part", metavar="K/N", type=_part, default=(1, 1),
                        help="only the K-th of N shares of the runs (and files with K=1), on one core")
    options = parser.parse_args(argv)
    texts = {name: (ROOT / name).read_text(encoding="utf-8") for name in DOCS}
    part, parts = options.part
    wanted = share(jobs(texts.values()), part, parts)
    runs, outputs = compute(wanted, workers=2 if parts == 1 else 1)
    stale: list[Stale] = []
    only = None if parts == 1 else lambda kind, name: checked(kind, name, wanted, part)
    for name, text in texts.items():
        new = refresh(text, runs, outputs, name, stale, only)
        if new != text and not options.check:
            write_whole(ROOT / name, lambda handle, new=new: handle.write(new), name)
    for item in stale:
        print(f"{item.file}: <!-- {item.marker} -->: {_short(item.quoted, item.computed)}")
    if options.check:
        print(f"{len(stale)} stale figure(s)" if stale else "docs figures are up to date")
        return 1 if stale else 0
    print(f"{len(stale)} figure(s) regenerated")
    return 0


def _part(text: str) -> tuple[int, int]:
    """`K/N` with 1 <= K <= N."""
    part, _, parts = text.partition("/")
    if not (part.isdigit() and parts.isdigit() and 1 <= int(part) <= int(parts)):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, got {text!r}")
    return int(part), int(parts)


def _short(quoted: str, computed: str) -> str:
    """Quoted and computed text for the report: whole when short, else the first line that differs."""
    if len(quoted) <= 60 and len(computed) <= 60 and "\n" not in quoted + computed:
        return f"quoted {quoted!r}, computed {computed!r}"
    old, new = quoted.splitlines(), computed.splitlines()
    for number, (a, b) in enumerate(itertools.zip_longest(old, new, fillvalue=""), start=1):
        if a != b:
            return f"line {number} quoted {a.strip()!r}, computed {b.strip()!r}"
    return "whitespace differs"


if __name__ == "__main__":
    sys.exit(main())
