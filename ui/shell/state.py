"""Session state: the study as loaded (a preset or an upload), the version that keys every input widget
(loading a new study resets them all), and the process-wide store of jobs and cached results."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path, PurePosixPath

import streamlit as st

import twin
import twin.limits
from ui.computing.jobs import Store

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
DEFAULT_PRESET = "lighthouse_demo.yaml"
MAX_NAME = 100
"""Characters of an upload's file name kept in messages."""
log = logging.getLogger("lighthouse_twin.ui")


def presets() -> list[str]:
    names = sorted(p.name for p in CONFIGS.glob("*.yaml"))
    if DEFAULT_PRESET in names:  # the demo first
        names.remove(DEFAULT_PRESET)
        names.insert(0, DEFAULT_PRESET)
    return names


def preset_path(reference: str) -> Path:
    """The preset a name refers to (`machining_line.yaml` or `configs/machining_line.yaml`), by twin's
    rule for what a client may name; anything else is a ConfigError, and nothing is read."""
    return twin.presets_in(CONFIGS)(reference)


def operator_file() -> Path:
    """The study the operator started the server on: TWIN_UI_CONFIG, else the first YAML path after
    `streamlit run ui/app.py --`, else the demo. These are the operator's and may be any path."""
    wanted = os.environ.get("TWIN_UI_CONFIG")
    args = [a for a in sys.argv[1:] if a.endswith((".yaml", ".yml"))]
    if not wanted and args:
        wanted = args[0]
    for candidate in (Path(wanted), CONFIGS / Path(wanted).name) if wanted else ():
        if candidate.is_file():
            return candidate.resolve()
    return CONFIGS / DEFAULT_PRESET


def start_file() -> tuple[Path, str | None]:
    """The study to start on, and why a `?preset=` was not followed (None when it was, or absent).

    A query parameter comes from whoever sends the link, so it may only name a preset; a path in it
    is refused without being looked at, and the operator's study loads instead."""
    wanted = st.query_params.get("preset")
    if wanted is None:
        return operator_file(), None
    try:
        return preset_path(wanted), None
    except twin.ConfigError:
        return operator_file(), (f"?preset: not one of the presets ({', '.join(presets())}), got "
                                 f"{twin.show(wanted)}")


@st.cache_resource
def store() -> Store:
    return Store()


def set_base(study: twin.Study, label: str) -> None:
    ss = st.session_state
    ss["base"] = study
    ss["last_valid"] = study
    ss["base_label"] = label
    ss["version"] = ss.get("version", 0) + 1
    ss["source_error"] = None


def load_preset(name: str) -> None:
    try:
        set_base(twin.load_study(preset_path(name)), f"configs/{name}")
    except twin.ConfigError as exc:
        st.session_state["source_error"] = str(exc)


def on_preset_change() -> None:
    load_preset(st.session_state["preset"])


def upload_label(name: str) -> str:
    """How an upload is named in messages: the browser's file name, without folders, kept short."""
    return (PurePosixPath(name.replace("\\", "/")).name or "upload")[:MAX_NAME]


def upload_text(label: str, data: bytes) -> str:
    """The text of an uploaded file, or a one-line ConfigError: over the size limit (checked here as
    well as by Streamlit's server.maxUploadSize, .streamlit/config.toml) or not UTF-8."""
    return twin.text_from_bytes(data, label)


def load_upload(name: str, data: bytes) -> None:
    """A YAML file the user uploaded; a bad one leaves the current study and says why.

    An upload may carry its line inline or name a preset (`line: machining_line.yaml`), never a
    path: the server reads none of its own files for it."""
    label = upload_label(name)
    try:
        study = twin.study_from_text(upload_text(label, data), source=label, lines=twin.presets_in(CONFIGS))
    except twin.ConfigError as exc:
        st.session_state["source_error"] = str(exc)
        return
    except Exception as exc:  # a bug in reading it: the upload is refused all the same, the study stays
        log.exception("reading the upload %r failed", label)
        st.session_state["source_error"] = (f"{label}: could not be read ({type(exc).__name__}); the "
                                            f"details are in the server log")
        return
    set_base(study, label)


def init() -> None:
    ss = st.session_state
    if "base" not in ss:
        path, refused = start_file()
        ss["preset"] = path.name if path.parent == CONFIGS and path.name in presets() else DEFAULT_PRESET
        try:
            label = str(path.relative_to(REPO))
        except ValueError:
            label = str(path)
        try:
            set_base(twin.load_study(path), label)
        except twin.ConfigError as exc:
            load_preset(DEFAULT_PRESET)
            ss["source_error"] = str(exc)
        if refused:
            ss["source_error"] = refused


def is_plain(study: twin.Study) -> bool:
    """A line without levers or investment frame: downloaded as a plain line file."""
    return study.levers == twin.Study.model_fields["levers"].default and \
        study.investment == twin.Study.model_fields["investment"].default


def yaml_text(study: twin.Study) -> str:
    """The YAML to download: reloads (twin.load_study) to a study with the same config hash."""
    return twin.dump_yaml(study.line if is_plain(study) else study)
