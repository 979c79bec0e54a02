"""The calendar's short paths (days it remembers, wall-clock arithmetic on days whose offset
holds) agree with converting through UTC and with judging every minute on its own."""

from __future__ import annotations

import copy
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.calendar import (
    MINUTES_PER_DAY,
    BusinessCalendar,
    Holidays,
    WorkSplit,
    work_split,
)
from test_calendar import business_hours  # the strategy, shared

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
KATHMANDU_OFFSET = dt.timezone(dt.timedelta(hours=5, minutes=45))


def at(zone: dt.tzinfo, *fields: int) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=zone)


# Instants near which the zones change their offset: spring and autumn in New York and London,
# Lord Howe's half-hour change, Samoa skipping 2011-12-30 altogether, Monrovia leaving an offset
# with seconds in it (-0:44:30), and St John's at half past the hour.
CLOCK_CHANGES = (
    ("America/New_York", at(UTC, 2026, 3, 8, 7)),
    ("America/New_York", at(UTC, 2026, 11, 1, 6)),
    ("Europe/London", at(UTC, 2026, 3, 29, 1)),
    ("Europe/London", at(UTC, 2026, 10, 25, 1)),
    ("Australia/Lord_Howe", at(UTC, 2026, 4, 4, 15)),
    ("Australia/Lord_Howe", at(UTC, 2026, 10, 3, 15, 30)),
    ("Pacific/Apia", at(UTC, 2011, 12, 30, 10)),
    ("Africa/Monrovia", at(UTC, 1972, 1, 7, 0, 44, 30)),
    ("America/St_Johns", at(UTC, 2026, 3, 8, 5, 30)),
)
ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC", "Pacific/Apia")


@pytest.mark.parametrize(("zone_name", "instant"), CLOCK_CHANGES)
def test_the_clock_changes_aimed_at_are_real(zone_name: str, instant: dt.datetime) -> None:
    zone = ZoneInfo(zone_name)
    assert (instant - dt.timedelta(seconds=1)).astimezone(zone).utcoffset() != instant.astimezone(zone).utcoffset()


# ---------------------------------------------------------------------------- the definitions


def local_by_converting(calendar: BusinessCalendar, moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=calendar.zone)
    return moment.astimezone(UTC).astimezone(calendar.zone)


def in_business_hours_by_converting(calendar: BusinessCalendar, moment: dt.datetime) -> bool:
    local = local_by_converting(calendar, moment)
    if calendar.holidays.is_holiday(local.date()):
        return False
    return calendar.hours.is_open(local.weekday(), local.hour * 60 + local.minute)


def utc_minute(calendar: BusinessCalendar, moment: dt.datetime) -> int:
    return (local_by_converting(calendar, moment) - EPOCH) // MINUTE


def split_minute_by_minute(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> WorkSplit:
    counts = [0, 0, 0]
    for minute in range(utc_minute(calendar, start), utc_minute(calendar, end)):
        local = (EPOCH + minute * MINUTE).astimezone(calendar.zone)
        if calendar.holidays.is_holiday(local.date()):
            counts[2] += 1
        elif calendar.hours.is_open(local.weekday(), local.hour * 60 + local.minute):
            counts[0] += 1
        else:
            counts[1] += 1
    return WorkSplit(*counts)


def fields_of(moment: dt.datetime) -> tuple:
    """Everything that tells two datetimes apart, the zone object included."""
    return (moment.replace(tzinfo=None), moment.fold, moment.tzinfo)


# ---------------------------------------------------------------------------- generated cases


@st.composite
def calendars_and_instants(draw: st.DrawFn) -> tuple[BusinessCalendar, dt.datetime]:
    """A calendar, and an instant (in UTC) often close to one of its zone's clock changes."""
    seconds = dt.timedelta(seconds=draw(st.integers(0, 59)), microseconds=draw(st.sampled_from([0, 0, 0, 1, 999999])))
    choice = draw(st.integers(0, 2))
    if choice == 0:
        zone_name, instant = draw(st.sampled_from(CLOCK_CHANGES))
        zone: dt.tzinfo = ZoneInfo(zone_name)
        instant = instant + draw(st.integers(-2 * MINUTES_PER_DAY, 2 * MINUTES_PER_DAY)) * MINUTE + seconds
    else:
        zone = ZoneInfo(draw(st.sampled_from(ZONES))) if choice == 1 else KATHMANDU_OFFSET
        instant = at(UTC, 2026, 1, 1) + draw(st.integers(0, 366 * MINUTES_PER_DAY)) * MINUTE + seconds
    near = instant.astimezone(zone).date()
    own = {near + dt.timedelta(days=offset): "Closed" for offset in draw(st.sets(st.integers(-2, 3), max_size=3))}
    country = draw(st.sampled_from([None, None, "US"]))
    return BusinessCalendar(zone, draw(business_hours()), Holidays(country, own=own)), instant


def spellings(calendar: BusinessCalendar, instant: dt.datetime) -> list[dt.datetime]:
    """One instant written every way a caller may hand it over: local in the calendar's zone
    (with either fold), naive local wall time, and in UTC."""
    local = instant.astimezone(calendar.zone)
    return [local, local.replace(fold=1 - local.fold), local.replace(tzinfo=None), instant]


# ---------------------------------------------------------------------------- moments


@settings(max_examples=400, deadline=None)
@given(calendars_and_instants())
def test_moments_read_as_converting_through_utc_reads_them(case: tuple[BusinessCalendar, dt.datetime]) -> None:
    calendar, instant = case
    for moment in spellings(calendar, instant):
        expected_local = local_by_converting(calendar, moment)
        expected_open = in_business_hours_by_converting(calendar, moment)
        expected_holiday = calendar.holidays.name_of(expected_local.date())
        # Asked of a calendar that has not seen the day, and again once it remembers it.
        for asked in (BusinessCalendar(calendar.zone, calendar.hours, calendar.holidays), calendar, calendar):
            assert fields_of(asked.local(moment)) == fields_of(expected_local)
            assert asked.in_business_hours(moment) is expected_open
            assert asked.holiday_name(moment) == expected_holiday
            assert asked.is_holiday(moment) is (expected_holiday is not None)
        assert calendar.holiday_name(expected_local.date()) == expected_holiday


@settings(max_examples=400, deadline=None)
@given(calendars_and_instants(), st.integers(0, 3 * MINUTES_PER_DAY), st.integers(-59, 59), st.data())
def test_work_splits_as_every_minute_judged_on_its_own(
    case: tuple[BusinessCalendar, dt.datetime], minutes: int, seconds: int, data: st.DataObject
) -> None:
    calendar, start = case
    end = max(start, start + minutes * MINUTE + dt.timedelta(seconds=seconds))
    in_utc = calendar.split(start, end)
    if utc_minute(calendar, end) - utc_minute(calendar, start) <= 2 * MINUTES_PER_DAY:
        assert in_utc == split_minute_by_minute(calendar, start, end)
    pairs = list(zip(spellings(calendar, start), spellings(calendar, end)))
    local_start, local_end = data.draw(st.sampled_from(pairs))
    # Compared in UTC: two times in one zone compare by their wall clocks, fold or not.
    if local_by_converting(calendar, local_end).astimezone(UTC) < local_by_converting(calendar, local_start).astimezone(UTC):
        # A fold the drawing flipped can put the end before the start in real time.
        with pytest.raises(ValueError, match="before it starts"):
            calendar.split(local_start, local_end)
        return
    # The same instants in UTC take the general path.
    fresh = BusinessCalendar(calendar.zone, calendar.hours, calendar.holidays)
    expected = fresh.split(local_by_converting(calendar, local_start).astimezone(UTC),
                           local_by_converting(calendar, local_end).astimezone(UTC))
    assert fresh.split(local_start, local_end) == expected
    assert calendar.split(local_start, local_end) == expected


@pytest.mark.parametrize("value", ["2026-12-25", 20261225, None])
def test_a_value_that_is_not_a_day_is_judged_as_the_holidays_judge_it(value: object) -> None:
    calendar = BusinessCalendar(ZoneInfo("Europe/London"), holidays=Holidays(own={dt.date(2026, 12, 25): "Closed"}))
    assert calendar.holiday_name(value) == calendar.holidays.name_of(value)  # type: ignore[arg-type]
    assert calendar.is_holiday(value) is calendar.holidays.is_holiday(value)  # type: ignore[arg-type]


def test_work_that_ends_before_it_starts_is_refused_on_an_ordinary_day() -> None:
    calendar = BusinessCalendar(ZoneInfo("Europe/London"))
    start = at(ZoneInfo("Europe/London"), 2026, 6, 10, 10, 0, 30)
    with pytest.raises(ValueError, match="before it starts"):
        calendar.split(start, start - dt.timedelta(seconds=10))
    with pytest.raises(ValueError, match="before it starts"):
        calendar.split(start.replace(tzinfo=None), start.replace(tzinfo=None) - dt.timedelta(days=2))


@pytest.mark.parametrize(("zone_name", "instant"), CLOCK_CHANGES)
def test_days_read_by_their_wall_clock_have_one_offset_all_day(zone_name: str, instant: dt.datetime) -> None:
    zone = ZoneInfo(zone_name)
    calendar = BusinessCalendar(zone)
    change_day = instant.astimezone(zone).date()
    days = [change_day + dt.timedelta(days=offset) for offset in range(-3, 4)]
    for day in days:
        offset = calendar._steady_offset(day)
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        offsets = {
            (midnight + minute * MINUTE + dt.timedelta(seconds=second)).replace(fold=fold).utcoffset()
            for minute in range(MINUTES_PER_DAY)
            for second in (0, 59)
            for fold in (0, 1)
        }
        if offset is not None:
            assert offsets == {offset * MINUTE}
        if len(offsets) > 1:
            assert offset is None
    # The change itself is left to the general path (Samoa's is a whole missing day).
    assert any(calendar._steady_offset(day) is None for day in days)


@pytest.mark.parametrize(
    "moment",
    [dt.datetime(1, 1, 1, 0, 30), dt.datetime(1, 1, 2, 12), dt.datetime(9999, 12, 31, 23, 30), dt.datetime(9999, 12, 30, 12)],
)
@pytest.mark.parametrize("zone", [ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), UTC])
def test_the_ends_of_the_calendar_answer_or_fail_as_converting_does(moment: dt.datetime, zone: dt.tzinfo) -> None:
    calendar = BusinessCalendar(zone)
    for written in (moment, moment.replace(tzinfo=zone)):
        try:
            expected = (fields_of(local_by_converting(calendar, written)), in_business_hours_by_converting(calendar, written))
        except OverflowError:
            with pytest.raises(OverflowError):
                calendar.local(written)
            with pytest.raises(OverflowError):
                calendar.in_business_hours(written)
            with pytest.raises(OverflowError):
                calendar.split(written, written)
            continue
        assert (fields_of(calendar.local(written)), calendar.in_business_hours(written)) == expected
        assert calendar.split(written, written) == WorkSplit(0, 0, 0)


# ---------------------------------------------------------------------------- memory


def test_a_calendar_remembers_a_bounded_number_of_days() -> None:
    calendar = BusinessCalendar(ZoneInfo("America/New_York"), holidays=Holidays("US"))
    first = at(ZoneInfo("America/New_York"), 2000, 1, 1, 10)
    for day in range(20_000):
        calendar.in_business_hours(first + dt.timedelta(days=day))
    assert 0 < len(calendar._days) <= 4096
    assert calendar.in_business_hours(first) is in_business_hours_by_converting(calendar, first)


def test_shared_splits_are_equal_to_new_ones_and_bounded() -> None:
    assert work_split(60, 120, 0) is work_split(60, 120, 0)
    assert work_split(60, 120, 0) == WorkSplit(60, 120, 0)
    for minutes in range(10_000):
        assert work_split(minutes, 1, 2) == WorkSplit(minutes, 1, 2)
    from scopecheck import calendar as calendar_module

    assert len(calendar_module._shared_splits) <= 4096


def test_a_copied_calendar_is_equal_and_starts_with_no_days() -> None:
    calendar = BusinessCalendar(ZoneInfo("Europe/London"), holidays=Holidays("GB", "ENG", own={dt.date(2026, 12, 24): "Closed"}))
    moment = at(ZoneInfo("Europe/London"), 2026, 12, 24, 10)
    assert calendar.is_holiday(moment)
    copied = copy.copy(calendar)
    assert copied == calendar and hash(copied) == hash(calendar) and repr(copied) == repr(calendar)
    assert copied._days == {}
    assert copied.holiday_name(moment) == "Closed"
    assert copied.in_business_hours(at(ZoneInfo("Europe/London"), 2026, 12, 23, 10)) is True
