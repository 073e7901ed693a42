"""Session state: the study as loaded (a preset or an upload), the version that keys every input widget
(loading a new study resets them all), and the process-wide store of jobs and cached results."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

import twin
from ui.jobs import Store

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs"
DEFAULT_PRESET = "lighthouse_demo.yaml"


def presets() -> list[str]:
    names = sorted(p.name for p in CONFIGS.glob("*.yaml"))
    if DEFAULT_PRESET in names:  # the demo first
        names.remove(DEFAULT_PRESET)
        names.insert(0, DEFAULT_PRESET)
    return names


def start_file() -> Path:
    """`streamlit run ui/app.py -- path/to/study.yaml`, `?preset=name.yaml`, TWIN_UI_CONFIG, or the demo."""
    wanted = st.query_params.get("preset") or os.environ.get("TWIN_UI_CONFIG")
    args = [a for a in sys.argv[1:] if a.endswith((".yaml", ".yml"))]
    if not wanted and args:
        wanted = args[0]
    for candidate in (Path(wanted), CONFIGS / Path(wanted).name) if wanted else ():
        if candidate.is_file():
            return candidate.resolve()
    return CONFIGS / DEFAULT_PRESET


@st.cache_resource
def store() -> Store:
    return Store()


def set_base(study: twin.Study, label: str) -> None:
    ss = st.session_state
    ss["base"] = study
    ss["base_label"] = label
    ss["version"] = ss.get("version", 0) + 1
    ss["source_error"] = None


def load_preset(name: str) -> None:
    try:
        set_base(twin.load_study(CONFIGS / name), f"configs/{name}")
    except twin.ConfigError as exc:
        st.session_state["source_error"] = str(exc)


def on_preset_change() -> None:
    load_preset(st.session_state["preset"])


def load_upload(name: str, text: str) -> None:
    """A YAML file the user uploaded; a bad one leaves the current study and says why."""
    try:
        study = twin.study_from_text(text, source=name, base=CONFIGS)
    except twin.ConfigError as exc:
        st.session_state["source_error"] = str(exc)
        return
    set_base(study, name)


def init() -> None:
    ss = st.session_state
    if "base" not in ss:
        path = start_file()
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
    ss.setdefault("watch", {})
    ss.setdefault("seen", {})


def is_plain(study: twin.Study) -> bool:
    """A line without levers or investment frame: downloaded as a plain line file."""
    return study.levers == twin.Study.model_fields["levers"].default and \
        study.investment == twin.Study.model_fields["investment"].default


def yaml_text(study: twin.Study) -> str:
    """The YAML to download: reloads (twin.load_study) to a study with the same config hash."""
    return twin.dump_yaml(study.line if is_plain(study) else study)
