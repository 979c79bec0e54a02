"""The decision: what the evaluator hands the ledger and the output, one per ticket.

Immutable and complete: the outcome, the rule that decided it, every rule that fired with its
reason in words, the rules that could not be decided because a field was missing, and the
charges the rules added.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import datetime as dt

from scopecheck.diagnostics import Span
from scopecheck.tickets.model import Ticket

# When rules of equal priority disagree, the outcome that protects the provider wins: work that
# is a project is never given away as in plan (DOMAIN.md: "any request that will take more than
# four hours is a project"). ``review`` outranks ``in_plan`` so a doubtful ticket is never
# silently covered.
OUTCOME_RANK = {"in_plan": 0, "review": 1, "billable": 2, "project": 3}

OUTCOME_WORDS = {"in_plan": "in plan", "billable": "billable", "project": "project", "review": "review"}


@dataclass(frozen=True, slots=True)
class PremiumCharge:
    """Labour at ``multiplier`` times the rate; ``hours`` of it, or all of the ticket's."""

    rule_id: str
    multiplier: Decimal
    hours: dt.timedelta | None


@dataclass(frozen=True, slots=True)
class FeeCharge:
    rule_id: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class MaterialsCharge:
    """The ticket's materials billed at ``cost`` plus ``markup`` (a fraction, 0 at cost)."""

    rule_id: str
    cost: Decimal
    markup: Decimal


Charge = PremiumCharge | FeeCharge | MaterialsCharge


@dataclass(frozen=True, slots=True)
class FiredRule:
    rule_id: str
    title: str | None
    outcome: str | None  # None: the rule only added charges
    priority: int
    reason: str
    span: Span


@dataclass(frozen=True, slots=True)
class UndecidedRule:
    """A rule whose condition was unknown because fields it reads were missing."""

    rule_id: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    ticket: Ticket
    outcome: str
    deciding_rule: FiredRule | None
    fired: tuple[FiredRule, ...]
    undecided: tuple[UndecidedRule, ...]
    charges: tuple[Charge, ...]

    @property
    def reason(self) -> str:
        if self.deciding_rule is None:
            return "no rule decided this ticket; a person should review it"
        return self.deciding_rule.reason
