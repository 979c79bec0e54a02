"""The code registry: every code the source can report is registered, and explained where it says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scopecheck.codes import CODES, DOCS_URL, describe
from scopecheck.diagnostics import Severity

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "src" / "scopecheck"

STAGES = ("syntax", "check", "agreement", "ticket", "eval", "ledger", "lint", "test", "yaml", "mapping")
# A quoted, namespaced name anywhere in the source, and the first argument of the calls that
# make diagnostics, whatever its namespace.
NAMESPACED = re.compile(r"""["']((?:%s)\.[a-z0-9]+(?:-[a-z0-9]+)*)["']""" % "|".join(STAGES))
REPORTED = re.compile(r"""\b(?:Diagnostic|Problem|_?problem|_whole_file)\(\s*["']([^"']+)["']""")

# Literals that look like codes and are not.
NOT_CODES = {"ledger.sqlite3": "the ledger's default file name"}


def code_literals(text: str) -> set[str]:
    return (set(NAMESPACED.findall(text)) | set(REPORTED.findall(text))) - NOT_CODES.keys()


def source_codes() -> dict[str, str]:
    """Each code literal in the source, with the first file it appears in."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if path.name == "codes.py":
            continue
        for code in code_literals(path.read_text(encoding="utf-8")):
            found.setdefault(code, str(path.relative_to(REPO)))
    return found


def test_every_code_in_the_source_is_registered():
    unregistered = {code: where for code, where in source_codes().items() if code not in CODES}
    assert not unregistered, f"register these in src/scopecheck/codes.py: {unregistered}"


def test_the_scan_finds_codes_of_every_stage_that_reports():
    found = source_codes()
    for code in ("syntax.unexpected-token", "check.type-mismatch", "agreement.unknown-key", "ticket.bad-row",
                 "yaml.tag", "mapping.unknown-field"):
        assert code in found
    assert len(found) > 60


def test_the_scan_would_catch_a_new_code():
    text = 'problems.append(Diagnostic("check.made-up", "x"))\nself._problem("novel.kind", "y", span)\n'
    assert code_literals(text) == {"check.made-up", "novel.kind"}
    assert not code_literals(text) <= CODES.keys()


def test_what_is_not_a_code_still_appears_where_it_is_said_to():
    text = "\n".join(path.read_text(encoding="utf-8") for path in SOURCE.rglob("*.py"))
    for literal in NOT_CODES:
        assert f'"{literal}"' in text


@pytest.mark.parametrize(
    ("code", "severity"),
    [
        ("lint.never-fires", Severity.ERROR),
        ("lint.shadowed", Severity.WARNING),
        ("lint.ambiguous", Severity.WARNING),
        ("lint.unused-param", Severity.WARNING),
        ("lint.missing-title", Severity.WARNING),
        ("lint.missing-because", Severity.WARNING),
        ("lint.unused-premium", Severity.WARNING),
        ("check.reserved-id", Severity.ERROR),
        ("check.not-an-agreement", Severity.ERROR),
        ("check.no-files", Severity.WARNING),
    ],
)
def test_the_check_command_codes_are_registered_with_their_severity(code, severity):
    assert CODES[code].severity is severity
    assert CODES[code].page == "docs/checking.md"


def test_the_reserved_id_code_names_every_reserved_id():
    summary = CODES["check.reserved-id"].summary
    for rule_id in ("uncovered_user", "uncovered_device", "over_user_ceiling", "over_device_ceiling", "prepaid_hours"):
        assert rule_id in summary


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_entry_is_well_formed(code):
    info = CODES[code]
    assert info.code == code
    assert re.fullmatch(r"[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*", code)
    assert isinstance(info.severity, Severity)
    assert info.summary and "\n" not in info.summary and info.summary[0].islower()
    assert info.registered
    assert info.help_uri == f"{DOCS_URL}/{info.docs}" and info.docs.startswith("docs/")


def _anchors(page: Path) -> set[str]:
    """Headings as GitHub turns them into anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


# Pages written alongside the commands whose codes they explain; until they land, their absence
# is expected rather than a failure. Remove a page from here once it exists.
@pytest.mark.parametrize("page", sorted({info.page for info in CODES.values()}))
def test_every_docs_page_exists(page):
    assert (REPO / page).is_file(), f"{page} is named by {[c for c, i in CODES.items() if i.page == page]}"


@pytest.mark.parametrize("docs", sorted({info.docs for info in CODES.values() if info.section}))
def test_every_docs_section_exists(docs):
    page, _, section = docs.partition("#")
    assert section in _anchors(REPO / page)


def test_describe_gives_the_registered_entry():
    assert describe("agreement.unknown-key") is CODES["agreement.unknown-key"]


def test_describe_falls_back_for_an_unregistered_code():
    info = describe("plugin.odd-finding", Severity.WARNING)
    assert not info.registered
    assert info.code == "plugin.odd-finding"
    assert info.severity is Severity.WARNING
    assert "plugin.odd-finding" in info.summary
    assert (REPO / info.page).is_file()
    assert describe("plugin.odd-finding").severity is Severity.ERROR


def test_describe_points_an_unregistered_code_at_its_stage_page():
    assert describe("lint.some-new-finding").page == "docs/checking.md"
    assert describe("test.some-new-finding").page == "docs/testing.md"
    assert describe("agreement.some-new-finding").docs == "docs/agreement.md#when-something-is-wrong"
