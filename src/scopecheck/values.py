"""Values of the rule language: their types, and how they are read from text and written back.

One module serves the parser (literals such as ``4h``, ``$150``, ``10%``), the agreement loader
(``project_threshold: 6h``), the ticket reader (``estimate: 1:30``) and every place that shows a
value to a person, so that a value reads the same wherever it appears.

Runtime representations (chosen so that no float ever touches money):
    number -> int or Decimal      duration -> datetime.timedelta   money -> Decimal
    percent -> Decimal fraction   date -> datetime.date            datetime -> datetime.datetime
    time -> datetime.time         text -> str   boolean -> bool     list -> tuple
A missing value is ``None`` everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from scopecheck.memo import Memo
from scopecheck.record import record


@record
class Type:
    """A static type. ``item`` for lists, ``values`` for enums (text with known values),
    ``fields`` for records such as a material line."""

    name: str
    item: Type | None = None
    values: tuple[str, ...] | None = None
    fields: tuple[tuple[str, Type], ...] | None = None

    def __str__(self) -> str:
        if self.name == "list":
            return f"list[{self.item}]"
        return self.name

    @property
    def is_text(self) -> bool:
        return self.name == "text"

    def field(self, name: str) -> Type | None:
        return dict(self.fields or ()).get(name)


NUMBER = Type("number")
TEXT = Type("text")
BOOLEAN = Type("boolean")
DURATION = Type("duration")
MONEY = Type("money")
PERCENT = Type("percent")
DATE = Type("date")
DATETIME = Type("datetime")
TIME = Type("time")
ANY = Type("any")

SCALAR_TYPES = {t.name: t for t in (NUMBER, TEXT, BOOLEAN, DURATION, MONEY, PERCENT, DATE, DATETIME, TIME)}


def list_of(item: Type) -> Type:
    return Type("list", item=item)


def enum_of(values: tuple[str, ...]) -> Type:
    """Text that can only take ``values``; it compares and prints as text."""
    return Type("text", values=tuple(values))


def record_of(fields: dict[str, Type]) -> Type:
    return Type("record", fields=tuple(fields.items()))


class ValueFormatError(ValueError):
    """Text that is not a value of the expected type; the message says what was expected."""


# --- durations -------------------------------------------------------------------------------

_UNIT_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhm])")
_COMPACT_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[dhm])+")
_CLOCK_DURATION = re.compile(r"(\d+):([0-5]\d)")
_ISO_DURATION = re.compile(r"P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?)?")
_MINUTES_PER_UNIT = {"d": 24 * 60, "h": 60, "m": 1}


def parse_duration(text: str) -> dt.timedelta:
    """``4h``, ``90m``, ``1h30m``, ``1.5h``, ``2d`` (24 hours), ``1:30`` or ISO 8601 ``PT1H30M``."""
    if isinstance(text, dt.timedelta):
        return text
    if not isinstance(text, str):
        raise ValueFormatError(f"'{text}' has no unit (write it like 4h, 90m or 1h30m)")
    if text.strip().startswith("-"):
        raise ValueFormatError(f"'{text.strip()}' is negative; a length of time is 0 or more")
    try:
        return _read_duration(text)
    except OverflowError:
        raise ValueFormatError(f"'{text}' is too long a duration") from None


def _read_duration(text: str) -> dt.timedelta:
    compact = text.strip().replace(" ", "")
    if _COMPACT_DURATION.fullmatch(compact):
        minutes = sum(Decimal(amount) * _MINUTES_PER_UNIT[unit] for amount, unit in _UNIT_DURATION.findall(compact))
        return _minutes(minutes)
    if match := _CLOCK_DURATION.fullmatch(compact):
        return dt.timedelta(hours=int(match[1]), minutes=int(match[2]))
    if (match := _ISO_DURATION.fullmatch(compact.upper())) and compact.upper() not in ("P", "PT"):
        days, hours, minutes = (Decimal(part or 0) for part in match.groups())
        return _minutes(days * 24 * 60 + hours * 60 + minutes)
    raise ValueFormatError(f"'{text}' is not a duration (write it like 4h, 90m or 1h30m)")


def _minutes(minutes: Decimal) -> dt.timedelta:
    # Whole seconds keep durations exact when they are later turned into Decimal hours.
    return dt.timedelta(seconds=int((minutes * 60).to_integral_value()))


def duration_from_hours(hours: Decimal | int) -> dt.timedelta:
    return _minutes(Decimal(hours) * 60)


def hours_of(duration: dt.timedelta) -> Decimal:
    """Exact hours as a Decimal, for pricing."""
    seconds = duration.days * 86400 + duration.seconds
    return Decimal(seconds) / Decimal(3600)


# Values formatted before, by value: reasons and reports show the same few durations and
# currencies over and over. Bounded, so that a long run keeps its memory flat.
_FORMATS_REMEMBERED = 4096
_formatted_durations: Memo = Memo(_FORMATS_REMEMBERED)


def format_duration(duration: dt.timedelta) -> str:
    """The language's own spelling: ``4h``, ``90m`` reads ``1h30m``, zero reads ``0m``."""
    if type(duration) is not dt.timedelta:
        return _format_duration(duration)
    text = _formatted_durations.get(duration)
    return text if text is not None else _formatted_durations.keep(duration, _format_duration(duration))


def _format_duration(duration: dt.timedelta) -> str:
    total_seconds = duration.days * 86400 + duration.seconds
    sign = "-" if total_seconds < 0 else ""
    minutes, seconds = divmod(abs(total_seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours}h")
    if minutes or seconds or not hours:
        fraction = f"{Decimal(seconds) / 60:.2f}".lstrip("0").rstrip("0").rstrip(".") if seconds else ""
        parts.append(f"{minutes}{fraction}m")
    return sign + "".join(parts)


# --- money and percentages --------------------------------------------------------------------

CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP"}
_SYMBOL_OF = {code: symbol for symbol, code in CURRENCY_SYMBOLS.items()}
# ISO 4217 currencies whose minor unit is not the cent (list 1, 2024); every other code has 2.
MINOR_UNITS = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}
_MONEY = re.compile(r"([$€£])?\s*(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?)\s*([A-Z]{3})?")


@record
class Money:
    """An amount with the currency its text named (``None`` when it named none)."""

    amount: Decimal
    currency: str | None


def parse_money(text: str | int | Decimal) -> Money:
    """``$150``, ``$1,500.00``, ``150``, ``150.00 EUR``, ``€20``."""
    if isinstance(text, (int, Decimal)) and not isinstance(text, bool):
        return Money(Decimal(text), None)
    match = _MONEY.fullmatch(str(text).strip())
    if not match or (match[1] and match[3]):
        raise ValueFormatError(f"'{text}' is not an amount of money (write it like $150 or 150.00)")
    currency = CURRENCY_SYMBOLS[match[1]] if match[1] else match[3]
    return Money(Decimal(match[2].replace(",", "")), currency)


def minor_unit(currency: str) -> Decimal:
    """The smallest amount the currency is invoiced in: 0.01 for USD, 1 for JPY."""
    return _money_style(currency)[0]


# How each currency is written, worked out once per currency: its minor unit, the format of the
# amount, and what goes before and after it (``$`` and nothing, or nothing and `` CHF``).
_money_styles: Memo = Memo(_FORMATS_REMEMBERED)


def _money_style(currency: str) -> tuple[Decimal, str, str, str]:
    style = _money_styles.get(currency)
    if style is None:
        places = MINOR_UNITS.get(currency, 2)
        symbol = _SYMBOL_OF.get(currency)
        before, after = (symbol, "") if symbol else ("", f" {currency}")
        style = _money_styles.keep(currency, (Decimal(1).scaleb(-places), f",.{places}f", before, after))
    return style


def format_money(amount: Decimal, currency: str) -> str:
    """``$1,500.00`` for currencies with a symbol, ``1,500.00 CHF`` otherwise."""
    quantum, spec, before, after = _money_styles.get(currency) or _money_style(currency)
    text = before + format(abs(amount.quantize(quantum)), spec) + after
    return "-" + text if amount < 0 else text


def parse_percent(text: str | int | Decimal) -> Decimal:
    """``10%`` (or a bare ``10``) is the fraction 0.10."""
    raw = str(text).strip()
    number = raw[:-1].strip() if raw.endswith("%") else raw
    try:
        fraction = Decimal(number) / 100
    except InvalidOperation:
        fraction = None
    if fraction is None or not fraction.is_finite():
        raise ValueFormatError(f"'{text}' is not a percentage (write it like 10%)")
    return fraction


def format_percent(fraction: Decimal) -> str:
    text = f"{(fraction * 100).normalize():f}"
    return f"{text}%"


def parse_number(text: str | int | Decimal) -> int | Decimal:
    if isinstance(text, bool):
        raise ValueFormatError(f"'{text}' is not a number")
    if isinstance(text, (int, Decimal)):
        return text
    raw = str(text).strip().replace(",", "")
    try:
        number = int(raw) if re.fullmatch(r"-?\d+", raw) else Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or (isinstance(number, Decimal) and not number.is_finite()):
        raise ValueFormatError(f"'{text}' is not a number")
    return number


def format_number(number: int | Decimal) -> str:
    if isinstance(number, Decimal):
        return f"{number.normalize():f}"
    return str(number)


# --- calendar values --------------------------------------------------------------------------


def parse_date(text: str | dt.date) -> dt.date:
    if isinstance(text, dt.datetime):
        return text.date()
    if isinstance(text, dt.date):
        return text
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueFormatError(f"'{text}' is not a date (write it like 2026-11-21)") from None


def parse_datetime(text: str | dt.datetime) -> dt.datetime:
    """ISO 8601 with or without an offset; without one the time is local to the agreement."""
    if isinstance(text, dt.datetime):
        return text
    if isinstance(text, dt.date):
        return dt.datetime(text.year, text.month, text.day)
    try:
        return dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueFormatError(f"'{text}' is not a date and time (write it like 2026-11-21T09:30)") from None


def parse_time(text: str | dt.time) -> dt.time:
    if isinstance(text, dt.time):
        return text
    try:
        return dt.time.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueFormatError(f"'{text}' is not a time of day (write it like 08:30)") from None


def parse_boolean(text: str | bool) -> bool:
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("true", "yes", "y", "1"):
        return True
    if lowered in ("false", "no", "n", "0"):
        return False
    raise ValueFormatError(f"'{text}' is not true or false")


def parse_text(text: object) -> str:
    if isinstance(text, (dict, list)):
        raise ValueFormatError("expected text, found a structure")
    return str(text)


PARSERS = {
    "number": parse_number,
    "text": parse_text,
    "boolean": parse_boolean,
    "duration": parse_duration,
    "money": lambda text: parse_money(text).amount,
    "percent": parse_percent,
    "date": parse_date,
    "datetime": parse_datetime,
    "time": parse_time,
}


def parse_value(text: object, type_: Type) -> object:
    """Read ``text`` as a value of a scalar ``type_``; enums also check the value is allowed."""
    value = PARSERS[type_.name](text)
    if type_.values is not None:
        lowered = str(value).strip().lower()
        if lowered not in type_.values:
            raise ValueFormatError(f"'{text}' is not one of {', '.join(type_.values)}")
        value = lowered
    return value


def format_value(value: object, type_: Type, currency: str = "USD") -> str:
    """How a value reads to a person, e.g. inside a rule's ``because`` text."""
    return formatter_for(type_, currency)(value)


def formatter_for(type_: Type, currency: str = "USD") -> Callable[[object], str]:
    """``format_value`` with the type and currency fixed: what a rule's ``because`` text calls
    for each value it shows, without finding the way to write the type every time."""
    name = type_.name
    if name == "duration":
        write = format_duration
    elif name == "money":
        write = lambda amount: format_money(amount, currency)  # noqa: E731
    elif name in _FORMATTERS:
        write = _FORMATTERS[name]
    elif name == "list":
        write_item = formatter_for(type_.item or ANY, currency)
        write = lambda items: ", ".join(write_item(item) for item in items)  # noqa: E731
    else:
        write = str

    def show(value: object) -> str:
        return "(missing)" if value is None else write(value)

    return show


# How values of the types that need no currency read, by type name.
_FORMATTERS = {
    "percent": format_percent,
    "number": format_number,
    "boolean": lambda value: "yes" if value else "no",
    "datetime": lambda value: value.isoformat(sep=" ", timespec="minutes"),
    "time": lambda value: value.strftime("%H:%M"),
}
