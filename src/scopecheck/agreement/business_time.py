"""The agreement's calendar: ``timezone``, ``business_hours`` and ``holidays`` -> ``BusinessCalendar``.

In: the normalised agreement document (dates already ``datetime.date``) and its source map.
Out: the ``BusinessCalendar`` the evaluator asks whether a moment is in business hours or on a
holiday, or the problems found, each at the line and column of the value at fault:

    agreement.unknown-time-zone   a time zone the IANA database does not have
    agreement.invalid-hours       a span that does not read as HH:MM-HH:MM, ends before it starts,
                                  or overlaps another span of the same day
    agreement.unknown-holidays    a country or subdivision the holidays calendar does not know,
                                  or a holiday name under not_observed that it never gives
    agreement.invalid-value       a closure that ends before it starts

The schema has already checked the shape; these are the checks only the calendar can make.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping
from types import MappingProxyType

from scopecheck.calendar import (
    STANDARD_BUSINESS_HOURS,
    BusinessCalendar,
    BusinessHours,
    Holidays,
    HoursFormatError,
    base_holiday_name,
    holiday_country_problem,
    holiday_names,
    parse_opening_span,
)
from scopecheck.diagnostics import Diagnostic, did_you_mean
from scopecheck.values import ValueFormatError, parse_date
from scopecheck.yamlsource import JsonPath, SourceMap, dotted

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# A group sets its days first, so a day named on its own overrides it whatever the order written.
_GROUPS = {"weekdays": range(0, 5), "weekend": range(5, 7)}


def read_calendar(
    document: Mapping, source_map: SourceMap, usable: Callable[[JsonPath], bool]
) -> tuple[BusinessCalendar | None, list[Diagnostic]]:
    """The agreement's calendar, or ``None`` with the problems that prevent it.

    ``usable(path)`` is false for a section the schema already rejected: it is not read again,
    so one mistake is reported once.
    """
    problems: list[Diagnostic] = []
    zone = _zone(document.get("timezone", "UTC"), source_map, problems) if usable(("timezone",)) else None
    hours = _business_hours(document.get("business_hours"), source_map, problems) if usable(("business_hours",)) else None
    holidays = _holidays(document.get("holidays"), document, source_map, problems) if usable(("holidays",)) else None
    if problems or zone is None or hours is None or holidays is None:
        return None, problems
    return BusinessCalendar(zone, hours, holidays), problems


def _zone(name: object, source_map: SourceMap, problems: list[Diagnostic]) -> dt.tzinfo | None:
    if not isinstance(name, str):
        return None  # the schema reported it
    if name in ("UTC", "Etc/UTC"):
        # The same clock as ZoneInfo("UTC"), but Python's own fixed zone turns a time into an
        # instant several times faster, and every ticket is placed in time that way.
        return dt.timezone.utc
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        pass
    problems.append(
        Diagnostic(
            "agreement.unknown-time-zone",
            f"'{name}' is not a time zone",
            source_map.span_of(("timezone",)),
            help=did_you_mean(name, zoneinfo.available_timezones()) or "write an IANA zone name, like America/New_York",
        )
    )
    return None


def _business_hours(section: object, source_map: SourceMap, problems: list[Diagnostic]) -> BusinessHours | None:
    if section is None:
        return STANDARD_BUSINESS_HOURS
    if not isinstance(section, Mapping):
        return None
    by_day: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    written_by: dict[int, str] = {}
    ordered = sorted(section.items(), key=lambda item: item[0] not in _GROUPS)
    count_before = len(problems)
    for key, value in ordered:
        days = _GROUPS.get(key) or ((WEEKDAY_NAMES.index(key),) if key in WEEKDAY_NAMES else ())
        spans = _spans(value, ("business_hours", key), source_map, problems)
        for day in days:
            by_day[day] = list(spans)
            written_by[day] = key
    if len(problems) > count_before:
        return None
    try:
        return BusinessHours.from_spans(by_day)
    except HoursFormatError as error:  # spans of one day that overlap, told at the key that wrote it
        path = ("business_hours", written_by[error.weekday]) if error.weekday in written_by else ("business_hours",)
        problems.append(Diagnostic("agreement.invalid-hours", f"'{dotted(path)}': {error}", source_map.span_of(path)))
        return None


def _spans(value: object, path: JsonPath, source_map: SourceMap, problems: list[Diagnostic]) -> list[tuple[int, int]]:
    if value == "closed":
        return []
    items = [(path, value)] if isinstance(value, str) else [(path + (index,), item) for index, item in enumerate(value or ())]
    spans = []
    for item_path, text in items:
        try:
            spans.append(parse_opening_span(text))
        except HoursFormatError as error:
            problems.append(Diagnostic("agreement.invalid-hours", f"'{dotted(item_path)}': {error}", source_map.span_of(item_path),
                                       help="write a span of local time like 08:00-18:00; a span may not cross midnight"))
    return spans


def _holidays(section: object, document: Mapping, source_map: SourceMap, problems: list[Diagnostic]) -> Holidays | None:
    if section is None:
        return Holidays()
    if not isinstance(section, Mapping):
        return None
    count_before = len(problems)
    country, subdivision = section.get("country"), section.get("subdivision")
    if country is not None:
        # The country first, so a wrong country is not also reported as a wrong subdivision.
        for key, problem in (("country", holiday_country_problem(country, None)),
                             ("subdivision", subdivision and holiday_country_problem(country, subdivision))):
            if problem:
                message, hint = problem
                problems.append(Diagnostic("agreement.unknown-holidays", message, source_map.span_of(("holidays", key)), help=hint))
                return None
    not_observed = section.get("not_observed", ())
    if not_observed and country is not None:
        known = holiday_names(country, subdivision, _term_years(document))
        for index, name in enumerate(not_observed):
            if base_holiday_name(name) not in known:
                problems.append(
                    Diagnostic(
                        "agreement.unknown-holidays",
                        f"'{name}' is not a holiday of {country}{'-' + subdivision if subdivision else ''} during the agreement's term",
                        source_map.span_of(("holidays", "not_observed", index)),
                        help=did_you_mean(name, known) or "the names are those of the holidays calendar, such as " + ", ".join(sorted(known)[:4]),
                    )
                )
    own = _own_days(section.get("dates", ()), source_map, problems)
    if len(problems) > count_before:
        return None
    try:
        return Holidays(country, subdivision, MappingProxyType(own), frozenset(not_observed))
    except ValueError as error:  # what the checks above missed still gets a position
        problems.append(Diagnostic("agreement.unknown-holidays", str(error), source_map.span_of(("holidays",))))
        return None


def _own_days(entries: object, source_map: SourceMap, problems: list[Diagnostic]) -> dict[dt.date, str]:
    own: dict[dt.date, str] = {}
    for index, entry in enumerate(entries or ()):
        if isinstance(entry, str):  # a bare date sits in an anyOf, which carries no x-type to type it
            try:
                entry = parse_date(entry)
            except ValueFormatError:
                continue  # the schema has reported it
        if isinstance(entry, dt.date):
            own[entry] = "holiday (agreement)"
        elif isinstance(entry, Mapping) and isinstance(entry.get("date"), dt.date):
            own[entry["date"]] = entry.get("name") or "holiday (agreement)"
        elif isinstance(entry, Mapping) and isinstance(entry.get("from"), dt.date) and isinstance(entry.get("to"), dt.date):
            first, last = entry["from"], entry["to"]
            if last < first:
                problems.append(Diagnostic("agreement.invalid-value",
                                           f"'holidays.dates[{index}]': the closure ends on {last.isoformat()}, before it starts on {first.isoformat()}",
                                           source_map.span_of(("holidays", "dates", index, "to"))))
                continue
            for offset in range((last - first).days + 1):
                own[first + dt.timedelta(days=offset)] = entry.get("name") or "closure (agreement)"
    return own


def _term_years(document: Mapping) -> range:
    term = document.get("plan", {}).get("term", {}) if isinstance(document.get("plan"), Mapping) else {}
    start, end = term.get("start"), term.get("end")
    if isinstance(start, dt.date) and isinstance(end, dt.date) and start <= end:
        return range(start.year, end.year + 1)
    today = dt.date.today()
    return range(today.year - 1, today.year + 2)
