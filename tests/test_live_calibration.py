"""Calibration of the live forecast's prediction intervals over many emulated shifts.

Each shift of a known line (an unreliable middle station, every time exponential, so the values
the address space publishes carry all that the rest of the shift depends on) is emulated to mid-shift; the
forecast starts from the state rebuilt from the published values, as `twin live` does; the shift
then runs to its end and makes its real count. Over the shifts, the 80% interval must hold the real
count in 70-90% of them and the 95% interval in 90-99%.

The shifts run faster than real time: the emulation is advanced directly (`Emulation.advance_to`),
not through the OPC UA server, with the same model, the same published values and the same rebuild.

Counts are whole numbers, so an interval's end often *is* a possible count, holding its share of
the probability: an inclusive interval covers more than its level (here, with some 25 parts to go,
the intervals as shown covered 87% and 97% of the 120 shifts; counted as below, 83% and 96%).
The coverage is therefore measured the way calibration of a discrete forecast is (the randomised
PIT: a count on an end counts half), which is unbiased for a calibrated forecast, and the
intervals as shown (ends included) must cover at least the lower bounds. With 120 shifts the
share's standard error is 3.7 points at 80% and 2.0 at 95%, so a calibrated forecast leaves the
bands (2.7 standard errors away at 80%, 2.5 and 2.0 at 95%) with a probability of about 3%; the
seeds are fixed, so the test's outcome is too. About 60 s on one core.
"""

from __future__ import annotations

import pytest

import twin
from twin.live.emulator import Emulation
from twin.live.forecast import forecast
from twin.live.rebuild import rebuild_state

SHIFTS = 120
SHIFT = 60.0
LINE = {
    "name": "Calibration line",
    "stations": [
        {"name": "A", "buffer": 2, "process": {"dist": "exponential", "mean": 1.0}},
        {"name": "B", "buffer": 2, "process": {"dist": "exponential", "mean": 1.1},
         "failures": {"mtbf": {"dist": "exponential", "mean": 30.0},
                      "mttr": {"dist": "exponential", "mean": 8.0}}},
        {"name": "C", "buffer": 2, "process": {"dist": "exponential", "mean": 0.9}},
    ],
}


@pytest.mark.slow
def test_prediction_intervals_cover_the_real_counts() -> None:
    line = twin.Line.model_validate(LINE)
    covered = {80: 0.0, 95: 0.0}
    shown = {80: 0, 95: 0}
    for shift in range(SHIFTS):
        emulation = Emulation(line, shift=SHIFT, seed=1000 + shift)
        emulation.advance_to(SHIFT / 2)
        state = rebuild_state(line, emulation.values())
        result = forecast(line, state, emulation.good_parts, SHIFT, replications=200, seed=50_000 + shift)
        emulation.advance_to(SHIFT)
        real = emulation.good_parts
        good = result.good_parts
        for level, (low, high) in {80: (good["p10"], good["p90"]), 95: (good["p025"], good["p975"])}.items():
            covered[level] += (low < real < high) + 0.5 * ((real == low) + (real == high))
            shown[level] += low <= real <= high
    share = {level: covered[level] / SHIFTS for level in covered}
    print(f"coverage (a count on an end counts half): {share}; as shown (ends included): "
          f"{ {level: n / SHIFTS for level, n in shown.items()} }")
    assert 0.70 <= share[80] <= 0.90, (share, shown)
    assert 0.90 <= share[95] <= 0.99, (share, shown)
    assert shown[80] / SHIFTS >= 0.70 and shown[95] / SHIFTS >= 0.90, (share, shown)
