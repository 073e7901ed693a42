"""The SimPy engine's random streams, drawn in blocks for the fast engine.

Each source yields exactly the sequence the SimPy engine's sampler for the same key yields (same
generator, same uniforms, same inverse CDF), only many values at a time, so both engines see the
same numbers in the same order: `Generator.random(n)` gives the same uniforms as n/1024 batches of
1,024, and the inverse CDFs are elementwise.

`DrawTable` holds one row per stream for the compiled kernel, which reads a row from its position
and asks for a refill when any row runs low; the memory is flat in the number of parts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from scipy import special

from twin.config import Line
from twin.config.dists import Deterministic, DistSpec, Exponential, Lognormal, Normal, Trace
from twin.engine.sampling import Purpose, Streams, inverse_cdf, unit_exponential

Block = Callable[[np.ndarray], None]
"""Called with an array, fills it with the next values of one stream (in place: the draw table's
refills are a good part of the fast engine's time, and most of that was temporary arrays)."""


def dist_block(spec: DistSpec, streams: Streams, station: int, purpose: Purpose,
               machine: int | None = None, *, product: int | None = None,
               setup: tuple[int | None, int | None] = (None, None)) -> Block:
    """Blocks of the sampler `Streams.sampler(spec, station, purpose, machine, ...)` would return."""
    if isinstance(spec, Deterministic) or (isinstance(spec, Normal | Lognormal) and spec.cv == 0):
        mean = float(spec.mean)
        return lambda out: out.fill(mean)
    if isinstance(spec, Trace):
        values = np.asarray(spec.values, dtype=float)
        offset = [0]

        def trace(out: np.ndarray) -> None:
            n = len(out)
            out[:] = values[(offset[0] + np.arange(n)) % len(values)]
            offset[0] = int((offset[0] + n) % len(values))

        return trace
    rng = streams.generator(station, purpose, machine, product=product, setup=setup)
    if isinstance(spec, Exponential):
        mean = float(spec.mean)

        def exponential(out: np.ndarray) -> None:
            """inverse_cdf's mean * unit_exponential(u), the same float operations, in place."""
            rng.random(out=out)
            unit_exponential(out, out=out)
            np.multiply(out, mean, out=out)

        return exponential
    transform = inverse_cdf(spec)

    def other(out: np.ndarray) -> None:
        rng.random(out=out)
        out[:] = transform(out)

    return other


def uniform_block(streams: Streams, station: int, purpose: Purpose, machine: int | None = None) -> Block:
    rng = streams.generator(station, purpose, machine)

    def uniforms(out: np.ndarray) -> None:
        rng.random(out=out)

    return uniforms


def normal_block(streams: Streams, station: int, purpose: Purpose, machine: int | None = None) -> Block:
    """Standard normals as `engine.quality.standard_normals` draws them (ndtri of uniforms)."""
    rng = streams.generator(station, purpose, machine)

    def normals(out: np.ndarray) -> None:
        rng.random(out=out)
        special.ndtri(out, out=out)

    return normals


def product_block(line: Line, streams: Streams) -> Block:
    """Product index of each released part in release order, as `products.product_sequence`."""
    products = line.products
    if line.release_sequence:
        index = {p.name: i for i, p in enumerate(products)}
        cycle = [index[name] for name in line.release_sequence for _ in range(products[index[name]].lot_size)]
        endless = itertools.cycle(cycle)

        def sequence(out: np.ndarray) -> None:
            out[:] = np.fromiter(itertools.islice(endless, len(out)), dtype=float, count=len(out))

        return sequence
    rng = streams.generator(0, Purpose.PRODUCT)
    total = sum(p.share for p in products)
    bounds = np.cumsum([p.share / total for p in products])
    sizes = np.array([p.lot_size for p in products])
    pending = np.empty(0)

    def lots(out: np.ndarray) -> None:
        nonlocal pending
        n = len(out)
        while len(pending) < n:
            u = rng.random(max(64, n // int(sizes.min())))
            # the first bound above u (u < bound), else the last product, as product_sequence does
            chosen = np.minimum(np.searchsorted(bounds, u, side="right"), len(products) - 1)
            pending = np.concatenate([pending, np.repeat(chosen, sizes[chosen]).astype(float)])
        out[:], pending = pending[:n], pending[n:]

    return lots


def lot_first(block: Block, product: int, remaining: int) -> Block:
    """`block` behind the `remaining` parts of a lot under way (a start state's `lot`), as the SimPy
    engine chains them before the product sequence."""
    left = [remaining]

    def lot(out: np.ndarray) -> None:
        head = min(left[0], len(out))
        out[:head] = product
        left[0] -= head
        if head < len(out):
            block(out[head:])

    return lot


class DrawTable:
    """One row of upcoming draws per stream, refilled in place when the kernel runs low."""

    def __init__(self, blocks: list[Block], width: int = 4096) -> None:
        self.blocks = blocks
        self.width = width
        self.values = np.zeros((max(1, len(blocks)), width))
        self.pos = np.zeros(max(1, len(blocks)), dtype=np.int64)
        for row, block in enumerate(blocks):
            block(self.values[row])

    def take(self, row: int) -> float:
        """The next draw of stream `row`, read from Python (a machine's draws when it is built)."""
        used = int(self.pos[row])
        self.pos[row] = used + 1
        return float(self.values[row, used])

    def refill(self) -> None:
        """Keep each row's unread tail, append fresh draws behind it."""
        for row, block in enumerate(self.blocks):
            used = int(self.pos[row])
            if used == 0:
                continue
            tail = self.values[row, used:].copy()
            self.values[row, :len(tail)] = tail
            block(self.values[row, len(tail):])
            self.pos[row] = 0
