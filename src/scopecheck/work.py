"""A ticket's work in time: when it ran and how it splits across business hours.

In: a ticket whose times are local to the agreement's zone (``Program.prepare``) and the
agreement's ``BusinessCalendar``. Out: a ``Work`` value, which rules read as ``work.<field>``
and pricing turns into charge lines.

The interval starts at started_at (else opened_at) and lasts, in the order a ticket can give
it (docs/agreement.md, "Business time"):
    time_spent: the labour a technician recorded, whatever the clock said;
    until ended_at;
    estimate: work not yet done is priced as starting when it was asked for.
A ticket with none of these has no work to price: every ``work.*`` field but ``start`` is
missing, so a rule about its length or hours says it could not be checked.
"""

from __future__ import annotations

import datetime as dt

from scopecheck.calendar import BusinessCalendar, WorkSplit, work_split
from scopecheck.memo import Memo
from scopecheck.record import record
from scopecheck.tickets.model import Ticket
from scopecheck.values import DATETIME, DURATION, Type

_UTC = dt.timezone.utc
_MINUTE = dt.timedelta(minutes=1)
_NO_WORK = work_split(0, 0, 0)
# Durations handed to rules, one per number of minutes, and at most this many kept.
_DURATIONS_REMEMBERED = 4096
_durations: Memo = Memo(_DURATIONS_REMEMBERED)


def _duration(minutes: int) -> dt.timedelta:
    duration = _durations.get(minutes)
    return duration if duration is not None else _durations.keep(minutes, dt.timedelta(minutes=minutes))


@record
class Work:
    """Where one ticket's work lies in time; durations are real elapsed time, to the minute."""

    start: dt.datetime
    end: dt.datetime | None  # None: the ticket gives no time spent, end or estimate
    split: WorkSplit

    @property
    def measured(self) -> bool:
        return self.end is not None

    def _minutes(self, minutes: int) -> dt.timedelta | None:
        return _duration(minutes) if self.end is not None else None

    @property
    def duration(self) -> dt.timedelta | None:
        return self._minutes(self.split.minutes)

    @property
    def business_hours(self) -> dt.timedelta | None:
        return self._minutes(self.split.business)

    @property
    def after_hours(self) -> dt.timedelta | None:
        return self._minutes(self.split.after_hours)

    @property
    def holiday_hours(self) -> dt.timedelta | None:
        return self._minutes(self.split.holiday)

    @property
    def outside_business_hours(self) -> dt.timedelta | None:
        return self._minutes(self.split.outside)


# What rules may read as ``work.<field>``: each a property of ``Work``.
WORK_FIELDS: dict[str, tuple[Type, str]] = {
    "start": (DATETIME, "when the work started, local to the agreement's zone"),
    "end": (DATETIME, "when the work ended (or is expected to); missing, as are the rest, when the ticket gives no length"),
    "duration": (DURATION, "how long the work took, in real elapsed time"),
    "business_hours": (DURATION, "the part of the work inside business hours on working days"),
    "after_hours": (DURATION, "the part outside business hours on working days"),
    "holiday_hours": (DURATION, "the part on holidays"),
    "outside_business_hours": (DURATION, "after_hours and holiday_hours together"),
}


def work_interval(ticket: Ticket) -> tuple[dt.datetime, dt.datetime | None]:
    """The work's start and end as aware local times (see the module docstring for the order),
    on whole minutes of real time; the end is ``None`` when the ticket gives no length.
    Raises ``OverflowError`` for times beyond the calendar (the year 9999)."""
    start = ticket.started_at or ticket.opened_at
    start_utc = start.astimezone(_UTC)
    if ticket.time_spent is not None:
        length = ticket.time_spent
    elif ticket.ended_at is not None:
        # Compared in UTC: two times of one zone subtract by the wall clock.
        length = ticket.ended_at.astimezone(_UTC) - start_utc
    elif ticket.estimate is not None:
        length = ticket.estimate
    else:
        return start, None
    # Whole minutes of the length from the start's minute, so 40 seconds is no minute however
    # it straddles the clock, and a length is never measured differently at different times.
    if start_utc.second or start_utc.microsecond:
        start_utc = start_utc.replace(second=0, microsecond=0)
    end_utc = start_utc + _MINUTE * (length // _MINUTE)
    return start_utc.astimezone(start.tzinfo), end_utc.astimezone(start.tzinfo)


def measure_work(ticket: Ticket, calendar: BusinessCalendar) -> Work:
    """The ticket's work, split into business, after-hours and holiday minutes."""
    start = ticket.started_at or ticket.opened_at
    if ticket.time_spent is not None:
        length = ticket.time_spent
    elif ticket.ended_at is not None:
        length = calendar.elapsed(start, ticket.ended_at)
    elif ticket.estimate is not None:
        length = ticket.estimate
    else:
        return _new_work(start, None, _NO_WORK)
    measured = calendar.measure(start, length)
    if measured is None:
        start, end = work_interval(ticket)
        return _new_work(start, end, calendar.split(start, end))  # type: ignore[arg-type]
    return _new_work(*measured)


# A frozen dataclass's __init__ sets each field through object.__setattr__, which costs about as
# much as the rest of measuring a ticket; a Work's slots are set directly instead.
_set_start, _set_end, _set_split = Work.start.__set__, Work.end.__set__, Work.split.__set__  # type: ignore[attr-defined]


def _new_work(start: dt.datetime, end: dt.datetime | None, split: WorkSplit) -> Work:
    """``Work(start, end, split)``."""
    work = object.__new__(Work)
    _set_start(work, start)
    _set_end(work, end)
    _set_split(work, split)
    return work


class WorkOfLastTicket:
    """``Work`` of a ticket, measured once: every rule reading ``work.*`` and then pricing ask
    for the same ticket in turn, so remembering the last one answers all but the first."""

    __slots__ = ("calendar", "_ticket", "_work")

    def __init__(self, calendar: BusinessCalendar):
        self.calendar = calendar
        self._ticket: Ticket | None = None
        self._work: Work | None = None

    def __call__(self, ticket: Ticket) -> Work:
        if ticket is not self._ticket:
            self._work = measure_work(ticket, self.calendar)
            self._ticket = ticket
        return self._work  # type: ignore[return-value]
