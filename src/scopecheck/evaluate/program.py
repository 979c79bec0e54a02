"""The program: compiled rules bound to one agreement, deciding tickets.

In: a ``CheckedRuleSet``, an ``Agreement``, tickets. Out: one ``Decision`` per ticket.

A batch is decided in the order work started, whatever order it arrived in, so that rules
counting earlier tickets see the same history however the batch was cut; decisions come back
in the order the tickets arrived.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from scopecheck.agreement.model import Agreement
from scopecheck.builtins import material_costs
from scopecheck.check.checker import CheckedRuleSet
from scopecheck.diagnostics import Diagnostic, DiagnosticError
from scopecheck.evaluate.compile import CompiledRule, Compiler, Trace, bind_parameters
from scopecheck.evaluate.coverage import CoverageCheck
from scopecheck.evaluate.decision import (
    Charge,
    Decision,
    FeeCharge,
    FiredRule,
    MaterialsCharge,
    PremiumCharge,
    UndecidedRule,
)
from scopecheck.evaluate.history import Earlier, History, work_start
from scopecheck.evaluate.prepaid import PrepaidBalances, TicketDraw, draw_for_ticket, rate_name_of
from scopecheck.evaluate.pricing import price, round_up_to_increment
from scopecheck.syntax import ast
from scopecheck.tickets.model import Ticket
from scopecheck.work import Work, WorkOfLastTicket, work_interval

_UTC = dt.timezone.utc
_FIRST_DAY = dt.datetime(1, 1, 2, tzinfo=_UTC)
_LAST_DAY = dt.datetime(9999, 12, 30, tzinfo=_UTC)


def decision_order(ticket: Ticket) -> tuple[float, str]:
    """The order tickets are decided in: by the instant work started, not the wall clock (which
    repeats an hour when the clocks go back), then by id, so that tickets starting together are
    decided the same way whichever run or process brought them."""
    return work_start(ticket).timestamp(), ticket.id


def earlier_of(decision: Decision) -> Earlier:
    """A decided ticket as later tickets see it."""
    rule = decision.deciding_rule.rule_id if decision.deciding_rule else None
    return Earlier(decision.ticket, work_start(decision.ticket), decision.outcome, rule, decision.drawn)


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


@dataclass(frozen=True)
class Program:
    agreement: Agreement
    checked: CheckedRuleSet
    params: dict[str, object]
    rules: tuple[CompiledRule, ...]
    work_of: Callable[[Ticket], Work]
    coverage: CoverageCheck

    @classmethod
    def build(cls, checked: CheckedRuleSet, agreement: Agreement, trace: Trace | None = None) -> Program:
        """Bind parameters and compile; raises ``DiagnosticError`` for a mismatch between the
        rules and the agreement (an override of the wrong type, a foreign currency). With a
        ``trace``, every and/or operand reports what it evaluated to (``scopecheck test``)."""
        params = bind_parameters(checked, agreement)
        work_of = WorkOfLastTicket(agreement.calendar)
        compiler = Compiler(checked, params, agreement, work_of, trace)
        rules = tuple(compiler.rule(rule, order) for order, rule in enumerate(checked.rules))
        if compiler.problems:
            raise DiagnosticError(compiler.problems)
        # Cover findings outrank every rule, and say so by their priority.
        coverage = CoverageCheck.build(agreement, max([0, *(rule.priority for rule in checked.rules)]) + 1)
        return cls(agreement, checked, params, rules, work_of, coverage)

    @property
    def version(self) -> str:
        return self.checked.version

    def prepare(self, ticket: Ticket) -> Ticket | Diagnostic:
        """The ticket with every time local to the client (a time without an offset is read in
        the agreement's zone, one with an offset converted to it), or the problem that makes it
        impossible to decide: work ending before it starts, which the reader cannot see when one
        time has an offset and the other not, or times beyond what a calendar can hold."""
        local = self.agreement.calendar.local
        try:
            changes = {name: local(moment) for name in ("opened_at", "started_at", "ended_at") if (moment := getattr(ticket, name)) is not None}
            prepared = ticket._replace(**changes)
            start, end = work_interval(prepared)
        except OverflowError:
            return self._out_of_range(ticket)
        if end is not None and end.astimezone(_UTC) < start.astimezone(_UTC):
            begun = "started_at" if prepared.started_at is not None else "opened_at"
            return Diagnostic(
                "ticket.invalid-value",
                f"ticket '{ticket.id}': ended_at: {_when(prepared.ended_at)} is before {begun} {_when(start)} "
                f"(both in {self.agreement.timezone})",
            )
        # The calendar works a day at a time in local time, which needs a day either side.
        if not (_FIRST_DAY <= start.astimezone(_UTC) and (end or start).astimezone(_UTC) <= _LAST_DAY):
            return self._out_of_range(ticket)
        return prepared

    @staticmethod
    def _out_of_range(ticket: Ticket) -> Diagnostic:
        return Diagnostic("ticket.invalid-value", f"ticket '{ticket.id}': its times run beyond the years 1 to 9999")

    def decide(self, ticket: Ticket, history: History | None = None) -> Decision:
        """Decide one prepared ticket against the agreement's cover, the rules and what came before."""
        fired: list[tuple[CompiledRule, FiredRule]] = []
        unknown: list[CompiledRule] = []
        undecided: list[UndecidedRule] = []
        for compiled in self.rules:
            result = compiled.condition(ticket, None, history)
            if result is True:
                rule = compiled.rule
                reason = compiled.reason(ticket, history)
                fired.append((compiled, FiredRule(rule.id, rule.title, rule.outcome.kind, rule.priority, reason, rule.span)))
            elif result is None:
                unknown.append(compiled)
        deciding = max((pair for pair in fired if pair[0].rule.outcome.kind), key=lambda pair: pair[0].rank, default=None)
        # Only a rule that could have changed the bill is worth a person's attention: one that
        # would have outranked the deciding rule, or one that adds charges.
        for compiled in unknown:
            if deciding is None or compiled.rule.outcome.kind is None or compiled.rank > deciding[0].rank:
                missing = tuple(name for name, read in compiled.fields_read if read(ticket, None, history) in (None, ()))
                undecided.append(UndecidedRule(compiled.rule.id, missing))
        # A ticket from outside the cover is reviewed whatever the rules say: a person confirms
        # cover before anything is billed or given away, so no rule decides it (nor adds the
        # charges that come with deciding); what the rules left unchecked is still shown above.
        cover = self.coverage.findings(ticket, history)
        if cover:
            deciding = None
        charges: list[Charge] = []
        for compiled, _ in fired:
            if compiled.rule.outcome.kind is None or (deciding and compiled is deciding[0]):
                charges.extend(self._charges(compiled, ticket, history))
        outcome = deciding[0].rule.outcome.kind if deciding else "review"
        deciding_rule = cover[0] if cover else deciding[1] if deciding else None
        work = self.work_of(ticket)
        rates = self.agreement.rates
        # In-plan work of a block_hours plan draws on the prepaid blocks; with nothing left to
        # draw, the work is billed, and the prepaid_hours rule says why.
        draw = self._draw_prepaid(ticket, work, history) if outcome == "in_plan" else None
        if draw is not None and not draw.drawn:
            outcome, deciding_rule = "billable", draw.explanation
        explained = (draw.explanation,) if draw is not None and draw.explanation is not None else ()
        drawn = draw.drawn if draw is not None else ()
        bill = price(
            outcome,
            deciding_rule.rule_id if deciding_rule else None,
            charges,
            work,
            rates,
            rates.hourly_rate(ticket.role, ticket.work_type),
            self.agreement.currency,
            drawn=drawn or None,
        )
        fired_rules = cover + tuple(f for _, f in fired) + explained
        return Decision(ticket, outcome, deciding_rule, fired_rules, tuple(undecided), tuple(charges), work, bill, drawn=drawn)

    def _draw_prepaid(self, ticket: Ticket, work: Work, history: History | None) -> TicketDraw | None:
        """What in-plan work takes from the prepaid blocks: its minutes rounded up to the
        increment (not raised to the minimum, a floor for billable call-outs), from the balances
        ``history`` keeps, or from untouched blocks without one, so that one decision alone is
        still sensible. ``None`` when the agreement has no blocks or the work has no length.
        Nothing is recorded here: ``History.add`` records the draw."""
        prepaid = self.agreement.prepaid
        if prepaid is None or not work.measured or not work.split.minutes:
            return None
        balances = history.balances if history is not None and history.balances is not None else PrepaidBalances(prepaid)
        rates = self.agreement.rates
        minutes = round_up_to_increment(work.split.minutes, rates.increment)
        rate_name = rate_name_of(rates, ticket.role, ticket.work_type)
        return draw_for_ticket(self.agreement, balances, work.start.date(), minutes, rate_name)

    def _charges(self, compiled: CompiledRule, ticket: Ticket, history: History | None) -> list[Charge]:
        rule_id = compiled.rule.id
        out: list[Charge] = []
        for effect in compiled.effects:
            first = effect.first(ticket, None, history) if effect.first else None
            match effect.node:
                case ast.Premium():
                    if first is not None:
                        hours = effect.second(ticket, None, history) if effect.second else None
                        if effect.second is None or hours is not None:  # on a missing duration: no premium
                            out.append(PremiumCharge(rule_id, Decimal(first), hours))
                case ast.Fee():
                    if first is not None:
                        out.append(FeeCharge(rule_id, first))
                case ast.MaterialsCharge():
                    if ticket.materials:
                        out.append(MaterialsCharge(rule_id, material_costs(ticket.materials), first or Decimal(0)))
        return out

    def decide_batch(self, tickets: Iterable[Ticket], history: History | None = None) -> list[Decision]:
        """Decide prepared tickets in the order work started; return decisions in arrival order."""
        prepared = list(tickets)
        if history is None:
            history = self.new_history()
        order = sorted(range(len(prepared)), key=lambda index: decision_order(prepared[index]))
        decisions: list[Decision | None] = [None] * len(prepared)
        for index in order:
            decision = self.decide(prepared[index], history)
            decisions[index] = decision
            history.add(earlier_of(decision))
        return decisions  # type: ignore[return-value]

    def new_history(self) -> History:
        """An empty history for this agreement: no earlier tickets, no prepaid hours drawn."""
        prepaid = self.agreement.prepaid
        return History(self.term_start, PrepaidBalances(prepaid) if prepaid is not None else None)

    @property
    def term_start(self) -> dt.date:
        return self.agreement.plan.term.start
