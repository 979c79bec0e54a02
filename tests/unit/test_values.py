"""Reading and writing values: the same spelling in rules, agreements, tickets and reasons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scopecheck import values


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("4h", 240), ("90m", 90), ("1h30m", 90), ("1.5h", 90), ("2d", 2880), ("1:30", 90), ("PT1H30M", 90), ("0m", 0)],
)
def test_durations_read_in_every_common_spelling(text: str, minutes: int) -> None:
    assert values.parse_duration(text) == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["three", "", "4 hours", "h", "P"])
def test_what_is_not_a_duration_says_how_to_write_one(text: str) -> None:
    with pytest.raises(values.ValueFormatError, match="write it like 4h"):
        values.parse_duration(text)


@pytest.mark.parametrize("text", ["-4h", " -30m", "-1:30"])
def test_a_negative_duration_is_refused_as_negative(text: str) -> None:
    with pytest.raises(values.ValueFormatError, match="is negative; a length of time is 0 or more"):
        values.parse_duration(text)


@given(st.integers(min_value=0, max_value=100_000))
def test_durations_read_back_as_written(minutes: int) -> None:
    duration = dt.timedelta(minutes=minutes)
    assert values.parse_duration(values.format_duration(duration)) == duration


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [("$150", "150", "USD"), ("$1,500.00", "1500.00", "USD"), ("€20", "20", "EUR"), ("150.10 GBP", "150.10", "GBP"), ("150", "150", None)],
)
def test_money_is_exact(text: str, amount: str, currency: str | None) -> None:
    assert values.parse_money(text) == values.Money(Decimal(amount), currency)


def test_money_prints_with_its_currency() -> None:
    assert values.format_money(Decimal("1500.5"), "USD") == "$1,500.50"
    assert values.format_money(Decimal("-3"), "EUR") == "-€3.00"
    assert values.format_money(Decimal("1200"), "JPY") == "1,200 JPY"


def test_percentages_are_fractions() -> None:
    assert values.parse_percent("12.5%") == Decimal("0.125")
    assert values.format_percent(Decimal("0.125")) == "12.5%"


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-inf", "ten"])
def test_numbers_and_percentages_must_be_finite(text: str) -> None:
    with pytest.raises(values.ValueFormatError):
        values.parse_number(text)
    with pytest.raises(values.ValueFormatError):
        values.parse_percent(text)


@pytest.mark.parametrize("raw", [4, Decimal("1.5"), "99999999999d"])
def test_a_duration_without_unit_or_out_of_range_is_a_value_error(raw: object) -> None:
    with pytest.raises(values.ValueFormatError):
        values.parse_duration(raw)


@pytest.mark.parametrize(
    ("currency", "amount", "shown"),
    [("USD", "27.2", "$27.20"), ("CLP", "27225.4", "27,225 CLP"), ("TND", "1.2344", "1.234 TND"), ("JPY", "991", "991 JPY")],
)
def test_money_is_shown_in_the_currencys_minor_unit(currency: str, amount: str, shown: str) -> None:
    assert values.format_money(Decimal(amount), currency) == shown
