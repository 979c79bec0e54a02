"""A ticket's work, measured by the calendar's short path, is the work measured in UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scopecheck.calendar import MINUTES_PER_DAY, BusinessCalendar, BusinessHours, Holidays
from scopecheck.tickets.model import Ticket
from scopecheck.work import Work, WorkOfLastTicket, measure_work, work_interval

UTC = dt.timezone.utc
MINUTE = dt.timedelta(minutes=1)

# Instants a day or two from a clock change: New York and London in spring and autumn, Lord
# Howe's half hour, and Samoa's missing day.
CLOCK_CHANGES = (
    ("America/New_York", dt.datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("America/New_York", dt.datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ("Europe/London", dt.datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/London", dt.datetime(2026, 10, 25, 1, tzinfo=UTC)),
    ("Australia/Lord_Howe", dt.datetime(2026, 4, 4, 15, tzinfo=UTC)),
    ("Pacific/Apia", dt.datetime(2011, 12, 30, 10, tzinfo=UTC)),
)
HOURS = (
    BusinessHours.from_spans({weekday: [(8 * 60, 18 * 60)] for weekday in range(5)}),
    BusinessHours.from_spans({**{weekday: [(510, 750), (810, 1020)] for weekday in range(5)}, 5: [(540, 720)]}),
    BusinessHours.from_spans({weekday: [(0, 150), (1380, 1440)] for weekday in range(7)}),
)


def fields_of(moment: dt.datetime | None) -> tuple | None:
    return None if moment is None else (moment.replace(tzinfo=None), moment.fold, moment.tzinfo)


@st.composite
def tickets(draw: st.DrawFn) -> tuple[BusinessCalendar, Ticket]:
    seconds = dt.timedelta(seconds=draw(st.integers(0, 59)), microseconds=draw(st.sampled_from([0, 0, 0, 250_000])))
    if draw(st.booleans()):
        zone_name, instant = draw(st.sampled_from(CLOCK_CHANGES))
        instant += draw(st.integers(-2 * MINUTES_PER_DAY, MINUTES_PER_DAY)) * MINUTE + seconds
    else:
        zone_name = draw(st.sampled_from(("America/New_York", "Europe/London", "Asia/Kolkata", "UTC")))
        instant = dt.datetime(2026, 1, 1, tzinfo=UTC) + draw(st.integers(0, 366 * MINUTES_PER_DAY)) * MINUTE + seconds
    zone = ZoneInfo(zone_name)
    start = instant.astimezone(zone)
    if draw(st.booleans()):
        start = start.replace(fold=1 - start.fold)  # the same wall time, as the other pass of a repeated hour
    near = start.date()
    own = {near + dt.timedelta(days=offset): "Closed" for offset in draw(st.sets(st.integers(-1, 3), max_size=2))}
    calendar = BusinessCalendar(zone, draw(st.sampled_from(HOURS)), Holidays(draw(st.sampled_from([None, "US"])), own=own))
    length = draw(st.integers(0, 3 * MINUTES_PER_DAY)) * MINUTE + dt.timedelta(seconds=draw(st.integers(0, 59)))
    how = draw(st.sampled_from(["time_spent", "ended_at", "estimate", "none"]))
    fields: dict = {"id": "T-1", "opened_at": start, "requester": "dana@example.com", "category": "help_desk", "summary": "s"}
    if draw(st.booleans()):
        # Work started later than the ticket was opened.
        fields["opened_at"] = start - dt.timedelta(hours=draw(st.integers(1, 30)))
        fields["started_at"] = start
    if how == "ended_at":
        fields["ended_at"] = (start.astimezone(UTC) + length).astimezone(zone)
    elif how != "none":
        fields[how] = length
    return calendar, Ticket(**fields)


@settings(max_examples=500, deadline=None)
@given(tickets())
def test_work_is_measured_as_in_utc(case: tuple[BusinessCalendar, Ticket]) -> None:
    calendar, ticket = case
    start, end = work_interval(ticket)
    expected_split = calendar.split(start.astimezone(UTC), end.astimezone(UTC)) if end is not None else None
    for measuring in (BusinessCalendar(calendar.zone, calendar.hours, calendar.holidays), calendar, calendar):
        work = measure_work(ticket, measuring)
        assert fields_of(work.start) == fields_of(start)
        assert fields_of(work.end) == fields_of(end)
        if end is None:
            assert work.split.minutes == 0 and not work.measured and work.duration is None
        else:
            assert work.split == expected_split
            assert work.duration == expected_split.minutes * MINUTE
            assert work.business_hours == expected_split.business * MINUTE
            assert work.outside_business_hours == expected_split.outside * MINUTE
        assert work == Work(work.start, work.end, work.split)
    last = WorkOfLastTicket(calendar)
    assert last(ticket) is last(ticket)
    assert last(ticket) == measure_work(ticket, calendar)


def test_work_ending_before_it_starts_is_refused() -> None:
    zone = ZoneInfo("Europe/London")
    start = dt.datetime(2026, 6, 10, 10, tzinfo=zone)
    ticket = Ticket(id="T-1", opened_at=start, requester="r", category="help_desk", summary="s", ended_at=start - MINUTE)
    with pytest.raises(ValueError, match="before it starts"):
        measure_work(ticket, BusinessCalendar(zone))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CLOCK_CHANGES), st.integers(-3 * MINUTES_PER_DAY, 3 * MINUTES_PER_DAY), st.integers(0, 4 * MINUTES_PER_DAY))
def test_elapsed_time_is_real_time(change: tuple[str, dt.datetime], before: int, length: int) -> None:
    zone_name, instant = change
    zone = ZoneInfo(zone_name)
    start = instant + before * MINUTE
    end = start + length * MINUTE + dt.timedelta(seconds=length % 60)
    calendar = BusinessCalendar(zone)
    assert calendar.elapsed(start.astimezone(zone), end.astimezone(zone)) == end - start
    assert calendar.elapsed(start, end.astimezone(zone)) == end - start
