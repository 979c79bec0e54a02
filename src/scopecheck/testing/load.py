"""Loading rule tests: a ``NAME.tests.yaml`` file in, a ``CaseFile`` out.

Stage: testing (load). In: the path of a test file, or folders to search for them. Out: a
frozen ``CaseFile`` whose cases say what they run against, their tickets (times written
relative to the case's ``now`` made absolute) and what they expect; or ``DiagnosticError``
with every problem in the file at its line and column:

    test.unreadable           the file cannot be read
    test.empty                the file holds no document
    test.invalid-value        a value of the wrong kind or shape
    test.unknown-key          a key the format does not have (with "did you mean")
    test.missing-key          a required key is absent
    test.conflicting-keys     two keys that exclude each other ('agreement' and 'rules')
    test.version              a format version this scopecheck does not read
    test.duplicate-name       two cases of one file with the same name
    test.unknown-outcome      an expected outcome that is not one of the four
    test.unknown-ticket-field a ticket key that looks like a misspelt field
    test.agreement-not-found  the agreement file named does not exist
    yaml.*                    from ``load_yaml``, passed through unchanged

The tickets themselves are not read here: the runner reads them as ``classify`` does, so that a
bad ticket fails its case rather than the file. Rule ids are checked by the runner too, against
the rules the file's agreement loads.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path

from scopecheck.folders import files_under
from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean, suggest
from scopecheck.record import record
from scopecheck.syntax.ast import OUTCOMES
from scopecheck.tickets.mapping import BUILTIN_ALIASES, DEFAULT_MAPPING, normalise_word
from scopecheck.tickets.model import TICKET_FIELDS
from scopecheck.tickets.rows import Batch, Column
from scopecheck.values import ValueFormatError, parse_datetime, parse_duration, parse_money
from scopecheck.yamlsource import JsonPath, SourceMap, dotted, frozen, load_yaml, shown_value

FORMAT_VERSION = 1
TEST_FILE_SUFFIXES = (".tests.yaml", ".tests.yml")
# Folders a search never enters: tools' environments and build output hold copies, not tests.

FILE_KEYS = ("scopecheck_tests", "agreement", "rules", "now", "cases")
CASE_KEYS = ("name", "agreement", "now", "earlier", "ticket", "expect")
EXPECT_KEYS = ("outcome", "rule", "reason", "reason_contains", "fired", "unchecked", "charges", "total", "error")
TIME_FIELDS = ("opened_at", "started_at", "ended_at")
TICKET_ID = "T1"
EARLIER_ID = "E{number}"

# A time written as an offset from the case's clock: -30d, +2h, -1d4h30m.
_RELATIVE = re.compile(r"\s*([+-])\s*(\S.*)")
# The clock of a case whose 'now' does not read: that is reported once, not again at every
# time written relative to it.
_UNREADABLE = object()


@record
class TicketSpec:
    """A ticket as the test file writes it, with relative times made absolute and a default id
    and ``opened_at`` filled in; ``where`` is its place in the file, for positions."""

    fields: Mapping[str, object]
    where: JsonPath
    line: int


@record
class Expectation:
    """One key of a case's ``expect``, its value read (``outcome`` normalised, lists as tuples,
    ``total`` as ``Money``)."""

    key: str
    value: object
    span: Span


@record
class Case:
    name: str
    span: Span
    where: JsonPath
    overrides: Mapping[str, object] | None  # agreement keys laid over the file's agreement
    earlier: tuple[TicketSpec, ...]
    ticket: TicketSpec
    expect: tuple[Expectation, ...]

    def expected(self, key: str) -> Expectation | None:
        return next((item for item in self.expect if item.key == key), None)


@record
class CaseFile:
    """A loaded test file. ``agreement`` is the agreement file the cases run against, as shown
    in messages; without one, ``rules`` names the rule files laid over the base agreement."""

    path: str
    agreement: str | None
    rules: tuple[str, ...]
    cases: tuple[Case, ...]
    source_map: SourceMap

    def span_of(self, where: JsonPath, *, key: bool = False) -> Span:
        return self.source_map.span_of(where, key=key)


def find_test_files(paths: Iterable[str | Path]) -> list[Path]:
    """The test files among ``paths``: a file is taken as it is, a folder searched through for
    ``*.tests.yaml`` (``folders.files_under``). Each file once, in order."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(files_under(path, TEST_FILE_SUFFIXES))
        else:
            found.append(path)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def load_case_file(path: str | Path) -> CaseFile:
    """Read and check the test file at ``path``; raises ``DiagnosticError``."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = "it is not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (error.strerror or str(error)).lower()
        raise DiagnosticError([Diagnostic("test.unreadable", f"cannot read the test file '{shown}': {reason}")]) from None
    return parse_case_file(text, shown)


def parse_case_file(text: str, path: str) -> CaseFile:
    """Check test file ``text``; ``path`` names it in messages and places relative paths."""
    data, source_map = load_yaml(text, path)
    reader = _Reader(path, source_map)
    loaded = reader.file(data)
    if reader.problems or loaded is None:
        raise DiagnosticError(sorted(reader.problems, key=lambda d: (d.span.line, d.span.column) if d.span else (0, 0)))
    return loaded


class _Reader:
    def __init__(self, path: str, source_map: SourceMap):
        self.path = path
        self.source_map = source_map
        self.problems: list[Diagnostic] = []
        # Only to ask which ticket field a key names, with the reader's own aliases.
        self.columns = Batch(path, DEFAULT_MAPPING, "key")

    # --- positions and problems -------------------------------------------------------------

    def _span(self, where: JsonPath, *, key: bool = False) -> Span:
        return self.source_map.span_of(where, key=key)

    def _problem(self, code: str, message: str, where: JsonPath, *, key: bool = False, help: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, self._span(where, key=key), help=help))

    def _wrong_kind(self, where: JsonPath, expected: str, value: object) -> None:
        subject = f"'{dotted(where)}'" if where else "the test file"
        self._problem("test.invalid-value", f"{subject} must be {expected}; found {shown_value(value)}", where)

    def _mapping(self, value: object, where: JsonPath, known: tuple[str, ...], what: str) -> dict | None:
        if not isinstance(value, dict):
            self._wrong_kind(where, what, value)
            return None
        for key in value:
            if key not in known:
                place = f" in '{dotted(where)}'" if where else ""
                self._problem("test.unknown-key", f"unknown key '{key}'{place}", where + (key,), key=True,
                              help=did_you_mean(key, known) or f"the keys allowed here are {', '.join(known)}")
        return value

    @staticmethod
    def _misspelt(mapping: dict, key: str, known: tuple[str, ...]) -> bool:
        """Whether an unknown key of ``mapping`` looks like ``key``: reported once, as unknown
        with "did you mean", not also as missing."""
        return any(other not in known and suggest(other, known) == key for other in mapping)

    # --- the file ---------------------------------------------------------------------------

    def file(self, data: object) -> CaseFile | None:
        if data is None:
            self.problems.append(Diagnostic("test.empty", "the test file is empty", Span(self.path, 1, 1),
                                            help="start it with 'scopecheck_tests: 1', then 'agreement' or 'rules', then 'cases'"))
            return None
        document = self._mapping(data, (), FILE_KEYS, "a mapping with 'scopecheck_tests', 'agreement' or 'rules', and 'cases'")
        if document is None:
            return None
        self._version(document)
        agreement, rules = self._target(document)
        now = self._now(document, ("now",)) if "now" in document else None
        cases = self._cases(document, now)
        return CaseFile(self.path, agreement, rules, cases, self.source_map)

    def _version(self, document: dict) -> None:
        if "scopecheck_tests" not in document:
            if self._misspelt(document, "scopecheck_tests", FILE_KEYS):
                return
            self._problem("test.missing-key", "the test file needs 'scopecheck_tests'", (), help="start it with 'scopecheck_tests: 1'")
        elif document["scopecheck_tests"] != FORMAT_VERSION or isinstance(document["scopecheck_tests"], bool):
            self._problem("test.version", f"'scopecheck_tests' is {shown_value(document['scopecheck_tests'])}, but this scopecheck reads "
                          f"version {FORMAT_VERSION} of the format", ("scopecheck_tests",), help="write 'scopecheck_tests: 1'")

    def _target(self, document: dict) -> tuple[str | None, tuple[str, ...]]:
        if "agreement" in document and "rules" in document:
            self._problem("test.conflicting-keys", "give 'agreement' or 'rules', not both", ("rules",), key=True,
                          help="an agreement names its own rule files; 'rules' is for testing rule files over the base agreement")
            return None, ()
        if "agreement" in document:
            value = document["agreement"]
            if not isinstance(value, str) or not value.strip():
                self._wrong_kind(("agreement",), "the path of an agreement file, like ./agreement.yaml", value)
                return None, ()
            shown = os.path.normpath(os.path.join(os.path.dirname(self.path), value.strip()))
            if not Path(shown).is_file():
                self._problem("test.agreement-not-found", f"the agreement '{value}' does not exist", ("agreement",),
                              help=f"a path is read from the test file's folder; '{value}' would be '{shown}'")
                return None, ()
            return shown, ()
        if "rules" in document:
            value = document["rules"]
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not items or not all(isinstance(item, str) and item.strip() for item in items):
                self._wrong_kind(("rules",), "a list of rule files, like [standard, ./client.scope]", value)
                return None, ()
            return None, tuple(item.strip() for item in items)
        if self._misspelt(document, "agreement", FILE_KEYS) or self._misspelt(document, "rules", FILE_KEYS):
            return None, ()
        self._problem("test.missing-key", "the test file needs 'agreement' or 'rules'", (),
                      help="'agreement: ./agreement.yaml' runs the cases against a client's agreement; "
                           "'rules: [standard]' against rule files over the base agreement")
        return None, ()

    def _now(self, container: dict, where: JsonPath) -> dt.datetime | object:
        value = container[where[-1]]
        try:
            if isinstance(value, (str, dt.datetime)):
                return parse_datetime(value)
        except ValueFormatError:
            pass
        self._wrong_kind(where, "a date and time, like 2026-03-02T09:00", value)
        return _UNREADABLE

    # --- cases ------------------------------------------------------------------------------

    def _cases(self, document: dict, now: dt.datetime | object | None) -> tuple[Case, ...]:
        if "cases" not in document:
            if self._misspelt(document, "cases", FILE_KEYS):
                return ()
            self._problem("test.missing-key", "the test file needs 'cases'", (), help="'cases' is a list of cases, each with 'name', 'ticket' and 'expect'")
            return ()
        value = document["cases"]
        if not isinstance(value, list) or not value:
            self._wrong_kind(("cases",), "a list of cases, each with 'name', 'ticket' and 'expect'", value)
            return ()
        cases: list[Case] = []
        first_of: dict[str, Span] = {}
        for index, item in enumerate(value):
            case = self._case(item, ("cases", index), now)
            if case is None:
                continue
            if case.name in first_of:
                self._problem("test.duplicate-name", f"two cases are named '{case.name}'", ("cases", index, "name"),
                              help=f"the first is at line {first_of[case.name].line}; each case needs its own name")
                continue
            first_of[case.name] = case.span
            cases.append(case)
        return tuple(cases)

    def _case(self, item: object, where: JsonPath, file_now: dt.datetime | object | None) -> Case | None:
        case = self._mapping(item, where, CASE_KEYS, "a case: a mapping with 'name', 'ticket' and 'expect'")
        if case is None:
            return None
        missing = [key for key in ("name", "ticket", "expect") if key not in case]
        for key in missing:
            if self._misspelt(case, key, CASE_KEYS):
                continue
            self._problem("test.missing-key", f"the case needs '{key}'", where, help=_MISSING_HELP[key])
        name = case.get("name")
        if "name" in case and (not isinstance(name, (str, int, Decimal)) or isinstance(name, bool) or not str(name).strip()):
            self._wrong_kind(where + ("name",), "the case's name, as text", name)
            name = None
        now = self._now(case, where + ("now",)) if "now" in case else file_now
        overrides = case.get("agreement")
        if overrides is not None and not isinstance(overrides, dict):
            self._wrong_kind(where + ("agreement",), "a mapping of agreement keys to lay over the file's agreement, like {params: {moves_per_year: 2}}", overrides)
            overrides = None
        earlier = self._earlier(case, where + ("earlier",), now) if "earlier" in case else ()
        ticket = self._ticket(case["ticket"], where + ("ticket",), now, TICKET_ID) if "ticket" in case else None
        expect = self._expect(case["expect"], where + ("expect",)) if "expect" in case else None
        if missing or name is None or ticket is None or expect is None or earlier is None:
            return None
        return Case(str(name).strip(), self._span(where), where, frozen(overrides) if overrides is not None else None,
                    earlier, ticket, expect)

    def _earlier(self, case: dict, where: JsonPath, now: dt.datetime | object | None) -> tuple[TicketSpec, ...] | None:
        value = case["earlier"]
        if value is None:
            return ()
        if not isinstance(value, list):
            self._wrong_kind(where, "a list of tickets decided before the case's ticket", value)
            return None
        tickets = [self._ticket(item, where + (index,), now, EARLIER_ID.format(number=index + 1)) for index, item in enumerate(value)]
        return None if None in tickets else tuple(tickets)  # type: ignore[return-value]

    def _ticket(self, value: object, where: JsonPath, now: dt.datetime | object | None, default_id: str) -> TicketSpec | None:
        if not isinstance(value, dict):
            self._wrong_kind(where, "a ticket: a mapping of its fields, like {category: move, estimate: 2h}", value)
            return None
        fields = dict(value)
        named: set[str] = set()
        good = True
        for key, raw in value.items():
            column = self.columns.column(key)
            if column.slot == Column.DROP:
                continue
            if column.field is None:
                close = suggest(normalise_word(key), [*TICKET_FIELDS, *BUILTIN_ALIASES])
                if close is not None and close != "custom":
                    self._problem("test.unknown-ticket-field", f"'{key}' is not a ticket field", where + (key,), key=True,
                                  help=f"did you mean '{close}'? a field of the export's own goes under 'custom'")
                    good = False
                continue
            named.add(column.field)
            if column.field in TIME_FIELDS and isinstance(raw, str) and (relative := _RELATIVE.fullmatch(raw)):
                moment = self._relative(relative, raw, now, where + (key,))
                if moment is None:
                    good = False
                else:
                    fields[key] = moment.isoformat()
        if "id" not in named:
            fields["id"] = default_id
        if "opened_at" not in named and isinstance(now, dt.datetime):
            fields["opened_at"] = now.isoformat()
        return TicketSpec(frozen(fields), where, self._span(where).line) if good else None

    def _relative(self, match: re.Match, raw: str, now: dt.datetime | object | None, where: JsonPath) -> dt.datetime | None:
        if now is _UNREADABLE:
            return None
        if now is None:
            self._problem("test.missing-key", f"'{raw}' is a time relative to the case's clock, but there is no 'now'", where,
                          help="give the case (or the file) a 'now: 2026-03-02T09:00'")
            return None
        try:
            offset = parse_duration(match[2])
            return now + offset if match[1] == "+" else now - offset
        except (ValueFormatError, OverflowError):
            self._problem("test.invalid-value", f"'{raw}' is not a time relative to 'now'", where,
                          help="write an offset like -30d, -2h or +1h30m")
            return None

    # --- expectations -----------------------------------------------------------------------

    def _expect(self, value: object, where: JsonPath) -> tuple[Expectation, ...] | None:
        expect = self._mapping(value, where, EXPECT_KEYS, "a mapping of what to expect, like {outcome: billable, rule: extra_move}")
        if expect is None:
            return None
        if not expect:
            self._problem("test.missing-key", "'expect' says nothing to check", where,
                          help=f"give at least one of {', '.join(EXPECT_KEYS)}")
            return None
        if "error" in expect and len(expect) > 1:
            other = next(key for key in expect if key != "error")
            self._problem("test.conflicting-keys", f"'expect' gives 'error' and '{other}'", where + (other,), key=True,
                          help="a case that expects an error decides nothing, so there is nothing else to check")
            return None
        items: list[Expectation] = []
        known = len(self.problems)
        for key, raw in expect.items():
            if key not in EXPECT_KEYS:
                continue
            read = self._expected_value(key, raw, where + (key,))
            items.append(Expectation(key, read, self._span(where + (key,))))
        return tuple(items) if len(self.problems) == known else None

    def _expected_value(self, key: str, raw: object, where: JsonPath) -> object:
        match key:
            case "outcome":
                if isinstance(raw, str) and normalise_word(raw) in OUTCOMES:
                    return normalise_word(raw)
                self._problem("test.unknown-outcome", f"'{raw}' is not an outcome", where,
                              help=did_you_mean(normalise_word(str(raw)), OUTCOMES) or f"the outcomes are {', '.join(OUTCOMES)}")
            case "rule":
                if raw is None or (isinstance(raw, str) and raw.strip()):
                    return raw.strip() if raw is not None else None
                self._wrong_kind(where, "a rule id, or null when no rule decides", raw)
            case "reason" | "error":
                if isinstance(raw, str) and raw.strip():
                    return raw.strip()
                self._wrong_kind(where, "text", raw)
            case "total":
                try:
                    if not isinstance(raw, bool):
                        return parse_money(raw)
                except ValueFormatError:
                    pass
                self._wrong_kind(where, "an amount of money, like $150.00", raw)
            case _:  # reason_contains, fired, unchecked, charges: a list of text, or one
                items = [raw] if isinstance(raw, str) else raw
                if isinstance(items, list) and all(isinstance(item, str) and item.strip() for item in items):
                    if key == "reason_contains" and not items:
                        self._wrong_kind(where, "text, or a list of texts", raw)
                        return None
                    return tuple(item.strip() for item in items)
                what = "a list of rule ids" if key in ("fired", "unchecked") else "a list of texts" if key == "reason_contains" else "a list of bill lines as the table shows them"
                self._wrong_kind(where, what, raw)
        return None


_MISSING_HELP = {
    "name": "name it for the situation it shows, like 'a second move in one contract year is billable'",
    "ticket": "'ticket' holds the ticket's fields, like {category: move, requester: ann, estimate: 2h}",
    "expect": "'expect' says what the decision must be, like {outcome: billable, rule: extra_move}",
}


def thawed(value: object) -> object:
    """Frozen test data as plain dicts and lists, as the ticket reader and YAML writer want it."""
    if isinstance(value, Mapping):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thawed(item) for item in value]
    return value


__all__ = ["Case", "CaseFile", "Expectation", "TicketSpec", "find_test_files", "load_case_file", "parse_case_file", "thawed"]
