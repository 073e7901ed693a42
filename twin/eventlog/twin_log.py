"""The twin's own logs in the event-log schema: what `twin run --events-out/--states-out` writes.

The engines keep one compact record per visit of a part to a station (`PartRecord`) and one per
change of a machine's state (`StateRecord`); this module spells them out as the schema's rows, so
the twin's output reads back through `read_events`/`read_states` like any shop floor's log.

A visit gives four events: ENTER when the part came into the station (its departure from the
previous visit, or its release into the line for the first), START and END of processing, EXIT
when the next station (or the end of the line) took it. An inspection's decision is the outcome on
the END row: `good` where the station inspects in-line, `scrap` or `rework` for a reject (rework
when the part is seen again later). `value` is the measured characteristic on the END row.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from twin.config import Line
from twin.engine.line import PartRecord, StateRecord
from twin.eventlog.schema import (
    END,
    ENTER,
    EVENT_COLUMNS,
    EVENTS,
    EXIT,
    GOOD,
    REWORK,
    SCRAP,
    START,
    STATE_COLUMNS,
    STATE_NAMES,
)


def part_events(line: Line, records: Sequence[PartRecord]) -> pd.DataFrame:
    """One replication's per-visit records as part events, in time order (columns `EVENT_COLUMNS`)."""
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=float if c in ("time", "value") else object)
                             for c in EVENT_COLUMNS})
    table = pd.DataFrame(list(records), columns=["part", "station", "start", "end", "departure",
                                                 "deviation", "result", "machine", "product",
                                                 "release"])
    table = table.sort_values(["part", "start", "station"], kind="stable").reset_index(drop=True)
    previous = table.groupby("part")["departure"].shift(1)
    # A part placed on a machine by a start state may have begun before the release it was given
    # (its age in the line is not always known): it entered no later than it started.
    table["enter"] = np.minimum(previous.fillna(table["release"]), table["start"]).to_numpy()
    seen_again = table.groupby("part").cumcount(ascending=False) > 0
    inline = {number for number, spec in enumerate(line.stations, start=1)
              if spec.inspection is not None and spec.inspection.where in ("inline", "sampling")}
    rejected = table["result"] == "rejected"
    table["outcome"] = np.where(rejected, np.where(seen_again, REWORK, SCRAP),
                                np.where(table["station"].isin(inline), GOOD, ""))
    nominal = {number: spec.quality.characteristic.nominal
               for number, spec in enumerate(line.stations, start=1) if spec.quality is not None}
    table["value"] = table["deviation"].astype(float) + table["station"].map(nominal)
    names = {number: spec.name for number, spec in enumerate(line.stations, start=1)}
    products = {index: product.name for index, product in enumerate(line.products)}
    base = pd.DataFrame({
        "station": table["station"].map(names),
        "machine": (table["machine"] + 1).astype(str),
        "part": table["part"].astype(str),
        "product": table["product"].map(products).fillna("") if products else "",
    })
    frames = []
    for rank, (event, column) in enumerate(zip(EVENTS, ("enter", "start", "end", "departure"),
                                               strict=True)):
        # + 0.0 turns a start state's -0.0 into 0.0
        frame = base.assign(time=table[column].to_numpy() + 0.0, event=event, outcome="", value=np.nan,
                            _part=table["part"].to_numpy(), _visit=table.index.to_numpy(), _rank=rank)
        if event == END:
            frame["outcome"] = table["outcome"].to_numpy()
            frame["value"] = table["value"].to_numpy()
        frames.append(frame)
    events = pd.concat(frames, ignore_index=True)
    events = events.sort_values(["time", "_part", "_visit", "_rank"], kind="stable")
    assert set(events["event"]) <= {ENTER, START, END, EXIT}
    return events[list(EVENT_COLUMNS)].reset_index(drop=True)


def machine_states(line: Line, records: Sequence[StateRecord]) -> pd.DataFrame:
    """One replication's changes of machine state as the state log (columns `STATE_COLUMNS`)."""
    table = pd.DataFrame(list(records), columns=["time", "station", "machine", "state"])
    names = {number: spec.name for number, spec in enumerate(line.stations, start=1)}
    frame = pd.DataFrame({
        "time": table["time"].astype(float),
        "station": table["station"].map(names),
        "machine": (table["machine"] + 1).astype(str),
        "state": table["state"].map(dict(enumerate(STATE_NAMES))),
    })
    return frame.sort_values("time", kind="stable")[list(STATE_COLUMNS)].reset_index(drop=True)
