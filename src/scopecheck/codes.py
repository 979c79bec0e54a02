"""Diagnostic codes: every code a stage reports, with its default severity, a one-line meaning in
plain words and the page of the documentation that explains it.

In: a code such as ``agreement.unknown-key``. Out: its ``CodeInfo``, which the machine-readable
formats (SARIF rules, help links) are built from. A code not registered here still gets a
``CodeInfo`` from ``describe``, so output never fails on a code newer than this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from scopecheck.diagnostics import Severity
from scopecheck.record import record

# The project's published address, the one the agreement schema's ``$id`` already names.
PROJECT_URL = "https://scopecheck.dev"
# Help links go to the documentation in the repository, where the Markdown pages and their
# section anchors render as they are written.
DOCS_URL = "https://github.com/scopecheck/scopecheck/blob/main"

_LANGUAGE = "docs/language.md"
_AGREEMENT = "docs/agreement.md"
_TICKETS = "docs/tickets.md"
_CHECKING = "docs/checking.md"
_TESTING = "docs/testing.md"

# Section anchors as GitHub spells them for the headings of those pages.
_LANGUAGE_ERRORS = "errors"
_WHEN_WRONG = "when-something-is-wrong"
_MAPPING_FILES = "mapping-files"
_WHAT_IS_CHECKED = "what-is-checked"
_THE_LINT = "the-lint"


@record
class CodeInfo:
    """What one diagnostic code means; ``page`` is a path from the repository's top folder and
    ``section`` an anchor on it, when the page has a section for the code."""

    code: str
    severity: Severity
    summary: str
    page: str
    section: str | None = None
    registered: bool = True

    @property
    def docs(self) -> str:
        """The page and section, e.g. ``docs/agreement.md#when-something-is-wrong``."""
        return f"{self.page}#{self.section}" if self.section else self.page

    @property
    def help_uri(self) -> str:
        """Where the explanation is published."""
        return f"{DOCS_URL}/{self.docs}"


_E, _W = Severity.ERROR, Severity.WARNING

# code: (default severity, what it means, page, section)
_TABLE: dict[str, tuple[Severity, str, str, str | None]] = {
    # --- rule text ---
    "syntax.unexpected-token": (_E, "the rule text has a word or symbol where it does not belong", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.unknown-keyword": (_E, "the rule text has a misspelt keyword", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.unexpected-character": (_E, "the rule text has a character the rule language does not use", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.unexpected-end": (_E, "the rule text ends before the rule is complete", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.unclosed-text": (_E, "text in quotes is not closed on its line", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.bad-literal": (_E, "a value written in a rule, such as an amount, duration or date, cannot be read", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.bad-number": (_E, "a number of days is not a whole number", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.bad-priority": (_E, "a rule's priority is not a whole number", _LANGUAGE, _LANGUAGE_ERRORS),
    # The name is terser than its neighbours', but it is already in users' output and scripts.
    "syntax.template": (_E, "a '{' in a rule's explanation opens a value that is never closed", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.too-deep": (_E, "an expression is nested too deeply to be read safely", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.too-large": (_E, "the rule file is too large to be read safely", _LANGUAGE, _LANGUAGE_ERRORS),
    "syntax.format-failed": (_E, "the formatter could not lay the rule file out without changing it, so left it as it was", _LANGUAGE, None),
    # --- names, types, imports and parameters of the rules ---
    "check.arity": (_E, "a built-in function is given the wrong number of values", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.currency": (_E, "an amount in a rule is in another currency than the agreement bills in", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.duplicate-param": (_E, "a parameter is declared twice", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.duplicate-rule": (_E, "two rules have the same id", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.earlier-outside-count": (_E, "a rule uses 'earlier' outside a count of earlier tickets", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.file-not-found": (_E, "a rule file, imported or given by name, does not exist", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.import-cycle": (_E, "rule files import each other in a circle", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.invalid-window": (_E, "the window for counting earlier tickets is shorter than a day", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.nested-count": (_E, "a count of earlier tickets is used inside another one", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.not-constant": (_E, "a parameter's default reads a ticket value instead of being fixed", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.outside-folder": (_E, "an imported rule file lies outside the agreement's folder", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.param-override": (_E, "the agreement sets a parameter to a value of the wrong kind", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.type-mismatch": (_E, "a value is of the wrong kind for where it is used", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-field": (_E, "a rule reads a field that does not exist", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-function": (_E, "a rule calls a function that does not exist", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-library": (_E, "a rule file imports a rule library that does not exist", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-name": (_E, "a rule reads a name that is not a ticket field, an agreement value or a parameter", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-param": (_E, "a rule or the agreement names a parameter that is not declared", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-type": (_E, "a parameter is declared with a type that does not exist", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unknown-value": (_E, "a rule compares a field with a value the field can never have", _LANGUAGE, _LANGUAGE_ERRORS),
    "check.unreadable-file": (_E, "an imported rule file cannot be read", _LANGUAGE, _LANGUAGE_ERRORS),
    # --- findings of the check command ---
    "check.reserved-id": (
        _E,
        "a rule uses an id the engine keeps for its own findings (uncovered_user, uncovered_device, "
        "over_user_ceiling, over_device_ceiling, prepaid_hours)",
        _CHECKING,
        _THE_LINT,
    ),
    "check.not-an-agreement": (_E, "a YAML file given by name is not an agreement", _CHECKING, _WHAT_IS_CHECKED),
    "check.no-files": (_W, "no agreements or rule files were found under the paths given", _CHECKING, _WHAT_IS_CHECKED),
    "lint.never-fires": (_E, "a rule's condition contradicts itself, so the rule can never fire", _CHECKING, _THE_LINT),
    "lint.shadowed": (
        _W, "whenever the rule fires, a higher-ranked rule also fires and decides, so this rule never decides", _CHECKING, _THE_LINT,
    ),
    "lint.ambiguous": (
        _W, "two rules with different outcomes can fire together at the same priority, and the outcome order decides silently",
        _CHECKING, _THE_LINT,
    ),
    "lint.unused-param": (_W, "a declared parameter is read by no rule", _CHECKING, _THE_LINT),
    "lint.missing-title": (_W, "a rule has no title", _CHECKING, _THE_LINT),
    "lint.missing-because": (_W, "a rule that decides has no 'because' explanation", _CHECKING, _THE_LINT),
    "lint.unused-premium": (_W, "the agreement sets a premium that no rule reads", _CHECKING, _THE_LINT),
    # --- agreement files ---
    "agreement.not-found": (_E, "the agreement file is missing or cannot be read", _AGREEMENT, _WHEN_WRONG),
    "agreement.empty": (_E, "the agreement file holds nothing but comments", _AGREEMENT, _WHEN_WRONG),
    "agreement.unknown-key": (_E, "the agreement has a key the format does not know, often a misspelling", _AGREEMENT, _WHEN_WRONG),
    "agreement.missing-key": (_E, "the agreement leaves out a key it needs", _AGREEMENT, _WHEN_WRONG),
    "agreement.invalid-value": (_E, "a value in the agreement is of the wrong kind, form or range", _AGREEMENT, _WHEN_WRONG),
    "agreement.unknown-device-class": (_E, "the agreement names a device class that tickets cannot have", _AGREEMENT, _WHEN_WRONG),
    "agreement.currency-mismatch": (_E, "an amount in the agreement is in another currency than the agreement bills in", _AGREEMENT, _WHEN_WRONG),
    "agreement.term-order": (_E, "the agreement's term does not end after it starts", _AGREEMENT, _WHEN_WRONG),
    "agreement.duplicate-entry": (_E, "a covered user or device, or a prepaid block, is listed twice", _AGREEMENT, _WHEN_WRONG),
    "agreement.wrong-model": (_E, "prepaid hours are given under a plan that is not a block-hours plan", _AGREEMENT, _WHEN_WRONG),
    "agreement.unknown-time-zone": (_E, "the agreement's time zone is not a recognised time zone name", _AGREEMENT, _WHEN_WRONG),
    "agreement.invalid-hours": (_E, "business hours cannot be read, end before they start, or overlap", _AGREEMENT, _WHEN_WRONG),
    "agreement.unknown-holidays": (_E, "the holidays name a country, region or holiday the calendar does not know", _AGREEMENT, _WHEN_WRONG),
    "agreement.schema": (_E, "the agreement breaks the published agreement format in some other way", _AGREEMENT, _WHEN_WRONG),
    "yaml.syntax": (_E, "the file is not valid YAML", _AGREEMENT, _WHEN_WRONG),
    "yaml.duplicate-key": (_E, "a key is written twice in the same place", _AGREEMENT, _WHEN_WRONG),
    "yaml.too-large": (_E, "aliases make the file expand beyond what scopecheck will read", _AGREEMENT, _WHEN_WRONG),
    "yaml.merge-key": (_E, "the file uses '<<' merge keys, which scopecheck does not accept", _AGREEMENT, _WHEN_WRONG),
    "yaml.tag": (_E, "the file uses a custom YAML tag, which scopecheck does not accept", _AGREEMENT, _WHEN_WRONG),
    "yaml.bad-key": (_E, "a key is not plain text", _AGREEMENT, _WHEN_WRONG),
    # --- tickets ---
    "ticket.missing-field": (_E, "a ticket lacks a field every ticket needs, such as its id or when it was opened", _TICKETS, _WHEN_WRONG),
    "ticket.invalid-value": (_E, "a ticket's value cannot be read as its kind, or its times do not add up", _TICKETS, _WHEN_WRONG),
    "ticket.unknown-value": (_E, "a ticket's value is not one of the values its field allows", _TICKETS, _WHEN_WRONG),
    "ticket.not-an-object": (_E, "an entry of a JSON or YAML ticket file is not a ticket with named fields", _TICKETS, _WHEN_WRONG),
    "ticket.bad-json": (_E, "a ticket file, or one of its lines, is not valid JSON", _TICKETS, _WHEN_WRONG),
    "ticket.bad-row": (_E, "a CSV row has more cells than the header names columns", _TICKETS, _WHEN_WRONG),
    "ticket.duplicate-id": (_E, "two tickets have the same id; the second one is skipped", _TICKETS, _WHEN_WRONG),
    "ticket.unreadable": (_E, "the ticket file is missing or cannot be opened", _TICKETS, _WHEN_WRONG),
    "ticket.unknown-format": (_E, "the ticket file's format cannot be told from its name, or is not one scopecheck reads", _TICKETS, _WHEN_WRONG),
    "ticket.not-a-list": (_E, "a JSON or YAML ticket file holds neither a list of tickets nor one ticket", _TICKETS, _WHEN_WRONG),
    "ticket.bad-encoding": (_E, "the ticket file is not UTF-8 text", _TICKETS, _WHEN_WRONG),
    "ticket.bad-csv": (_E, "the CSV file cannot be split into cells", _TICKETS, _WHEN_WRONG),
    "ticket.missing-column": (_E, "no CSV column gives a field every ticket needs", _TICKETS, _WHEN_WRONG),
    "ticket.duplicate-column": (_E, "the CSV header names a column twice", _TICKETS, _WHEN_WRONG),
    "ticket.conflicting-columns": (_E, "two CSV columns give the same ticket field", _TICKETS, _WHEN_WRONG),
    # --- rule tests (NAME.tests.yaml) ---
    "test.unreadable": (_E, "a rule test file cannot be read", _TESTING, None),
    "test.empty": (_E, "a rule test file holds nothing", _TESTING, None),
    "test.invalid-value": (_E, "a value in a rule test file is of the wrong kind or shape", _TESTING, None),
    "test.unknown-key": (_E, "a rule test file has a key the format does not know", _TESTING, None),
    "test.missing-key": (_E, "a rule test file or one of its cases leaves out a key it needs", _TESTING, None),
    "test.conflicting-keys": (_E, "a rule test file or case gives two keys that exclude each other", _TESTING, None),
    "test.version": (_E, "a rule test file is in a format version this scopecheck does not read", _TESTING, None),
    "test.duplicate-name": (_E, "two cases of one rule test file have the same name", _TESTING, None),
    "test.unknown-outcome": (_E, "a case expects an outcome that does not exist", _TESTING, None),
    "test.unknown-ticket-field": (_E, "a case's ticket has a key that looks like a misspelt ticket field", _TESTING, None),
    "test.agreement-not-found": (_E, "the agreement a rule test file names does not exist", _TESTING, None),
    "test.unknown-rule": (_E, "a case expects a rule that the rules it runs do not have", _TESTING, None),
    # --- mapping files for tickets exported from another system ---
    "mapping.unreadable": (_E, "the mapping file is missing, cannot be read, or is not UTF-8 text", _TICKETS, _MAPPING_FILES),
    "mapping.invalid": (_E, "a value in the mapping file has the wrong shape", _TICKETS, _MAPPING_FILES),
    "mapping.unknown-key": (_E, "the mapping file has a key the format does not know", _TICKETS, _MAPPING_FILES),
    "mapping.unknown-field": (_E, "the mapping file maps a column to something that is not a ticket field", _TICKETS, _MAPPING_FILES),
    "mapping.unknown-value": (_E, "the mapping file translates a value into one its field does not allow", _TICKETS, _MAPPING_FILES),
    "mapping.bad-unit": (_E, "the mapping file gives a unit to a field that is not a duration", _TICKETS, _MAPPING_FILES),
    "mapping.bad-date-format": (_E, "the mapping file's date format cannot read dates", _TICKETS, _MAPPING_FILES),
    "mapping.conflict": (_E, "a column is both mapped and ignored in the mapping file", _TICKETS, _MAPPING_FILES),
}

CODES: Mapping[str, CodeInfo] = MappingProxyType(
    {code: CodeInfo(code, severity, summary, page, section) for code, (severity, summary, page, section) in _TABLE.items()}
)

# Where a code that is not registered is most likely explained, by its stage.
_PAGE_OF_STAGE = {
    "syntax": (_LANGUAGE, _LANGUAGE_ERRORS),
    "check": (_LANGUAGE, _LANGUAGE_ERRORS),
    "lint": (_CHECKING, _THE_LINT),
    "test": (_TESTING, None),
    "agreement": (_AGREEMENT, _WHEN_WRONG),
    "yaml": (_AGREEMENT, _WHEN_WRONG),
    "ticket": (_TICKETS, _WHEN_WRONG),
    "mapping": (_TICKETS, _MAPPING_FILES),
}


def describe(code: str, severity: Severity = Severity.ERROR) -> CodeInfo:
    """The registered ``CodeInfo`` of ``code``; for a code not registered, one that names its
    stage, with ``severity`` (the severity the finding was reported with) and ``registered``
    false."""
    info = CODES.get(code)
    if info is not None:
        return info
    stage = code.partition(".")[0]
    page, section = _PAGE_OF_STAGE.get(stage, ("README.md", None))
    return CodeInfo(code, severity, f"a problem found by scopecheck ('{code}')", page, section, registered=False)
