"""Fast engine against SimPy engine: the reference line, 20 replications of 200,000 parts each.

The reference line (5 single-machine stations, exponential means 1.0 1.1 0.9 1.2 1.0 min, buffers
of 5, saturated source) runs for 200,000 / 0.743375 min per replication from an empty line, with no
warm-up, on each engine in a fresh process (one core), so the comparison is:

- whole process: wall time of `twin run configs/reference_line.yaml --engine E --workers 1
  --replications 20 --horizon ... --warmup 0 --format json`, interpreter start, imports, numba's
  cached machine code and Python bytecode, KPIs and JSON included, in CPU time (user + system:
  steadier than wall time on a shared host; both are printed; the fast process's median of 3
  runs, before and after the SimPy run) (target: SimPy / fast >= 30). The fast engine's kernels run
  compiled ahead of time when built (`make bench` builds them: `twin.engine.fast_aot`), so the
  process never imports numba; the same process on numba's JIT kernels (`TWIN_KERNELS=jit`, what
  an install without the build runs) is timed too and reported beside it;
- per part inside the process: CPU time of the replications alone (`simulate_with` in a fresh
  worker process), divided by the parts they produced (target: >= 100).

A second line has parallel machines (2 at station 2, 3 at station 4, each as much slower), which the
fast engine runs on its event kernel (`fast_events`): 5 replications of the same parts on each
engine, per part inside the process (reported, no target), and the same departures on both.

Parts/s count parts leaving the last station; events/s count the instants each engine computes per
part and station (start, end, departure: 3 × 5 per part). Checks (any failure exits non-zero): both
engines give the same departures in every replication; the fast engine's mean throughput is within
4 standard errors of the exact 0.743375 parts/min; its peak memory does not grow with the number of
parts (a run at 1/10 the parts vs the full run, within 8 MiB). Results go to bench/fast_results.json.

    .venv/bin/python bench/fast_bench.py            # 20 × 200,000 parts (make bench)
    .venv/bin/python bench/fast_bench.py --quick    # 4 × 20,000 parts (smoke run)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from line_models import BUFFER, EXACT_THROUGHPUT, MEANS, horizon_for

from twin.engine import fast_compiled

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "fast_results.json"
EVENTS_PER_PART_STATION = 3
MEMORY_SLACK_MIB = 8.0
TARGET_PROCESS, TARGET_PER_PART = 30.0, 100.0


def reference_line(parts: int):
    import twin

    stations = [{"name": f"S{k}", "buffer": BUFFER, "process": {"dist": "exponential", "mean": mean}}
                for k, mean in enumerate(MEANS, start=1)]
    return twin.Line.model_validate({"name": "Reference five-station line", "horizon": horizon_for(parts),
                                     "warmup": 0.0, "seed": 42, "stations": stations})


PARALLEL_MACHINES = (1, 2, 1, 3, 1)
"""The parallel line: the reference line with 2 machines at station 2 and 3 at station 4, each
machine that much slower (means 1.0 2.2 0.9 3.6 1.0 min), so the line's capacity is alike but parts
overtake one another at those stations (the fast engine's event kernel runs it)."""


def parallel_line(parts: int):
    import twin

    stations = [{"name": f"S{k}", "buffer": BUFFER, "machines": machines,
                 "process": {"dist": "exponential", "mean": mean * machines}}
                for k, (mean, machines) in enumerate(zip(MEANS, PARALLEL_MACHINES, strict=True), start=1)]
    return twin.Line.model_validate({"name": "Parallel five-station line", "horizon": horizon_for(parts),
                                     "warmup": 0.0, "seed": 42, "stations": stations})


LINES = {"reference": reference_line, "parallel": parallel_line}


def worker(engine: str, parts: int, replications: int, kind: str = "reference") -> dict:
    """In the subprocess: CPU time of each replication alone on `engine`."""
    from twin.engine import simulate_with

    line = LINES[kind](parts)
    simulate_with(LINES[kind](100), 0, engine=engine)  # imports and cached machine code: not per part
    cpu, departed = [], []
    for rep in range(replications):
        start = time.process_time()
        stats = simulate_with(line, rep, engine=engine)
        cpu.append(time.process_time() - start)
        departed.append(stats.departed)
    return {"cpu_seconds": cpu, "departed": departed, "throughput": [d / line.horizon for d in departed],
            "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_worker(engine: str, parts: int, replications: int, kind: str = "reference") -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, str(parts),
               str(replications), "--line", kind]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{engine} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_cli(engine: str, parts: int, replications: int, kernels: str = "") -> tuple[float, float]:
    """Wall and CPU time (user + system) of the whole `twin run` process on one core (start,
    imports, KPIs, JSON). CPU time is the steadier measure on a shared host. `kernels="jit"` runs
    the fast engine on numba's JIT kernels even where the compiled ones are built."""
    config = ROOT / "configs" / "reference_line.yaml"
    command = [str(Path(sys.executable).parent / "twin"), "run", str(config),
               "--engine", engine, "--workers", "1", "--replications", str(replications),
               "--horizon", f"{horizon_for(parts)!r}min", "--warmup", "0", "--format", "json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    env = {**os.environ, fast_compiled.ENV: kernels} if kernels else None
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0 or json.loads(done.stdout)["engine"] != engine:
        raise RuntimeError(f"twin run --engine {engine} failed:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def warm_caches() -> None:
    """A user's second run: the package's bytecode compiled (what a regular install does, and what
    `make bench` does for the editable one: a host with PYTHONDONTWRITEBYTECODE would otherwise
    recompile every module of the package at each start, ~0.7 s) and numba's cache filled (the
    ahead-of-time kernels are `make bench`'s to build: `make kernels`)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", "twin"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "fast", "1000", "1"],
                   cwd=ROOT, check=True, capture_output=True)
    for engine in ("fast", "simpy"):
        time_cli(engine, 100, 1)
    time_cli("fast", 100, 1, "jit")


PROCESS_ORDER = ("fast", "simpy", "fast", "fast", "fast-jit", "fast-jit", "fast-jit")
"""The whole-process runs, in order; each engine's median is reported. A shared host's speed drifts
by up to a quarter within minutes (the same fast run took 2.6 s of CPU, then 3.3 s ten minutes
later), so the fast runs (about 3 s each) stand before and after the SimPy run (about 80 s)."""

PARALLEL_REPLICATIONS = 5


def parallel_rows(parts: int, replications: int) -> dict:
    """Both engines on the parallel line, per part inside the process (as the reference line's)."""
    runs = {engine: run_worker(engine, parts, replications, "parallel") for engine in ("fast", "simpy")}
    rows: dict = {"replications": replications, "same": runs["fast"]["departed"] == runs["simpy"]["departed"]}
    for engine, report in runs.items():
        produced, cpu = sum(report["departed"]), sum(report["cpu_seconds"])
        rows[engine] = {"cpu_seconds": cpu, "parts": produced, "us_per_part": cpu / produced * 1e6,
                        "parts_per_second": produced / cpu, "rss_peak_mib": report["rss_peak_mib"]}
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 4 × 20,000 parts")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE", "PARTS", "REPLICATIONS"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--line", choices=sorted(LINES), default="reference", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        engine, parts, replications = args.worker
        print(json.dumps(worker(engine, int(parts), int(replications), args.line)))
        return 0
    parts, replications = (20_000, 4) if args.quick else (200_000, 20)
    warm_caches()
    runs = {engine: run_worker(engine, parts, replications) for engine in ("fast", "simpy")}
    timings: dict[str, list[tuple[float, float]]] = {engine: [] for engine in PROCESS_ORDER}
    for engine in PROCESS_ORDER:  # the fast runs on both sides of the SimPy one: the host drifts
        timings[engine].append(time_cli(engine.removesuffix("-jit"), parts, replications,
                                        "jit" if engine.endswith("-jit") else ""))
    jit_cpu = statistics.median(cpu for _, cpu in timings["fast-jit"])
    for engine, report in runs.items():
        report["process_wall_seconds"] = statistics.median(wall for wall, _ in timings[engine])
        report["process_cpu_seconds"] = statistics.median(cpu for _, cpu in timings[engine])
    small = run_worker("fast", parts // 10, 2)
    rows = {}
    for engine, report in runs.items():
        produced = sum(report["departed"])
        cpu = sum(report["cpu_seconds"])
        rows[engine] = {"process_cpu_seconds": report["process_cpu_seconds"],
                        "process_wall_seconds": report["process_wall_seconds"], "cpu_seconds": cpu,
                        "parts": produced, "us_per_part": cpu / produced * 1e6,
                        "parts_per_second": produced / cpu,
                        "events_per_second": produced * len(MEANS) * EVENTS_PER_PART_STATION / cpu,
                        "throughput": statistics.mean(report["throughput"]),
                        "throughput_se": statistics.stdev(report["throughput"]) / math.sqrt(replications),
                        "rss_peak_mib": report["rss_peak_mib"]}
    ratio_process = rows["simpy"]["process_cpu_seconds"] / rows["fast"]["process_cpu_seconds"]
    ratio_wall = rows["simpy"]["process_wall_seconds"] / rows["fast"]["process_wall_seconds"]
    ratio_part = rows["simpy"]["us_per_part"] / rows["fast"]["us_per_part"]
    print(f"Reference line, {replications} replications × {parts:,} parts, one core "
          f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print(f"{'engine':8} {'process CPU s':>13} {'wall s':>8} {'µs/part':>9} {'parts/s':>12} {'events/s':>13} "
          f"{'throughput':>17} {'peak MiB':>9}")
    for engine, row in rows.items():
        print(f"{engine:8} {row['process_cpu_seconds']:13.2f} {row['process_wall_seconds']:8.2f} "
              f"{row['us_per_part']:9.3f} "
              f"{row['parts_per_second']:12,.0f} {row['events_per_second']:13,.0f} "
              f"{row['throughput']:10.6f}±{row['throughput_se']:.6f} {row['rss_peak_mib']:9.1f}")
    kernels = fast_compiled.which()
    ratio_jit = rows["simpy"]["process_cpu_seconds"] / jit_cpu
    print(f"speed-up: {ratio_process:.1f}× whole process in CPU time ({ratio_wall:.1f}× in wall time; "
          f"target {TARGET_PROCESS:g}×; kernels {kernels}), "
          f"{ratio_part:.1f}× per part inside the process (target {TARGET_PER_PART:g}×)")
    print(f"on numba's JIT kernels (TWIN_KERNELS=jit, no ahead-of-time build): {jit_cpu:.2f} s process "
          f"CPU, {ratio_jit:.1f}× whole process")
    fast = rows["fast"]
    checks = [
        ("same departures on both engines", runs["fast"]["departed"] == runs["simpy"]["departed"], ""),
        ("fast throughput within 4 SE of 0.743375",
         abs(fast["throughput"] - EXACT_THROUGHPUT) <= 4 * fast["throughput_se"],
         f"{fast['throughput']:.6f} ± {fast['throughput_se']:.6f}"),
        ("memory flat in the number of parts",
         fast["rss_peak_mib"] - small["rss_peak_mib"] <= MEMORY_SLACK_MIB,
         f"{small['rss_peak_mib']:.1f} MiB at 1/10 the parts, {fast['rss_peak_mib']:.1f} MiB in full"),
        (f"whole process >= {TARGET_PROCESS:g}×", ratio_process >= TARGET_PROCESS, f"{ratio_process:.1f}×"),
        (f"per part >= {TARGET_PER_PART:g}×", ratio_part >= TARGET_PER_PART, f"{ratio_part:.1f}×"),
    ]
    parallel = parallel_rows(parts, PARALLEL_REPLICATIONS if not args.quick else 2)
    ratio_parallel = parallel["simpy"]["us_per_part"] / parallel["fast"]["us_per_part"]
    print(f"Parallel line (machines {' '.join(map(str, PARALLEL_MACHINES))}), {parallel['replications']} "
          f"replications × {parts:,} parts: fast {parallel['fast']['us_per_part']:.3f} µs/part "
          f"({parallel['fast']['parts_per_second']:,.0f} parts/s), "
          f"SimPy {parallel['simpy']['us_per_part']:.3f} µs/part: {ratio_parallel:.1f}× per part "
          "inside the process")
    checks.append(("parallel line: same departures on both engines", parallel["same"], ""))
    for name, ok, detail in checks:
        print(f"  {'ok  ' if ok else 'FAIL'} {name} {detail}")
    RESULTS.write_text(json.dumps({"parts": parts, "replications": replications, "rows": rows,
                                   "ratio_process": ratio_process, "ratio_process_wall": ratio_wall,
                                   "kernels": kernels, "process_cpu_seconds_jit": jit_cpu,
                                   "ratio_process_jit": ratio_jit,
                                   "ratio_per_part": ratio_part, "parallel": parallel,
                                   "ratio_parallel_per_part": ratio_parallel,
                                   "checks": {name: ok for name, ok, _ in checks}}, indent=2) + "\n")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
