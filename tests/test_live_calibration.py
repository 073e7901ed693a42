"""Calibration of the live forecast's prediction intervals over many emulated shifts.

Each shift of a known line (an unreliable middle station, every time exponential, so the values
the address space publishes carry all that the rest of the shift depends on) is emulated to mid-shift; the
forecast starts from the state rebuilt from the published values, as `twin live` does; the shift
then runs to its end and makes its real count. Over the shifts, the 80% interval must hold the real
count in 70-90% of them and the 95% interval in 90-99%.

The shifts run faster than real time: the emulation is advanced directly (`Emulation.advance_to`),
not through the OPC UA server, with the same model, the same published values and the same rebuild.
With 160 shifts the share's standard error is 3.2 points at 80% and 1.7 at 95%, so a calibrated
forecast leaves the bands (3 standard errors away at 80%, 2.9 and 2.3 at 95%) with a probability of
about 1-2%; the seeds are fixed, so the test's outcome is too.
"""

from __future__ import annotations

import pytest

import twin
from twin.live.emulator import Emulation
from twin.live.forecast import forecast
from twin.live.rebuild import rebuild_state

SHIFTS = 160
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
    inside80 = inside95 = 0
    for shift in range(SHIFTS):
        emulation = Emulation(line, shift=SHIFT, seed=1000 + shift)
        emulation.advance_to(SHIFT / 2)
        state = rebuild_state(line, emulation.values())
        result = forecast(line, state, emulation.good_parts, SHIFT, replications=200, seed=50_000 + shift)
        emulation.advance_to(SHIFT)
        real = emulation.good_parts
        good = result.good_parts
        inside80 += good["p10"] <= real <= good["p90"]
        inside95 += good["p025"] <= real <= good["p975"]
    assert 0.70 <= inside80 / SHIFTS <= 0.90, inside80 / SHIFTS
    assert 0.90 <= inside95 / SHIFTS <= 0.99, inside95 / SHIFTS
