"""Coverage and ceilings: is the ticket's requester or device one the agreement covers?

Stage: evaluate. In: the agreement's ``coverage`` and plan model, read once per program
(``CoverageCheck.build``); then a prepared ticket and the ``History`` of earlier tickets. Out:
findings as ``FiredRule``s with the outcome ``review``, which decide the ticket ahead of every
rule: a person must confirm cover before the work is billed or given away. Clients add people
and equipment without telling their provider, so a ticket from outside the cover is never
silently in plan.

What is checked, by what the agreement writes and its plan model:

- ``coverage.users`` as a list (any model): a requester not on it is ``uncovered_user``.
  Names and e-mail addresses compare without case or extra spaces; a name is not matched to an
  address, as nothing on a ticket says they are the same person.
- ``coverage.devices`` as a list (any model): a device whose id is not on it is
  ``uncovered_device``.
- flat_rate: ``coverage.ceilings.users`` and ``coverage.ceilings.devices`` (devices of every
  class together, as the ceiling is one number); ``coverage.users`` and ``coverage.devices``
  there describe the client, the ceilings are what the fee covers.
- per_user: the count ``coverage.users``, when the users are not listed. Devices are not
  counted: the fee is the same whatever devices a user has (DOMAIN.md).
- per_device: the counts by class ``coverage.devices``, when the devices are not listed, each
  class against its own count, as each class is priced on its own (a 41st laptop does not fit
  in a spare workstation's place). A ticket with no ``device_class``, or a class the agreement
  does not count (printers have ``coverage.printers``; a phone may be covered as its user's),
  is not counted: a total over classes would mix what the agreement prices apart. Users are
  not counted: the fee does not depend on headcount.
- block_hours and retainer: only the lists; their fee buys hours or capacity, not headcount.

A requester (a device) over a ceiling of N is one that is not among the first N different
requesters (devices) of the ticket's contract year, in the order of their first ticket:
``over_user_ceiling`` (``over_device_ceiling``). Once over, a requester stays over for the rest
of that year, every ticket of theirs. A ticket that names no requester (no device) is not
checked for it. Without a history, only the lists are checked.

Why per contract year: the ceiling is a count of people and machines, which only tickets
reveal, and a contract year is the window in which nearly every covered user asks for help at
least once while leavers and their replacements do not pile up. Over the whole term a stable
client would cross its ceiling by turnover alone (Riverside's agreement runs two years), and
over a month the few who asked would hide the real headcount. The year is also the window the
agreement's allowances already run on (one move per person per contract year) and when the
fee is set again, anchored on ``plan.term.start`` like them. A replacement hired mid-year
counts as another requester; the finding asks a person to look, it bills nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType

from scopecheck.agreement.model import Agreement
from scopecheck.diagnostics import Span
from scopecheck.evaluate.decision import FiredRule
from scopecheck.evaluate.history import History, contract_year, work_start
from scopecheck.evaluate.inventory import DEVICE, REQUESTER, name_key
from scopecheck.record import field, record
from scopecheck.tickets.model import Ticket

UNCOVERED_USER = "uncovered_user"
UNCOVERED_DEVICE = "uncovered_device"
OVER_USER_CEILING = "over_user_ceiling"
OVER_DEVICE_CEILING = "over_device_ceiling"

TITLES = {
    UNCOVERED_USER: "A requester the agreement does not list needs review",
    UNCOVERED_DEVICE: "A device the agreement does not list needs review",
    OVER_USER_CEILING: "A requester beyond the users the agreement covers needs review",
    OVER_DEVICE_CEILING: "A device beyond the devices the agreement covers needs review",
}

# How a device class reads in a sentence: singular, plural.
_CLASS_WORDS = {
    "workstation": ("workstation", "workstations"),
    "laptop": ("laptop", "laptops"),
    "server": ("server", "servers"),
    "network": ("network device", "network devices"),
    "mobile": ("mobile device", "mobile devices"),
    "tablet": ("tablet", "tablets"),
    "printer": ("printer", "printers"),
    "other": ("other device", "other devices"),
}
_USER_WORDS = ("user", "users")
_DEVICE_WORDS = ("device", "devices")


@record
class CoverList:
    """Users or devices the agreement names; ``size`` is how many it lists."""

    names: frozenset[str]  # as ``name_key`` compares them
    size: int
    span: Span


@record
class Ceiling:
    """The most different requesters or devices a contract year may bring under the plan."""

    limit: int
    words: tuple[str, str]  # what is counted, singular and plural: ("laptop", "laptops")
    span: Span


@record
class CoverageCheck:
    """What one agreement covers, read once; ``findings`` checks one ticket against it.

    ``device_ceiling`` counts devices of every class together (flat_rate); ``class_ceilings``
    counts each class on its own (per_device). ``priority`` is the findings' priority, above
    every rule's.
    """

    term_start: dt.date  # the contract year's anchor
    priority: int
    users: CoverList | None = None
    devices: CoverList | None = None
    user_ceiling: Ceiling | None = None
    device_ceiling: Ceiling | None = None
    class_ceilings: Mapping[str, Ceiling] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def build(cls, agreement: Agreement, priority: int) -> CoverageCheck:
        """Read the agreement's coverage by its plan model (the module docstring's table)."""
        coverage, model = agreement.coverage, agreement.plan.model
        source = agreement.source_map
        users = devices = user_ceiling = device_ceiling = None
        class_ceilings: dict[str, Ceiling] = {}
        if coverage.user_names:
            names = frozenset(name_key(name) for name in coverage.user_names)
            users = CoverList(names, len(coverage.user_names), source.span_of(("coverage", "users"), key=True))
        if coverage.device_list:
            names = frozenset(name_key(device.id) for device in coverage.device_list)
            devices = CoverList(names, len(coverage.device_list), source.span_of(("coverage", "devices"), key=True))
        if model == "flat_rate":
            if coverage.user_ceiling is not None:
                user_ceiling = Ceiling(coverage.user_ceiling, _USER_WORDS, source.span_of(("coverage", "ceilings", "users")))
            if coverage.device_ceiling is not None:
                span = source.span_of(("coverage", "ceilings", "devices"))
                device_ceiling = Ceiling(coverage.device_ceiling, _DEVICE_WORDS, span)
        elif model == "per_user" and users is None and coverage.users is not None:
            user_ceiling = Ceiling(coverage.users, _USER_WORDS, source.span_of(("coverage", "users")))
        elif model == "per_device" and devices is None:
            for device_class, count in coverage.devices.items():
                span = source.span_of(("coverage", "devices", device_class))
                class_ceilings[device_class] = Ceiling(count, _CLASS_WORDS[device_class], span)
        return cls(
            agreement.plan.term.start,
            priority,
            users,
            devices,
            user_ceiling,
            device_ceiling,
            MappingProxyType(class_ceilings),
        )

    @property
    def has_ceilings(self) -> bool:
        """Whether a ticket's cover depends on the tickets before it."""
        return self.user_ceiling is not None or self.device_ceiling is not None or bool(self.class_ceilings)

    @property
    def checks_anything(self) -> bool:
        return self.users is not None or self.devices is not None or self.has_ceilings

    def findings(self, ticket: Ticket, history: History | None) -> tuple[FiredRule, ...]:
        """What is wrong with the ticket's cover: at most one finding for its requester, then
        at most one for its device (not on the list, else over the ceiling). The ceilings
        count ``history``'s tickets up to this one; without a history only the lists apply."""
        found: list[FiredRule] = []
        year, when = 0, (0.0, "")
        if history is not None:
            start = work_start(ticket)
            year = contract_year(start.date(), self.term_start)
            when = (start.timestamp(), ticket.id)  # the decision order, as the inventory keeps it
        requester = ticket.requester
        if requester and name_key(requester):
            if self.users is not None and name_key(requester) not in self.users.names:
                reason = f"'{requester}' is not among the {_count(self.users.size, _USER_WORDS)} the agreement lists"
                found.append(self._fired(UNCOVERED_USER, reason, self.users.span))
            elif self.user_ceiling is not None and history is not None:
                place = history.inventory.place(REQUESTER, requester, year, when)
                if place > self.user_ceiling.limit:
                    reason = (
                        f"'{requester}' is the {ordinal(place)} different requester this contract year; "
                        f"the agreement covers {_count(self.user_ceiling.limit, _USER_WORDS)}"
                    )
                    found.append(self._fired(OVER_USER_CEILING, reason, self.user_ceiling.span))
        device, device_class = ticket.device, ticket.device_class
        if device and name_key(device):
            named = f"{_CLASS_WORDS[device_class][0] if device_class in _CLASS_WORDS else 'device'} '{device}'"
            if self.devices is not None and name_key(device) not in self.devices.names:
                reason = f"{named} is not among the {_count(self.devices.size, _DEVICE_WORDS)} the agreement lists"
                found.append(self._fired(UNCOVERED_DEVICE, reason, self.devices.span))
            elif history is not None:
                counted_class = None if self.device_ceiling is not None else device_class
                ceiling = self.device_ceiling or self.class_ceilings.get(device_class or "")
                if ceiling is not None:
                    place = history.inventory.place(DEVICE, device, year, when, counted_class)
                    if place > ceiling.limit:
                        reason = (
                            f"{named} is the {ordinal(place)} different {ceiling.words[0]} worked on this contract year; "
                            f"the agreement covers {_count(ceiling.limit, ceiling.words)}"
                        )
                        found.append(self._fired(OVER_DEVICE_CEILING, reason, ceiling.span))
        return tuple(found)

    def _fired(self, rule_id: str, reason: str, span: Span) -> FiredRule:
        return FiredRule(rule_id, TITLES[rule_id], "review", self.priority, reason, span)


def ordinal(number: int) -> str:
    """``26`` as ``26th``, ``21`` as ``21st``, ``112`` as ``112th``."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _count(number: int, words: tuple[str, str]) -> str:
    return f"{number} {words[0] if number == 1 else words[1]}"
