"""The shipped rule files are tested by the cases beside them, and those cases cover them fully."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scopecheck.cli import main

from .conftest import REPO


def test_the_shipped_rule_tests_pass_with_full_coverage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(main, ["test", "rules", "examples", "--coverage-min", "100"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "0 failed in 4 files" in result.stdout
    assert "coverage of 4 rule files: rules 17/17 (100%), clauses 25/25 (100%)" in result.stdout
