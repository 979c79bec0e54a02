"""Malformed rule files and the messages a person sees for them.

Each ``tests/golden/errors/NAME.scope`` is read, checked as a rule set on its own (imports
resolved from its folder), and every diagnostic rendered; the text must equal ``NAME.txt``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scopecheck.check.checker import check_rule_files
from scopecheck.agreement.model import RuleFileRef
from scopecheck.check.resolve import load_rule_files
from scopecheck.diagnostics import DiagnosticError, SourceLines, Span, render

GOLDEN = Path(__file__).parent / "golden" / "errors"
CASES = sorted(GOLDEN.glob("*.scope"))


def rendered_errors(name: str) -> str:
    sources = SourceLines()
    try:
        loaded = load_rule_files([RuleFileRef(name, True, Span(name, 1, 1))], Path("."))
        check_rule_files(loaded.files, loaded.texts)
    except DiagnosticError as error:
        return "\n".join(render(d, sources) for d in error.diagnostics) + "\n"
    return "no errors\n"


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_malformed_rule_file_reports(case: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(GOLDEN)
    actual = rendered_errors(case.name)
    expected_file = case.with_suffix(".txt")
    if update_golden or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")
    assert "Traceback" not in actual and actual != "no errors\n"


def test_there_are_at_least_fifteen_distinct_error_cases() -> None:
    codes = set()
    for expected in GOLDEN.glob("*.txt"):
        codes.update(line.split("[", 1)[1].split("]", 1)[0] for line in expected.read_text().splitlines() if ": error[" in line)
    assert len(CASES) >= 15 and len(codes) >= 15, sorted(codes)
