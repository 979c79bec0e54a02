"""The decision: what the evaluator hands the ledger and the output, one per ticket.

Immutable and complete: the outcome, the rule that decided it, every rule that fired with its
reason in words, the rules that could not be decided because a field was missing, and the
charges the rules added.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from scopecheck.diagnostics import Span
from scopecheck.record import record
from scopecheck.tickets.model import Ticket
from scopecheck.work import Work

# When rules of equal priority disagree, the outcome that protects the provider wins: work that
# is a project is never given away as in plan (DOMAIN.md: "any request that will take more than
# four hours is a project"). ``review`` outranks ``in_plan`` so a doubtful ticket is never
# silently covered.
OUTCOME_RANK = {"in_plan": 0, "review": 1, "billable": 2, "project": 3}

OUTCOME_WORDS = {"in_plan": "in plan", "billable": "billable", "project": "project", "review": "review"}


@record
class PremiumCharge:
    """Labour at ``multiplier`` times the rate; ``hours`` of it, or all of the ticket's."""

    rule_id: str
    multiplier: Decimal
    hours: dt.timedelta | None


@record
class FeeCharge:
    rule_id: str
    amount: Decimal


@record
class MaterialsCharge:
    """The ticket's materials billed at ``cost`` plus ``markup`` (a fraction, 0 at cost)."""

    rule_id: str
    cost: Decimal
    markup: Decimal


Charge = PremiumCharge | FeeCharge | MaterialsCharge


@record
class FiredRule:
    rule_id: str
    title: str | None
    outcome: str | None  # None: the rule only added charges
    priority: int
    reason: str
    span: Span


@record
class UndecidedRule:
    """A rule whose condition was unknown because fields it reads were missing."""

    rule_id: str
    missing: tuple[str, ...]


# The kinds of charge line, in the order an invoice lists them.
LINE_KINDS = ("covered", "prepaid", "labour", "project", "review", "premium", "fee", "materials")


@record
class ChargeLine:
    """One line of a ticket's bill; ``amount`` is what the client pays, rounded once.

    covered    in-plan labour: the hours are recorded, the amount is 0
    prepaid    in-plan labour of a block_hours plan drawn from the prepaid ``block``: the
               minutes (rounded up to the increment) are recorded, the amount is 0
    labour     billable labour: minutes x rate x multiplier, less the contract discount; also
               the in-plan minutes the prepaid blocks could not cover
    project    project labour priced the same way, as an estimate for the quote
    review     labour awaiting a person's decision: recorded, not priced
    premium    the premium on in-plan work: minutes x rate x (multiplier - 1), less the discount
    fee        a fixed fee a rule added
    materials  cost x (1 + markup)
    """

    kind: str
    rule_id: str | None
    amount: Decimal
    minutes: int = 0
    rate: Decimal | None = None
    multiplier: Decimal = Decimal(1)
    discount: Decimal = Decimal(0)
    markup: Decimal | None = None
    cost: Decimal | None = None
    added_minutes: int = 0  # of ``minutes``, those added by rounding up and the minimum
    block: str | None = None  # the prepaid block a ``prepaid`` line drew on


@record
class Draw:
    """Minutes of covered work drawn from one prepaid block (``evaluate/prepaid``)."""

    block_id: str
    minutes: int


@record
class Bill:
    lines: tuple[ChargeLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


@record
class Decision:
    """``charges`` are what the rules asked for; ``bill`` is those charges and the labour
    priced under the agreement (``pricing``); ``work`` is where the work lay in time."""

    ticket: Ticket
    outcome: str
    deciding_rule: FiredRule | None
    fired: tuple[FiredRule, ...]
    undecided: tuple[UndecidedRule, ...]
    charges: tuple[Charge, ...]
    work: Work | None = None
    bill: Bill = Bill(())
    drawn: tuple[Draw, ...] = ()  # prepaid hours this ticket used, oldest block first

    @property
    def reason(self) -> str:
        if self.deciding_rule is None:
            return "no rule decided this ticket; a person should review it"
        return self.deciding_rule.reason
