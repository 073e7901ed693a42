"""Exact answers of queueing and line theory, as pure functions of rates and times.

These are the closed forms and small Markov chains the engine is held to (the oracle tests) and
that `twin check --theory` puts beside the twin's estimates: M/M/c (Erlang C), M/G/1
(Pollaczek–Khinchine), a Jackson tandem of M/M/c stations, an isolated unreliable machine, the
machine-repairman queue, and a saturated serial line of single exponential machines with finite
buffers and blocking after service (a continuous-time Markov chain, for small lines).

Every rate is per minute and every time in minutes, as in the engine. A queue that is not stable
(load ≥ capacity) has no steady state: asking for one raises `ValueError` naming the load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAX_CHAIN_STATES = 20_000
"""Largest Markov chain `serial_line` solves (its states are counted as they are reached)."""
MAX_CHAIN_BOUND = 2_000_000
"""Largest upper bound on the state count (`chain_size`) for which `serial_line` starts at all: the
states a line reaches are far fewer than the bound, but beyond it the search would take too long."""


@dataclass(frozen=True)
class Queue:
    """Steady-state measures of one queue: wait in queue Wq, lead time W = Wq + E[S], queue length
    Lq = λWq, WIP L = λW (Little), utilisation ρ = λE[S]/c and throughput λ."""

    rate: float
    mean_service: float
    servers: int
    wait_in_queue: float

    @property
    def lead_time(self) -> float:
        return self.wait_in_queue + self.mean_service

    @property
    def queue_length(self) -> float:
        return self.rate * self.wait_in_queue

    @property
    def wip(self) -> float:
        return self.rate * self.lead_time

    @property
    def utilisation(self) -> float:
        return self.rate * self.mean_service / self.servers

    @property
    def throughput(self) -> float:
        return self.rate


def _require_stable(rate: float, mean_service: float, servers: int) -> None:
    if rate <= 0 or mean_service <= 0 or servers < 1:
        raise ValueError(f"a queue needs a positive rate, service time and server count, got "
                         f"λ={rate!r}, E[S]={mean_service!r}, c={servers!r}")
    load = rate * mean_service / servers
    if load >= 1:
        raise ValueError(f"the queue is not stable: load ρ = λE[S]/c = {load:.3g} ≥ 1")


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = λ/μ < c."""
    c, a = servers, offered
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc(rate: float, mean_service: float, servers: int = 1) -> Queue:
    """M/M/c: Wq = C(c, a)/(cμ − λ) with Erlang C, a = λ/μ (M/M/1: Wq = ρ/(μ − λ))."""
    _require_stable(rate, mean_service, servers)
    offered = rate * mean_service
    wait = erlang_c(servers, offered) / (servers / mean_service - rate)
    return Queue(rate, mean_service, servers, wait)


def pollaczek_khinchine_wait(rate: float, mean: float, cv: float) -> float:
    """Mean wait in queue of M/G/1: Wq = λ E[S²] / (2(1 − ρ)), E[S²] = (1 + cv²) mean²."""
    rho = rate * mean
    return rate * (1 + cv**2) * mean**2 / (2 * (1 - rho))


def mg1(rate: float, mean_service: float, cv: float) -> Queue:
    """M/G/1 by Pollaczek–Khinchine: only the service time's mean and cv matter."""
    _require_stable(rate, mean_service, 1)
    return Queue(rate, mean_service, 1, pollaczek_khinchine_wait(rate, mean_service, cv))


def jackson_tandem(rate: float, stations: Sequence[tuple[float, int]]) -> list[Queue]:
    """Poisson arrivals through exponential (mean, servers) stations with unbounded buffers: by
    Burke's theorem each station is an independent M/M/c at the same rate, so lead times and WIP
    add up over the list this returns."""
    return [mmc(rate, mean, servers) for mean, servers in stations]


@dataclass(frozen=True)
class Machine:
    """A saturated station of `machines` unreliable machines: each is up a share `availability`
    of the time and busy whenever up, so throughput = up machines / mean process time."""

    machines: int
    mean_process: float
    availability: float

    @property
    def throughput(self) -> float:
        return self.machines * self.availability / self.mean_process

    @property
    def share_busy(self) -> float:
        return self.availability

    @property
    def share_down(self) -> float:
        return 1 - self.availability


def unreliable_machine(mean_process: float, mtbf: float, mttr: float, machines: int = 1) -> Machine:
    """Availability MTBF/(MTBF + MTTR), whatever the distributions and on either failure clock
    (a saturated machine is busy whenever it is up), with a repairer always at hand."""
    return Machine(machines, mean_process, mtbf / (mtbf + mttr))


def repairman_up_machines(machines: int, mtbf: float, mttr: float, crew: int) -> float:
    """Mean number of machines up in the finite-source queue M/M/crew//machines (exponential
    failures and repairs, `crew` repairers shared by the machines)."""
    r = mttr / mtbf
    weights = []
    for down in range(machines + 1):
        w = math.factorial(machines) / math.factorial(machines - down) * r**down
        w /= math.factorial(down) if down <= crew else math.factorial(crew) * crew ** (down - crew)
        weights.append(w)
    total = sum(weights)
    return sum((machines - k) * w for k, w in enumerate(weights)) / total


def repairman(mean_process: float, mtbf: float, mttr: float, machines: int, crew: int) -> Machine:
    """A saturated station whose machines share `crew` repairers: the machine-repairman queue."""
    up = repairman_up_machines(machines, mtbf, mttr, min(crew, machines))
    return Machine(machines, mean_process, up / machines)


def two_station_throughput(mu1: float, mu2: float, b: int) -> float:
    """Saturated M1 → buffer b → M2, exponential, blocking after service:
    μ2(ρ − ρ^(b+3))/(1 − ρ^(b+3)), ρ = μ1/μ2; μ(b+2)/(b+3) when μ1 = μ2 (b + 2 places: the
    buffer, the second machine and the first machine holding a blocked part)."""
    rho = mu1 / mu2
    if math.isclose(rho, 1.0):
        return mu2 * (b + 2) / (b + 3)
    return mu2 * (rho - rho ** (b + 3)) / (1 - rho ** (b + 3))


# --- the exact Markov chain of a saturated serial line with blocking after service ---------------

IDLE, WORKING, HOLDING, DOWN = range(4)  # starved, processing, blocked holding a part, failed
CHAIN_STATES = ("starved", "busy", "blocked", "down")
"""The machine state each chain status is, in the engine's names (`twin.engine.states`)."""


@dataclass(frozen=True)
class SerialLine:
    """Steady state of a saturated serial line: throughput (parts per minute), per station the
    mean buffer content (the machine's part excluded) and the share of time in each of
    `CHAIN_STATES`, and the WIP (parts in buffers and on machines)."""

    throughput: float
    buffer_mean: tuple[float, ...]
    shares: tuple[dict[str, float], ...]
    wip: float
    states: int

    @property
    def lead_time(self) -> float:
        """Little's law: WIP / throughput."""
        return self.wip / self.throughput


def chain_size(buffers: Sequence[int], failures: bool) -> int:
    """An upper bound on the chain's state count, to refuse a large line before building it."""
    statuses = 4 if failures else 3
    size = statuses ** len(buffers)
    for b in buffers[1:]:
        size *= b + 1
    return size


def _per_machine(values: float | Sequence[float | None] | None, m: int) -> list[float | None] | None:
    if values is None:
        return None
    if isinstance(values, int | float):
        return [float(values)] * m
    return [None if v is None else float(v) for v in values]


def serial_line(rates: Sequence[float], buffers: Sequence[int],
                mtbf: float | Sequence[float | None] | None = None,
                mttr: float | Sequence[float | None] | None = None) -> SerialLine:
    """Exact steady state of a saturated line of single exponential machines, blocking after
    service, optionally with exponential failures on the operating clock (a working machine fails
    at rate 1/mtbf; a down one is repaired at rate 1/mttr and resumes its part). `mtbf` and `mttr`
    are one value for all machines or one per machine (None: that machine never fails).

    `buffers[j]` is the capacity in front of station j (buffers[0] is ignored: raw material is
    always there). The state is each machine's status and each buffer's content; a completion moves
    the part on if the next machine is idle or its buffer has room, otherwise the machine holds it
    (blocked). A machine that frees up pulls from its buffer, which lets a blocked upstream part in,
    and so on upstream.
    """
    m = len(rates)
    if len(buffers) != m:
        raise ValueError(f"one buffer per station: {m} rates, {len(buffers)} buffers")
    fail, repair = _per_machine(mtbf, m), _per_machine(mttr, m)
    failing = fail is not None and any(f is not None for f in fail)
    size = chain_size(buffers, failing)
    if size > MAX_CHAIN_BOUND:
        raise ValueError(f"the Markov chain could have up to {size:,} states "
                         f"(at most {MAX_CHAIN_STATES:,} are solved)")

    def free(status: list[int], queue: list[int], j: int) -> None:
        if j == 0:
            status[0] = WORKING  # saturated: a new part at once
        elif queue[j] > 0:
            queue[j] -= 1
            status[j] = WORKING
            if status[j - 1] == HOLDING:
                queue[j] += 1
                free(status, queue, j - 1)
        elif status[j - 1] == HOLDING:  # zero buffer: the held part goes straight onto machine j
            status[j] = WORKING
            free(status, queue, j - 1)
        else:
            status[j] = IDLE

    def moves(state: tuple[int, ...]) -> list[tuple[tuple[int, ...], float]]:
        out = []
        for j in range(m):
            status, queue = list(state[:m]), list(state[m:])
            if state[j] == DOWN:
                assert repair is not None
                status[j] = WORKING
                out.append(((*status, *queue), 1 / float(repair[j])))  # type: ignore[arg-type]
            elif state[j] == WORKING:
                if fail is not None and fail[j] is not None:
                    broken = status.copy()
                    broken[j] = DOWN
                    out.append(((*broken, *queue), 1 / float(fail[j])))  # type: ignore[arg-type]
                if j == m - 1:
                    free(status, queue, j)
                elif status[j + 1] == IDLE:
                    status[j + 1] = WORKING
                    free(status, queue, j)
                elif queue[j + 1] < buffers[j + 1]:
                    queue[j + 1] += 1
                    free(status, queue, j)
                else:
                    status[j] = HOLDING
                out.append(((*status, *queue), rates[j]))
        return out

    start = (WORKING, *([IDLE] * (m - 1)), *([0] * m))
    index, edges, todo = {start: 0}, [], [start]
    while todo:
        state = todo.pop()
        for target, rate in moves(state):
            if target not in index:
                if len(index) >= MAX_CHAIN_STATES:
                    raise ValueError(f"the Markov chain has more than {MAX_CHAIN_STATES:,} states")
                index[target] = len(index)
                todo.append(target)
            edges.append((index[state], index[target], rate))
    pi = _stationary(len(index), edges)
    table = np.array(list(index), dtype=int)
    status, queue = table[:, :m], table[:, m:]
    shares = tuple({name: float(pi[status[:, j] == code].sum()) for code, name in enumerate(CHAIN_STATES)}
                   for j in range(m))
    on_machines = (status != IDLE).sum(axis=1)
    return SerialLine(
        throughput=float(pi[status[:, m - 1] == WORKING].sum() * rates[-1]),
        buffer_mean=tuple(float(pi @ queue[:, j]) for j in range(m)),
        shares=shares,
        wip=float(pi @ (on_machines + queue.sum(axis=1))),
        states=len(index),
    )


def _stationary(size: int, edges: list[tuple[int, int, float]]) -> np.ndarray:
    """π with πQ = 0 and Σπ = 1 for the generator Q given by its off-diagonal `edges` (i, k, rate),
    by a sparse solve (a chain of `MAX_CHAIN_STATES` needs megabytes, not the gigabytes of a dense
    matrix): fix the last state's weight at 1, solve the other balance equations for the rest,
    normalise."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.linalg import spsolve

    if size == 1:
        return np.ones(1)
    source, target, rate = (np.array(column) for column in zip(*edges, strict=True))
    # Qᵀ: +rate at (target, source), −rate at (source, source); rows are balance equations
    rows = np.concatenate([target, source])
    cols = np.concatenate([source, source])
    values = np.concatenate([rate, -rate])
    transposed = coo_matrix((values, (rows, cols)), shape=(size, size)).tocsc()
    last = size - 1
    reduced = transposed[:last, :last]
    right = -transposed[:last, last].toarray().ravel()
    weights = np.append(np.asarray(spsolve(reduced, right), dtype=float), 1.0)
    return weights / weights.sum()


def serial_line_throughput(rates: Sequence[float], buffers: Sequence[int], mtbf: float | None = None,
                           mttr: float | None = None) -> float:
    """The throughput (per minute) of `serial_line`."""
    return serial_line(rates, buffers, mtbf, mttr).throughput
