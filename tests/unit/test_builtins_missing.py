"""Built-in functions answer missing for a missing argument, and for one they cannot use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from scopecheck.builtins import BUILTINS
from scopecheck.calendar import BusinessCalendar, Holidays

NEW_YORK = ZoneInfo("America/New_York")
CALENDAR = BusinessCalendar(NEW_YORK, holidays=Holidays("US"))


@pytest.mark.parametrize("name", ["in_business_hours", "is_holiday", "holiday_name"])
def test_calendar_functions_answer_missing_for_a_missing_moment_or_calendar(name: str) -> None:
    run = BUILTINS[name].run
    assert run(CALENDAR, None) is None
    assert run(None, dt.datetime(2026, 11, 20, 10, tzinfo=NEW_YORK)) is None


def test_calendar_functions_ask_the_calendar() -> None:
    moment = dt.datetime(2026, 11, 26, 10, tzinfo=NEW_YORK)  # Thanksgiving
    assert BUILTINS["in_business_hours"].run(CALENDAR, moment) is False
    assert BUILTINS["in_business_hours"].run(CALENDAR, moment + dt.timedelta(days=1)) is True
    assert BUILTINS["is_holiday"].run(CALENDAR, moment.date()) is True
    assert BUILTINS["holiday_name"].run(CALENDAR, moment) == "Thanksgiving Day"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("min", (3, None, 1), None),
        ("min", (3, 2, 1), 1),
        ("max", (Decimal("1.5"), Decimal("2")), Decimal("2")),
        ("max", (Decimal("1.5"), "2"), None),
        ("hours", (dt.timedelta(minutes=90),), Decimal("1.5")),
        ("hours", (None,), None),
        ("days_between", (dt.date(2026, 1, 1), dt.datetime(2026, 1, 31, 9)), 30),
        ("lower", (None,), None),
    ],
)
def test_missing_arguments_and_failures_answer_missing(name: str, args: tuple, expected: object) -> None:
    assert BUILTINS[name].run(*args) == expected


@pytest.mark.parametrize("name", ["in_business_hours", "is_holiday", "holiday_name"])
def test_a_function_bound_to_the_calendar_answers_as_run_does(name: str) -> None:
    builtin = BUILTINS[name]
    bound = builtin.bound_to(CALENDAR)
    first = dt.datetime(2026, 11, 20, 6, tzinfo=NEW_YORK)
    for hours in range(0, 24 * 10, 5):
        moment = first + dt.timedelta(hours=hours)
        for value in (moment, moment.date(), None):
            try:
                expected = builtin.run(CALENDAR, value)
            except AttributeError:
                with pytest.raises(AttributeError):
                    bound(value)
                continue
            assert bound(value) == expected
    assert builtin.bound_to(None)(first) is None


def test_functions_that_do_not_use_the_calendar_are_not_bound() -> None:
    assert all(builtin.calendar_method is None for builtin in BUILTINS.values() if not builtin.uses_calendar)
