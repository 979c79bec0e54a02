"""scopecheck as the benchmark drives it: the bench agreement's program, deciding the workload.

In: the workload's ticket dicts. Out: decisions, and from them the ``(outcome, deciding rule,
premium multiplier)`` every engine is compared on.

Everything here goes through the API the ``classify`` command uses: ``engine.load`` compiles
the agreement and its rule file once, ``Program.prepare`` places each ticket's times in the
agreement's zone, and ``Program.decide_batch`` (full decisions) or ``Program.verdict_batch``
(the outcome, deciding rule and charges alone) decides the batch with a history, which the
``second_move`` rule counts in.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scopecheck import engine
from scopecheck.diagnostics import Diagnostic
from scopecheck.evaluate.decision import Decision, PremiumCharge
from scopecheck.evaluate.program import Program, Verdict
from scopecheck.tickets.model import Ticket

AGREEMENT = Path(__file__).resolve().parent / "agreement.yaml"



def load_program(agreement: Path = AGREEMENT) -> Program:
    return engine.load(agreement).program


def tickets_from_dicts(program: Program, tickets: Iterable[dict]) -> list[Ticket]:
    """The dicts as prepared ``Ticket`` values; ``premium_waived`` is not a ticket field, so it
    goes under ``custom``, where the reader would put the column."""
    prepared = []
    for item in tickets:
        ticket = Ticket(
            id=item["id"],
            opened_at=item["opened_at"],
            requester=item["requester"],
            category=item["category"],
            summary=item["summary"],
            estimate=item["estimate"],
            cause=item["cause"],
            custom={"premium_waived": item["premium_waived"]},
        )
        ready = program.prepare(ticket)
        if isinstance(ready, Diagnostic):
            raise ValueError(f"the workload made a ticket scopecheck refuses: {ready.message}")
        prepared.append(ready)
    return prepared


def premium_of(decision: Decision | Verdict) -> float:
    multipliers = [float(charge.multiplier) for charge in decision.charges if isinstance(charge, PremiumCharge)]
    return max(multipliers, default=1.0)


def results_of(decisions: Iterable[Decision]) -> list[tuple[str, str, float]]:
    return [
        (d.outcome, d.deciding_rule.rule_id if d.deciding_rule else None, premium_of(d))
        for d in decisions
    ]


def decide(program: Program, tickets: list[Ticket]) -> list[Decision]:
    """Full decisions: fired rules with their reasons in words, and the bill in Decimal."""
    return program.decide_batch(tickets, program.new_history())


def evaluate(program: Program, tickets: list[Ticket]) -> list[tuple[str, str, float]]:
    """The evaluation path: each ticket's outcome, deciding rule and premium."""
    return [(verdict.outcome, verdict.rule, premium_of(verdict)) for verdict in program.verdict_batch(tickets)]


def full_decisions(program: Program, tickets: list[Ticket]) -> list[tuple[str, str, float]]:
    return results_of(decide(program, tickets))
