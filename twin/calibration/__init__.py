"""Calibration: from a shop floor's event log (and machine-state log) to a line the twin runs.

`calibrate(events, states)` (in `twin.calibration.calibrate`) infers the stations and their order,
machines, buffers, the source, and every time distribution (chosen by AIC with its fit quality and
CIs); `line_yaml` writes the result as commented YAML, `report` as JSON or HTML.
"""
