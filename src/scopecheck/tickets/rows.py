"""One input's reading state: from a row's converted values to a ``Ticket`` or a ``Diagnostic``.

In: the values a format reader converted (a list in ``Ticket`` field order), the problems it met
and where the row is. Out: the ``Ticket``, or one ``Diagnostic`` naming the ticket (its id, or
its row when it has none), the field, and the line. The format readers in ``read.py`` share it.

The batch also remembers every id it has seen, to report a repeated one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from scopecheck.diagnostics import Diagnostic, Span, suggest
from scopecheck.tickets.convert import Converter, UnknownValue, converter_for
from scopecheck.tickets.mapping import ColumnTarget, TicketMapping
from scopecheck.tickets.model import TICKET_FIELDS, Ticket

REQUIRED_FIELDS = tuple(name for name, spec in TICKET_FIELDS.items() if spec.required)

_SLOT = {name: index for index, name in enumerate(Ticket._fields)}
_ID, _OPENED, _STARTED, _ENDED = (_SLOT[name] for name in ("id", "opened_at", "started_at", "ended_at"))
_TEMPLATE = [Ticket._field_defaults.get(name) for name in Ticket._fields]
_new_ticket = tuple.__new__  # what Ticket(...) does, without re-checking the field count


class Column(NamedTuple):
    """What one export column (or JSON key) feeds: a Ticket slot, custom, or nothing."""

    slot: int
    field: str | None  # None: kept in custom under ``name``
    name: str
    convert: Converter | None

    CUSTOM = -1
    DROP = -2


class Problem(NamedTuple):
    code: str
    message: str  # after the ticket's label
    help: str | None
    span: Span | None


class Batch:
    """What reading one input has learnt so far: its columns, their converters, the ids seen."""

    def __init__(self, path: str, mapping: TicketMapping, column_word: str):
        self.path = path
        self.mapping = mapping
        self.column_word = column_word  # "column" for CSV, "key" for JSON and YAML
        # Case variants are listed up front so that the hot loop tests membership only.
        self.missing = frozenset(
            variant for value in mapping.missing for variant in (value, value.lower(), value.upper(), value.title())
        )
        self.template = _TEMPLATE
        self.custom_slot = _SLOT["custom"]
        self.column_of_field: dict[str, str] = {}
        self._columns: dict[str, Column] = {}
        self._converters: dict[ColumnTarget, Converter] = {}
        self._first_line_of: dict[str, int] = {}

    # --- columns ------------------------------------------------------------------------------

    def column(self, name: str) -> Column:
        column = self._columns.get(name)
        if column is None:
            column = self._columns[name] = self._resolve(name)
        return column

    def _resolve(self, name: str) -> Column:
        if self.mapping.is_ignored(name):
            return Column(Column.DROP, None, name, None)
        target = self.mapping.target(name)
        if target is None:
            return Column(Column.CUSTOM, None, name, None)
        if target.field == "custom":
            return Column(Column.CUSTOM, "custom", name, None)
        convert = self._converters.get(target)
        if convert is None:
            convert = self._converters[target] = converter_for(target.field, target.unit, self.mapping)
        return Column(_SLOT[target.field], target.field, name, convert)

    # --- problems -----------------------------------------------------------------------------

    def _field_words(self, field: str, column_name: str | None) -> str:
        if column_name and column_name != field:
            return f"field '{field}' ({self.column_word} '{column_name}')"
        return f"field '{field}'"

    def problem(self, problems: list | None, column: Column, raw: object, error: Exception,
                span: Span | None = None) -> list[Problem]:
        """Adds the problem of converting ``raw`` for ``column`` to ``problems``."""
        message = str(error) if str(error) else f"'{raw}' is not a valid value"
        help = getattr(error, "help", None)
        code = "ticket.unknown-value" if isinstance(error, UnknownValue) else "ticket.invalid-value"
        if code == "ticket.unknown-value" and help is None and column.field != "materials":
            help = f"map the export's value to one of ours under 'values: {column.field}:' in a mapping file"
        found = Problem(code, f"{self._field_words(column.field, column.name)}: {message}", help, span)
        if problems is None:
            return [found]
        problems.append(found)
        return problems

    def _diagnostic(self, label: str, problems: list[Problem], line: int) -> Diagnostic:
        first = problems[0]
        return Diagnostic(
            first.code,
            f"{label}: {first.message}",
            first.span or Span(self.path, line, 1),
            help=first.help,
            notes=tuple(f"also {problem.message}" for problem in problems[1:]),
        )

    def _misspelt(self, field: str, keys: Iterable[str]) -> str | None:
        close = suggest(field, [key for key in keys if isinstance(key, str)])
        return f"is the {self.column_word} '{close}' meant to be '{field}'?" if close else None

    def bad_row(self, row_number: int, line: int, cells: int, width: int) -> Diagnostic:
        return Diagnostic("ticket.bad-row", f"row {row_number}: has {cells} cells but the header names {width} columns",
                          Span(self.path, line, 1), help="a value with the separator in it needs double quotes")

    # --- finishing a ticket -------------------------------------------------------------------

    def finish(self, values: list, problems: list[Problem] | None, row: int, line: int,
               span_of: Callable[[str], Span] | None = None, keys: Iterable[str] = ()) -> Ticket | Diagnostic:
        """The ticket, or the diagnostic for the first thing wrong with it."""
        ticket_id = values[_ID]
        first_line = None
        if ticket_id is not None:
            seen = self._first_line_of
            # Counting entries tells a new id from a repeat with one dict operation.
            known = len(seen)
            first_line = seen.setdefault(ticket_id, line)
            if len(seen) > known:
                first_line = None
                if problems is None and values[_OPENED] is not None:
                    # The common case, a good ticket, skips the checks that name what is wrong.
                    ended = values[_ENDED]
                    if ended is None:
                        return _new_ticket(Ticket, values)
                    try:
                        if ended >= (values[_STARTED] or values[_OPENED]):
                            return _new_ticket(Ticket, values)
                    except TypeError:
                        pass  # one time with an offset, one without: _check decides
        return self._check(values, problems, row, line, first_line, span_of, keys)

    def _check(self, values: list, problems: list[Problem] | None, row: int, line: int, first_line: int | None,
               span_of: Callable[[str], Span] | None, keys: Iterable[str]) -> Ticket | Diagnostic:
        ticket_id = values[_ID]
        label = f"row {row}" if ticket_id is None else f"ticket '{ticket_id}'"
        if problems:
            return self._diagnostic(label, problems, line)
        for field, slot in (("id", _ID), ("opened_at", _OPENED)):
            if values[slot] is None:
                words = self._field_words(field, self.column_of_field.get(field))
                return Diagnostic("ticket.missing-field", f"{label}: {words} is missing",
                                  span_of(field) if span_of else Span(self.path, line, 1),
                                  help=self._misspelt(field, keys))
        ended = values[_ENDED]
        if ended is not None:
            begun_field = "started_at" if values[_STARTED] is not None else "opened_at"
            begun = values[_SLOT[begun_field]]
            # Times with and without an offset cannot be compared until the evaluator places
            # the naive ones in the agreement's time zone.
            if (ended.tzinfo is None) == (begun.tzinfo is None) and ended < begun:
                words = self._field_words("ended_at", self.column_of_field.get("ended_at"))
                return Diagnostic("ticket.invalid-value",
                                  f"{label}: {words}: {_when(ended)} is before {begun_field} {_when(begun)}",
                                  span_of("ended_at") if span_of else Span(self.path, line, 1))
        if first_line is not None:
            return Diagnostic("ticket.duplicate-id",
                              f"{label} appears twice: first at line {first_line}, again at line {line}",
                              span_of("id") if span_of else Span(self.path, line, 1),
                              help="each ticket needs its own id; the second one is skipped")
        return _new_ticket(Ticket, values)

    def from_object(self, obj: object, row: int, line: int,
                    span_of: Callable[[str], Span] | None = None) -> Ticket | Diagnostic:
        """A ticket from one JSON or YAML object."""
        if obj.__class__ is not dict:
            shown = str(obj) if len(str(obj)) <= 40 else str(obj)[:37] + "..."
            found = "a list" if isinstance(obj, list) else f"'{shown}'"
            return Diagnostic("ticket.not-an-object", f"row {row}: a ticket must be an object with keys, found {found}",
                              span_of("") if span_of else Span(self.path, line, 1))
        values = self.template.copy()
        problems = None
        custom = None
        missing = self.missing
        for key, raw in obj.items():
            column = self._columns.get(key) or self.column(key)
            if raw.__class__ is str:
                raw = raw.strip()
                if raw in missing:
                    continue
            elif raw is None:
                continue
            slot = column.slot
            if slot < 0:
                if slot == Column.DROP:
                    continue
                if custom is None:
                    custom = {}
                if column.field == "custom":
                    if isinstance(raw, dict):
                        custom.update(raw)
                        continue
                    problems = self.problem(problems, column, raw, ValueError("expected an object of the export's own fields"),
                                            span_of(key) if span_of else None)
                    continue
                custom[key] = raw
                continue
            if values[slot] is not _TEMPLATE[slot]:
                first = next(other for other in obj if other != key and self.column(other).slot == slot)
                problems = self.problem(problems, Column(slot, column.field, "", None), raw,
                                        ValueError(f"given twice, by the {self.column_word}s '{first}' and '{key}'"),
                                        span_of(key) if span_of else None)
                continue
            try:
                values[slot] = column.convert(raw)
            except (ValueError, ArithmeticError, TypeError) as error:
                problems = self.problem(problems, column, raw, error, span_of(key) if span_of else None)
        if custom is not None:
            values[self.custom_slot] = custom
        return self.finish(values, problems, row, line, span_of, obj)


def _when(moment) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")
