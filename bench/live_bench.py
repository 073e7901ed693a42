"""The live twin's forecast: 200 replications of the rest of an 8-hour shift on the reference line,
on one core, against the 2 s target (issue: a forecast every 10 s must leave time to spare).

The state is the reference line 10 minutes into its shift (emulated, `twin.live.emulator`, then
rebuilt from the published values as `twin live` does); the forecast runs it to the end of the
8-hour shift (470 simulated minutes × 200 replications). Timed: the whole forecast (`forecast`, as
the live loop calls it: the run from the state, the totals, the bottleneck), in wall and CPU time;
the first call separately, since it includes loading the engine (numba's cached machine code).
Prints the timings; no assertion (a benchmark, not a test).

    .venv/bin/python bench/live_bench.py [--repeat 5] [--engine auto|simpy|fast]

`--engine simpy` times the same forecast on the SimPy engine (the same numbers, the engine the
forecast ran on before the fast engine started from a state).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TARGET_SECONDS = 2.0
SHIFT = 8 * 60.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed forecasts after the first")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--engine", default="auto", choices=("auto", "simpy", "fast"))
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    import twin
    from twin.live.emulator import Emulation
    from twin.live.forecast import forecast
    from twin.live.rebuild import rebuild_state

    line = twin.load(ROOT / "configs" / "reference_line.yaml")
    emulation = Emulation(line, shift=SHIFT)
    emulation.advance_to(10.0)
    state = rebuild_state(line, emulation.values())

    def once() -> tuple[float, float, object]:
        wall, cpu = time.perf_counter(), time.process_time()
        result = forecast(line, state, emulation.good_parts, SHIFT, replications=args.replications,
                          engine=args.engine)
        return time.perf_counter() - wall, time.process_time() - cpu, result

    first_wall, first_cpu, result = once()
    runs = [once() for _ in range(args.repeat)]
    walls = [w for w, _, _ in runs]
    cpus = [c for _, c, _ in runs]
    good = result.good_parts  # type: ignore[attr-defined]
    print(f"forecast of {args.replications} replications of the rest of an 8-hour shift (from clock "
          f"{state.clock:g} to {SHIFT:g} min) on the reference line, one core, engine "
          f"{result.engine}:")  # type: ignore[attr-defined]
    print(f"  first call (engine loading included): {first_wall:.3f} s wall, {first_cpu:.3f} s CPU")
    cpu = statistics.median(cpus)
    verdict = (f"within it ({TARGET_SECONDS / cpu:.1f}x under)" if cpu <= TARGET_SECONDS
               else f"over it ({cpu / TARGET_SECONDS:.1f}x the target)")
    print(f"  median of {args.repeat}: {statistics.median(walls):.3f} s wall, {cpu:.3f} s CPU; "
          f"target {TARGET_SECONDS:g} s (CPU): {verdict}")
    print(f"  good parts by the end of the shift: mean {good['mean']:.1f}, 80% [{good['p10']:g}, "
          f"{good['p90']:g}], 95% [{good['p025']:g}, {good['p975']:g}]")


if __name__ == "__main__":
    main()
