"""Shared fixtures. Area-specific fixtures live beside their tests
(tests/<area>_helpers.py), so parallel work never fights over this file."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

from evaltop.core.model import config as config_mod
from evaltop.store import db as store_db

_SESSION_STARTED = time.time()


sys.path.insert(0, str(Path(__file__).resolve().parent / "reliability"))
import figures  # noqa: E402  (tests/reliability/figures.py)


def pytest_configure(config):
    """Where reliability figures go, chosen before xdist starts its workers;
    hypothesis keeps its example database outside the source tree too."""
    figures.choose_results_dir()
    from hypothesis import configuration

    configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "evaltop-hypothesis")


def pytest_unconfigure(config):
    figures.drop_temp_results_dir()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Reliability figures (tests/reliability) at the end of every run, xdist included."""
    form = os.environ.get("EVALTOP_RELIABILITY", "short")
    figures.summary(terminalreporter, form if form in ("long", "medium") else "short",
                    _SESSION_STARTED)


@pytest.fixture(autouse=True)
def _deterministic_env(monkeypatch, tmp_path):
    # No user config or API keys leak into tests; tiktoken never hits the network.
    for key in list(os.environ):
        if key.endswith("_API_KEY"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    monkeypatch.setenv("EVALTOP_HOME", str(tmp_path / "evaltop-home"))
    monkeypatch.delenv("NO_COLOR", raising=False)
    # The display's redaction switch is process-wide (the app and the CLI set
    # it from the config): every test starts from the module default.
    from evaltop.tui.widgets import safe_text

    safe_text.set_redaction(False)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "evaltop.db"


@pytest.fixture
def conn(db_path):
    c = store_db.connect(db_path)
    yield c
    c.close()


@pytest.fixture
def make_config(tmp_path):
    """make_config({...toml-shaped dict...}) -> validated Config rooted at tmp_path."""

    def _make(data: dict | None = None) -> config_mod.Config:
        data = dict(data or {})
        data.setdefault("store", {"path": str(tmp_path / "evaltop.db")})
        return config_mod.validate(data, origin=str(tmp_path / "evaltop.toml"), base_dir=tmp_path)

    return _make
