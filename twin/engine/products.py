"""Which product each released part is: lots drawn by share, or a fixed release sequence."""

from __future__ import annotations

from collections.abc import Iterator

from twin.config import Line
from twin.engine.sampling import Purpose, Sampler, Streams


def product_sequence(line: Line, streams: Streams) -> Iterator[int]:
    """Product index of each released part, in release order (endless)."""
    products = line.products
    if not products:
        while True:
            yield 0
    index = {p.name: i for i, p in enumerate(products)}
    if line.release_sequence:
        while True:
            for name in line.release_sequence:
                yield from [index[name]] * products[index[name]].lot_size
    uniforms = streams.uniforms(0, Purpose.PRODUCT)
    total = sum(p.share for p in products)
    bounds, acc = [], 0.0
    for product in products:
        acc += product.share / total
        bounds.append(acc)
    while True:
        u = next(uniforms)
        chosen = next((i for i, bound in enumerate(bounds) if u < bound), len(products) - 1)
        yield from [chosen] * products[chosen].lot_size


def process_samplers(line: Line, number: int, streams: Streams) -> list[Sampler] | None:
    """Per-product process samplers of station `number`, or None when every product is alike."""
    spec = line.stations[number - 1]
    if not line.products or not spec.process_by_product:
        return None
    return [streams.sampler(spec.process_by_product.get(p.name, spec.process), number,
                            Purpose.PROCESS, product=product)
            for product, p in enumerate(line.products)]


def setup_times(line: Line, number: int, streams: Streams):
    """A callable (from, to) → changeover minutes for station `number`, or None."""
    spec = line.stations[number - 1]
    if spec.setup is None and not spec.setup_pairs:
        return None
    names = [p.name for p in line.products] or ["default"]
    default = streams.sampler(spec.setup, number, Purpose.SETUP) if spec.setup else None
    pairs = {key: streams.sampler(pair.time, number, Purpose.SETUP, setup=key)
             for pair in spec.setup_pairs
             for key in [(names.index(pair.from_), names.index(pair.to))]}

    def changeover(previous: int, following: int) -> float:
        draw = pairs.get((previous, following), default)
        return draw() if draw is not None else 0.0

    return changeover
