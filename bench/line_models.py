"""The reference line as plain SimPy models, without the twin: the benchmark's floor and the
idiomatic `simpy.Store` model (see `engine_bench.py`).

Each model runs the line for `horizon` minutes from empty and returns the cumulative count of parts
that left the last station at each of `BATCHES` equal time steps (for batch means) and at the end.
"""

from __future__ import annotations

import random
from collections import deque

import simpy
from simpy import Interrupt

MEANS = (1.0, 1.1, 0.9, 1.2, 1.0)
BUFFER = 5
MTBF = 100.0
MTTR = 5.0
EXACT_THROUGHPUT = 0.743375
"""Parts/min of the line without failures (exact, from its Markov chain)."""
BATCHES = 20
"""Time steps of the part count, for the standard error by batch means."""


def horizon_for(parts: int) -> float:
    return parts / EXACT_THROUGHPUT


def _sample_counts(env: simpy.Environment, horizon: float, done: list[int], counts: list[int]):
    """Cumulative sink count at each batch boundary (BATCHES - 1 events per run: negligible)."""
    step = horizon / BATCHES
    for k in range(1, BATCHES):
        yield env.timeout(k * step - env.now)
        counts.append(done[0])


# --- the floor -------------------------------------------------------------------------------------

def floor_plain(horizon: float, seed: int) -> list[int]:
    """The leanest SimPy model of the line; returns the cumulative counts at batch boundaries."""
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    n = len(MEANS)
    buffers: list[deque] = [deque() for _ in range(n)]
    starved: list[simpy.Event | None] = [None] * n  # the wake event of a starved machine
    blocked: list[simpy.Event | None] = [None] * n  # the upstream machine blocked in front of i
    done = [0]

    def machine(i: int):
        rate = 1.0 / MEANS[i]
        timeout = env.timeout
        event = env.event
        buf = buffers[i]
        first = i == 0
        last = i == n - 1
        down = None if last else buffers[i + 1]
        while True:
            if not first:
                if buf:
                    buf.popleft()
                    up = blocked[i]
                    if up is not None:
                        blocked[i] = None
                        buf.append(None)
                        up.succeed()
                else:
                    wake = starved[i] = event()
                    yield wake
            yield timeout(expo(rate))
            if last:
                done[0] += 1
            else:
                wake = starved[i + 1]
                if wake is not None:
                    starved[i + 1] = None
                    wake.succeed()
                elif len(down) < BUFFER:
                    down.append(None)
                else:
                    up = blocked[i + 1] = event()
                    yield up

    for i in range(n):
        env.process(machine(i))
    counts = [0]
    env.process(_sample_counts(env, horizon, done, counts))
    env.run(until=horizon)
    counts.append(done[0])
    return counts


def floor_failures(horizon: float, seed: int) -> list[int]:
    """The floor with calendar-clock failures: a breakdown process interrupts its machine."""
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    n = len(MEANS)
    buffers: list[deque] = [deque() for _ in range(n)]
    starved: list[simpy.Event | None] = [None] * n
    blocked: list[simpy.Event | None] = [None] * n
    done = [0]

    def machine(i: int):
        rate = 1.0 / MEANS[i]
        timeout = env.timeout
        event = env.event
        buf = buffers[i]
        first = i == 0
        last = i == n - 1
        down = None if last else buffers[i + 1]
        while True:
            while not first:  # take a part; a starved machine that fails repairs, then looks again
                if buf:
                    buf.popleft()
                    up = blocked[i]
                    if up is not None:
                        blocked[i] = None
                        buf.append(None)
                        up.succeed()
                    break
                wake = starved[i] = event()
                try:
                    yield wake
                    break
                except Interrupt as stop:
                    if not wake.triggered:
                        starved[i] = None
                    yield stop.cause
                    if wake.triggered:
                        break
            work = expo(rate)
            while True:  # preemptive-resume: the remaining work goes on after the repair
                start = env.now
                try:
                    yield timeout(work)
                    break
                except Interrupt as stop:
                    work = max(0.0, work - (env.now - start))
                    yield stop.cause
            if last:
                done[0] += 1
            else:
                wake = starved[i + 1]
                if wake is not None:
                    starved[i + 1] = None
                    wake.succeed()
                elif len(down) < BUFFER:
                    down.append(None)
                else:
                    up = blocked[i + 1] = event()
                    while not up.triggered:  # the part may leave during a repair
                        try:
                            yield up
                        except Interrupt as stop:
                            yield stop.cause

    def breakdowns(proc: simpy.Process):
        ttf, ttr = 1.0 / MTBF, 1.0 / MTTR
        while True:
            yield env.timeout(expo(ttf))
            repair = env.timeout(expo(ttr))
            proc.interrupt(repair)
            yield repair

    for i in range(n):
        env.process(breakdowns(env.process(machine(i))))
    counts = [0]
    env.process(_sample_counts(env, horizon, done, counts))
    env.run(until=horizon)
    counts.append(done[0])
    return counts


# --- the idiomatic simpy.Store model ---------------------------------------------------------------

def store_plain(horizon: float, seed: int) -> list[int]:
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    n = len(MEANS)
    stores = [simpy.Store(env, capacity=BUFFER) for _ in range(n)]
    done = [0]

    def machine(i: int):
        rate = 1.0 / MEANS[i]
        source = stores[i] if i > 0 else None
        target = stores[i + 1] if i < n - 1 else None
        while True:
            part = (yield source.get()) if source is not None else object()
            yield env.timeout(expo(rate))
            if target is not None:
                yield target.put(part)
            else:
                done[0] += 1

    for i in range(n):
        env.process(machine(i))
    counts = [0]
    env.process(_sample_counts(env, horizon, done, counts))
    env.run(until=horizon)
    counts.append(done[0])
    return counts


def store_failures(horizon: float, seed: int) -> list[int]:
    env = simpy.Environment()
    expo = random.Random(seed).expovariate
    n = len(MEANS)
    stores = [simpy.Store(env, capacity=BUFFER) for _ in range(n)]
    done = [0]

    def machine(i: int):
        rate = 1.0 / MEANS[i]
        source = stores[i] if i > 0 else None
        target = stores[i + 1] if i < n - 1 else None
        while True:
            part = None if source is not None else object()
            while part is None:
                request = source.get()
                try:
                    part = yield request
                except Interrupt as stop:
                    if request.triggered:
                        part = request.value
                    else:
                        request.cancel()
                    yield stop.cause
            work = expo(rate)
            while True:
                start = env.now
                try:
                    yield env.timeout(work)
                    break
                except Interrupt as stop:
                    work = max(0.0, work - (env.now - start))
                    yield stop.cause
            if target is None:
                done[0] += 1
                continue
            request = target.put(part)
            while True:
                try:
                    yield request
                    break
                except Interrupt as stop:
                    yield stop.cause

    def breakdowns(proc: simpy.Process):
        while True:
            yield env.timeout(expo(1.0 / MTBF))
            repair = env.timeout(expo(1.0 / MTTR))
            proc.interrupt(repair)
            yield repair

    for i in range(n):
        env.process(breakdowns(env.process(machine(i))))
    counts = [0]
    env.process(_sample_counts(env, horizon, done, counts))
    env.run(until=horizon)
    counts.append(done[0])
    return counts
