"""The business calendar: opening hours, holidays, and how work splits into priced minutes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.calendar import (
    ALWAYS_OPEN,
    MINUTES_PER_DAY,
    NO_HOLIDAYS,
    STANDARD_BUSINESS_HOURS,
    BusinessCalendar,
    BusinessHours,
    Holidays,
    HoursFormatError,
    WorkSplit,
    holiday_country_problem,
    holiday_names,
    parse_opening_span,
)

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc


def at(zone: dt.tzinfo, *fields: int, fold: int = 0) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=zone, fold=fold)


# ---------------------------------------------------------------------------- opening spans


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("08:00-12:00", (480, 720)),
        ("8:00-12:00", (480, 720)),
        ("08:00 - 12:30", (480, 750)),
        ("08:00\u201318:00", (480, 1080)),
        ("00:00-24:00", (0, 1440)),
        ("  13:15-23:59 ", (795, 1439)),
    ],
)
def test_opening_spans_read_in_common_spellings(text: str, span: tuple[int, int]) -> None:
    assert parse_opening_span(text) == span


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("18:00-08:00", "the end 08:00 is not after the start 18:00"),
        ("09:00-09:00", "the end 09:00 is not after the start 09:00"),
        ("08:00-25:00", "25:00 is not a time of day: hours run from 00 to 23"),
        ("12:60-13:00", "12:60 is not a time of day: minutes run from 00 to 59"),
        ("24:00-24:00", "24:00 can only end a span"),
        ("24:30-24:45", "24:30 is not a time of day"),
        ("8-5", "'8-5' is not an opening span: write it like 08:00-18:00"),
        ("08:00", "'08:00' is not an opening span"),
        ("", "the opening hours are empty"),
        ("   ", "the opening hours are empty"),
    ],
)
def test_bad_opening_spans_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(HoursFormatError, match=message):
        parse_opening_span(text)


def test_hours_that_cross_midnight_are_refused_with_advice() -> None:
    with pytest.raises(HoursFormatError, match="two spans, one on each day"):
        parse_opening_span("22:00-02:00")


# ---------------------------------------------------------------------------- business hours


def test_spans_are_sorted_and_touching_spans_merged() -> None:
    hours = BusinessHours.from_spans({0: [(780, 1080), (480, 720), (720, 780)], 2: [(900, 960), (480, 600)]})
    assert hours.week[0] == ((480, 1080),)
    assert hours.week[2] == ((480, 600), (900, 960))
    assert hours.week[1] == ()
    assert hours == BusinessHours.from_spans({2: [(480, 600), (900, 960)], 0: [(480, 1080)]})


def test_overlapping_spans_are_named_in_the_error() -> None:
    with pytest.raises(HoursFormatError, match="the spans 08:00-12:00 and 11:00-13:00 overlap on Tuesday"):
        BusinessHours.from_spans({1: [(660, 780), (480, 720)]})


def test_weekdays_outside_monday_to_sunday_are_refused() -> None:
    with pytest.raises(HoursFormatError, match="weekday 7 does not exist"):
        BusinessHours.from_spans({7: [(480, 720)]})


def test_is_open_treats_the_end_of_a_span_as_closed() -> None:
    assert STANDARD_BUSINESS_HOURS.is_open(0, 480)
    assert STANDARD_BUSINESS_HOURS.is_open(4, 1079)
    assert not STANDARD_BUSINESS_HOURS.is_open(4, 1080)
    assert not STANDARD_BUSINESS_HOURS.is_open(0, 479)
    assert not STANDARD_BUSINESS_HOURS.is_open(5, 600)
    assert ALWAYS_OPEN.is_open(6, 0) and ALWAYS_OPEN.is_open(6, 1439)


def test_hours_describe_themselves_grouping_equal_days() -> None:
    split_day = BusinessHours.from_spans(
        {**{day: [(480, 720), (780, 1080)] for day in range(4)}, 4: [(480, 960)]}
    )
    assert STANDARD_BUSINESS_HOURS.describe() == "Mon-Fri 08:00-18:00"
    assert split_day.describe() == "Mon-Thu 08:00-12:00, 13:00-18:00; Fri 08:00-16:00"
    assert ALWAYS_OPEN.describe() == "Mon-Sun 00:00-24:00"
    assert BusinessHours.from_spans({}).describe() == "never"
    assert BusinessHours.from_spans({0: [(480, 600)], 2: [(480, 600)]}).describe() == "Mon 08:00-10:00; Wed 08:00-10:00"


# ---------------------------------------------------------------------------- holidays


def test_us_federal_holidays() -> None:
    us = Holidays("US")
    assert us.name_of(dt.date(2026, 11, 26)) == "Thanksgiving Day"
    assert us.name_of(dt.date(2026, 12, 25)) == "Christmas Day"
    assert us.is_holiday(dt.date(2026, 7, 3))
    assert us.name_of(dt.date(2026, 12, 24)) is None
    assert not us.is_holiday(dt.date(2026, 11, 27))


def test_english_boxing_day_is_observed_on_monday() -> None:
    england = Holidays("GB", "ENG")
    assert england.name_of(dt.date(2026, 12, 28)) == "Boxing Day (observed)"
    assert england.is_holiday(dt.date(2026, 12, 26))
    assert not Holidays("US").is_holiday(dt.date(2026, 12, 28))


def test_holidays_the_client_works_on_are_dropped_with_their_observed_days() -> None:
    working = Holidays("US", not_observed=frozenset({"Columbus Day", "Independence Day"}))
    assert not working.is_holiday(dt.date(2026, 10, 12))
    assert not working.is_holiday(dt.date(2026, 7, 4))
    assert not working.is_holiday(dt.date(2026, 7, 3))
    assert working.is_holiday(dt.date(2026, 11, 26))


def test_only_the_observed_day_can_be_dropped_by_its_full_name() -> None:
    working = Holidays("US", not_observed=frozenset({"Independence Day (observed)"}))
    assert working.is_holiday(dt.date(2026, 7, 4))
    assert not working.is_holiday(dt.date(2026, 7, 3))


def test_one_of_two_holidays_on_one_day_can_be_dropped() -> None:
    texas = Holidays("US", "TX", not_observed=frozenset({"Confederate Memorial Day"}))
    assert texas.name_of(dt.date(2026, 1, 19)) == "Martin Luther King Jr. Day"


def test_own_dates_are_holidays_and_win_over_the_library() -> None:
    own = {dt.date(2026, 12, 24): "Christmas Eve closure", dt.date(2026, 12, 25): "Office closed"}
    calendar = Holidays("US", own=own)
    assert calendar.name_of(dt.date(2026, 12, 24)) == "Christmas Eve closure"
    assert calendar.name_of(dt.date(2026, 12, 25)) == "Office closed"
    assert Holidays(own=own).name_of(dt.date(2026, 11, 26)) is None
    own[dt.date(2026, 12, 31)] = "added later"
    assert not calendar.is_holiday(dt.date(2026, 12, 31))


def test_holidays_are_hashable_and_compare_by_value() -> None:
    first = Holidays("US", own={dt.date(2026, 1, 2): "Bridge day"})
    second = Holidays("US", own={dt.date(2026, 1, 2): "Bridge day"})
    assert first == second and hash(first) == hash(second)
    assert first != Holidays("US")
    assert NO_HOLIDAYS == Holidays()
    assert not NO_HOLIDAYS.is_holiday(dt.date(2026, 12, 25))


def test_an_unknown_country_cannot_make_a_holiday_calendar() -> None:
    with pytest.raises(ValueError, match="no country 'UX'"):
        Holidays("UX")
    with pytest.raises(ValueError, match="needs a country"):
        Holidays(subdivision="NY")


def test_country_problems_come_with_help() -> None:
    assert holiday_country_problem("US", "NY") is None
    assert holiday_country_problem("GB", None) is None
    assert holiday_country_problem("UX", None) == (
        "the holidays calendar has no country 'UX'",
        "did you mean one of 'UA', 'UG', 'UK', 'UM', 'US', 'UY', 'UZ', 'AX', 'CX', 'MX', 'SX'?",
    )
    assert holiday_country_problem("us", None) == ("the holidays calendar has no country 'us'", "did you mean 'US'?")
    assert holiday_country_problem("United States", None)[1] == "did you mean 'US'?"


def test_subdivision_problems_come_with_help() -> None:
    message, help_text = holiday_country_problem("US", "NX")
    assert message == "'US' has no subdivision 'NX'"
    assert help_text.startswith("subdivisions of US are AK, AL, ") and "NY" in help_text
    assert holiday_country_problem("GB", "ENGL") == ("'GB' has no subdivision 'ENGL'", "did you mean 'ENG'?")
    assert holiday_country_problem("US", "ny")[1] == "did you mean 'NY'?"
    assert holiday_country_problem("US", "New Yrok")[1] == "did you mean 'NY'?"


def test_holiday_names_drop_the_observed_suffix() -> None:
    names = holiday_names("US", None, [2026])
    assert {"Columbus Day", "Independence Day", "Thanksgiving Day"} <= names
    assert not any("(" in name for name in names)
    assert "Boxing Day" in holiday_names("GB", "ENG", range(2025, 2027))
    assert "Susan B. Anthony Day" in holiday_names("US", "NY", [2026])
    assert "Susan B. Anthony Day" not in names


# ---------------------------------------------------------------------------- the calendar


def test_calendar_reads_moments_in_its_zone() -> None:
    calendar = BusinessCalendar(NEW_YORK, holidays=Holidays("US"))
    assert calendar.local(dt.datetime(2026, 11, 20, 12)) == at(NEW_YORK, 2026, 11, 20, 12)
    assert calendar.local(at(UTC, 2026, 11, 20, 12)).hour == 7
    assert calendar.local(dt.datetime(2026, 3, 8, 2, 30)) == at(NEW_YORK, 2026, 3, 8, 3, 30)
    # 03:30 UTC on Christmas Day is still Christmas Eve in New York.
    assert not calendar.is_holiday(at(UTC, 2026, 12, 25, 3, 30))
    assert calendar.holiday_name(at(UTC, 2026, 12, 25, 5, 30)) == "Christmas Day"
    assert calendar.holiday_name(dt.date(2026, 11, 26)) == "Thanksgiving Day"


def test_business_hours_depend_on_local_time_and_holidays() -> None:
    calendar = BusinessCalendar(NEW_YORK, holidays=Holidays("US"))
    assert calendar.in_business_hours(dt.datetime(2026, 11, 20, 9))
    assert not calendar.in_business_hours(dt.datetime(2026, 11, 20, 18))
    assert not calendar.in_business_hours(at(UTC, 2026, 11, 20, 12))
    assert calendar.in_business_hours(at(UTC, 2026, 11, 20, 14))
    assert not calendar.in_business_hours(dt.datetime(2026, 11, 21, 10))
    assert not calendar.in_business_hours(dt.datetime(2026, 11, 26, 10))


def test_calendar_describes_itself() -> None:
    assert BusinessCalendar(NEW_YORK, holidays=Holidays("US")).describe() == (
        "Mon-Fri 08:00-18:00 America/New_York, US holidays"
    )
    described = BusinessCalendar(
        LONDON,
        ALWAYS_OPEN,
        Holidays("GB", "ENG", own={dt.date(2026, 12, 24): "Closed"}, not_observed=frozenset({"May Day"})),
    ).describe()
    assert described == "Mon-Sun 00:00-24:00 Europe/London, GB-ENG holidays except May Day, plus 1 own date"
    assert BusinessCalendar(UTC).describe() == "Mon-Fri 08:00-18:00 UTC, no holidays"


def test_work_split_totals() -> None:
    split = WorkSplit(business=60, after_hours=100, holiday=20)
    assert split.minutes == 180
    assert split.outside == 120


# ---------------------------------------------------------------------------- split


US_CALENDAR = BusinessCalendar(NEW_YORK, holidays=Holidays("US"))


def test_friday_evening_work_is_partly_after_hours() -> None:
    assert US_CALENDAR.split(dt.datetime(2026, 11, 20, 17), dt.datetime(2026, 11, 20, 20)) == WorkSplit(60, 120, 0)


def test_overnight_work_is_after_hours_until_opening() -> None:
    split = US_CALENDAR.split(dt.datetime(2026, 11, 17, 22), dt.datetime(2026, 11, 18, 10))
    assert split == WorkSplit(business=120, after_hours=600, holiday=0)


def test_work_on_christmas_is_holiday_time() -> None:
    assert US_CALENDAR.split(dt.datetime(2026, 12, 25, 10), dt.datetime(2026, 12, 25, 12)) == WorkSplit(0, 0, 120)


def test_work_from_a_holiday_evening_into_a_working_day() -> None:
    split = US_CALENDAR.split(dt.datetime(2026, 11, 26, 22), dt.datetime(2026, 11, 27, 9, 30))
    assert split == WorkSplit(business=90, after_hours=480, holiday=120)


def test_multi_day_work_over_a_weekend() -> None:
    # Friday 16:00 to Tuesday 10:00: Fri 2h in, 6h out; Sat, Sun 48h out; Mon 10h in, 14h out; Tue 8h out, 2h in.
    split = US_CALENDAR.split(dt.datetime(2026, 11, 13, 16), dt.datetime(2026, 11, 17, 10))
    assert split == WorkSplit(business=(2 + 10 + 2) * 60, after_hours=(6 + 48 + 14 + 8) * 60, holiday=0)


def test_long_work_adds_up() -> None:
    split = US_CALENDAR.split(dt.datetime(2026, 1, 1), dt.datetime(2027, 1, 1))
    # 261 weekdays in 2026, 11 of them federal holidays; the year has 12 holiday dates.
    assert split == WorkSplit(business=250 * 600, after_hours=365 * 1440 - 250 * 600 - 12 * 1440, holiday=12 * 1440)


def test_zero_length_work_has_no_minutes() -> None:
    moment = dt.datetime(2026, 11, 20, 10)
    assert US_CALENDAR.split(moment, moment) == WorkSplit(0, 0, 0)


def test_work_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        US_CALENDAR.split(dt.datetime(2026, 11, 20, 10), dt.datetime(2026, 11, 20, 9, 59))


def test_work_ending_earlier_in_real_time_is_refused_across_the_repeated_hour() -> None:
    # 01:10 EST comes 20 minutes after 01:50 EDT, though its wall clock reads earlier.
    first_pass, second_pass = at(NEW_YORK, 2026, 11, 1, 1, 50, fold=0), at(NEW_YORK, 2026, 11, 1, 1, 10, fold=1)
    with pytest.raises(ValueError, match="before it starts"):
        US_CALENDAR.split(second_pass, first_pass)
    assert US_CALENDAR.split(first_pass, second_pass) == WorkSplit(0, 20, 0)


def test_seconds_are_dropped_from_both_ends() -> None:
    split = US_CALENDAR.split(dt.datetime(2026, 11, 20, 9, 0, 59, 999999), dt.datetime(2026, 11, 20, 9, 30, 59))
    assert split == WorkSplit(30, 0, 0)
    assert US_CALENDAR.split(dt.datetime(2026, 11, 20, 9, 0, 1), dt.datetime(2026, 11, 20, 9, 0, 59)).minutes == 0


def test_ends_in_other_zones_are_read_as_the_same_instants() -> None:
    split = US_CALENDAR.split(at(UTC, 2026, 11, 20, 22), at(LONDON, 2026, 11, 21, 1))
    assert split == WorkSplit(60, 120, 0)


# ---------------------------------------------------------------------------- daylight saving


@pytest.mark.parametrize(
    ("zone", "start", "end", "minutes"),
    [
        # New York springs forward at 02:00 EST and falls back at 02:00 EDT.
        (NEW_YORK, at(NEW_YORK, 2026, 3, 8, 1), at(NEW_YORK, 2026, 3, 8, 4), 120),
        (NEW_YORK, at(NEW_YORK, 2026, 11, 1, 1), at(NEW_YORK, 2026, 11, 1, 4), 240),
        (NEW_YORK, at(NEW_YORK, 2026, 11, 1, 1, fold=1), at(NEW_YORK, 2026, 11, 1, 4), 180),
        # London springs forward at 01:00 GMT and falls back at 02:00 BST.
        (LONDON, at(LONDON, 2026, 3, 29, 0, 30), at(LONDON, 2026, 3, 29, 2, 30), 60),
        (LONDON, at(LONDON, 2026, 3, 29, 0), at(LONDON, 2026, 3, 29, 3), 120),
        (LONDON, at(LONDON, 2026, 10, 25, 0), at(LONDON, 2026, 10, 25, 3), 240),
        (LONDON, at(LONDON, 2026, 10, 25, 1, 30), at(LONDON, 2026, 10, 25, 2, 30), 120),
    ],
)
def test_daylight_saving_nights_count_real_minutes(
    zone: ZoneInfo, start: dt.datetime, end: dt.datetime, minutes: int
) -> None:
    assert BusinessCalendar(zone, ALWAYS_OPEN).split(start, end) == WorkSplit(minutes, 0, 0)
    # Every one of these nights is a Sunday: all of it is after hours in a weekday calendar.
    assert BusinessCalendar(zone).split(start, end) == WorkSplit(0, minutes, 0)
    naive = BusinessCalendar(zone, ALWAYS_OPEN).split(start.replace(tzinfo=None), end.replace(tzinfo=None))
    assert naive.minutes == minutes


def test_a_span_starting_in_the_skipped_hour_opens_when_the_clock_reaches_it() -> None:
    # 02:00-03:00 does not exist on 2026-03-08 in New York, so 02:30-03:30 holds 30 real minutes.
    hours = BusinessHours.from_spans({6: [(150, 210)]})
    split = BusinessCalendar(NEW_YORK, hours).split(dt.datetime(2026, 3, 8, 0), dt.datetime(2026, 3, 8, 6))
    assert split == WorkSplit(business=30, after_hours=270, holiday=0)


def test_a_span_in_the_repeated_hour_counts_twice() -> None:
    hours = BusinessHours.from_spans({6: [(60, 120)]})
    split = BusinessCalendar(NEW_YORK, hours).split(dt.datetime(2026, 11, 1, 0), dt.datetime(2026, 11, 1, 6))
    assert split == WorkSplit(business=120, after_hours=300, holiday=0)


def test_a_holiday_on_a_short_day_lasts_23_hours() -> None:
    calendar = BusinessCalendar(LONDON, holidays=Holidays(own={dt.date(2026, 3, 29): "Closed"}))
    split = calendar.split(dt.datetime(2026, 3, 28, 23), dt.datetime(2026, 3, 30, 1))
    assert split == WorkSplit(business=0, after_hours=120, holiday=23 * 60)


# ---------------------------------------------------------------------------- property


PROPERTY_ZONES = ("America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kolkata", "UTC")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = dt.timedelta(minutes=1)
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=UTC)
# The 2026 clock changes, in UTC: New York 03-08 and 11-01, London 03-29 and 10-25, Lord Howe
# 04-05 and 10-04 local (it moves by 30 minutes).
CLOCK_CHANGES = (
    ("America/New_York", at(UTC, 2026, 3, 8, 7)),
    ("America/New_York", at(UTC, 2026, 11, 1, 6)),
    ("Europe/London", at(UTC, 2026, 3, 29, 1)),
    ("Europe/London", at(UTC, 2026, 10, 25, 1)),
    ("Australia/Lord_Howe", at(UTC, 2026, 4, 4, 15)),
    ("Australia/Lord_Howe", at(UTC, 2026, 10, 3, 15, 30)),
)


@pytest.mark.parametrize(("zone_name", "instant"), CLOCK_CHANGES)
def test_the_clock_changes_the_property_test_aims_at_are_real(zone_name: str, instant: dt.datetime) -> None:
    zone = ZoneInfo(zone_name)
    assert (instant - MINUTE).astimezone(zone).utcoffset() != instant.astimezone(zone).utcoffset()


Work = tuple[BusinessCalendar, dt.datetime, dt.datetime]


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    # Times near the clock changes (the small hours, and near midnight) are drawn often so that
    # spans start and end inside them.
    cut = st.one_of(st.integers(0, MINUTES_PER_DAY), st.sampled_from([0, 30, 60, 90, 120, 150, 180, 210, 1380, 1440]))
    week = {}
    for weekday in range(7):
        count = draw(st.integers(0, 3))
        cuts = sorted(draw(st.sets(cut, min_size=2 * count, max_size=2 * count)))
        week[weekday] = list(zip(cuts[::2], cuts[1::2]))
    return BusinessHours.from_spans(week)


@st.composite
def work(draw: st.DrawFn) -> Work:
    seconds = dt.timedelta(seconds=draw(st.integers(0, 59)))
    if draw(st.booleans()):
        # Half the work starts up to half a day before a clock change, so most of it crosses one.
        zone_name, instant = draw(st.sampled_from(CLOCK_CHANGES))
        start = instant - draw(st.integers(0, 720)) * MINUTE + seconds
    else:
        zone_name = draw(st.sampled_from(PROPERTY_ZONES))
        start = YEAR_START + draw(st.integers(0, 365 * MINUTES_PER_DAY)) * MINUTE + seconds
    zone = ZoneInfo(zone_name)
    end = start + draw(st.integers(0, 3 * MINUTES_PER_DAY)) * MINUTE + dt.timedelta(seconds=draw(st.integers(-59, 59)))
    end = max(start, end)
    near = start.astimezone(zone).date()
    own = {near + dt.timedelta(days=offset): "Closed" for offset in draw(st.sets(st.integers(-1, 3), max_size=3))}
    return BusinessCalendar(zone, draw(business_hours()), Holidays(own=own)), start, end


def utc_minute(moment: dt.datetime) -> int:
    return (moment.astimezone(UTC) - EPOCH) // MINUTE


def classify_each_minute(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> WorkSplit:
    counts = {"business": 0, "after_hours": 0, "holiday": 0}
    for minute in range(utc_minute(start), utc_minute(end)):
        local = (EPOCH + minute * MINUTE).astimezone(calendar.zone)
        if calendar.holidays.is_holiday(local.date()):
            counts["holiday"] += 1
        elif calendar.hours.is_open(local.weekday(), local.hour * 60 + local.minute):
            counts["business"] += 1
        else:
            counts["after_hours"] += 1
    return WorkSplit(**counts)


@settings(max_examples=200, deadline=None)
@given(work())
def test_split_adds_up_and_agrees_with_judging_every_minute(case: Work) -> None:
    calendar, start, end = case
    split = calendar.split(start, end)
    assert split.minutes == utc_minute(end) - utc_minute(start)
    assert min(split.business, split.after_hours, split.holiday) >= 0
    if utc_minute(end) - utc_minute(start) <= 2 * MINUTES_PER_DAY:
        assert split == classify_each_minute(calendar, start, end)
