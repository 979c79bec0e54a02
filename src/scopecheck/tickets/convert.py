"""Field converters: the functions, built once per input, that turn an export's value into the
value a ``Ticket`` holds.

In: a ticket field name, an optional unit (``hours``/``minutes`` for plain numbers meant as
durations) and the ``TicketMapping``. Out: a callable ``raw -> value``. ``raw`` is a trimmed,
non-missing CSV cell or a JSON/YAML value (str, int, Decimal, bool, list, dict). A value that
cannot be read raises ``ValueFormatError`` (``UnknownValue`` for one outside a closed set), whose
message is what the reader shows after ``field 'x':``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

from scopecheck.diagnostics import did_you_mean, suggest
from scopecheck.tickets.mapping import DEFAULT_MAPPING, TicketMapping, normalise_word
from scopecheck.tickets.model import MATERIAL_KINDS, TICKET_FIELDS, Material
from scopecheck.values import (
    ValueFormatError,
    duration_from_hours,
    parse_boolean,
    parse_datetime,
    parse_duration,
    parse_money,
    parse_number,
    parse_value,
)

Converter = Callable[[object], object]

# Exports repeat a handful of category names and durations; remembering them skips the parsing.
_CACHE_LIMIT = 4096
_MISS = object()
_fromisoformat = dt.datetime.fromisoformat


class UnknownValue(ValueFormatError):
    """A value outside a closed set, such as a category; ``help`` suggests the nearest one."""

    def __init__(self, message: str, help: str | None = None):
        super().__init__(message)
        self.help = help


def converter_for(field: str, unit: str | None = None, mapping: TicketMapping = DEFAULT_MAPPING) -> Converter:
    """The converter for one field as this mapping reads it."""
    field_type = TICKET_FIELDS[field].type
    if field_type.values is not None:
        convert = _enum(field_type.values)
    elif field_type.name == "duration":
        convert = _cached(_duration_in(unit) if unit else _duration)
    elif field_type.name == "datetime":
        convert = _strptime(mapping.date_format) if mapping.date_format else _datetime
    elif field_type.name == "boolean":
        convert = _cached(parse_boolean)
    elif field_type.name == "list":
        convert = materials
    elif field_type.is_text:
        convert = text
    else:
        convert = _cached(lambda raw: parse_value(raw, field_type))
    table = mapping.values.get(field)
    fallback = mapping.unmapped.get(field, _MISS)
    if table is None and fallback is _MISS:
        return convert
    return _cached(_with_values(convert, table or {}, fallback))


def value_target(field: str, value: object) -> object:
    """A mapping file's value for ``field`` (in ``values:`` or ``unmapped:``), read strictly."""
    return converter_for(field)(value.strip() if isinstance(value, str) else value)


def _with_values(convert: Converter, table: dict, fallback: object) -> Converter:
    def convert_mapped(raw: object) -> object:
        if raw.__class__ is str:
            mapped = table.get(raw.casefold(), _MISS)
            if mapped is not _MISS:
                return mapped
        if fallback is _MISS:
            return convert(raw)
        try:
            return convert(raw)
        except ValueFormatError:
            return fallback

    return convert_mapped


class _Memo(dict):
    """Results by input text; ``__missing__`` converts, so a hit never leaves C."""

    __slots__ = ("convert",)

    def __init__(self, convert: Converter):
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: str) -> object:
        value = self.convert(raw)
        if len(self) < _CACHE_LIMIT:
            self[raw] = value
        return value


def _cached(convert: Converter) -> Converter:
    lookup = _Memo(convert).__getitem__

    def convert_cached(raw: object) -> object:
        if raw.__class__ is str:
            return lookup(raw)
        return convert(raw)

    convert_cached.text_only = lookup  # type: ignore[attr-defined]
    return convert_cached


def for_text(convert: Converter) -> Converter | None:
    """The converter for input that is always a str, such as CSV cells: the memo lookup itself
    where there is one, and ``None`` for text fields, whose value is the cell as it is.

    It may be stricter than ``convert``: a value it refuses must be given to ``convert``, which
    either reads it after all or raises the error to show."""
    if convert is text:
        return None
    if convert is _datetime:
        return _fromisoformat  # whatever it refuses goes on to the full converter
    return getattr(convert, "text_only", convert)


def text(raw: object) -> str:
    if raw.__class__ is str:
        return raw
    if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
        return str(raw)
    raise ValueFormatError(f"expected text, found {_kind_of(raw)}")


def _kind_of(raw: object) -> str:
    if isinstance(raw, bool):
        return "true/false"
    if isinstance(raw, dict):
        return "an object"
    if isinstance(raw, list):
        return "a list"
    return f"'{raw}'"


def _enum(allowed: tuple[str, ...]) -> Converter:
    allowed_set = frozenset(allowed)

    def convert_enum(raw: object) -> str:
        if raw.__class__ is not str:
            raise ValueFormatError(f"expected one of {', '.join(allowed)}, found {_kind_of(raw)}")
        word = normalise_word(raw)
        if word in allowed_set:
            return word
        raise UnknownValue(f"'{raw}' is not one of {', '.join(allowed)}", did_you_mean(word, allowed))

    return _cached(convert_enum)


def _duration(raw: object) -> dt.timedelta:
    if raw.__class__ is not str:
        if isinstance(raw, (int, Decimal)) and not isinstance(raw, bool):
            raise ValueFormatError(f"'{raw}' has no unit (write it like 4h, 90m or 1h30m)")
        raise ValueFormatError(f"expected a duration like 4h or 1h30m, found {_kind_of(raw)}")
    try:
        return parse_duration(raw)
    except OverflowError:
        raise ValueFormatError(f"'{raw}' is too long a duration") from None


def _duration_in(unit: str) -> Converter:
    per_hour = 1 if unit == "hours" else 60

    def convert_number(raw: object) -> dt.timedelta:
        try:
            amount = parse_number(raw)
        except ValueFormatError:
            if raw.__class__ is str:  # a column of hours sometimes holds '1:30' or '90m'
                try:
                    return parse_duration(raw)
                except (ValueFormatError, OverflowError):
                    pass
            raise ValueFormatError(f"'{raw}' is not a number of {unit}") from None
        if isinstance(amount, Decimal) and not amount.is_finite():
            raise ValueFormatError(f"'{raw}' is not a number of {unit}")
        if amount < 0:
            raise ValueFormatError(f"'{raw}' is a negative number of {unit}")
        try:
            return duration_from_hours(Decimal(amount) / per_hour)
        except (OverflowError, ArithmeticError):
            raise ValueFormatError(f"'{raw}' {unit} is too long a duration") from None

    return convert_number


def _datetime(raw: object) -> dt.datetime:
    if raw.__class__ is str:
        try:
            return _fromisoformat(raw)
        except ValueError:
            pass
    elif isinstance(raw, (dict, list)):
        raise ValueFormatError(f"expected a date and time, found {_kind_of(raw)}")
    return parse_datetime(raw)


def materials(raw: object) -> tuple[Material, ...]:
    """A list of material objects (JSON, YAML) or the CSV text ``part: 1TB SSD = $120; ...``."""
    if raw.__class__ is str:
        return tuple(material_from_text(item.strip()) for item in raw.split(";") if item.strip())
    if isinstance(raw, list):
        return tuple(_material_from_object(item, number) for number, item in enumerate(raw, 1))
    raise ValueFormatError(f"expected a list of materials, found {_kind_of(raw)}")


_MATERIAL_TEXT = re.compile(r"(?P<kind>[^:=]+):(?P<description>.*)=(?P<cost>[^=]+?)(?:\s+[xX×]\s*(?P<quantity>\S+))?")
_KIND_SPELLINGS = {"licence": "license", "licenses": "license", "licences": "license", "parts": "part"}


def material_from_text(item: str) -> Material:
    match = _MATERIAL_TEXT.fullmatch(item)
    if not match or not match["description"].strip():
        raise ValueFormatError(
            f"'{item}' is not a material (write it like 'part: 1TB SSD = $120' or 'freight: courier = $15 x 2')"
        )
    where = f"material '{item}'"
    return Material(
        match["description"].strip(),
        _material_kind(match["kind"], where),
        _material_cost(match["cost"], where),
        _material_quantity(match["quantity"], where) if match["quantity"] else 1,
    )


def _material_from_object(item: object, number: int) -> Material:
    where = f"material {number}"
    if not isinstance(item, dict):
        raise ValueFormatError(f"{where}: expected an object with description, kind and cost, found {_kind_of(item)}")
    unknown = set(item) - set(Material._fields)
    if unknown:
        key = sorted(unknown)[0]
        error = ValueFormatError(f"{where}: unknown key '{key}'")
        error.help = did_you_mean(key, Material._fields) or f"a material has {', '.join(Material._fields)}"
        raise error
    for required in ("description", "kind", "cost"):
        if item.get(required) in (None, ""):
            raise ValueFormatError(f"{where}: '{required}' is missing")
    quantity = item.get("quantity")
    return Material(
        text(item["description"]).strip() if isinstance(item["description"], str) else text(item["description"]),
        _material_kind(item["kind"], where),
        _material_cost(item["cost"], where),
        1 if quantity in (None, "") else _material_quantity(quantity, where),
    )


def _material_kind(raw: object, where: str) -> str:
    word = normalise_word(raw) if isinstance(raw, str) else ""
    word = _KIND_SPELLINGS.get(word, word)
    if word not in MATERIAL_KINDS:
        hint = suggest(word, MATERIAL_KINDS)
        raise UnknownValue(f"{where}: kind '{raw}' is not one of {', '.join(MATERIAL_KINDS)}",
                           f"did you mean '{hint}'?" if hint else None)
    return word


def _material_cost(raw: object, where: str) -> Decimal:
    try:
        amount = parse_money(raw.strip() if isinstance(raw, str) else raw).amount
    except ValueFormatError as error:
        raise ValueFormatError(f"{where}: {error}") from None
    if not amount.is_finite():
        raise ValueFormatError(f"{where}: '{raw}' is not an amount of money")
    return amount


def _material_quantity(raw: object, where: str) -> int | Decimal:
    try:
        quantity = parse_number(raw)
    except ValueFormatError:
        raise ValueFormatError(f"{where}: quantity '{raw}' is not a number") from None
    if (isinstance(quantity, Decimal) and not quantity.is_finite()) or quantity <= 0:
        raise ValueFormatError(f"{where}: quantity '{raw}' must be more than 0")
    return quantity


# --- date formats ------------------------------------------------------------------------------

# strptime takes ~10µs a value; a regex compiled from the same format takes a fraction of that.
# These mirror the patterns of CPython's _strptime so that both accept the same text.
_DIRECTIVES = {
    "Y": r"(\d{4})",
    "y": r"(\d\d)",
    "m": r"(1[0-2]|0[1-9]|[1-9])",
    "d": r"(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])",
    "H": r"(2[0-3]|[0-1]\d|\d)",
    "I": r"(1[0-2]|0[1-9]|[1-9])",
    "M": r"([0-5]\d|\d)",
    "S": r"(6[0-1]|[0-5]\d|\d)",
    "p": r"([AaPp][Mm])",
}


def _strptime(date_format: str) -> Converter:
    compiled = _compile_date_format(date_format)
    example = dt.datetime(2026, 3, 2, 14, 30).strftime(date_format)

    def slow(raw: object) -> dt.datetime:
        if raw.__class__ is str:
            try:
                return dt.datetime.strptime(raw, date_format)
            except ValueError:
                pass
            try:  # exports that mostly use their own format sometimes carry ISO dates
                return _fromisoformat(raw)
            except ValueError:
                pass
        raise ValueFormatError(f"'{raw}' is not a date and time in the form '{date_format}' (like '{example}')")

    if compiled is None:
        return slow
    pattern, order = compiled
    match_of = pattern.fullmatch
    # Groups absent from the format read from these defaults, strptime's own, appended after
    # the matched groups, so that every part is found by a fixed index.
    defaults = ("1900", "1", "1", "0", "0", "0")

    def index_of(directive: str, default: int) -> int:
        return order.index(directive) if directive in order else len(order) + default

    year_at, month_at, day_at = index_of("Y", 0), index_of("m", 1), index_of("d", 2)
    hour_at = index_of("I" if "I" in order else "H", 3)
    minute_at, second_at = index_of("M", 4), index_of("S", 5)
    short_year_at = order.index("y") if "y" in order else None
    twelve_hour = "I" in order
    pm_at = order.index("p") if "p" in order else None
    datetime = dt.datetime

    def fast(raw: object) -> dt.datetime:
        match = match_of(raw) if raw.__class__ is str else None
        if match is None:
            return slow(raw)
        parts = match.groups() + defaults
        hour = int(parts[hour_at])
        if twelve_hour:
            hour = hour % 12 + (12 if pm_at is not None and parts[pm_at][0] in "Pp" else 0)
        if short_year_at is None:
            year = int(parts[year_at])
        else:
            year = int(parts[short_year_at])
            year += 1900 if year >= 69 else 2000
        try:
            return datetime(year, int(parts[month_at]), int(parts[day_at]), hour, int(parts[minute_at]), int(parts[second_at]))
        except ValueError:
            return slow(raw)

    return fast


def _compile_date_format(date_format: str) -> tuple[re.Pattern[str], tuple[str, ...]] | None:
    """A regex and its groups' directives, or ``None`` when the format needs strptime itself."""
    pieces, order, index = [], [], 0
    while index < len(date_format):
        char = date_format[index]
        if char == "%":
            directive = date_format[index + 1 : index + 2]
            if directive == "%":
                pieces.append("%")
            elif directive in _DIRECTIVES and directive not in order:
                pieces.append(_DIRECTIVES[directive])
                order.append(directive)
            else:
                return None
            index += 2
            continue
        pieces.append(r"\s+" if char.isspace() else re.escape(char))
        index += 1
    if "p" in order and "I" not in order:
        return None
    return re.compile("".join(pieces), re.IGNORECASE), tuple(order)

