"""Business calendar: the stage between an agreement's hours and the pricing of work.

In: an IANA time zone, business hours per weekday (spans such as ``08:00-18:00``) and the
client's holidays (a country calendar from the ``holidays`` library, the agreement's own dates,
minus library holidays the client works on).
Out: whether a moment is in business hours, whether a day is a holiday and what it is called,
and how the minutes of a piece of work [start, end) divide into business, after-hours and
holiday minutes (``WorkSplit``).

Time is counted in whole minutes of real elapsed (UTC) time. A minute belongs to the bucket
given by its own local date and local time of day. To stay exact across daylight-saving
changes, ``BusinessCalendar.split`` cuts the work into stretches of constant UTC offset; inside
each stretch local wall time is UTC shifted by a fixed number of minutes, so wall-clock
arithmetic is exact there. A local wall time that does not exist then simply has no minutes,
and a repeated hour is counted both times, without special cases.

Most days have one offset from midnight to midnight, and most work lies within such days: a
calendar remembers, per local date, whether its offset holds, whether it is a holiday and which
of its minutes are open, so that a moment's business hours are one look-up and work on such
days is split by its wall clock directly. Days when the clocks change take the general path.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from scopecheck.diagnostics import did_you_mean, suggest
from scopecheck.memo import Memo
from scopecheck.record import field, record

MINUTES_PER_DAY = 1440

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAY_FULL_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HOW_TO_WRITE = "write it like 08:00-18:00"


class HoursFormatError(ValueError):
    """Business hours that cannot be read; the message is plain lower-case words, and
    ``weekday`` (0 = Monday) is the day at fault when there is one."""

    def __init__(self, message: str, weekday: int | None = None):
        super().__init__(message)
        self.weekday = weekday


# ---------------------------------------------------------------------------- business hours

_SPAN_PATTERN = re.compile(r"([0-9]{1,2}):([0-9]{2})\s*[-\u2013]\s*([0-9]{1,2}):([0-9]{2})")


def _clock(minute_of_day: int) -> str:
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


def _span_text(span: tuple[int, int]) -> str:
    return f"{_clock(span[0])}-{_clock(span[1])}"


def _minute_of_day(hour_text: str, minute_text: str, *, is_end: bool) -> int:
    hour, minute = int(hour_text), int(minute_text)
    written = f"{hour_text}:{minute_text}"
    if minute > 59:
        raise HoursFormatError(f"{written} is not a time of day: minutes run from 00 to 59")
    if hour == 24 and minute == 0:
        if not is_end:
            raise HoursFormatError("24:00 can only end a span, not start one")
        return MINUTES_PER_DAY
    if hour > 23:
        raise HoursFormatError(f"{written} is not a time of day: hours run from 00 to 23 (and 24:00 to end a span)")
    return hour * 60 + minute


def _check_span(start: int, end: int) -> None:
    if not 0 <= start < MINUTES_PER_DAY or not 0 < end <= MINUTES_PER_DAY:
        raise HoursFormatError(f"the span ({start}, {end}) is not within one day of 0 to {MINUTES_PER_DAY} minutes")
    if end <= start:
        raise HoursFormatError(
            f"the end {_clock(end)} is not after the start {_clock(start)}; "
            "hours that cross midnight are written as two spans, one on each day"
        )


def parse_opening_span(text: str) -> tuple[int, int]:
    """Read ``'08:00-12:00'`` as ``(480, 720)``: minutes since local midnight, end exclusive.

    Accepts H:MM or HH:MM, spaces around the dash, and an en dash; ``24:00`` only as an end.
    Business hours may not cross midnight: they are written as two spans on two days.
    """
    stripped = text.strip()
    if not stripped:
        raise HoursFormatError(f"the opening hours are empty: {_HOW_TO_WRITE}")
    match = _SPAN_PATTERN.fullmatch(stripped)
    if match is None:
        raise HoursFormatError(f"'{stripped}' is not an opening span: {_HOW_TO_WRITE}")
    start = _minute_of_day(match[1], match[2], is_end=False)
    end = _minute_of_day(match[3], match[4], is_end=True)
    _check_span(start, end)
    return start, end


@record
class BusinessHours:
    """Opening spans for each weekday, Monday first (index 0 = Monday, like ``date.weekday()``).

    ``week`` has exactly seven entries; each is a sorted tuple of ``(start, end)`` minute spans
    that neither overlap nor touch, so that equal hours always compare equal.
    """

    week: tuple[tuple[tuple[int, int], ...], ...]

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise HoursFormatError(f"business hours need seven weekdays, not {len(self.week)}")
        for weekday, spans in enumerate(self.week):
            for start, end in spans:
                _check_span(start, end)
            for before, after in zip(spans, spans[1:]):
                if after[0] <= before[1]:
                    raise HoursFormatError(
                        f"the spans {_span_text(before)} and {_span_text(after)} on "
                        f"{_WEEKDAY_FULL_NAMES[weekday]} are not sorted and apart; use BusinessHours.from_spans"
                    )

    @classmethod
    def from_spans(cls, by_weekday: Mapping[int, Sequence[tuple[int, int]]]) -> BusinessHours:
        """Hours from spans by weekday (0 = Monday; a missing day is closed).

        Sorts the spans and merges touching ones (08:00-12:00 and 12:00-13:00);
        raises ``HoursFormatError`` naming both spans when two overlap.
        """
        week: list[tuple[tuple[int, int], ...]] = []
        for weekday in by_weekday:
            if weekday not in range(7):
                raise HoursFormatError(f"weekday {weekday} does not exist: weekdays run from 0 (Monday) to 6 (Sunday)")
        for weekday in range(7):
            spans = sorted((int(start), int(end)) for start, end in by_weekday.get(weekday, ()))
            merged: list[tuple[int, int]] = []
            for start, end in spans:
                _check_span(start, end)
                if merged and start < merged[-1][1]:
                    raise HoursFormatError(
                        f"the spans {_span_text(merged[-1])} and {_span_text((start, end))} "
                        f"overlap on {_WEEKDAY_FULL_NAMES[weekday]}",
                        weekday,
                    )
                if merged and start == merged[-1][1]:
                    merged[-1] = (merged[-1][0], end)
                else:
                    merged.append((start, end))
            week.append(tuple(merged))
        return cls(tuple(week))

    def is_open(self, weekday: int, minute_of_day: int) -> bool:
        """Whether ``minute_of_day`` (0..1439) on ``weekday`` (0 = Monday) is inside a span."""
        return any(start <= minute_of_day < end for start, end in self.week[weekday])

    def open_minutes(self, weekday: int, first: int, last: int) -> int:
        """How many minutes of [first, last) on ``weekday`` are inside a span."""
        return sum(max(0, min(last, end) - max(first, start)) for start, end in self.week[weekday])

    @property
    def is_never_open(self) -> bool:
        """True when no weekday has any span."""
        return not any(self.week)

    def describe(self) -> str:
        """Such as ``Mon-Fri 08:00-18:00`` or ``Mon-Thu 08:00-12:00, 13:00-18:00; Fri 08:00-16:00``.

        Consecutive days with equal spans are grouped; closed days are left out; ``never`` when
        every day is closed.
        """
        groups: list[tuple[int, int, tuple[tuple[int, int], ...]]] = []
        for weekday, spans in enumerate(self.week):
            if not spans:
                continue
            if groups and groups[-1][1] == weekday - 1 and groups[-1][2] == spans:
                groups[-1] = (groups[-1][0], weekday, spans)
            else:
                groups.append((weekday, weekday, spans))
        if not groups:
            return "never"
        parts = []
        for first, last, spans in groups:
            days = _WEEKDAY_NAMES[first] if first == last else f"{_WEEKDAY_NAMES[first]}-{_WEEKDAY_NAMES[last]}"
            parts.append(f"{days} {', '.join(_span_text(span) for span in spans)}")
        return "; ".join(parts)


STANDARD_BUSINESS_HOURS = BusinessHours.from_spans({weekday: [(8 * 60, 18 * 60)] for weekday in range(5)})
"""Monday to Friday 08:00-18:00: the hours when an agreement states none."""

ALWAYS_OPEN = BusinessHours.from_spans({weekday: [(0, MINUTES_PER_DAY)] for weekday in range(7)})
"""Every day 00:00-24:00."""


# ---------------------------------------------------------------------------- holidays

# The library marks variants of a holiday with a parenthesised suffix: "(observed)",
# "(estimated)", "(substituted from ...)"; a client who skips a holiday skips its variants too.
_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")
# The library joins the names of holidays that fall on one day with this separator.
_NAME_SEPARATOR = "; "


@functools.lru_cache(maxsize=1024)
def base_holiday_name(name: str) -> str:
    """``Independence Day (observed)`` -> ``Independence Day``: the name a client writes."""
    while (stripped := _SUFFIX.sub("", name)) != name:
        name = stripped
    return name


@functools.lru_cache(maxsize=256)
def _library_year(country: str, subdivision: str | None, year: int) -> Mapping[dt.date, tuple[str, ...]]:
    """The library's holidays of one year, each day's names kept apart."""
    import holidays

    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    return MappingProxyType({day: tuple(names.split(_NAME_SEPARATOR)) for day, names in calendar.items()})


@functools.lru_cache(maxsize=64)
def holiday_country_problem(country: str, subdivision: str | None) -> tuple[str, str | None] | None:
    """``None`` when the holidays library knows the country (and subdivision); else (message, help).

    Such as ``("the holidays calendar has no country 'UX'", "did you mean one of 'UA', ...?")``
    or ``("'US' has no subdivision 'NX'", "subdivisions of US are AK, AL, ...")``.
    """
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        return f"the holidays calendar has no country '{country}'", _country_help(country, supported)
    if subdivision is None:
        return None
    # Asking the library itself also accepts the aliases it knows, such as "England" for ENG.
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        pass
    else:
        return None
    message = f"'{country}' has no subdivision '{subdivision}'"
    codes = supported[country]
    if not codes:
        return message, f"the holidays calendar has no subdivisions for {country}"
    aliases = getattr(holidays.country_holidays(country), "subdivisions_aliases", {})
    return message, _subdivision_help(country, subdivision, codes, aliases)


def _country_help(country: str, supported: Mapping[str, object]) -> str:
    codes = sorted(code for code in supported if len(code) == 2)
    if country.upper() in supported:
        return f"did you mean '{country.upper()}'?"
    by_name = _country_codes_by_name()
    spelt_as_name = " ".join(country.replace("_", " ").split()).lower()
    if spelt_as_name in by_name:
        return f"did you mean '{by_name[spelt_as_name]}'?"
    close_name = suggest(spelt_as_name, by_name)
    if close_name is not None:
        return f"did you mean '{by_name[close_name]}'?"
    # difflib finds nothing close among two-letter codes, so offer every code one letter away,
    # those that keep the first letter first.
    written = country.upper()
    one_letter_away = sorted(
        (code for code in codes if len(written) == 2 and sum(a != b for a, b in zip(code, written)) == 1),
        key=lambda code: (code[0] != written[0], code),
    )
    if len(one_letter_away) == 1:
        return f"did you mean '{one_letter_away[0]}'?"
    if one_letter_away:
        return "did you mean one of " + ", ".join(f"'{code}'" for code in one_letter_away) + "?"
    return "countries are named by their two-letter ISO 3166 code, such as 'US', 'GB' or 'DE'"


def _country_codes_by_name() -> dict[str, str]:
    """Country names in lower case (``"united states"``) to codes, where the library lists them."""
    try:
        from holidays.registry import COUNTRIES
    except ImportError:  # an internal table; without it only codes are suggested
        return {}
    return {module.replace("_", " "): entry[1] for module, entry in COUNTRIES.items()}


def _subdivision_help(country: str, subdivision: str, codes: Sequence[str], aliases: Mapping[str, str]) -> str:
    if subdivision.upper() in codes:
        return f"did you mean '{subdivision.upper()}'?"
    close = did_you_mean(subdivision, codes)
    if close is not None:
        return close
    # Names such as "New Yrok" are matched against the library's names for its subdivisions.
    close_alias = suggest(subdivision, aliases)
    if close_alias is not None:
        return f"did you mean '{aliases[close_alias]}'?"
    return f"subdivisions of {country} are {', '.join(codes)}"


def holiday_names(country: str, subdivision: str | None, years: Iterable[int]) -> frozenset[str]:
    """Every holiday name the library gives in those years, without ``(observed)``-style suffixes.

    For checking the names an agreement lists as not observed.
    """
    return frozenset(
        base_holiday_name(name)
        for year in years
        for names in _library_year(country, subdivision, year).values()
        for name in names
    )


@record
class Holidays:
    """The client's non-working days: a country (and optional subdivision) calendar from the
    holidays library, plus the agreement's own dates, minus the library holidays the client does
    not observe (by name)."""

    country: str | None = None
    """ISO 3166-1 alpha-2 code, such as ``US`` or ``GB``."""
    subdivision: str | None = None
    """Such as ``NY`` or ``ENG``."""
    # A mapping cannot be hashed; equality still compares it, and the other fields spread hashes enough.
    own: Mapping[dt.date, str] = field(default_factory=dict, hash=False)
    """The agreement's own holidays and closures, name by date."""
    not_observed: frozenset[str] = frozenset()
    """Library holiday names the client works on, such as ``Columbus Day``."""

    def __post_init__(self) -> None:
        # Copied so that the caller's dict cannot change a calendar after the fact.
        object.__setattr__(self, "own", MappingProxyType(dict(self.own)))
        object.__setattr__(self, "not_observed", frozenset(self.not_observed))
        if self.subdivision is not None and self.country is None:
            raise ValueError(f"the holiday subdivision '{self.subdivision}' needs a country")
        if self.country is not None:
            problem = holiday_country_problem(self.country, self.subdivision)
            if problem is not None:
                raise ValueError(problem[0])

    def name_of(self, day: dt.date) -> str | None:
        """The holiday's name, or ``None`` when ``day`` is a working day.

        Own dates win over the library. A library name is not observed when it, or the name
        without its parenthesised suffix, is in ``not_observed``: not observing
        "Independence Day" also drops "Independence Day (observed)".
        """
        if isinstance(day, dt.datetime):
            day = day.date()
        own_name = self.own.get(day)
        if own_name is not None:
            return own_name
        if self.country is None:
            return None
        names = _library_year(self.country, self.subdivision, day.year).get(day, ())
        observed = [
            name for name in names if name not in self.not_observed and base_holiday_name(name) not in self.not_observed
        ]
        return _NAME_SEPARATOR.join(observed) if observed else None

    def is_holiday(self, day: dt.date) -> bool:
        """Whether ``day`` is one of the client's non-working days."""
        return self.name_of(day) is not None

    def describe(self) -> str:
        """Such as ``US-NY holidays except Columbus Day, plus 2 own dates`` or ``no holidays``."""
        parts = []
        if self.country is not None:
            region = f"{self.country}-{self.subdivision}" if self.subdivision else self.country
            library = f"{region} holidays"
            if self.not_observed:
                library += " except " + ", ".join(sorted(self.not_observed))
            parts.append(library)
        if self.own:
            count = len(self.own)
            parts.append(f"{count} own date{'s' if count != 1 else ''}")
        if not parts:
            return "no holidays"
        return ", plus ".join(parts)


NO_HOLIDAYS = Holidays()


# ---------------------------------------------------------------------------- the calendar

_UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_MINUTE = dt.timedelta(minutes=1)
_SECONDS = tuple(dt.timedelta(seconds=seconds) for seconds in range(60))
_LAST_INSTANT_OF_DAY = dt.timedelta(days=1, microseconds=-1)
# Days this close to the ends of the calendar always take the general path, whose conversions to
# UTC raise OverflowError there.
_FIRST_STEADY_ORDINAL = dt.date.min.toordinal() + 2
_LAST_STEADY_ORDINAL = dt.date.max.toordinal() - 2
# How many dates a calendar remembers before it starts afresh, and how many splits are shared:
# enough for years of tickets, and a run over any number of them keeps its memory flat.
_DAYS_REMEMBERED = 4096
_SPLITS_REMEMBERED = 4096


@record
class WorkSplit:
    """How the minutes of one piece of work divide. The three parts never overlap and always
    add up to ``minutes``."""

    business: int
    """Minutes inside business hours on working days."""
    after_hours: int
    """Minutes outside business hours on working days."""
    holiday: int
    """Minutes on holidays: all of a holiday is holiday time, whatever the hours."""

    @property
    def minutes(self) -> int:
        """All the minutes of the work."""
        return self.business + self.after_hours + self.holiday

    @property
    def outside(self) -> int:
        """Minutes that carry a premium: after hours or on a holiday."""
        return self.after_hours + self.holiday


_shared_splits: Memo = Memo(_SPLITS_REMEMBERED)


def work_split(business: int, after_hours: int, holiday: int) -> WorkSplit:
    """``WorkSplit(business, after_hours, holiday)``, one value shared by every piece of work
    that splits alike: the same few splits recur ticket after ticket, and building a frozen
    dataclass costs more than looking one up."""
    key = (business, after_hours, holiday)
    split = _shared_splits.get(key)
    return split if split is not None else _shared_splits.keep(key, WorkSplit(business, after_hours, holiday))


class _Day(NamedTuple):
    """What a calendar knows of one local date."""

    offset: int | None
    """The zone's UTC offset in whole minutes when it holds all day, so that every wall time of
    the day exists once and is UTC shifted by it; ``None`` when the clocks change on the day or
    at its edges (or the offset has seconds, or the day is at the ends of the calendar), and the
    general path answers for the day."""
    holiday: str | None
    """The holiday's name (``Holidays.name_of``), ``None`` on a working day."""
    open_by_minute: tuple[bool, ...]
    """For each minute of the day (0..1439), whether it is in business hours; all ``False`` on
    a holiday."""
    open_before: tuple[int, ...]
    """For each minute of the day (0..1440), how many business minutes come before it, so that
    the business minutes of [first, last) are ``open_before[last] - open_before[first]``."""


@functools.lru_cache(maxsize=64)
def _minute_tables(spans: tuple[tuple[int, int], ...]) -> tuple[tuple[bool, ...], tuple[int, ...]]:
    """``open_by_minute`` and ``open_before`` (see ``_Day``) of one day's opening spans."""
    open_by_minute = [False] * MINUTES_PER_DAY
    for start, end in spans:
        open_by_minute[start:end] = [True] * (end - start)
    return tuple(open_by_minute), tuple(itertools.accumulate(open_by_minute, initial=0))


@record
class BusinessCalendar:
    """An agreement's time zone, business hours and holidays."""

    zone: dt.tzinfo
    """A ``zoneinfo.ZoneInfo``."""
    hours: BusinessHours = STANDARD_BUSINESS_HOURS
    holidays: Holidays = NO_HOLIDAYS
    # What is known of each local date, by its ordinal (``_Day``): every question about a moment
    # comes down to its date, and a batch of tickets falls on few dates. A copied or pickled
    # calendar starts without it, so each process builds its own.
    _days: Memo = field(default_factory=lambda: Memo(_DAYS_REMEMBERED), init=False, repr=False, compare=False)

    def __getstate__(self) -> tuple[dt.tzinfo, BusinessHours, Holidays]:
        return self.zone, self.hours, self.holidays

    def __setstate__(self, state: tuple[dt.tzinfo, BusinessHours, Holidays]) -> None:
        for name, value in zip(("zone", "hours", "holidays"), state, strict=True):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_days", Memo(_DAYS_REMEMBERED))

    def local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` as an aware datetime in the calendar's zone.

        A naive moment is read as local wall time, the first of a repeated hour unless its
        ``fold`` says otherwise; a wall time skipped by a clock change comes back as the real
        local time it stands for (02:30 on a spring-forward night in New York is 03:30).
        """
        zone = self.zone
        tzinfo = moment.tzinfo
        if (tzinfo is zone or tzinfo is None) and type(moment) is dt.datetime:
            ordinal = moment.toordinal()
            if (self._days.get(ordinal) or self._learn_day(ordinal)).offset is not None:
                # Every wall time of such a day exists once: the moment already reads as local
                # time, and only its fold, which names no other moment, is set as a conversion sets it.
                if tzinfo is None:
                    return moment.replace(tzinfo=zone, fold=0)
                return moment.replace(fold=0) if moment.fold else moment
        if tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=zone)
        elif tzinfo is not zone and type(moment) is dt.datetime:
            # From another zone one conversion does it: astimezone goes through UTC itself.
            return moment.astimezone(zone)
        return moment.astimezone(_UTC).astimezone(zone)

    def holiday_name(self, moment_or_day: dt.datetime | dt.date) -> str | None:
        """The holiday's name, or ``None``; a datetime is judged by its local date."""
        if isinstance(moment_or_day, dt.datetime):
            tzinfo = moment_or_day.tzinfo
            if tzinfo is self.zone or tzinfo is None:
                ordinal = moment_or_day.toordinal()
                day = self._days.get(ordinal) or self._learn_day(ordinal)
                if day.offset is not None:
                    return day.holiday
            return self._day(self.local(moment_or_day).toordinal()).holiday
        if isinstance(moment_or_day, dt.date):
            return self._day(moment_or_day.toordinal()).holiday
        return self.holidays.name_of(moment_or_day)

    def is_holiday(self, moment_or_day: dt.datetime | dt.date) -> bool:
        """Whether the day is a holiday; a datetime is judged by its local date."""
        return self.holiday_name(moment_or_day) is not None

    def in_business_hours(self, moment: dt.datetime) -> bool:
        """Whether the local date is a working day and the local time inside a business span."""
        tzinfo = moment.tzinfo
        if tzinfo is self.zone or tzinfo is None:
            ordinal = moment.toordinal()
            day = self._days.get(ordinal) or self._learn_day(ordinal)
            if day.offset is not None:
                return day.open_by_minute[moment.hour * 60 + moment.minute]
        local = self.local(moment)
        return self._day(local.toordinal()).open_by_minute[local.hour * 60 + local.minute]

    def split(self, start: dt.datetime, end: dt.datetime) -> WorkSplit:
        """Divide the minutes of work [start, end) into business, after-hours and holiday minutes.

        Both ends are truncated to the whole minute in UTC; durations are real elapsed time.
        Each minute is judged by its own local date and local time of day. Raises
        ``ValueError`` when ``end`` is before ``start``.
        """
        # Local times on days whose offset holds are split by their wall clocks; comparing them
        # by wall clock is then comparing them in real time.
        tzinfo = start.tzinfo
        if end.tzinfo is tzinfo and (tzinfo is self.zone or tzinfo is None):
            local_start, local_end = start, end
        else:
            local_start, local_end = self.local(start), self.local(end)
        if not local_end < local_start:
            split = self._split_steady(local_start, local_end)
            if split is not None:
                return split
        start_utc = self.local(start).astimezone(_UTC)
        end_utc = self.local(end).astimezone(_UTC)
        # Compared in UTC: two datetimes sharing one zone object compare by wall clock.
        if end_utc < start_utc:
            raise ValueError(
                f"the work ends at {self.local(end).isoformat()}, before it starts at {self.local(start).isoformat()}"
            )
        first = (start_utc - _EPOCH) // _MINUTE
        stop = (end_utc - _EPOCH) // _MINUTE
        totals = [0, 0, 0]
        for piece_start, piece_stop, offset in self._constant_offset_pieces(first, stop):
            self._add_wall_minutes(piece_start + offset, piece_stop + offset, totals)
        return work_split(*totals)

    def measure(self, start: dt.datetime, length: dt.timedelta) -> tuple[dt.datetime, dt.datetime, WorkSplit] | None:
        """Work of ``length`` from ``start`` in whole minutes of real time, from the start's
        minute (as ``work.work_interval`` counts it): its start and end, local, and its split.

        The short path for the usual work, a local start on a day whose offset holds, lasting
        while the offset holds; ``None`` for any other work, which the caller measures in UTC.
        """
        if start.tzinfo is not self.zone:
            return None
        ordinal = start.toordinal()
        day = self._days.get(ordinal) or self._learn_day(ordinal)
        if day.offset is None:
            return None
        minutes = length // _MINUTE
        if minutes < 0:
            return None
        if start.microsecond:
            start = start.replace(second=0, microsecond=0, fold=0)
        elif start.second or start.fold:
            # On such a day the wall clock moves with real time, and arithmetic leaves fold 0 as
            # a conversion does; subtracting is many times cheaper than ``replace``.
            start = start - _SECONDS[start.second]
        end = start + _MINUTE * minutes
        if end.toordinal() != ordinal:
            split = self._split_steady(start, end)
            return None if split is None else (start, end, split)
        # Within the day: the most common work, answered here.
        if day.holiday is not None:
            return start, end, work_split(0, 0, minutes)
        from_minute = start.hour * 60 + start.minute
        open_before = day.open_before
        inside = open_before[from_minute + minutes] - open_before[from_minute]
        split = _shared_splits.get((inside, minutes - inside, 0))
        return start, end, split if split is not None else work_split(inside, minutes - inside, 0)

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The real time from ``start`` to ``end``, both aware (``end - start`` in UTC)."""
        zone = self.zone
        if start.tzinfo is zone and end.tzinfo is zone:
            start_ordinal, end_ordinal = start.toordinal(), end.toordinal()
            start_offset = (self._days.get(start_ordinal) or self._learn_day(start_ordinal)).offset
            if start_offset is not None and start_offset == (self._days.get(end_ordinal) or self._learn_day(end_ordinal)).offset:
                # One offset at both ends: the wall clocks differ by the real time between them.
                return end - start
        return end.astimezone(_UTC) - start.astimezone(_UTC)

    def describe(self) -> str:
        """Such as ``Mon-Fri 08:00-18:00 America/New_York, US holidays``."""
        hours = "no business hours" if self.hours.is_never_open else self.hours.describe()
        zone_name = getattr(self.zone, "key", None) or str(self.zone)
        return f"{hours} {zone_name}, {self.holidays.describe()}"

    # --- days

    def _day(self, ordinal: int) -> _Day:
        return self._days.get(ordinal) or self._learn_day(ordinal)

    def _learn_day(self, ordinal: int) -> _Day:
        day = dt.date.fromordinal(ordinal)
        holiday = self.holidays.name_of(day)
        tables = _minute_tables(() if holiday is not None else self.hours.week[day.weekday()])
        return self._days.keep(ordinal, _Day(self._steady_offset(day), holiday, *tables))

    def _steady_offset(self, day: dt.date) -> int | None:
        """``_Day.offset`` of ``day``."""
        zone = self.zone
        # Only for zones whose changes of offset are known to be days apart (below).
        if not isinstance(zone, (ZoneInfo, dt.timezone)):
            return None
        if not _FIRST_STEADY_ORDINAL <= day.toordinal() <= _LAST_STEADY_ORDINAL:
            return None
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=zone)
        last = midnight + _LAST_INSTANT_OF_DAY
        # A wall time that is skipped or repeated reads a different offset with fold 0 and fold
        # 1, and a change within the day gives its first and last instants different offsets.
        # The tz database never changes a zone's offset twice within four days (the closest are
        # 95 hours apart), so these four readings see every change that touches the day.
        offsets = {moment.replace(fold=fold).utcoffset() for moment in (midnight, last) for fold in (0, 1)}
        if len(offsets) != 1:
            return None
        (offset,) = offsets
        if offset is None or offset % _MINUTE:
            return None
        return offset // _MINUTE

    def _split_steady(self, start: dt.datetime, end: dt.datetime) -> WorkSplit | None:
        """``split`` of work between two wall times of this zone, not out of order, by their wall
        clocks; ``None`` when the work touches a day whose offset changes (see ``_Day.offset``)."""
        days = self._days
        first_ordinal, last_ordinal = start.toordinal(), end.toordinal()
        first = days.get(first_ordinal) or self._learn_day(first_ordinal)
        offset = first.offset
        if offset is None:
            return None
        from_minute = start.hour * 60 + start.minute
        to_minute = end.hour * 60 + end.minute
        if first_ordinal == last_ordinal:
            minutes = to_minute - from_minute
            if first.holiday is not None:
                return work_split(0, 0, minutes)
            inside = first.open_before[to_minute] - first.open_before[from_minute]
            return work_split(inside, minutes - inside, 0)
        business = after_hours = holiday = 0
        for ordinal in range(first_ordinal, last_ordinal + 1):
            day = days.get(ordinal) or self._learn_day(ordinal)
            if day.offset != offset:
                return None
            first_minute = from_minute if ordinal == first_ordinal else 0
            last_minute = to_minute if ordinal == last_ordinal else MINUTES_PER_DAY
            if day.holiday is not None:
                holiday += last_minute - first_minute
            else:
                inside = day.open_before[last_minute] - day.open_before[first_minute]
                business += inside
                after_hours += last_minute - first_minute - inside
        return work_split(business, after_hours, holiday)

    # --- the general path, in UTC minutes

    def _offset(self, utc_minute: int) -> int:
        """The zone's UTC offset in whole minutes (rounded down) at a UTC minute."""
        offset = (_EPOCH + utc_minute * _MINUTE).astimezone(self.zone).utcoffset()
        assert offset is not None
        # Rounding down keeps "local minute = UTC minute + offset" exact for the odd historical
        # offsets with seconds in them, as the minute of day is read from the wall time's start.
        return offset // _MINUTE

    def _constant_offset_pieces(self, first: int, stop: int) -> Iterable[tuple[int, int, int]]:
        """[first, stop) in UTC minutes, cut where the zone's offset changes: (start, stop, offset)."""
        # Looking one day ahead at a time assumes no zone changes its offset and back within a
        # day, which holds for every rule in the tz database.
        while first < stop:
            offset = self._offset(first)
            probe = min(first + MINUTES_PER_DAY, stop) - 1
            if self._offset(probe) == offset:
                piece_stop = probe + 1
            else:
                same, changed = first, probe
                while changed - same > 1:
                    middle = (same + changed) // 2
                    if self._offset(middle) == offset:
                        same = middle
                    else:
                        changed = middle
                piece_stop = changed
            yield first, piece_stop, offset
            first = piece_stop

    def _add_wall_minutes(self, first: int, stop: int, totals: list[int]) -> None:
        """Add the wall-clock minutes [first, stop) (counted from 1970-01-01 00:00) to totals."""
        for day_number in range(first // MINUTES_PER_DAY, (stop - 1) // MINUTES_PER_DAY + 1):
            midnight = day_number * MINUTES_PER_DAY
            from_minute = max(first, midnight) - midnight
            to_minute = min(stop, midnight + MINUTES_PER_DAY) - midnight
            day = self._day(_EPOCH_ORDINAL + day_number)
            if day.holiday is not None:
                totals[2] += to_minute - from_minute
                continue
            inside = day.open_before[to_minute] - day.open_before[from_minute]
            totals[0] += inside
            totals[1] += to_minute - from_minute - inside
