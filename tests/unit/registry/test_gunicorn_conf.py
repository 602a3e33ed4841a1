"""gunicorn.conf.py as gunicorn reads it: each instance's control socket is its own."""

import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

CONF = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


def load(monkeypatch, **env: str) -> Config:
    """The settings gunicorn takes from the file (it skips names it does not know)."""
    for name in ("REGISTRY_DATA_DIR", "GUNICORN_CONTROL_SOCKET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config()
    for name, value in runpy.run_path(str(CONF)).items():
        if name in config.settings:
            config.set(name, value)
    return config


def test_each_data_folder_has_its_own_control_socket(monkeypatch, tmp_path):
    first = load(monkeypatch, REGISTRY_DATA_DIR=str(tmp_path / "one"))
    second = load(monkeypatch, REGISTRY_DATA_DIR=str(tmp_path / "two"))
    assert first.control_socket == str(tmp_path / "one" / "gunicorn.ctl")
    assert second.control_socket == str(tmp_path / "two" / "gunicorn.ctl")
    assert not first.control_socket_disable
    assert ".gunicorn" not in first.control_socket


def test_without_a_data_folder_the_socket_is_in_the_default_one(monkeypatch):
    config = load(monkeypatch)
    assert config.control_socket == str(CONF.parent / "var" / "gunicorn.ctl")


@pytest.mark.parametrize(("value", "disabled"), [("", True), ("/run/registry/ctl", False)])
def test_the_socket_can_move_or_go(monkeypatch, tmp_path, value, disabled):
    config = load(monkeypatch, REGISTRY_DATA_DIR=str(tmp_path), GUNICORN_CONTROL_SOCKET=value)
    assert config.control_socket_disable is disabled
    if value:
        assert config.control_socket == value
