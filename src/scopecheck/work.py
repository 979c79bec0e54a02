"""A ticket's work in time: when it ran and how it splits across business hours.

In: a ticket whose times are local to the agreement's zone (``Program.localize``) and the
agreement's ``BusinessCalendar``. Out: a ``Work`` value, which rules read as ``work.<field>``
and pricing turns into charge lines.

The interval, in the order a ticket can give it (docs/agreement.md, "Business time"):
    started_at (else opened_at) to ended_at;
    started_at (else opened_at) plus time_spent;
    opened_at plus estimate: work not yet done is priced as starting when it was asked for.
A ticket with none of these has work of no length at its start: there is nothing to price,
and ``work.duration`` is missing, so a rule about length says it could not be checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from scopecheck.calendar import BusinessCalendar, WorkSplit
from scopecheck.tickets.model import Ticket
from scopecheck.values import DATETIME, DURATION, Type

_UTC = dt.timezone.utc


@dataclass(frozen=True, slots=True)
class Work:
    """Where one ticket's work lies in time; durations are real elapsed time, to the minute."""

    start: dt.datetime
    end: dt.datetime
    split: WorkSplit
    measured: bool = True  # False: the ticket gives no end, time spent or estimate

    @property
    def duration(self) -> dt.timedelta | None:
        return dt.timedelta(minutes=self.split.minutes) if self.measured else None

    @property
    def business_hours(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.split.business)

    @property
    def after_hours(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.split.after_hours)

    @property
    def holiday_hours(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.split.holiday)

    @property
    def outside_business_hours(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.split.outside)


# What rules may read as ``work.<field>``: each a property of ``Work``.
WORK_FIELDS: dict[str, tuple[Type, str]] = {
    "start": (DATETIME, "when the work started, local to the agreement's zone"),
    "end": (DATETIME, "when the work ended (or is expected to)"),
    "duration": (DURATION, "how long the work took, in real elapsed time; missing when the ticket gives no length"),
    "business_hours": (DURATION, "the part of the work inside business hours on working days"),
    "after_hours": (DURATION, "the part outside business hours on working days"),
    "holiday_hours": (DURATION, "the part on holidays"),
    "outside_business_hours": (DURATION, "after_hours and holiday_hours together"),
}


def work_interval(ticket: Ticket) -> tuple[dt.datetime, dt.datetime] | tuple[dt.datetime, None]:
    """The work's start and end as aware local times (see the module docstring for the order);
    the end is ``None`` when the ticket gives no length."""
    start = ticket.started_at or ticket.opened_at
    if ticket.ended_at is not None:
        return start, ticket.ended_at
    length = ticket.time_spent if ticket.time_spent is not None else ticket.estimate
    if length is None:
        return start, None
    # Added in UTC: a wall-clock sum would be an hour off across a change of summer time.
    return start, (start.astimezone(_UTC) + length).astimezone(start.tzinfo)


def measure_work(ticket: Ticket, calendar: BusinessCalendar) -> Work:
    """The ticket's work, split into business, after-hours and holiday minutes."""
    start, end = work_interval(ticket)
    if end is None:
        return Work(start, start, calendar.split(start, start), measured=False)
    return Work(start, end, calendar.split(start, end))


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
