"""The fixed set of built-in functions a rule may call; nothing else reaches Python.

Each entry gives the checker a way to type a call (``result``) and the evaluator the function
to run (``run``). Every function answers ``None`` (missing) when an argument it needs is
missing, so a missing field never crashes a rule.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from decimal import Decimal

from scopecheck.record import record
from scopecheck.values import ANY, BOOLEAN, DATE, DATETIME, DURATION, MONEY, NUMBER, TEXT, TIME, Type, hours_of, list_of

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@record
class Builtin:
    name: str
    signature: str
    description: str
    arity: tuple[int, int]  # fewest and most arguments
    result: Callable[[Sequence[Type]], Type | str]  # a type, or a message saying what is wrong
    run: Callable[..., object]
    passes_missing: bool = False  # True when the function itself decides what missing means
    # True when ``run`` takes the agreement's ``BusinessCalendar`` first; the compiler binds it
    # (``bound_to``), so a rule's call names only the values it is about.
    uses_calendar: bool = False
    # For a function that asks the calendar one thing about one value: the calendar's method.
    calendar_method: str | None = None

    def bound_to(self, calendar: object) -> Callable[..., object]:
        """``run`` with the agreement's calendar given, for a function that ``uses_calendar``.

        A function that asks the calendar one thing calls the calendar's method directly, as
        ``in_business_hours(ticket.opened_at)`` is asked for every ticket.
        """
        if self.calendar_method is None or calendar is None:
            return functools.partial(self.run, calendar)
        return _optional_one(getattr(calendar, self.calendar_method))


def _expect(*wanted: Type) -> Callable[[Sequence[Type]], Type | str]:
    """A typing rule for functions with one fixed signature; the last type is the result."""
    *arguments, result = wanted

    def check(actual: Sequence[Type]) -> Type | str:
        for position, (want, got) in enumerate(zip(arguments, actual), start=1):
            if got.name == "any":
                continue
            items_differ = want.name == "list" and want.item != ANY and got.item and got.item.name not in (want.item.name, "any")
            if got.name != want.name or items_differ:
                return f"argument {position} must be {want}, found {got}"
        return result

    return check


def _same_type(actual: Sequence[Type]) -> Type | str:
    known = [t for t in actual if t.name != "any"]
    if len({t.name for t in known}) > 1:
        return "all arguments must have the same type, found " + ", ".join(sorted({t.name for t in known}))
    return known[0] if known else ANY


def _same_orderable(actual: Sequence[Type]) -> Type | str:
    result = _same_type(actual)
    if isinstance(result, Type) and result.name in ("boolean", "list", "record"):
        return f"values of type {result} cannot be ordered"
    return result


def _day_typed(result: Type) -> Callable[[Sequence[Type]], Type | str]:
    def check(actual: Sequence[Type]) -> Type | str:
        if actual[0].name in ("date", "datetime", "any"):
            return result
        return f"the argument must be a date or a moment, found {actual[0]}"

    return check


def material_costs(materials) -> Decimal | None:
    if materials is None:
        return None
    return sum((Decimal(item.cost) * Decimal(item.quantity) for item in materials), Decimal(0))


_FAILED = (TypeError, ValueError, ArithmeticError)


def _optional(function: Callable[..., object]) -> Callable[..., object]:
    def run(*args: object) -> object:
        # ``in`` rules out a missing argument quickly; ``is`` decides when it may be one.
        if None in args and any(arg is None for arg in args):
            return None
        try:
            return function(*args)
        except _FAILED:
            return None

    run.__name__ = function.__name__
    return run


def _asks_calendar(method: str) -> Callable[[object, object], object]:
    """``run`` of a function that asks the agreement's calendar its ``method`` about one value."""

    def run(calendar: object, value: object) -> object:
        if calendar is None or value is None:
            return None
        try:
            return getattr(calendar, method)(value)
        except _FAILED:
            return None

    run.__name__ = method
    return run


def _optional_one(function: Callable[[object], object]) -> Callable[[object], object]:
    """``_optional`` for a function of one value, without the generality."""

    def run(value: object) -> object:
        if value is None:
            return None
        try:
            return function(value)
        except _FAILED:
            return None

    run.__name__ = function.__name__
    return run


def _calendar_question(method: str, signature: str, description: str, result: Callable[[Sequence[Type]], Type | str]) -> Builtin:
    """A function that asks the agreement's calendar one thing, named as the calendar's method."""
    return Builtin(method, signature, description, (1, 1), result, _asks_calendar(method), uses_calendar=True, calendar_method=method)


def _minutes(duration: dt.timedelta) -> Decimal:
    return hours_of(duration) * 60


def _days_between(first: dt.date, second: dt.date) -> int:
    if isinstance(first, dt.datetime):
        first = first.date()
    if isinstance(second, dt.datetime):
        second = second.date()
    return (second - first).days


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in (
        Builtin("hours", "hours(duration) -> number", "the duration in hours, e.g. hours(90m) is 1.5",
                (1, 1), _expect(DURATION, NUMBER), _optional(hours_of)),
        Builtin("minutes", "minutes(duration) -> number", "the duration in minutes",
                (1, 1), _expect(DURATION, NUMBER), _optional(_minutes)),
        Builtin("count", "count(list) -> number", "how many items a list has; a missing list has none",
                (1, 1), _expect(list_of(ANY), NUMBER), lambda items: len(items) if items is not None else 0, True),
        Builtin("lower", "lower(text) -> text", "the text in lower case",
                (1, 1), _expect(TEXT, TEXT), _optional(str.lower)),
        Builtin("upper", "upper(text) -> text", "the text in upper case",
                (1, 1), _expect(TEXT, TEXT), _optional(str.upper)),
        Builtin("min", "min(a, b, ...) -> same type", "the smallest of values of one type",
                (2, 20), _same_orderable, _optional(min)),
        Builtin("max", "max(a, b, ...) -> same type", "the largest of values of one type",
                (2, 20), _same_orderable, _optional(max)),
        Builtin("date", "date(datetime) -> date", "the calendar date of a moment",
                (1, 1), _expect(DATETIME, DATE), _optional(lambda moment: moment.date())),
        Builtin("local_time", "local_time(datetime) -> time", "the time of day of a moment, in the agreement's zone",
                (1, 1), _expect(DATETIME, TIME), _optional(lambda moment: moment.time().replace(tzinfo=None))),
        Builtin("weekday", "weekday(datetime) -> text", "the day of the week, 'monday' to 'sunday'",
                (1, 1), _expect(DATETIME, TEXT), _optional(lambda moment: WEEKDAYS[moment.weekday()])),
        Builtin("days_between", "days_between(date, date) -> number", "whole days from the first date to the second",
                (2, 2), lambda actual: NUMBER if all(t.name in ("date", "datetime", "any") for t in actual)
                else "both arguments must be dates or moments", _optional(_days_between)),
        Builtin("cost_of", "cost_of(materials) -> money", "the total cost of a ticket's materials (cost x quantity)",
                (1, 1), lambda actual: MONEY if actual[0].name in ("list", "any") else "the argument must be ticket.materials",
                material_costs, True),
        Builtin("kinds_of", "kinds_of(materials) -> list[text]", "the kinds of a ticket's materials: part, software, license, freight",
                (1, 1), lambda actual: list_of(TEXT) if actual[0].name in ("list", "any") else "the argument must be ticket.materials",
                lambda materials: tuple(item.kind for item in materials or ()), True),
        _calendar_question("in_business_hours", "in_business_hours(datetime) -> boolean",
                           "whether a moment falls in the agreement's business hours on a working day", _expect(DATETIME, BOOLEAN)),
        _calendar_question("is_holiday", "is_holiday(date or datetime) -> boolean", "whether a day is one of the agreement's holidays",
                           _day_typed(BOOLEAN)),
        _calendar_question("holiday_name", "holiday_name(date or datetime) -> text", "the holiday's name, or missing on a working day",
                           _day_typed(TEXT)),
        Builtin("coalesce", "coalesce(value, fallback) -> same type", "the value, or the fallback when the value is missing",
                (2, 2), _same_type,
                lambda value, fallback: fallback if value is None else value, True),
    )
}  # fmt: skip

# Words that read like a function a writer may reach for, with what to write instead.
NEAR_MISSES = {"len": "count", "length": "count", "sum": "cost_of", "day_of_week": "weekday", "now": "ticket.opened_at"}
