"""Example tickets: solved facts in, a ticket that shows them, confirmed by deciding it.

In: values for the facts' variables (``conditions.solve``), the ``Program`` of the rule set, and
the rules the example must make fire. Out: an ``Example`` (the ticket, the earlier tickets a
count needs, and the words to print it in), or ``None`` when no ticket built from those values
makes every named rule fire. An example is shown only after the real evaluator has decided it,
so a lint never prints a ticket that does not do what it says.

Values a ticket cannot be given directly (``work.*`` hours, the results of built-in calls) are
reached by trying a few moments to start the work: a weekday morning, a weekday evening, a
Saturday, and a holiday of the agreement's calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from scopecheck.check.conditions import MISSING, Var
from scopecheck.evaluate.program import Program
from scopecheck.record import record
from scopecheck.syntax import ast
from scopecheck.tickets.model import TICKET_FIELDS, Ticket
from scopecheck.values import format_duration

EXAMPLE_ID = "EXAMPLE-1"
_MOST_EARLIER = 50
# Earlier tickets sit this far apart just before the example, so that every window (the
# contract year, the calendar month, the last N days) holds them.
_EARLIER_SPACING = dt.timedelta(minutes=10)
_SCOPE_DEFAULTS = {"requester": "pat@example.com", "device": "PC-01", "site": "main office"}


@record
class Example:
    ticket: Ticket
    earlier: tuple[Ticket, ...]
    shown_fields: tuple[str, ...]
    counted: tuple[tuple[ast.CountEarlier, int, tuple[tuple[str, object], ...]], ...]

    def words(self) -> str:
        """``{category: move, estimate: 5h, opened_at: 2026-03-20T10:00}``, then what came before."""
        fields = ", ".join(f"{name}: {_shown(getattr(self.ticket, name))}" for name in self.shown_fields)
        text = f"{{{fields}}}"
        for node, number, overrides in self.counted:
            if number:
                text += f", after {number} earlier ticket{'s' if number != 1 else ''}{_count_words(node)}"
                shown = [f"{name}: {_shown(value)}" for name, value in overrides if value is not None]
                if shown:
                    text += f" with {{{', '.join(shown)}}}"
        return text


def find_example(program: Program, values: dict[Var, object], must_fire: tuple[str, ...],
                 earlier_values: Callable[[ast.CountEarlier], dict[str, object] | None],
                 starts: list[dt.datetime]) -> Example | None:
    """A ticket built from ``values`` that makes every rule in ``must_fire`` fire; ``None`` when
    none of the tried variants does. ``earlier_values`` gives the fields an earlier ticket needs
    to pass a count's ``where`` condition; ``starts`` are the moments to try (``starts_to_try``)."""
    fields: dict[str, object] = {}
    work: dict[str, object] = {}
    counts: list[tuple[ast.CountEarlier, int]] = []
    for var, value in values.items():
        root, _, name = var.key.partition(".")
        if var.kind == "count" and value is MISSING:
            fields[var.node.same] = None  # a count for the same requester, of a ticket naming none
        elif var.kind == "count":
            counts.append((var.node, min(int(value), _MOST_EARLIER)))
        elif var.kind == "field" and root == "ticket" and name in TICKET_FIELDS and "." not in name:
            fields[name] = None if value is MISSING else value
        elif var.kind == "field" and root == "work":
            work[name] = value
    for count, _ in counts:
        if count.same and fields.get(count.same) is None and count.same not in fields:
            fields[count.same] = _SCOPE_DEFAULTS[count.same]
    shown = tuple(name for name in TICKET_FIELDS if fields.get(name) is not None and name not in ("id", "opened_at"))
    spent = _time_spent(work, fields)
    if spent is not None:
        fields["time_spent"] = spent
    overrides = {node: earlier_values(node) if node.condition is not None else {} for node, _ in counts}
    if any(values is None for values in overrides.values()):
        return None
    for start in starts:
        ticket = Ticket(**dict(fields, id=EXAMPLE_ID, opened_at=start))
        earlier = _earlier_tickets(ticket, counts, overrides)
        if _fires(program, ticket, earlier, must_fire):
            extra = ("time_spent",) if spent is not None and "time_spent" not in shown else ()
            counted = tuple((node, number, tuple(overrides[node].items())) for node, number in counts)
            return Example(ticket, earlier, ("opened_at", *shown, *extra), counted)
    return None


def _time_spent(work: dict[str, object], fields: dict[str, object]) -> dt.timedelta | None:
    """The labour the example records: what ``work.*`` must measure, else nothing of its own."""
    for name in ("duration", "after_hours", "holiday_hours", "business_hours"):
        value = work.get(name)
        if isinstance(value, dt.timedelta) and value > dt.timedelta(0):
            return max(value, dt.timedelta(minutes=1))
    if fields.get("time_spent") is None and fields.get("estimate") is None and any(v is not MISSING for v in work.values()):
        return dt.timedelta(hours=1)
    return fields.get("time_spent")  # type: ignore[return-value]


def starts_to_try(program: Program) -> list[dt.datetime]:
    """Weekday morning, weekday evening, Saturday, a holiday: well inside the term, so that
    earlier tickets fit before the example in the same contract year and month."""
    term_start = program.term_start
    term_end = program.agreement.plan.term.end or term_start + dt.timedelta(days=365)
    day = term_start + dt.timedelta(days=min(50, (term_end - term_start).days // 2))
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    starts = [dt.datetime.combine(day, dt.time(10, 0)), dt.datetime.combine(day, dt.time(20, 0)),
              dt.datetime.combine(saturday, dt.time(10, 0))]
    calendar = program.agreement.calendar
    for offset in range(366):
        candidate = term_start + dt.timedelta(days=offset)
        if calendar.is_holiday(candidate):
            if candidate.day == 1 and candidate.month == term_start.month:
                continue  # the term's first day has no earlier tickets before it
            starts.append(dt.datetime.combine(candidate, dt.time(10, 0)))
            break
    return starts


def _earlier_tickets(ticket: Ticket, counts: list[tuple[ast.CountEarlier, int]],
                     overrides: dict[ast.CountEarlier, dict[str, object]]) -> tuple[Ticket, ...]:
    made: list[Ticket] = []
    for node, number in counts:
        for _ in range(max(number, 0)):
            moment = ticket.opened_at - _EARLIER_SPACING * (len(made) + 1)
            made.append(ticket._replace(id=f"EARLIER-{len(made) + 1}", opened_at=moment, started_at=None, ended_at=None,
                                        **overrides[node]))
    return tuple(made)


def _fires(program: Program, ticket: Ticket, earlier: tuple[Ticket, ...], must_fire: tuple[str, ...]) -> bool:
    prepared = [program.prepare(t) for t in (*earlier, ticket)]
    if any(not isinstance(t, Ticket) for t in prepared):
        return False
    decisions = program.decide_batch(prepared)
    decided = next((d for d in decisions if d.ticket.id == EXAMPLE_ID), None)
    fired = {rule.rule_id for rule in decided.fired} if decided else set()
    return set(must_fire) <= fired


def _count_words(node: ast.CountEarlier) -> str:
    words = ""
    if node.same:
        words += f" for the same {node.same}"
    if node.window is not None:
        words += {"contract_year": " in the contract year", "calendar_month": " in the calendar month"}.get(
            node.window.kind, f" in the last {node.window.days} days"
        )
    return words


def _shown(value: object) -> str:
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value.replace("_", "").replace("-", "").replace("@", "").replace(".", "").isalnum() else f'"{value}"'
    return str(value)
