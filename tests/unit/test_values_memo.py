"""Formatting remembered or looked up by type reads exactly as the spelling rules say."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck import values
from scopecheck.values import (
    BOOLEAN,
    DATETIME,
    DURATION,
    MINOR_UNITS,
    MONEY,
    NUMBER,
    PERCENT,
    TEXT,
    TIME,
    enum_of,
    format_duration,
    format_money,
    format_value,
    formatter_for,
    list_of,
    minor_unit,
)

CURRENCIES = ("USD", "EUR", "GBP", "JPY", "BHD", "CLF", "CHF", "XYZ")


def duration_as_spelt(duration: dt.timedelta) -> str:
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


def money_as_spelt(amount: Decimal, currency: str) -> str:
    places = MINOR_UNITS.get(currency, 2)
    text = f"{abs(amount.quantize(Decimal(1).scaleb(-places))):,.{places}f}"
    sign = "-" if amount < 0 else ""
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


@settings(max_examples=500, deadline=None)
@given(st.timedeltas(min_value=dt.timedelta(days=-3), max_value=dt.timedelta(days=40)))
def test_durations_read_as_spelt_every_time(duration: dt.timedelta) -> None:
    assert format_duration(duration) == duration_as_spelt(duration)
    assert format_duration(duration) == duration_as_spelt(duration)
    assert format_value(duration, DURATION) == duration_as_spelt(duration)
    assert formatter_for(DURATION)(duration) == duration_as_spelt(duration)


def test_remembered_durations_are_bounded() -> None:
    for minutes in range(10_000):
        assert format_duration(dt.timedelta(minutes=minutes)) == duration_as_spelt(dt.timedelta(minutes=minutes))
    assert len(values._formatted_durations) <= 4096


@settings(max_examples=500, deadline=None)
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**12, max_value=10**12, places=None)
    | st.sampled_from([Decimal("-0"), Decimal("0.005"), Decimal("-0.005"), Decimal("0.125"), Decimal("1E+3"), Decimal("2.50")]),
    st.sampled_from(CURRENCIES),
)
def test_money_reads_as_spelt(amount: Decimal, currency: str) -> None:
    assert format_money(amount, currency) == money_as_spelt(amount, currency)
    assert format_value(amount, MONEY, currency) == money_as_spelt(amount, currency)
    assert formatter_for(MONEY, currency)(amount) == money_as_spelt(amount, currency)
    assert formatter_for(list_of(MONEY), currency)((amount, None)) == f"{money_as_spelt(amount, currency)}, (missing)"


@pytest.mark.parametrize("currency", CURRENCIES)
def test_minor_units_are_the_currency_s_smallest_amount(currency: str) -> None:
    expected = Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))
    assert repr(minor_unit(currency)) == repr(expected)
    assert repr(minor_unit(currency)) == repr(expected)


@pytest.mark.parametrize(
    ("value", "type_", "text"),
    [
        (None, DURATION, "(missing)"),
        (None, TEXT, "(missing)"),
        ("move", TEXT, "move"),
        ("move", enum_of(("move", "other")), "move"),
        (Decimal("1.50"), NUMBER, "1.5"),
        (3, NUMBER, "3"),
        (Decimal("0.10"), PERCENT, "10%"),
        (True, BOOLEAN, "yes"),
        (0, BOOLEAN, "no"),
        (dt.datetime(2026, 11, 20, 17, 5, 30), DATETIME, "2026-11-20 17:05"),
        (dt.time(8, 30), TIME, "08:30"),
        (dt.date(2026, 11, 20), values.DATE, "2026-11-20"),
        ((dt.timedelta(hours=1), None), list_of(DURATION), "1h, (missing)"),
        ((Decimal("5"), Decimal("1500")), list_of(MONEY), "$5.00, $1,500.00"),
        (("a", "b"), list_of(values.ANY), "a, b"),
        ({"kind": "part"}, values.record_of({"kind": TEXT}), "{'kind': 'part'}"),
    ],
)
def test_each_type_reads_as_spelt(value: object, type_: values.Type, text: str) -> None:
    assert format_value(value, type_) == text
    assert formatter_for(type_)(value) == text
