"""Shared test set-up: paths, and the switch that rewrites golden files.

Run ``pytest --update-golden`` after an intended change of wording, then read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/golden/ expected outputs")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def ledger_in_test_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test records into a ledger of its own, never into the user's."""
    path = tmp_path / "ledger.sqlite3"
    monkeypatch.setenv("SCOPECHECK_LEDGER", str(path))
    return path


@pytest.fixture(autouse=True, scope="session")
def cache_for_the_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's cache lives with the run, never in the user's cache folder; one folder for the
    whole session, so that tests share what an earlier one parsed, as a user's runs do."""
    folder = tmp_path_factory.mktemp("cache")
    before = os.environ.get("SCOPECHECK_CACHE_DIR")
    os.environ["SCOPECHECK_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("SCOPECHECK_CACHE_DIR", None)
    else:
        os.environ["SCOPECHECK_CACHE_DIR"] = before
