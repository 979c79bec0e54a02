"""Mapping files: how one PSA's ticket export is read as scopecheck tickets.

In: a YAML mapping file (its shape is in ``schemas/mapping.schema.json`` and docs/tickets.md).
Out: a frozen ``TicketMapping`` that tells the reader which export column fills which ticket
field, how the export writes dates, missing values and its own category names.
``load_mapping`` raises ``DiagnosticError`` with the line and column of anything wrong.

Without a mapping the reader still understands the ticket field names themselves (in any case,
with spaces or hyphens for underscores) and a few common aliases such as ``estimated_hours``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from scopecheck.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from scopecheck.record import field, record
from scopecheck.tickets.model import TICKET_FIELDS
from scopecheck.yamlsource import SourceMap, load_yaml

FORMATS = ("csv", "json", "jsonl", "yaml")
DURATION_UNITS = ("hours", "minutes")


def normalise_word(text: str) -> str:
    """A column name or a value as one word: ``Opened At`` and ``opened-at`` both read
    ``opened_at``, ``Act of God`` reads ``act_of_god``."""
    return text.strip().lower().replace(" ", "_").replace("-", "_")


@record
class ColumnTarget:
    """The ticket field a column fills; ``unit`` says a plain number there counts hours or minutes."""

    field: str
    unit: str | None = None


# Spellings that exports and hand-written files use for durations kept as plain numbers.
BUILTIN_ALIASES: Mapping[str, ColumnTarget] = MappingProxyType(
    {
        "estimated_hours": ColumnTarget("estimate", "hours"),
        "estimate_hours": ColumnTarget("estimate", "hours"),
        "estimate_minutes": ColumnTarget("estimate", "minutes"),
        "hours_spent": ColumnTarget("time_spent", "hours"),
        "time_spent_hours": ColumnTarget("time_spent", "hours"),
        "time_spent_minutes": ColumnTarget("time_spent", "minutes"),
    }
)

# Fields a mapping may fill from a column; ``custom`` is filled by every column nobody claims.
MAPPABLE_FIELDS = tuple(name for name in TICKET_FIELDS if name != "custom")


@record(slots=False)
class TicketMapping:
    """What a mapping file says; the default instance reads the canonical field names."""

    format: str | None = None
    delimiter: str | None = None
    columns: Mapping[str, ColumnTarget] = field(default_factory=dict)
    missing: tuple[str, ...] = ("",)
    date_format: str | None = None
    # field -> the export's value, lower-cased -> our value, already converted to the field's type
    values: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    unmapped: Mapping[str, object] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    path: str | None = None

    # Derived once so that resolving a column costs a dict lookup or two.
    _folded: Mapping[str, ColumnTarget] = field(init=False, repr=False, compare=False)
    _claimed: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        folded = {name.strip().casefold(): target for name, target in self.columns.items()}
        object.__setattr__(self, "_folded", folded)
        object.__setattr__(self, "_claimed", frozenset(target.field for target in self.columns.values()))

    def is_ignored(self, column: str) -> bool:
        return column in self.ignore or column.strip() in self.ignore

    def target(self, column: str) -> ColumnTarget | None:
        """The field ``column`` fills, or ``None`` when it belongs in ``custom``."""
        explicit = self.columns.get(column) or self._folded.get(column.strip().casefold())
        if explicit is not None:
            return explicit
        name = normalise_word(column)
        builtin = BUILTIN_ALIASES.get(name) or (ColumnTarget(name) if name in TICKET_FIELDS else None)
        # A mapping that sends some column to a field takes that field over: an unlisted column
        # that merely shares the field's name is kept as the export's own data.
        if builtin is None or builtin.field in self._claimed:
            return None
        return builtin


DEFAULT_MAPPING = TicketMapping()


# --- loading ------------------------------------------------------------------------------------


@cache
def _schema_validator():
    # Imported here: only a run given a mapping file needs jsonschema, and importing it is a
    # good part of the start-up of a short run.
    from importlib import resources

    from jsonschema import Draft202012Validator

    text = resources.files("scopecheck.schemas").joinpath("mapping.schema.json").read_text(encoding="utf-8")
    return Draft202012Validator(json.loads(text))


def load_mapping(path: str) -> TicketMapping:
    """Read and check a mapping file; every problem found is raised together."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise DiagnosticError([Diagnostic("mapping.unreadable", f"cannot read the mapping '{path}': {reason}")]) from None
    except UnicodeDecodeError:
        raise DiagnosticError([Diagnostic("mapping.unreadable", f"the mapping '{path}' is not UTF-8 text")]) from None
    data, source_map = load_yaml(text, path)
    if not isinstance(data, dict):
        raise DiagnosticError(
            [Diagnostic("mapping.invalid", "a mapping file is a set of keys such as 'columns:'", source_map.span_of(()))]
        )
    problems = _structure_problems(data, source_map)
    if problems:
        raise DiagnosticError(problems)
    checker = _MeaningChecker(data, source_map)
    mapping = checker.build(path)
    if checker.problems:
        raise DiagnosticError(checker.problems)
    return mapping


def _structure_problems(data: dict, source_map: SourceMap) -> list[Diagnostic]:
    problems = []
    for error in sorted(_schema_validator().iter_errors(data), key=lambda e: tuple(map(str, e.absolute_path))):
        where = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                problems.append(
                    Diagnostic(
                        "mapping.unknown-key",
                        f"unknown key '{key}'" + (f" in '{where[-1]}'" if where else ""),
                        source_map.span_of(where + (key,), key=True),
                        help=did_you_mean(key, allowed) or f"the keys allowed here are {', '.join(allowed)}",
                    )
                )
            continue
        problems.append(Diagnostic("mapping.invalid", _describe(error, where), source_map.span_of(where)))
    return problems


_TYPE_WORDS = {"string": "text", "object": "a set of keys", "array": "a list", "boolean": "true or false"}


def _describe(error, where: tuple) -> str:
    name = f"'{where[-1]}'" if where and isinstance(where[-1], str) else "this value"
    if len(where) == 2 and where[0] == "columns":
        name = f"the column '{where[1]}'"
    match error.validator:
        case "type":
            expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
            words = " or ".join(_TYPE_WORDS.get(word, word) for word in expected)
            if len(where) == 2 and where[0] == "columns":
                return f"{name} must name a ticket field, or be {{field: ..., unit: hours}}"
            return f"{name} must be {words}"
        case "enum":
            return f"{name} must be one of {', '.join(map(str, error.validator_value))}, not '{error.instance}'"
        case "required":
            return f"{name} needs a 'field'"
        case "minLength" | "maxLength" if where and where[-1] == "delimiter":
            return "'delimiter' must be exactly one character"
        case "minLength":
            return f"{name} must not be empty"
    return f"{name}: {error.message}"


class _MeaningChecker:
    """The checks a schema cannot express: field names, units, values, the date format."""

    def __init__(self, data: dict, source_map: SourceMap):
        self.data = data
        self.source_map = source_map
        self.problems: list[Diagnostic] = []

    def problem(self, code: str, message: str, where: tuple, *, key: bool = False, help: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, self.source_map.span_of(where, key=key), help=help))

    def known_field(self, name: str, where: tuple, *, key: bool = False) -> bool:
        if name in MAPPABLE_FIELDS:
            return True
        if name == "custom":
            self.problem("mapping.unknown-field", "'custom' is filled by every column not mapped to a field", where, key=key,
                         help="leave the column out of 'columns' and it lands in custom under its own name")
            return False
        self.problem("mapping.unknown-field", f"'{name}' is not a ticket field", where, key=key,
                     help=did_you_mean(name, MAPPABLE_FIELDS) or f"the ticket fields are {', '.join(MAPPABLE_FIELDS)}")
        return False

    def build(self, path: str) -> TicketMapping:
        from scopecheck.tickets.convert import value_target  # the converters need this module

        data = self.data
        columns: dict[str, ColumnTarget] = {}
        for column, spec in (data.get("columns") or {}).items():
            target = ColumnTarget(spec) if isinstance(spec, str) else ColumnTarget(spec["field"], spec.get("unit"))
            where = ("columns", column) if isinstance(spec, str) else ("columns", column, "field")
            if not self.known_field(target.field, where):
                continue
            if target.unit and TICKET_FIELDS[target.field].type.name != "duration":
                self.problem("mapping.bad-unit", f"'{target.field}' is not a duration, so it takes no unit",
                             ("columns", column, "unit"))
                continue
            columns[column] = target
        ignore = frozenset(data.get("ignore") or ())
        for index, column in enumerate(data.get("ignore") or ()):
            if column in columns:
                self.problem("mapping.conflict", f"the column '{column}' is both mapped and ignored", ("ignore", index))
        date_format = data.get("date_format")
        if date_format is not None:
            self.check_date_format(date_format)
        values: dict[str, dict[str, object]] = {}
        for field_name, table in (data.get("values") or {}).items():
            if not self.known_field(field_name, ("values", field_name), key=True):
                continue
            values[field_name] = {}
            for export_value, ours in table.items():
                try:
                    values[field_name][str(export_value).strip().casefold()] = value_target(field_name, ours)
                except ValueError as error:
                    self.problem("mapping.unknown-value", f"values for '{field_name}': {error}",
                                 ("values", field_name, export_value), help=getattr(error, "help", None))
        unmapped: dict[str, object] = {}
        for field_name, ours in (data.get("unmapped") or {}).items():
            if not self.known_field(field_name, ("unmapped", field_name), key=True):
                continue
            field_type = TICKET_FIELDS[field_name].type
            if field_type.values is None and field_type.name != "boolean":
                self.problem("mapping.invalid", f"'{field_name}' has no fixed set of values, so 'unmapped' cannot apply to it",
                             ("unmapped", field_name), key=True)
                continue
            try:
                unmapped[field_name] = value_target(field_name, ours)
            except ValueError as error:
                self.problem("mapping.unknown-value", f"unmapped '{field_name}': {error}", ("unmapped", field_name),
                             help=getattr(error, "help", None))
        fmt = data.get("format")
        if data.get("delimiter") is not None and fmt not in (None, "csv"):
            self.problem("mapping.invalid", f"'delimiter' only applies to csv, and the format is '{fmt}'", ("delimiter",), key=True)
        return TicketMapping(
            format=fmt,
            delimiter=data.get("delimiter"),
            columns=MappingProxyType(columns),
            missing=tuple(dict.fromkeys(["", *(item.strip() for item in data.get("missing") or ())])),
            date_format=date_format,
            values=MappingProxyType({name: MappingProxyType(table) for name, table in values.items()}),
            unmapped=MappingProxyType(unmapped),
            ignore=ignore,
            path=path,
        )

    def check_date_format(self, date_format: str) -> None:
        sample = dt.datetime(2026, 11, 21, 9, 30)
        try:
            # The round trip catches directives strptime does not know, such as '%Q'.
            dt.datetime.strptime(sample.strftime(date_format), date_format)
        except ValueError as error:
            self.problem("mapping.bad-date-format", f"'{date_format}' is not a usable date format: {str(error).lower()}",
                         ("date_format",), help="write it with strptime codes, like %m/%d/%Y %I:%M %p")
            return
        if "%" not in date_format:
            self.problem("mapping.bad-date-format", f"'{date_format}' has no strptime codes such as %Y or %d",
                         ("date_format",), help="write it with strptime codes, like %m/%d/%Y %I:%M %p")
