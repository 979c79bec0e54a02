"""Earlier tickets, for rules that count what came before ("one move per user per year").

In: decided tickets, in the order of their work start. Out: counts of earlier tickets for the
same requester, device or site, within a window, that match a condition; and, in
``inventory``, the different requesters and devices of each contract year (coverage ceilings).

The contract year is anchored on the agreement's start date, not the calendar: a contract
that starts on 1 March counts moves from 1 March to the last day of February.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from scopecheck.evaluate.decision import Draw
from scopecheck.evaluate.inventory import Inventory, name_key
from scopecheck.memo import Memo
from scopecheck.record import record
from scopecheck.tickets.model import Ticket

if TYPE_CHECKING:
    from scopecheck.evaluate.prepaid import PrepaidBalances


class Earlier(NamedTuple):
    """An earlier ticket as a rule sees it through ``earlier.*``; ``instant`` is ``start`` as
    a POSIX timestamp, compared without the wall clock (``Earlier.of`` works it out)."""

    ticket: Ticket
    start: dt.datetime
    instant: float
    outcome: str
    rule: str | None
    drawn: tuple[Draw, ...] = ()  # prepaid minutes the ticket used

    @classmethod
    def of(cls, ticket: Ticket, outcome: str, rule: str | None, drawn: tuple[Draw, ...] = ()) -> Earlier:
        start = work_start(ticket)
        return cls(ticket, start, start.timestamp(), outcome, rule, drawn)


@record(eq=False)
class CountSpec:
    """One ``count earlier tickets`` of the rules: for the same ``same`` field (or all tickets),
    in ``window`` (kind and days, or all time), that meet ``where`` (a compiled condition of
    ``(ticket, earlier, history)``). ``when_asked`` when ``where`` must be evaluated as the
    count is asked, not as each ticket is added: it compares the earlier ticket with this one,
    or its evaluations are traced (coverage counts a clause as evaluated when a rule asked)."""

    same: str | None
    window: tuple[str, int | None] | None
    where: Callable[[Ticket | None, Earlier, None], object] | None
    when_asked: bool = False


def work_start(ticket: Ticket) -> dt.datetime:
    """When work started: ``started_at``, or ``opened_at`` when work has no start of its own."""
    return ticket.started_at or ticket.opened_at


def contract_year(moment: dt.date, term_start: dt.date) -> int:
    """Which contract year (0 is the first) a date falls in."""
    years = moment.year - term_start.year
    if (moment.month, moment.day) < (term_start.month, term_start.day):
        years -= 1
    return years


class History:
    """Earlier tickets of one client, as the rules count them; with ``balances``
    (``Program.new_history`` gives them to a block_hours agreement), the prepaid minutes drawn.

    Tickets are normally added in the decision order (``program.decision_order``), and then
    each count the rules make is a running total kept per key and window, updated as a ticket
    is added and read in constant time (a ``last_days`` window in logarithmic time). Anything
    else (a ticket added out of order, a ticket asked about that is not after every ticket
    added, a ``where`` that compares with this ticket) is answered by walking the earlier
    tickets, which a history keeps unless it is ``streaming``: a streaming history keeps only
    the totals, so memory stays flat over any number of tickets added in order.
    """

    KEYS = ("requester", "device", "site")

    def __init__(self, term_start: dt.date, balances: PrepaidBalances | None = None,
                 counts: tuple[CountSpec, ...] = (), streaming: bool = False, inventory: bool = True):
        self.term_start = term_start
        # What the prepaid blocks have given so far: fed here, by every ticket added, and
        # nowhere else, so a batch and the ledger draw the blocks down alike.
        self.balances = balances
        # A count whose ``where`` is evaluated as it is asked needs the earlier tickets
        # themselves, so a history with one keeps them even when asked to stream.
        self.streaming = streaming and not any(spec.when_asked for spec in counts)
        self._all: list[Earlier] = []
        self._ids: set[str] = set()
        # Earlier tickets by the value of each field counts are kept per; built on the first
        # walk, as running totals answer in-order counts without it.
        self._by_key: dict[str, dict[str, list[Earlier]]] | None = None
        self._last: tuple[float, str] | None = None  # the decision order of the latest ticket added
        self._in_order = True
        self._years = _ContractYears(term_start)
        self._totals: dict[CountSpec, _RunningCount | None] = {}
        self._running: list[_RunningCount] = []  # the totals kept up as tickets are added
        for spec in counts:
            self._start_total(spec)
        self._keys = Memo()
        # Different requesters and devices per contract year, for the coverage ceilings; only
        # kept when asked for (an agreement with ceilings).
        self.inventory = Inventory() if inventory else None

    def key_of(self, value: str) -> str:
        """``name_key`` of ``value``, worked out once per different value."""
        key = self._keys.get(value)
        return key if key is not None else self._keys.keep(value, name_key(value))

    def add(self, earlier: Earlier) -> None:
        order = (earlier.instant, earlier.ticket.id)
        if self._last is not None and order <= self._last:
            self._in_order = False
        self._last = order
        if self.balances is not None and earlier.drawn:
            self.balances.record(earlier.drawn)
        if self.inventory is not None:
            self.inventory.add(earlier.ticket, self.contract_year_of(earlier.start), order)
        for total in self._running:
            total.add(earlier)
        if self.streaming:
            return
        self._all.append(earlier)
        self._ids.add(earlier.ticket.id)
        if self._by_key is not None:
            self._index(earlier)

    def totals_for(self, spec: CountSpec) -> dict:
        """The running totals of ``spec`` (a count kept as a running total), by the bucket
        ``_RunningCount`` files a ticket under: for a loop that reads them and keeps them up
        itself (``CompiledRules.verdicts``), and then tells the history with ``took_in_order``."""
        total = self._total_of(spec)
        if total is None or total._instants is not None:
            raise ValueError("only a count kept in buckets has totals to hand out")
        return total._totals

    def admits_in_order(self, first: tuple[float, str], ids: set[str]) -> bool:
        """Whether tickets from the decision order ``first`` on, with ``ids``, come after every
        ticket added and are new to the history: then running totals answer their counts."""
        return self._in_order and (self._last is None or first > self._last) and self._ids.isdisjoint(ids)

    def took_in_order(self, last: tuple[float, str], earlier: list[Earlier]) -> None:
        """Tickets ``admits_in_order`` admitted were decided up to the decision order ``last``,
        and counted in the running totals by whoever decided them; ``earlier``: the same
        tickets, kept unless the history streams (and then not needed)."""
        self._last = last
        if self.streaming:
            return
        self._all.extend(earlier)
        self._ids.update(item.ticket.id for item in earlier)
        if self._by_key is not None:
            for item in earlier:
                self._index(item)

    def _total_of(self, spec: CountSpec) -> _RunningCount | None:
        """The running total of ``spec``, started from what was added so far when it is asked
        for the first time; ``None`` when it is not kept as a running total."""
        if spec in self._totals:
            return self._totals[spec]
        if self.streaming and self._last is not None:
            raise RuntimeError("a streaming history answers only the counts it was made with")
        total = self._start_total(spec)
        if total is not None:
            for earlier in self._all:
                total.add(earlier)
        return total

    def _start_total(self, spec: CountSpec) -> _RunningCount | None:
        total = self._totals[spec] = _RunningCount.for_spec(spec, self._years, self.key_of)
        if total is not None:
            self._running.append(total)
        return total

    def _index(self, earlier: Earlier) -> None:
        for key in self.KEYS:
            value = getattr(earlier.ticket, key)
            if value is not None:
                self._by_key[key][self.key_of(value)].append(earlier)

    def contract_year_of(self, moment: dt.datetime) -> int:
        return self._years.of(moment)

    def count(self, spec: CountSpec, ticket: Ticket) -> int | None:
        """How many earlier tickets ``spec`` counts for ``ticket``; ``None`` when it counts by
        a field the ticket lacks."""
        if spec.same is not None:
            value = getattr(ticket, spec.same)
            if value is None:
                return None
            key = self.key_of(value)
        else:
            key = None
        start = work_start(ticket)
        instant = start.timestamp()  # not the wall clock, which repeats an hour in autumn
        total = self._totals[spec] if spec in self._totals else self._total_of(spec)
        if total is not None and self._in_order and (self._last is None or (instant, ticket.id) > self._last) \
                and ticket.id not in self._ids:
            return total.count(key, start, instant)
        if self.streaming:
            raise RuntimeError("a streaming history takes tickets in the decision order only")
        return self._walk(spec, ticket, key, start, instant)

    def _walk(self, spec: CountSpec, ticket: Ticket, key: str | None, start: dt.datetime, instant: float) -> int:
        if spec.same is None:
            candidates = self._all
        else:
            if self._by_key is None:
                self._by_key = {field: defaultdict(list) for field in self.KEYS}
                for earlier in self._all:
                    self._index(earlier)
            candidates = self._by_key[spec.same].get(key, [])
        inside = self._window(start, spec.window)
        where = spec.where
        order = (instant, ticket.id)  # what came before in the decision order counts
        return sum(
            1
            for earlier in candidates
            if (earlier.instant, earlier.ticket.id) < order
            and inside(earlier)
            and (where is None or where(ticket, earlier, None) is True)
        )

    def _window(self, start: dt.datetime, window: tuple[str, int | None] | None) -> Callable[[Earlier], bool]:
        if window is None:
            return lambda earlier: True
        kind, days = window
        if kind == "contract_year":
            year = contract_year(start.date(), self.term_start)
            return lambda earlier: contract_year(earlier.start.date(), self.term_start) == year
        if kind == "calendar_month":
            return lambda earlier: (earlier.start.year, earlier.start.month) == (start.year, start.month)
        since = start.timestamp() - (days or 0) * 86400
        return lambda earlier: earlier.instant >= since


class _RunningCount:
    """The running total of one count, per key (the ``same`` field's value, or ``None``) and
    window: valid while tickets are added in the decision order and each ticket asked about
    comes after all of them."""

    __slots__ = ("spec", "_years", "_key_of", "_same_index", "_totals", "_instants")

    def __init__(self, spec: CountSpec, years: _ContractYears, key_of: Callable[[str], str]):
        self.spec = spec
        self._years = years
        self._key_of = key_of
        self._same_index = Ticket._fields.index(spec.same) if spec.same is not None else None
        self._totals: dict[object, int] = {}
        # For a last_days window: each key's instants, oldest first.
        self._instants: dict[str | None, list[float]] | None = {} if spec.window and spec.window[0] == "last_days" else None

    @classmethod
    def for_spec(cls, spec: CountSpec, years: _ContractYears, key_of: Callable[[str], str]) -> _RunningCount | None:
        """A running total, or ``None`` when ``where`` must be evaluated as the count is asked."""
        return None if spec.when_asked else cls(spec, years, key_of)

    def _bucket(self, key: str | None, start: dt.datetime) -> object:
        window = self.spec.window
        if window is None:
            return key
        if window[0] == "contract_year":
            return key, self._years.of(start)
        return key, start.year, start.month

    def add(self, earlier: Earlier) -> None:
        if self._same_index is not None:
            value = earlier.ticket[self._same_index]
            if value is None:
                return
            key = self._key_of(value)
        else:
            key = None
        where = self.spec.where
        if where is not None and where(None, earlier, None) is not True:
            return
        if self._instants is not None:
            instants = self._instants.setdefault(key, [])
            instants.append(earlier.instant)
            # Tickets are added in the decision order and asked about after the last one added,
            # so what is out of the window of the latest added ticket is out of every later
            # ticket's too: let those go once they are half the list.
            passed = bisect.bisect_left(instants, earlier.instant - (self.spec.window[1] or 0) * 86400)
            if passed > len(instants) // 2:
                del instants[:passed]
            return
        bucket = self._bucket(key, earlier.start)
        totals = self._totals
        totals[bucket] = totals.get(bucket, 0) + 1

    def count(self, key: str | None, start: dt.datetime, instant: float) -> int:
        if self._instants is not None:
            window = self.spec.window
            instants = self._instants.get(key)
            if not instants:
                return 0
            return len(instants) - bisect.bisect_left(instants, instant - (window[1] or 0) * 86400)
        return self._totals.get(self._bucket(key, start), 0)


class _ContractYears:
    """``contract_year`` of a moment's local date, worked out once per day."""

    __slots__ = ("term_start", "_by_day")

    def __init__(self, term_start: dt.date):
        self.term_start = term_start
        self._by_day: dict[int, int] = {}

    def of(self, moment: dt.datetime) -> int:
        day = moment.toordinal()
        year = self._by_day.get(day)
        if year is None:
            year = self._by_day[day] = contract_year(moment.date(), self.term_start)
        return year
