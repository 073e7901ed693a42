"""The Data page's work: an uploaded part-event log (and machine-state log) calibrated into a line.

Pure computation (no Streamlit): the same reader and calibration as `twin calibrate`, on the bytes
of the uploads, so a log reads the same in the app as on the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from twin.calibration.calibrate import Calibration


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name to show in messages and its bytes."""

    label: str
    data: bytes


@dataclass(frozen=True)
class Calibrated:
    """A calibrated line as the Data page shows it."""

    calibration: Calibration
    yaml: str
    """The commented line YAML (what `twin calibrate -o` writes)."""
    fits: pd.DataFrame
    """One row per fitted parameter: family, n, mean and its 95% CI, cv, KS p-value."""


def calibrate_uploads(events: Upload, states: Upload | None, mapping: str = "",
                      time_unit: str = "min", name: str = "Calibrated line") -> Calibrated:
    """Calibrate the uploads; bad input is a one-line `ConfigError` naming the file and the rows.

    The calibration (and scipy.stats with it, about a second to import) is loaded on the first
    upload, not with the page: most sessions never calibrate, and every session's first page
    would otherwise wait for it."""
    from twin.calibration.calibrate import from_logs
    from twin.calibration.line_yaml import line_yaml
    from twin.calibration.report import fit_frame
    from twin.eventlog.reader import parse_mapping

    calibration = from_logs(events.data, states.data if states is not None else None,
                            mapping=parse_mapping(mapping or None), time_unit=time_unit, name=name,
                            labels=(events.label, states.label if states is not None else None))
    return Calibrated(calibration, line_yaml(calibration, events.label), fit_frame(calibration))
