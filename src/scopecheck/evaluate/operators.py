"""What the language's operators do to runtime values, chosen once per node from its static types.

Missing values follow one documented rule (three-valued logic, as in SQL): a comparison or
arithmetic with a missing operand is *unknown* (``None``); ``not unknown`` is unknown;
``false and unknown`` is false, ``true or unknown`` is true; a rule fires only when its
condition is true. Text tests ignore case; ``==`` is the one exact comparison.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from decimal import Decimal, DivisionByZero, InvalidOperation

from scopecheck.values import Type, hours_of

Binary = Callable[[object, object], object]


def _seconds(duration: dt.timedelta) -> Decimal:
    return hours_of(duration) * 3600


def _scale(duration: dt.timedelta, factor: Decimal | int) -> dt.timedelta:
    return dt.timedelta(seconds=int((_seconds(duration) * Decimal(factor)).to_integral_value()))


def _divide(left: Decimal | int, right: Decimal | int) -> Decimal:
    return Decimal(left) / Decimal(right)


_UTC = dt.timezone.utc


def _elapsed(later: dt.datetime, earlier: dt.datetime) -> dt.timedelta:
    # Python subtracts two times of one zone by the wall clock; across a change of summer time
    # that is an hour off the real time elapsed.
    if later.tzinfo is None or earlier.tzinfo is None:
        return later - earlier
    return later.astimezone(_UTC) - earlier.astimezone(_UTC)


def _instant(moment: object) -> object:
    return moment.astimezone(_UTC) if isinstance(moment, dt.datetime) and moment.tzinfo is not None else moment


def _shift(moment: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    if moment.tzinfo is None:
        return moment + duration
    return (moment.astimezone(_UTC) + duration).astimezone(moment.tzinfo)


# (left type, operator, right type) -> function, for the pairs plain Python gets wrong or
# cannot do (timedelta times Decimal, int / int giving a float, times across summer time).
_SPECIAL: dict[tuple[str, str, str], Binary] = {
    ("duration", "*", "number"): _scale,
    ("duration", "*", "percent"): _scale,
    ("number", "*", "duration"): lambda number, duration: _scale(duration, number),
    ("percent", "*", "duration"): lambda percent, duration: _scale(duration, percent),
    ("duration", "/", "number"): lambda duration, number: _scale(duration, Decimal(1) / Decimal(number)),
    ("duration", "/", "duration"): lambda first, second: _seconds(first) / _seconds(second),
    ("date", "-", "date"): lambda first, second: dt.timedelta(days=(first - second).days),
    ("datetime", "-", "datetime"): _elapsed,
    ("datetime", "+", "duration"): _shift,
    ("datetime", "-", "duration"): lambda moment, duration: _shift(moment, -duration),
}
_PLAIN = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": _divide}


def arithmetic(left: Type, symbol: str, right: Type) -> Binary:
    """The function for ``left symbol right``; ``None`` in, or a failed operation, is ``None``."""
    function = _SPECIAL.get((left.name, symbol, right.name), _PLAIN[symbol])

    def apply(first: object, second: object) -> object:
        if first is None or second is None:
            return None
        try:
            return function(first, second)
        except (TypeError, ValueError, ArithmeticError, DivisionByZero, InvalidOperation, OverflowError):
            return None

    return apply


def _fold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _is(first: object, second: object) -> bool:
    return _fold(first) == _fold(second)


_WORD = re.compile(r"\w+")


def _mentions_pattern(phrase: str) -> re.Pattern[str]:
    """A phrase matches whole words, in order, with any punctuation or spacing between them:
    "new laptop" matches "New  laptop!" but not "newlaptops"."""
    words = _WORD.findall(phrase.casefold())
    return re.compile(r"\b" + r"\W+".join(map(re.escape, words)) + r"\b", re.IGNORECASE) if words else re.compile(r"(?!)")


def _text_test(test: Callable[[str, str], bool]) -> Binary:
    def apply(subject: object, pattern: object) -> bool | None:
        if subject is None or pattern is None:
            return None
        patterns = pattern if isinstance(pattern, tuple) else (pattern,)
        subjects = subject if isinstance(subject, tuple) else (subject,)
        return any(test(str(s), str(p)) for s in subjects if s is not None for p in patterns if p is not None)

    return apply


def _mentions(subject: str, phrase: str) -> bool:
    return _mentions_pattern(phrase).search(subject) is not None


def _contains(subject: str, part: str) -> bool:
    return part.casefold() in subject.casefold()


def _membership(item: object, items: object) -> bool | None:
    if item is None or items is None:
        return None
    folded = _fold(item)
    return any(_fold(candidate) == folded for candidate in items)


def _contains_item(items: object, item: object) -> bool | None:
    if isinstance(items, tuple):
        return _membership(item, items)
    return _text_test(_contains)(items, item)


_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}


ORDERINGS = frozenset(_ORDER)


def comparison(symbol: str, left: Type) -> Binary:
    """The function for ``left symbol right`` giving True, False or None (unknown)."""
    match symbol:
        case "is":
            base: Binary = _is
        case "is not":
            base = lambda first, second: not _is(first, second)  # noqa: E731
        case "in":
            return _membership
        case "not in":
            return lambda item, items: None if (result := _membership(item, items)) is None else not result
        case "contains":
            return _contains_item if left.name in ("list", "any") else _text_test(_contains)
        case "starts with":
            return _text_test(lambda s, p: s.casefold().startswith(p.casefold()))
        case "ends with":
            return _text_test(lambda s, p: s.casefold().endswith(p.casefold()))
        case "mentions":
            return _text_test(_mentions)
        case _:
            base = _ORDER[symbol]
            if left.name == "datetime":
                # Two times of one zone compare by the wall clock, which repeats an hour in autumn.
                order = base
                base = lambda first, second: order(_instant(first), _instant(second))  # noqa: E731

    def apply(first: object, second: object) -> bool | None:
        if first is None or second is None:
            return None
        try:
            return base(first, second)
        except TypeError:  # an export's custom field of the wrong kind reads as unknown
            return None

    return apply


def folded(known: object) -> object:
    """A known right-hand side as ``is`` and ``in`` compare it: text without case, and a list
    as a set of such values (``None`` when its items cannot be put in a set)."""
    if isinstance(known, tuple):
        try:
            return frozenset(_fold(item) for item in known)
        except TypeError:
            return None
    return _fold(known)


def against(symbol: str, left: Type, known: object) -> Callable[[object], bool | None]:
    """``value symbol known`` for a right-hand side known when the program is built, with what
    can be worked out once done once: ``mentions`` compiles its patterns here, not per ticket."""
    if known is None:
        return lambda value: None
    if symbol == "mentions":
        phrases = known if isinstance(known, tuple) else (known,)
        patterns = tuple(_mentions_pattern(str(phrase)) for phrase in phrases if phrase is not None)

        def mentions(subject: object) -> bool | None:
            if subject is None:
                return None
            subjects = subject if isinstance(subject, tuple) else (subject,)
            return any(pattern.search(str(s)) is not None for s in subjects if s is not None for pattern in patterns)

        return mentions
    apply = comparison(symbol, left)
    return lambda value: apply(value, known)
