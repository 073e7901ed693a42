"""Engine benchmark: the twin against the leanest SimPy model of the same line (the "floor").

The reference line: 5 single-machine stations, exponential processing means 1.0, 1.1, 0.9, 1.2,
1.0 min, buffers of 5 (blocking after service), saturated source; and the same line with failures
(exponential, MTBF 100 min, MTTR 5 min, calendar clock, preemptive-resume).

Three models of each variant, each run in a fresh subprocess (so peak RSS is per model):

- `floor`: one generator process per machine, plain deques for buffers, bare SimPy events for the
  hand-off to a starved machine and for a blocked machine, `random.expovariate` draws; no
  statistics beyond the sink's part count. With failures, a breakdown process per machine on the
  calendar clock interrupts the machine (busy: the part resumes after repair; starved or blocked: it
  repairs before its next part, and a finished part may still leave during the repair), the same
  semantics as the twin.
- `twin`: `twin.engine.simulate` with all its state accounting.
- `store`: the idiomatic `simpy.Store` model of the same line, a second reference (much slower
  than the floor: every hand-off goes through Store put/get request events).

"200,000 parts" is a horizon: every model runs for 200,000 / 0.743375 min (about 269,043 min) from
an empty line, and the table reports the parts that left the last station in that time. Throughput
is parts / horizon; its standard error is from 20 batch means over the run (batches of about
10,000 parts, much longer than the line's correlation time). The initial fill of the empty line
biases the count by a few parts, far below one standard error.

Time is the CPU time (`time.process_time`) of building and running the model, not counting the
interpreter start and imports; each model runs `--repeats` times (floor and twin back to back) and
the least time counts, the run least disturbed by other load on the host. A busy host (load above
the number of CPUs) is reported: it disturbs even CPU times.

Checks (any failure exits non-zero): the twin's throughput within 4 SE of the exact 0.743375
parts/min; the floor's too (else the floor is not the same line and the ratio means nothing); with
failures (no closed form) twin and floor agree within 4 combined SE; the twin is deterministic for
a fixed seed; twin time / floor time at most 1.5 in both variants; the twin's memory does not grow
with the number of parts (peak RSS growth of a run at 1/10 the parts vs the full run).
Results go to bench/results.json.

    .venv/bin/python bench/engine_bench.py            # 200,000 parts, least of 3 (make bench)
    .venv/bin/python bench/engine_bench.py --quick    # 20,000 parts, 1 repeat (smoke run)
    .venv/bin/python bench/engine_bench.py --profile  # pyinstrument profile of the twin
    .venv/bin/python bench/engine_bench.py --twin-path /tmp/old  # another `twin` (git archive snapshot)
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import simpy
from line_models import (
    BATCHES,
    BUFFER,
    EXACT_THROUGHPUT,
    MEANS,
    MTBF,
    MTTR,
    floor_failures,
    floor_plain,
    horizon_for,
    store_failures,
    store_plain,
)

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"

MODELS = ("floor", "twin", "store")
VARIANTS = ("plain", "failures")
MAX_RATIO = 1.5
MAX_SE = 4.0
MEMORY_SLACK_MIB = 8.0
"""Allowed extra peak-RSS growth of the full run over the 1/10 run (allocator noise, not a leak)."""
SEED = 42


# --- the twin --------------------------------------------------------------------------------------

def reference_line(variant: str, horizon: float):
    """The reference line as a twin `Line` (no warm-up: every model runs the same horizon)."""
    from twin.config.dists import Exponential
    from twin.config.line import Failures, Line, Station

    failures = (Failures(mtbf=Exponential(mean=MTBF), mttr=Exponential(mean=MTTR), mode="calendar")
                if variant == "failures" else None)
    stations = [Station(name=f"S{k}", buffer=BUFFER, process=Exponential(mean=mean), failures=failures)
                for k, mean in enumerate(MEANS, start=1)]
    return Line(name="Reference five-station line", horizon=horizon, warmup=0.0, replications=1,
                seed=SEED, stations=stations)


def twin_counts(stats, horizon: float) -> list[int]:
    """Cumulative departures at the batch boundaries, from the twin's own coarse time series.

    The series counts departures ("departed") or good parts ("good"), the same on this line.
    """
    times = stats.series["time_min"]
    departed = stats.series["departed" if "departed" in stats.series else "good"]
    counts = []
    for k in range(BATCHES):
        boundary = k * horizon / BATCHES
        index = min(range(len(times)), key=lambda i: abs(times[i] - boundary))
        if abs(times[index] - boundary) > 1e-6 * horizon:
            raise RuntimeError(f"the twin's series has no sample at {boundary:g} min")
        counts.append(int(departed[index]))
    return [*counts, stats.departed_total]


# --- one model in this process (the subprocess side) -----------------------------------------------

def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def worker(model: str, variant: str, parts: int, seed: int) -> dict:
    horizon = horizon_for(parts)
    if model == "twin":
        from twin.engine import simulate

        line = reference_line(variant, horizon)

        def run() -> list[int]:
            return twin_counts(simulate(line, 0, seed=seed), horizon)
    else:
        run_model = {("floor", "plain"): floor_plain, ("floor", "failures"): floor_failures,
                     ("store", "plain"): store_plain, ("store", "failures"): store_failures}[
            (model, variant)]

        def run() -> list[int]:
            return run_model(horizon, seed)

    rss_before = _rss_mib()
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    counts = run()
    seconds = time.process_time() - start_cpu
    wall = time.perf_counter() - start_wall
    rss_peak = _rss_mib()
    return {"model": model, "variant": variant, "target_parts": parts, "seed": seed,
            "horizon_min": horizon, "seconds": seconds, "wall_seconds": wall, "parts": counts[-1],
            "counts": counts,
            "rss_before_mib": rss_before, "rss_peak_mib": rss_peak}


def run_in_subprocess(model: str, variant: str, parts: int, twin_path: Path, seed: int = SEED) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", model, variant, str(parts),
               str(seed), "--twin-path", str(twin_path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{model}/{variant} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- statistics and the report ---------------------------------------------------------------------

def throughput(counts: list[int], horizon: float) -> tuple[float, float]:
    """Throughput (parts/min) and its standard error by batch means."""
    length = horizon / BATCHES
    rates = [(b - a) / length for a, b in itertools.pairwise(counts)]
    return counts[-1] / horizon, statistics.stdev(rates) / math.sqrt(len(rates))


def measure(parts: int, repeats: int, twin_path: Path, log) -> tuple[dict, dict]:
    """Time every model of both variants `repeats` times, interleaved so drift hits all alike."""
    runs: dict[str, dict[str, list[dict]]] = {v: {m: [] for m in MODELS} for v in VARIANTS}
    for variant in VARIANTS:
        for repeat in range(repeats):
            for model in MODELS:
                result = run_in_subprocess(model, variant, parts, twin_path)
                runs[variant][model].append(result)
                log(f"  {variant:8s} {model:5s} run {repeat + 1}/{repeats}: {result['seconds']:7.3f} s,"
                    f" {result['parts']} parts")
    summary: dict[str, dict[str, dict]] = {}
    for variant in VARIANTS:
        summary[variant] = {}
        floor_seconds = min(r["seconds"] for r in runs[variant]["floor"])
        for model in MODELS:
            results = runs[variant][model]
            seconds = min(r["seconds"] for r in results)
            first = results[0]
            rate, se = throughput(first["counts"], first["horizon_min"])
            summary[variant][model] = {
                "seconds": seconds, "seconds_median": statistics.median(r["seconds"] for r in results),
                "seconds_all": [r["seconds"] for r in results],
                "wall_seconds_all": [r["wall_seconds"] for r in results], "parts": first["parts"],
                "parts_per_second": first["parts"] / seconds,
                "rss_peak_mib": max(r["rss_peak_mib"] for r in results),
                "rss_run_growth_mib": max(r["rss_peak_mib"] - r["rss_before_mib"] for r in results),
                "ratio_to_floor": seconds / floor_seconds,
                "paired_ratios": [r["seconds"] / f["seconds"]
                                  for r, f in zip(results, runs[variant]["floor"], strict=True)],
                "throughput_per_min": rate,
                "throughput_se": se, "deterministic": len({r["parts"] for r in results}) == 1,
            }
    return summary, runs


def print_table(variant: str, rows: dict[str, dict], parts: int) -> None:
    title = "no failures" if variant == "plain" else "failures: MTBF 100, MTTR 5 min, calendar clock"
    print(f"\nReference line, {title}; horizon {horizon_for(parts):,.0f} min (~{parts:,} parts)")
    header = (f"{'model':7s} {'seconds':>8s} {'parts':>8s} {'parts/s':>9s} {'peak MiB':>9s} "
              f"{'run +MiB':>9s} {'ratio':>6s}  {'throughput/min ± SE':>22s}")
    print(header)
    print("-" * len(header))
    for model in MODELS:
        r = rows[model]
        print(f"{model:7s} {r['seconds']:8.3f} {r['parts']:8d} {r['parts_per_second']:9.0f} "
              f"{r['rss_peak_mib']:9.1f} {r['rss_run_growth_mib']:9.1f} {r['ratio_to_floor']:6.2f}  "
              f"{r['throughput_per_min']:12.6f} ± {r['throughput_se']:.6f}")


def checks(summary: dict, memory: dict) -> list[tuple[str, bool, str]]:
    """(name, passed, detail) for every check the verdict rests on."""
    out = []
    for model in ("twin", "floor"):
        r = summary["plain"][model]
        z = (r["throughput_per_min"] - EXACT_THROUGHPUT) / r["throughput_se"]
        out.append((f"{model} throughput = exact {EXACT_THROUGHPUT}", abs(z) <= MAX_SE,
                    f"{r['throughput_per_min']:.6f} ± {r['throughput_se']:.6f}, z = {z:+.2f}"))
    twin, floor = summary["failures"]["twin"], summary["failures"]["floor"]
    se = math.hypot(twin["throughput_se"], floor["throughput_se"])
    z = (twin["throughput_per_min"] - floor["throughput_per_min"]) / se
    out.append(("failures: twin throughput = floor throughput", abs(z) <= MAX_SE,
                f"{twin['throughput_per_min']:.6f} vs {floor['throughput_per_min']:.6f}, z = {z:+.2f}"))
    for variant in VARIANTS:
        r = summary[variant]["twin"]
        pairs = r["paired_ratios"]
        out.append((f"{variant}: twin time / floor time <= {MAX_RATIO}", r["ratio_to_floor"] <= MAX_RATIO,
                    f"{r['ratio_to_floor']:.2f} (least / least; back-to-back pairs "
                    f"{min(pairs):.2f}..{max(pairs):.2f})"))
        if len(r["seconds_all"]) > 1:  # with one repeat there is nothing to compare
            out.append((f"{variant}: twin deterministic for a fixed seed", r["deterministic"],
                        f"same part count in all {len(r['seconds_all'])} repeats"))
    small, large = memory["small"], memory["large"]
    growth_small = small["rss_peak_mib"] - small["rss_before_mib"]
    growth_large = large["rss_peak_mib"] - large["rss_before_mib"]
    out.append(("twin memory flat in the number of parts", growth_large - growth_small <= MEMORY_SLACK_MIB,
                f"run growth {growth_small:.1f} MiB at {small['parts']:,} parts, {growth_large:.1f} MiB at "
                f"{large['parts']:,} (peak {small['rss_peak_mib']:.1f} vs {large['rss_peak_mib']:.1f} MiB)"))
    return out


def profile(parts: int) -> None:
    """Profile the twin on the reference line (pyinstrument if installed, else cProfile)."""
    from twin.engine import simulate

    line = reference_line("plain", horizon_for(parts))
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        with cProfile.Profile() as profiler:
            simulate(line, 0, seed=SEED)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    simulate(line, 0, seed=SEED)
    profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 parts, 1 repeat")
    parser.add_argument("--parts", type=int, help="parts per run (default 200,000; 20,000 with --quick)")
    parser.add_argument("--repeats", type=int, help="timings per model, least taken (default 3; 1)")
    parser.add_argument("--profile", action="store_true", help="profile the twin instead of benchmarking")
    parser.add_argument("--twin-path", type=Path, default=ROOT,
                        help="directory holding the `twin` package to benchmark (default: this checkout);"
                             " e.g. a `git archive` snapshot, to compare two versions")
    parser.add_argument("--worker", nargs=4, metavar=("MODEL", "VARIANT", "PARTS", "SEED"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    twin_path = args.twin_path.resolve()
    sys.path.insert(0, str(twin_path))
    if args.worker:
        model, variant, parts, seed = args.worker
        print(json.dumps(worker(model, variant, int(parts), int(seed))))
        return 0
    parts = args.parts or (20_000 if args.quick else 200_000)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.profile:
        profile(parts)
        return 0

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log(f"engine benchmark: {parts:,} parts, {repeats} repeat(s) per model, each in a fresh process;"
        f" twin from {twin_path}")
    load_before = os.getloadavg()[0]
    summary, runs = measure(parts, repeats, twin_path, log)
    memory = {"small": run_in_subprocess("twin", "plain", parts // 10, twin_path),
              "large": max(runs["plain"]["twin"], key=lambda r: r["rss_peak_mib"])}
    load = max(load_before, os.getloadavg()[0])
    cpus = os.cpu_count() or 1
    for variant in VARIANTS:
        print_table(variant, summary[variant], parts)
    print("\nseconds: CPU time of the run (build + simulate, by time.process_time, so other load on the "
          "host matters less than for wall time),\nthe least of the repeats (the run least disturbed by "
          "other load); ratio: to the floor's seconds;\npeak MiB: max RSS of the process (interpreter and "
          "imports included); run +MiB: peak RSS growth during the run.\nstore: the idiomatic simpy.Store "
          "model, much slower than the floor (a request event per put and per get); a second reference, "
          "not checked.")

    results = checks(summary, memory)
    if load > cpus:
        print(f"\nWARNING: the host was busy (1-min load average up to {load:.1f} on {cpus} CPUs): other "
              "processes disturb even CPU times, so the ratios are uncertain; rerun on a quiet machine "
              "or with more --repeats.")
    print()
    for name, passed, detail in results:
        print(f"[{'PASS' if passed else 'FAIL'}] {name}: {detail}")
    failed = [name for name, passed, _ in results if not passed]
    quick = " (quick smoke run: timings are noisy)" if parts < 200_000 or repeats < 3 else ""
    if failed:
        print(f"\nVERDICT: FAIL{quick}: {'; '.join(failed)}")
    else:
        ratios = ", ".join(f"{v} {summary[v]['twin']['ratio_to_floor']:.2f}x" for v in VARIANTS)
        print(f"\nVERDICT: PASS{quick}: twin within {MAX_RATIO}x of the floor ({ratios}), throughput "
              f"matches the exact value, memory flat")

    RESULTS.write_text(json.dumps({
        "parts": parts, "repeats": repeats, "seed": SEED, "batches": BATCHES,
        "exact_throughput_per_min": EXACT_THROUGHPUT, "max_ratio": MAX_RATIO,
        "python": platform.python_version(), "simpy": simpy.__version__, "machine": platform.machine(),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "commit": _git_commit(),
        "twin_path": str(twin_path), "twin_uncommitted_changes": _twin_dirty(twin_path),
        "load_average_max": load, "cpus": cpus,
        "results": summary, "memory": memory,
        "checks": [{"name": n, "passed": p, "detail": d} for n, p, d in results],
        "verdict": "FAIL" if failed else "PASS",
    }, indent=2) + "\n")
    return 1 if failed else 0


def _twin_dirty(twin_path: Path) -> bool | None:
    """Whether the benchmarked `twin/` differs from the commit (None: not this checkout)."""
    if twin_path != ROOT:
        return None
    done = subprocess.run(["git", "status", "--porcelain", "twin"], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    return bool(done.stdout.strip())


def _git_commit() -> str | None:
    done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=ROOT,
                          check=False)
    return done.stdout.strip() or None


if __name__ == "__main__":
    sys.exit(main())
