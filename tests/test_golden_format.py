"""The formatter on messy layouts: each ``tests/golden/format/NAME.scope`` formatted must equal
``NAME.formatted.scope``, which must itself be left as it is.

Run ``pytest --update-golden`` after an intended change of layout, then read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scopecheck.syntax.format import format_rule_file

GOLDEN = Path(__file__).parent / "golden" / "format"
CASES = sorted(path for path in GOLDEN.glob("*.scope") if not path.name.endswith(".formatted.scope"))


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_messy_layout_formats_to_its_golden_file(case: Path, update_golden: bool) -> None:
    actual = format_rule_file(case.read_text(encoding="utf-8"), case.name)
    expected_file = case.with_name(f"{case.stem}.formatted.scope")
    if update_golden or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")
    assert format_rule_file(actual, case.name) == actual


def test_there_are_at_least_six_golden_layouts() -> None:
    assert len(CASES) >= 6
