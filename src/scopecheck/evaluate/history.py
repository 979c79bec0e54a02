"""Earlier tickets, for rules that count what came before ("one move per user per year").

In: decided tickets, in the order of their work start. Out: counts of earlier tickets for the
same requester, device or site, within a window, that match a condition; and, in
``inventory``, the different requesters and devices of each contract year (coverage ceilings).

The contract year is anchored on the agreement's start date, not the calendar: a contract
that starts on 1 March counts moves from 1 March to the last day of February.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scopecheck.evaluate.decision import Draw
from scopecheck.evaluate.inventory import Inventory, name_key
from scopecheck.tickets.model import Ticket

if TYPE_CHECKING:
    from scopecheck.evaluate.prepaid import PrepaidBalances


@dataclass(frozen=True, slots=True)
class Earlier:
    """An earlier ticket as a rule sees it through ``earlier.*``."""

    ticket: Ticket
    start: dt.datetime
    outcome: str
    rule: str | None
    drawn: tuple[Draw, ...] = ()  # prepaid minutes the ticket used
    instant: float = 0.0  # ``start`` as a POSIX timestamp: compared without the wall clock

    def __post_init__(self) -> None:
        object.__setattr__(self, "instant", self.start.timestamp())


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
    """Earlier tickets of one client, indexed by the fields rules count by; with ``balances``
    (``Program.new_history`` gives them to a block_hours agreement), the prepaid minutes drawn."""

    KEYS = ("requester", "device", "site")

    def __init__(self, term_start: dt.date, balances: PrepaidBalances | None = None):
        self.term_start = term_start
        # What the prepaid blocks have given so far: fed here, by every ticket added, and
        # nowhere else, so a batch and the ledger draw the blocks down alike.
        self.balances = balances
        self._all: list[Earlier] = []
        self._by_key: dict[str, dict[str, list[Earlier]]] = {key: defaultdict(list) for key in self.KEYS}
        # Different requesters and devices per contract year, for the coverage ceilings.
        self.inventory = Inventory()

    def add(self, earlier: Earlier) -> None:
        self._all.append(earlier)
        if self.balances is not None and earlier.drawn:
            self.balances.record(earlier.drawn)
        year = contract_year(earlier.start.date(), self.term_start)
        self.inventory.add(earlier.ticket, year, (earlier.instant, earlier.ticket.id))
        for key in self.KEYS:
            value = getattr(earlier.ticket, key)
            if value is not None:
                self._by_key[key][name_key(value)].append(earlier)

    def count(
        self,
        ticket: Ticket,
        same: str | None,
        window: tuple[str, int | None] | None,
        condition: Callable[[Earlier], bool | None] | None,
    ) -> int | None:
        """How many earlier tickets match; ``None`` when ``same`` names a field the ticket lacks."""
        if same is None:
            candidates = self._all
        else:
            value = getattr(ticket, same)
            if value is None:
                return None
            candidates = self._by_key[same].get(name_key(value), [])
        start = work_start(ticket)
        instant = start.timestamp()  # not the wall clock, which repeats an hour in autumn
        inside = self._window(start, window)
        return sum(
            1
            for earlier in candidates
            if earlier.ticket.id != ticket.id
            and earlier.instant <= instant
            and inside(earlier)
            and (condition is None or condition(earlier) is True)
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
