"""Who and what has asked for work, per contract year, in the order each was first seen.

Stage: evaluate (the history's index for coverage ceilings). In: earlier tickets, handed over
by ``History.add`` with their contract year and their place in the decision order. Out: for a
requester or a device, its place among the different requesters or devices of its contract
year (1 for the first), as it stood when a given ticket's work started.

Kept incrementally, so asking costs the same whether the earlier tickets were decided in this
batch or loaded from a ledger: ``History.add`` feeds it in the order work started, and then
adding a ticket and asking for a place are O(1). A ticket added out of that order (work that
started before tickets already added) is still placed right, at O(n) for its year.
"""

from __future__ import annotations

import bisect

from scopecheck.tickets.model import Ticket

# Where a ticket stands in the decision order: the instant its work started, then its id
# (``program.decision_order``), so two tickets starting together are placed the same every run.
When = tuple[float, str]

# What the inventory counts: requesters, and devices both per class and over all classes.
REQUESTER = "requester"
DEVICE = "device"


def name_key(text: str) -> str:
    """A requester or device as compared: case and runs of spaces do not make a different
    person or machine ('Dana  Wu' is 'dana wu'). A name and an e-mail address stay two keys:
    nothing on a ticket says they are the same person."""
    return " ".join(text.split()).casefold()


class _FirstSeen:
    """The different names of one contract year and kind, in the order they were first seen."""

    __slots__ = ("_order", "_first", "_place")

    def __init__(self) -> None:
        self._order: list[When] = []  # each name's first ticket, sorted
        self._first: dict[str, When] = {}
        self._place: dict[str, int] = {}  # 1 for the first name seen

    def add(self, name: str, when: When) -> None:
        first = self._first.get(name)
        if first is not None and first <= when:
            return
        if first is None and (not self._order or self._order[-1] <= when):
            self._order.append(when)
            self._first[name] = when
            self._place[name] = len(self._order)
            return
        # Out of order: this ticket started before tickets already added, so places shift.
        if first is not None:
            self._order.remove(first)
        bisect.insort(self._order, when)
        self._first[name] = when
        self._place = {other: bisect.bisect_left(self._order, seen) + 1 for other, seen in self._first.items()}

    def place(self, name: str, when: When) -> int:
        """``name``'s place counting the tickets up to and including ``when``: its own when its
        first ticket is no later, else the next after every name first seen before ``when``."""
        first = self._first.get(name)
        if first is not None and first <= when:
            return self._place[name]
        if not self._order or self._order[-1] < when:
            return len(self._order) + 1
        return bisect.bisect_left(self._order, when) + 1


class Inventory:
    """Different requesters and devices per contract year; ``History`` owns one."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, str | None], _FirstSeen] = {}

    def add(self, ticket: Ticket, year: int, when: When) -> None:
        """Count ``ticket``'s requester and device in contract ``year``; ``when`` is its place
        in the decision order."""
        for kind, name, device_class in _counted(ticket):
            bucket = self._seen.get((kind, year, device_class))
            if bucket is None:
                bucket = self._seen[(kind, year, device_class)] = _FirstSeen()
            bucket.add(name, when)

    def place(self, kind: str, name: str, year: int, when: When, device_class: str | None = None) -> int:
        """The place of requester or device ``name`` (``kind``) among the different ones of
        contract ``year`` seen up to ``when``, counting it; ``device_class`` counts devices of
        that class only, ``None`` all devices."""
        bucket = self._seen.get((kind, year, device_class))
        return 1 if bucket is None else bucket.place(name_key(name), when)


def _counted(ticket: Ticket) -> list[tuple[str, str, str | None]]:
    counted: list[tuple[str, str, str | None]] = []
    if ticket.requester and (requester := name_key(ticket.requester)):
        counted.append((REQUESTER, requester, None))
    if ticket.device and (device := name_key(ticket.device)):
        counted.append((DEVICE, device, None))
        if ticket.device_class:
            counted.append((DEVICE, device, ticket.device_class))
    return counted
