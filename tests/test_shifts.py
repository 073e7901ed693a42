"""Shifts: calendar failures off shift, and night shifts that pass midnight.

A failure on the calendar clock strikes whatever the machine does, on shift or off; the crew
repairs it when it strikes (docs/model.md: repairs carry on off shift). Exact small cases pin when
the repair happens; the statistical case uses that the up/down cycle of a machine with calendar
failures and immediate repairs is an alternating renewal process that knows nothing of shifts, so
the down share on shift and off shift both equal mttr / (mtbf + mttr).
"""

from __future__ import annotations

import pytest
import yaml
from conftest import make_line, t_interval

import twin
from twin.config.operations import WorkCalendar
from twin.engine import STATES, simulate
from twin.errors import ConfigError

DAY = 24 * 60.0

ONE_DAY_SHIFT = {"shifts": [{"start": "8h", "end": "16h"}], "days_per_week": 7}


def _failing_once_at(minute: float) -> dict:
    """A calendar failure at `minute` (then none within the run), repaired in 30 min."""
    return {"mtbf": {"dist": "trace", "values": [minute, 1e6]}, "mttr": 30.0, "mode": "calendar"}


def minutes_of(stats, station: int = 0) -> dict[str, float]:
    return dict(zip(STATES, stats.stations[station].state_minutes[0], strict=True))


def test_a_failure_off_shift_is_repaired_when_it_strikes() -> None:
    """One saturated machine, 1-min parts, on shift 8-16 h, 2 days. The failure strikes at 1,900
    min (day 2, 7:40, off shift); the repair runs 1,900-1,930, so the shift starting at 1,920 loses
    10 min: busy 480 + 470, down 30, off 2,880 − 980. Deferred to the shift start (the old
    behaviour), the repair ran 1,920-1,950 and took 30 min of production."""
    line = make_line([{"name": "M", "process": 1.0, "failures": _failing_once_at(1900.0)}],
                     horizon=2880, warmup=0, calendar=ONE_DAY_SHIFT)
    stats = simulate(line, 0)
    minutes = minutes_of(stats)
    assert (minutes["busy"], minutes["down"], minutes["off"]) == (950.0, 30.0, 1900.0)
    assert stats.stations[0].failures == 1


def test_an_idle_machine_failing_off_shift_is_repaired_before_its_next_part() -> None:
    """An arrival line: one part arrives at 2,000 (day 2, 9:20, on shift). The machine fails idle
    at 1,000 (16:40, off shift) and is repaired by 1,030, so the part is processed at once: lead
    time 1 min, down 30, busy 1, starved the rest of the shifts (959), off 1,890. Before, the
    failure waited for the part, whose lead time became 31 min."""
    line = make_line([{"name": "M", "process": 1.0, "failures": _failing_once_at(1000.0)}],
                     source={"kind": "arrivals", "interarrival": {"dist": "trace",
                                                                  "values": [2000.0, 1e6]}},
                     horizon=2880, warmup=0, calendar=ONE_DAY_SHIFT)
    stats = simulate(line, 0)
    minutes = minutes_of(stats)
    assert (minutes["busy"], minutes["down"], minutes["starved"], minutes["off"]) == (
        1.0, 30.0, 959.0, 1890.0)
    assert (stats.departed, stats.lead_time_sum) == (1, 1.0)


def test_calendar_failures_are_down_the_same_share_on_and_off_shift() -> None:
    """Two shifts (6-14, 14-22 h), 5 days a week; calendar failures, exponential mtbf 8 h, mttr
    1 h. The up/down cycle is an alternating renewal process independent of the calendar, so the
    long-run down share is 60 / (480 + 60) = 1/9 at every time of the week, on shift and off.

    A saturated machine on shift is busy unless down, so down on shift = on-shift time − busy and
    down off shift = down − that. Deferring off-shift failures to the next shift start made the
    off-shift down share 0 and lowered the overall one."""
    line = make_line([{"name": "M", "process": 5.0,
                       "failures": {"mtbf": {"dist": "exponential", "mean": "8h"},
                                    "mttr": "1h", "mode": "calendar"}}],
                     horizon="5w", warmup="1w",
                     calendar={"shifts": [{"start": "6h", "end": "14h"},
                                          {"start": "14h", "end": "22h"}], "days_per_week": 5})
    window = line.horizon - line.warmup
    on_shift = 4 * 5 * 16 * 60.0
    on_share, off_share = [], []
    for replication in range(20):
        minutes = minutes_of(simulate(line, replication))
        down_on = on_shift - minutes["busy"]
        on_share.append(down_on / on_shift)
        off_share.append((minutes["down"] - down_on) / (window - on_shift))
    exact = 60 / 540
    for name, shares in (("on shift", on_share), ("off shift", off_share)):
        ci = t_interval(shares)
        assert exact in ci, f"{name}: {ci} vs {exact:.4f}"
        assert ci.half_width < 0.2 * exact, f"{name}: interval too wide: {ci}"


# --- night shifts ---------------------------------------------------------------------------------

NIGHTS = {"shifts": [{"start": "22h", "end": "30h"}]}


def test_a_night_shift_is_the_same_calendar_as_its_two_halves() -> None:
    """22 h-30 h every day is 22-24 h on one day and 0-6 h on the next: the working windows of
    `{22h, 30h}` equal those of `[{0, 6h}, {22h, 24h}]` (merged across midnight) except for the
    first morning, which the two-halves form adds before the first night."""
    nights = WorkCalendar.model_validate({**NIGHTS, "days_per_week": 7}).working_windows(4 * DAY)
    halves = WorkCalendar.model_validate({"shifts": [{"start": 0, "end": "6h"},
                                                     {"start": "22h", "end": "24h"}],
                                          "days_per_week": 7}).working_windows(4 * DAY)
    assert halves == [(0.0, 360.0), *nights]
    assert nights == [(1320.0, 1800.0), (2760.0, 3240.0), (4200.0, 4680.0), (5640.0, 5760.0)]


def test_night_shifts_produce_the_hand_counted_parts() -> None:
    """One saturated machine, 1-min parts, nights 22 h-6 h Monday to Friday (a shift belongs to the
    day it starts: Friday's night ends Saturday 6 h), one week: 5 × 480 = 2,400 parts, busy 2,400
    min, off the other 7,680; 7 nights a week over 2 days: 480 + 119 (the second night is cut at
    the horizon, 2,880, and the part due exactly then is not counted)."""
    line = make_line([{"name": "M", "process": 1.0}], horizon="1w", warmup=0,
                     calendar={**NIGHTS, "days_per_week": 5})
    stats = simulate(line, 0)
    minutes = minutes_of(stats)
    assert (stats.departed, minutes["busy"], minutes["off"]) == (2400, 2400.0, 7680.0)
    two_days = make_line([{"name": "M", "process": 1.0}], horizon="2d", warmup=0,
                         calendar={**NIGHTS, "days_per_week": 7})
    assert simulate(two_days, 0).departed == 599


@pytest.mark.parametrize(("shifts", "field", "fragment"), [
    ([{"start": "6h", "end": "14h"}, {"start": "22h", "end": "31h"}], "calendar.shifts[1].end",
     "runs into the next day's first shift"),
    ([{"start": "24h", "end": "30h"}], "calendar.shifts[0].start", "must be a time of day"),
    ([{"start": "22h", "end": "21h"}], "calendar.shifts[0].end", "must be after start"),
])
def test_a_night_shift_may_not_overlap_the_next_day(shifts, field: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as error:
        twin.line_from_text(yaml.safe_dump({"calendar": {"shifts": shifts},
                                            "stations": [{"name": "M", "process": 1}]}))
    assert error.value.field == field
    assert fragment in str(error.value)
