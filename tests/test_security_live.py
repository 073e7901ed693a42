"""The app's Live tab connects only to loopback or to hosts its operator lists: anyone who opens
the app can type a URL, and the server must not connect wherever a stranger points it."""

from __future__ import annotations

import pytest

import twin
from ui.computing.live import HOSTS_VARIABLE, LiveDesk, allowed_hosts


@pytest.mark.parametrize("url", ["opc.tcp://10.0.0.7:4840", "opc.tcp://plc.example:4840",
                                 "opc.tcp://169.254.169.254:80"])
def test_the_app_refuses_a_host_its_operator_did_not_list(url, monkeypatch) -> None:
    monkeypatch.delenv(HOSTS_VARIABLE, raising=False)
    line = twin.load("configs/reference_line.yaml")
    desk = LiveDesk()
    with pytest.raises(twin.ConfigError) as caught:
        desk.follow(line, url)
    message = str(caught.value)
    assert HOSTS_VARIABLE in message and "\n" not in message and desk.session is None


def test_the_operator_lists_hosts(monkeypatch) -> None:
    monkeypatch.setenv(HOSTS_VARIABLE, " PLC.example , 10.0.0.7,")
    assert allowed_hosts() == {"plc.example", "10.0.0.7"}
