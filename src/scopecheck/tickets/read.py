"""Ticket readers: an export file in; tickets, and one diagnostic per bad ticket, out.

In: a path (or ``-`` for standard input) holding tickets as JSON, JSON Lines, CSV or YAML, and
optionally a ``TicketMapping`` saying how the export names and spells things. Out: an iterator
of ``Ticket`` and ``Diagnostic`` in file order. A bad ticket becomes one diagnostic naming the
ticket, the field and the line, and reading goes on. A problem with the whole input (no such
file, not JSON at all, no id column) raises ``DiagnosticError``: when the function is called,
or, for text that turns out not to be UTF-8 partway through a streamed file, at that point.

CSV and JSON Lines stream row by row; JSON and YAML are parsed whole. Everything that depends
only on the header or the key, such as which converter to call, is worked out once per input.
"""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from json.decoder import WHITESPACE
from pathlib import Path
from typing import TextIO

from scopecheck.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean, suggest
from scopecheck.tickets.convert import for_text
from scopecheck.tickets.mapping import DEFAULT_MAPPING, FORMATS, TicketMapping, normalise_word
from scopecheck.tickets.model import Ticket
from scopecheck.tickets.rows import REQUIRED_FIELDS, Batch, Column
from scopecheck.yamlsource import load_yaml

STDIN_NAME = "<stdin>"
FORMAT_SPELLINGS = {"json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "csv": "csv", "yaml": "yaml", "yml": "yaml"}
FORMAT_OF_SUFFIX = {f".{spelling}": fmt for spelling, fmt in FORMAT_SPELLINGS.items()}

# JSON numbers become int or Decimal, never float; NaN and Infinity become Decimals that every
# number converter then refuses.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal)
_CELL_LIMIT = 16 * 1024 * 1024  # bytes in one CSV cell


def read_tickets(
    source: str,
    *,
    format: str | None = None,
    mapping: TicketMapping | None = None,
    stdin: TextIO | None = None,
    opened: TextIO | None = None,
) -> Iterator[Ticket | Diagnostic]:
    """Tickets from ``source`` (a path, or ``-`` for ``stdin``), with a diagnostic in place of
    each ticket that cannot be read. ``format`` overrides the mapping's, which overrides the
    file's extension; standard input without one is sniffed from its first character.
    ``opened``: the file's text, already open (a copy of a pipe), to read instead of opening
    ``source``, which still names it; the caller closes it."""
    mapping = mapping or DEFAULT_MAPPING
    asked = _format_named(format or mapping.format)
    if source == "-":
        path, stream, owned = STDIN_NAME, stdin if stdin is not None else sys.stdin, False
    else:
        path, owned = source, opened is None
        asked = asked or _format_of_path(source)
        stream = _open(source) if opened is None else opened
    try:
        consumed, first_line = _peek(stream, path)
        fmt = asked or _sniff(first_line)
        lines = itertools.chain(consumed, stream)
        batch = Batch(path, mapping, "column" if fmt == "csv" else "key")
        if fmt == "csv":
            rows = _csv_rows(batch, lines, first_line)
        elif fmt == "jsonl":
            rows = _jsonl_rows(batch, lines)
        elif fmt == "json":
            rows = _object_rows(batch, _json_objects(_read_all(lines, path), path))
        else:
            rows = _object_rows(batch, _yaml_objects(_read_all(lines, path), path))
    except BaseException:
        if owned:
            stream.close()
        raise
    return _closing(rows, stream if owned else None)


def _closing(rows: Iterator, stream: TextIO | None) -> Iterator:
    try:
        yield from rows
    finally:
        if stream is not None:
            stream.close()


# --- finding and opening the input ------------------------------------------------------------


def _whole_file(code: str, message: str, path: str, line: int = 1, column: int = 1, help: str | None = None) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, message, Span(path, line, column), help=help)])


def _format_named(name: str | None) -> str | None:
    if name is None:
        return None
    fmt = FORMAT_SPELLINGS.get(name.strip().lower())
    if fmt is None:
        raise DiagnosticError([Diagnostic("ticket.unknown-format", f"'{name}' is not a ticket format",
                                          help=did_you_mean(name.lower(), FORMATS) or f"use one of {', '.join(FORMATS)}")])
    return fmt


def _format_of_path(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in FORMAT_OF_SUFFIX:
        return FORMAT_OF_SUFFIX[suffix]
    raise _whole_file("ticket.unknown-format", f"cannot tell the format of '{path}' from its name", path,
                      help=f"name it .json, .jsonl, .csv or .yaml, or give the format ({', '.join(FORMATS)})")


def _open(path: str) -> TextIO:
    try:
        # utf-8-sig: spreadsheet programs start their CSV exports with a byte-order mark.
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise DiagnosticError([Diagnostic("ticket.unreadable", f"cannot read '{path}': {reason}")]) from None


def _peek(stream: TextIO, path: str) -> tuple[list[str], str]:
    """The lines up to the first that is not blank (to be read again), and that line."""
    consumed: list[str] = []
    try:
        for line in iter(stream.readline, ""):
            if not consumed:
                line = line.lstrip("\ufeff")
            consumed.append(line)
            if line.strip():
                return consumed, line
    except UnicodeDecodeError:
        raise _whole_file("ticket.bad-encoding", f"'{path}' is not UTF-8 text", path, len(consumed) + 1) from None
    return consumed, ""


def _sniff(first_line: str) -> str:
    first = first_line.lstrip()[:1]
    if first == "[":
        return "json"
    if first == "{":
        # One object written over several lines is JSON; one object per line is JSON Lines.
        try:
            _DECODER.decode(first_line)
        except ValueError:
            return "json"
        return "jsonl"
    return "csv"


def _read_all(lines: Iterable[str], path: str) -> str:
    try:
        return "".join(lines)
    except UnicodeDecodeError:
        raise _whole_file("ticket.bad-encoding", f"'{path}' is not UTF-8 text", path) from None


# --- CSV ----------------------------------------------------------------------------------------


def _guess_delimiter(header_line: str) -> str:
    # Exports from a spreadsheet set to a European locale separate with ';', some with tabs.
    if "," not in header_line:
        for candidate in (";", "\t", "|"):
            if candidate in header_line:
                return candidate
    return ","


def _csv_rows(batch: Batch, lines: Iterator[str], header_line: str) -> Iterator[Ticket | Diagnostic]:
    """Checks the header now, and returns the generator of its rows."""
    path = batch.path
    # The default limit of 128 KiB per cell is below a long e-mail thread pasted into a ticket.
    # Raising a process-wide limit is harmless; lowering it would not be.
    if csv.field_size_limit() < _CELL_LIMIT:
        csv.field_size_limit(_CELL_LIMIT)
    reader = csv.reader(lines, delimiter=batch.mapping.delimiter or _guess_delimiter(header_line))
    try:
        header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    except (csv.Error, UnicodeDecodeError) as error:
        raise _csv_failure(error, path, reader.line_num + 1) from None
    if header is None:
        return iter(())
    names = [cell.strip() for cell in header]
    text_plan, plan, custom_plan = _csv_plan(batch, names, reader.line_num)
    return _csv_records(batch, reader, len(names), text_plan, plan, custom_plan)


def _csv_plan(batch: Batch, names: list[str], header_line: int) -> tuple[list, list, list]:
    """Which cell feeds which slot: text as it is, the rest through converters, and custom."""
    path = batch.path
    text_plan: list[tuple[int, int]] = []
    plan: list[tuple[int, int, object, Column]] = []
    custom_plan: list[tuple[int, str]] = []
    column_of_field: dict[str, str] = {}
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            continue
        if name in seen:
            raise _whole_file("ticket.duplicate-column", f"the column '{name}' appears twice in the header", path, header_line)
        seen.add(name)
        column = batch.column(name)
        if column.field is None or column.field == "custom":
            if column.slot != Column.DROP:
                custom_plan.append((index, name))
            continue
        if column.field in column_of_field:
            raise _whole_file("ticket.conflicting-columns",
                              f"the columns '{column_of_field[column.field]}' and '{name}' both give the field '{column.field}'",
                              path, header_line, help="ignore one of them in a mapping file")
        column_of_field[column.field] = name
        convert = for_text(column.convert)
        if convert is None:
            text_plan.append((index, column.slot))
        else:
            plan.append((index, column.slot, convert, column))
    for field in REQUIRED_FIELDS:
        if field not in column_of_field:
            close = suggest(field, [normalise_word(name) for name in names if name])
            original = next((name for name in names if name and normalise_word(name) == close), None)
            help = (f"the column '{original}' looks like it: rename it, or map it in a mapping file" if original
                    else f"map the export's column to '{field}' in a mapping file")
            raise _whole_file("ticket.missing-column", f"no column gives the field '{field}', which every ticket needs",
                              path, header_line, help=help)
    batch.column_of_field = column_of_field
    return text_plan, plan, custom_plan


def _csv_failure(error: Exception, path: str, line: int) -> DiagnosticError:
    if isinstance(error, UnicodeDecodeError):
        return _whole_file("ticket.bad-encoding", f"'{path}' is not UTF-8 text", path, line)
    return _whole_file("ticket.bad-csv", f"'{path}' is not readable CSV: {str(error).lower()}", path, line)


def _csv_records(batch: Batch, reader, width: int, text_plan: list, plan: list,
                 custom_plan: list) -> Iterator[Ticket | Diagnostic]:
    missing = batch.missing
    template = batch.template
    finish = batch.finish
    problem = batch.problem
    custom_slot = batch.custom_slot
    row_number = 0
    end_line = reader.line_num
    try:
        for row in reader:
            start_line, end_line = end_line + 1, reader.line_num
            if len(row) != width:
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > width:
                    # Even empty extra cells mean a row that is shifted and whose values would
                    # land in the wrong fields.
                    row_number += 1
                    yield batch.bad_row(row_number, start_line, len(row), width)
                    continue
                row += [""] * (width - len(row))
            row_number += 1
            values = template.copy()
            problems = None
            for index, slot in text_plan:
                raw = row[index].strip()
                if raw not in missing:
                    values[slot] = raw
            for index, slot, convert, column in plan:
                raw = row[index].strip()
                if raw in missing:
                    continue
                try:
                    values[slot] = convert(raw)
                except (ValueError, ArithmeticError, TypeError):
                    try:
                        values[slot] = column.convert(raw)
                    except (ValueError, ArithmeticError, TypeError) as error:
                        problems = problem(problems, column, raw, error)
            if values[0] is None and problems is None and not any(cell.strip() for cell in row):
                row_number -= 1  # a row of empty cells, as spreadsheets leave at the end
                continue
            if custom_plan:
                custom = {}
                for index, name in custom_plan:
                    raw = row[index].strip()
                    if raw not in missing:
                        custom[name] = raw
                values[custom_slot] = custom
            yield finish(values, problems, row_number, start_line)
    except (csv.Error, UnicodeDecodeError) as error:
        raise _csv_failure(error, batch.path, reader.line_num + 1) from None


# --- JSON, JSON Lines and YAML ---------------------------------------------------------------------


def _jsonl_rows(batch: Batch, lines: Iterable[str]) -> Iterator[Ticket | Diagnostic]:
    decode = _DECODER.decode
    from_object = batch.from_object
    row_number = 0
    line_number = 0
    try:
        for line_number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row_number += 1
            try:
                obj = decode(line)
            except json.JSONDecodeError as error:
                yield Diagnostic("ticket.bad-json", f"row {row_number}: not valid JSON: {_lower_first(error.msg)}",
                                 Span(batch.path, line_number, error.colno))
                continue
            except (ValueError, ArithmeticError):
                yield Diagnostic("ticket.bad-json", f"row {row_number}: {_NUMBER_TOO_BIG}", Span(batch.path, line_number, 1))
                continue
            yield from_object(obj, row_number, line_number)
    except UnicodeDecodeError:
        raise _whole_file("ticket.bad-encoding", f"'{batch.path}' is not UTF-8 text", batch.path, line_number + 1) from None


# What a JSON number with thousands of digits or an exponent beyond Decimal's range raises.
_NUMBER_TOO_BIG = "holds a number too large to read"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _json_objects(text: str, path: str) -> list[tuple[object, int, None]]:
    """Each ticket of a JSON array (or the one object) with the line it starts on.

    The array is walked element by element with ``raw_decode`` so that a ticket's line comes
    from the parser's own position rather than from a second pass over the text."""
    try:
        index = WHITESPACE.match(text, 0).end()
        if index == len(text):
            return []
        if text[index : index + 1] != "[":
            obj, end = _DECODER.raw_decode(text, index)
            _expect_end(text, end)
            if not isinstance(obj, dict):
                raise _whole_file("ticket.not-a-list", f"'{path}' must hold an array of tickets or one ticket", path)
            return [(obj, text.count("\n", 0, index) + 1, None)]
        objects = []
        line, counted_to = 1, 0
        index = WHITESPACE.match(text, index + 1).end()
        if text[index : index + 1] == "]":
            _expect_end(text, index + 1)
            return []
        while True:
            line += text.count("\n", counted_to, index)
            counted_to = index
            obj, index = _DECODER.raw_decode(text, index)
            objects.append((obj, line, None))
            index = WHITESPACE.match(text, index).end()
            separator = text[index : index + 1]
            if separator == "]":
                _expect_end(text, index + 1)
                return objects
            if separator != ",":
                raise json.JSONDecodeError("expecting ',' or ']' after a ticket", text, index)
            index = WHITESPACE.match(text, index + 1).end()
    except json.JSONDecodeError as error:
        raise _whole_file("ticket.bad-json",
                          f"'{path}' is not valid JSON: {_lower_first(error.msg)} at line {error.lineno}, column {error.colno}",
                          path, error.lineno, error.colno) from None
    except (ValueError, ArithmeticError):
        line = text.count("\n", 0, index) + 1
        raise _whole_file("ticket.bad-json", f"'{path}': the ticket at line {line}: {_NUMBER_TOO_BIG}", path, line) from None


def _expect_end(text: str, index: int) -> None:
    index = WHITESPACE.match(text, index).end()
    if index != len(text):
        raise json.JSONDecodeError("extra data after the tickets", text, index)


def _yaml_objects(text: str, path: str) -> list[tuple[object, int, object]]:
    data, source_map = load_yaml(text, path)
    if data is None:
        return []
    if isinstance(data, dict):
        return [(data, source_map.span_of(()).line, lambda key: source_map.span_of((key,)))]
    if not isinstance(data, list):
        raise _whole_file("ticket.not-a-list", f"'{path}' must hold a list of tickets", path)
    return [
        (item, source_map.span_of((index,)).line, lambda key, index=index: source_map.span_of((index, key)))
        for index, item in enumerate(data)
    ]


def _object_rows(batch: Batch, objects: list[tuple[object, int, object]]) -> Iterator[Ticket | Diagnostic]:
    from_object = batch.from_object
    for row_number, (obj, line, span_of) in enumerate(objects, 1):
        yield from_object(obj, row_number, line, span_of)


__all__ = ["FORMAT_OF_SUFFIX", "STDIN_NAME", "read_tickets"]
