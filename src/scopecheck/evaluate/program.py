"""The program: compiled rules bound to one agreement, deciding tickets.

In: a ``CheckedRuleSet``, an ``Agreement``, tickets. Out: one ``Decision`` per ticket.

A batch is decided in the order work started, whatever order it arrived in, so that rules
counting earlier tickets see the same history however the batch was cut; decisions come back
in the order the tickets arrived.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import NamedTuple

from scopecheck.agreement.model import Agreement
from scopecheck.builtins import material_costs
from scopecheck.check.checker import CheckedRuleSet
from scopecheck.diagnostics import Diagnostic, DiagnosticError
from scopecheck.evaluate.compile import CompiledRule, CompiledRules, Compiler, Trace, bind_parameters
from scopecheck.evaluate.coverage import CoverageCheck
from scopecheck.evaluate.decision import (
    Charge,
    Decision,
    Draw,
    FeeCharge,
    FiredRule,
    MaterialsCharge,
    PremiumCharge,
    UndecidedRule,
)
from scopecheck.evaluate.history import CountSpec, Earlier, History, work_start
from scopecheck.evaluate.prepaid import PrepaidBalances, TicketDraw, draw_for_ticket, rate_name_of
from scopecheck.evaluate.pricing import Pricer, pricer_for, round_up_to_increment
from scopecheck.record import record
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
    return Earlier.of(decision.ticket, *_outcome_of_decision(decision))


def _outcome_of_decision(decision: Decision) -> tuple[str, str | None, tuple[Draw, ...]]:
    return decision.outcome, decision.deciding_rule.rule_id if decision.deciding_rule else None, decision.drawn


class Verdict(NamedTuple):
    """A decision without its words: the outcome, the id of the rule (or cover finding) that
    decided it, the charges the rules added, and the prepaid minutes it drew. What
    ``Program.verdict`` gives, for callers that need the answer and not the explanation."""

    outcome: str
    rule: str | None
    charges: tuple[Charge, ...]
    drawn: tuple[Draw, ...] = ()


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


@record(slots=False)
class Program:
    agreement: Agreement
    checked: CheckedRuleSet
    params: dict[str, object]
    compiled: CompiledRules
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
        compiled = compiler.compile_rules(checked.version)
        if compiler.problems:
            raise DiagnosticError(compiler.problems)
        # Cover findings outrank every rule, and say so by their priority.
        coverage = CoverageCheck.build(agreement, max([0, *(rule.priority for rule in checked.rules)]) + 1)
        return cls(agreement, checked, params, compiled, work_of, coverage)

    @property
    def version(self) -> str:
        return self.checked.version

    @functools.cached_property
    def _pricer(self) -> Pricer:
        return pricer_for(self.agreement.rates, self.agreement.currency)

    @functools.cached_property
    def _checks_cover(self) -> bool:
        return self.coverage.checks_anything

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return self.compiled.rules

    @property
    def counts(self) -> tuple[CountSpec, ...]:
        return self.compiled.counts

    @functools.cached_property
    def depends_on_history(self) -> bool:
        """Whether a ticket's decision can depend on the tickets decided before it: the rules
        count earlier tickets, the agreement has coverage ceilings, or prepaid blocks."""
        return bool(self.counts) or self.coverage.has_ceilings or self.agreement.prepaid is not None

    @property
    def partition_field(self) -> str | None:
        """How a batch may be cut into parts decided apart with the same result: ``""`` when
        tickets do not depend on each other, the ticket field every count is kept per (all
        tickets with one value of it must then be decided together, in order), or ``None``
        when the batch cannot be cut (a count over all tickets, counts per different fields,
        coverage ceilings, prepaid blocks)."""
        if self.coverage.has_ceilings or self.agreement.prepaid is not None:
            return None
        fields = {spec.same for spec in self.counts}
        if not fields:
            return ""
        if len(fields) > 1 or None in fields:
            return None
        (field,) = fields
        return field

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
        for compiled, result in zip(self.compiled.rules, self.compiled.conditions(ticket, None, history)):
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
        charging = [compiled for compiled, _ in fired if compiled.rule.outcome.kind is None]
        outcome, chosen, cover, charges, work, draw = self._settle(
            ticket, history, deciding[0] if deciding else None, charging, always_measure=True)
        deciding_rule = deciding[1] if chosen.__class__ is CompiledRule else chosen
        explained = (draw.explanation,) if draw is not None and draw.explanation is not None else ()
        drawn = draw.drawn if draw is not None else ()
        rate = self.agreement.rates.hourly_rate(ticket.role, ticket.work_type)
        bill = self._pricer.price(outcome, deciding_rule.rule_id if deciding_rule else None, charges, work, rate, drawn or None)
        fired_rules = cover + tuple(f for _, f in fired) + explained
        return Decision(ticket, outcome, deciding_rule, fired_rules, tuple(undecided), charges, work, bill, drawn=drawn)

    def verdict(self, ticket: Ticket, history: History | None = None) -> Verdict:
        """The outcome, deciding rule and charges ``decide`` would give, without rendering
        reasons, listing what fired or could not be decided, or pricing: the deciding rules
        are tried from the highest rank down, and the first that fires decides."""
        decided, charging = self.compiled.verdict(ticket, None, history)
        rules = self.compiled.rules
        outcome, deciding, _, charges, _, draw = self._settle(
            ticket, history, rules[decided] if decided is not None else None,
            [rules[index] for index in charging] if charging else (), always_measure=False)
        rule_id = deciding.rule.id if deciding.__class__ is CompiledRule else deciding.rule_id if deciding else None
        # ``_make`` builds the tuple directly; calling the class runs a Python-level ``__new__``.
        return Verdict._make((outcome, rule_id, charges, draw.drawn if draw is not None else ()))

    def _settle(self, ticket: Ticket, history: History | None, deciding: CompiledRule | None,
                charging: Sequence[CompiledRule], always_measure: bool) -> tuple:
        """The rules' answer weighed against cover and the prepaid blocks, with its charges:
        ``(outcome, deciding, cover, charges, work, draw)``, where ``deciding`` is a cover
        finding, the prepaid explanation or the deciding rule. A plain tuple, as it is taken
        apart at once, on every ticket."""
        # A ticket from outside the cover is reviewed whatever the rules say: a person confirms
        # cover before anything is billed or given away, so no rule decides it (nor adds the
        # charges that come with deciding); what the rules left unchecked is still shown.
        cover = self.coverage.findings(ticket, history) if self._checks_cover else ()
        if cover:
            deciding = None
        if deciding is not None and deciding.effects:
            charging = sorted([deciding, *charging], key=lambda c: -c.rank[2])  # in the order the rules are written
        charges: tuple[Charge, ...] = ()
        for compiled in charging:
            if compiled.effects:
                charges += self._charges(compiled, ticket, history)
        outcome = deciding.rule.outcome.kind if deciding else "review"
        chosen: FiredRule | CompiledRule | None = cover[0] if cover else deciding
        prepaid = self.agreement.prepaid
        if prepaid is None:
            return outcome, chosen, cover, charges, self.work_of(ticket) if always_measure else None, None
        work = self.work_of(ticket)
        # In-plan work of a block_hours plan draws on the prepaid blocks; with nothing left to
        # draw, the work is billed, and the prepaid_hours rule says why.
        draw = self._draw_prepaid(ticket, work, history) if outcome == "in_plan" else None
        if draw is not None and not draw.drawn:
            outcome, chosen = "billable", draw.explanation
        return outcome, chosen, cover, charges, work, draw

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

    def _charges(self, compiled: CompiledRule, ticket: Ticket, history: History | None) -> tuple[Charge, ...]:
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
        return tuple(out)

    def decide_batch(self, tickets: Iterable[Ticket], history: History | None = None) -> list[Decision]:
        """Decide prepared tickets in the order work started; return decisions in arrival order."""
        return self._in_decision_order(tickets, history, self.decide, _outcome_of_decision)

    def verdict_batch(self, tickets: Iterable[Ticket], history: History | None = None) -> list[Verdict]:
        """``verdict`` for each prepared ticket, decided in the order work started; in arrival order.

        Where it can, the batch is decided by the compiled loop (``CompiledRules.verdicts``),
        which keeps the history's counts itself; where the agreement checks cover or draws
        prepaid hours, or the tickets do not all come after what ``history`` holds, one
        ``verdict`` at a time."""
        prepared = list(tickets)
        if history is None:  # nobody else sees it, so it need not keep the tickets
            history = self.new_history(streaming=True)
        loop = self.compiled.verdicts
        if loop is None or self._checks_cover or self.agreement.prepaid is not None:
            return self._one_verdict_at_a_time(prepared, history)
        if not self.depends_on_history:  # no ticket sees another: the order cannot matter
            return [self._verdict_of(ticket, answer) for ticket, answer in zip(prepared, loop(prepared, history))]
        # The decision order without a tuple per ticket (which the garbage collector would visit
        # again and again): by id, then, stably, by the instant work started.
        instants = [(ticket.started_at or ticket.opened_at).timestamp() for ticket in prepared]
        ids = [ticket.id for ticket in prepared]
        distinct = set(ids)
        sequence = sorted(range(len(prepared)), key=ids.__getitem__) if len(set(instants)) < len(instants) else list(range(len(prepared)))
        sequence.sort(key=instants.__getitem__)
        if not sequence or len(distinct) < len(ids) or not history.admits_in_order((instants[sequence[0]], ids[sequence[0]]), distinct):
            return self._one_verdict_at_a_time(prepared, history)
        in_order = [prepared[index] for index in sequence]
        answers: list = [None] * len(prepared)
        same, verdict_of = self._same_verdicts, self._verdict_of
        for index, ticket, answer in zip(sequence, in_order, loop(in_order, history)):
            answers[index] = same.get(answer) or verdict_of(ticket, answer)
        kept = [] if history.streaming else [
            Earlier._make((ticket, work_start(ticket), instants[index], answers[index].outcome, answers[index].rule, ()))
            for index, ticket in zip(sequence, in_order)]
        history.took_in_order((instants[sequence[-1]], ids[sequence[-1]]), kept)
        return answers

    def _one_verdict_at_a_time(self, prepared: list[Ticket], history: History) -> list[Verdict]:
        return self._in_decision_order(prepared, history, self.verdict, lambda verdict: (verdict.outcome, verdict.rule, verdict.drawn))

    def _verdict_of(self, ticket: Ticket, answer: int) -> Verdict:
        """The ``Verdict`` of the compiled loop's answer for a ticket, for an
        agreement that neither checks cover nor draws prepaid hours. Rules whose charges read
        nothing of the ticket give the same verdict every time, so it is made once."""
        verdict = self._same_verdicts.get(answer)
        if verdict is not None:
            return verdict
        decided, fired = self.compiled.loop_answer(answer)
        rules = self.compiled.rules
        deciding = rules[decided] if decided is not None else None
        charging = [rules[index] for index in fired]
        _, _, _, charges, _, _ = self._settle(ticket, None, deciding, charging, always_measure=False)
        verdict = Verdict._make((deciding.rule.outcome.kind if deciding else "review", deciding.rule.id if deciding else None, charges, ()))
        if all(compiled.rule.id in self._fixed_charges for compiled in (*charging, *((deciding,) if deciding else ()))):
            self._same_verdicts[answer] = verdict
        return verdict

    @functools.cached_property
    def _same_verdicts(self) -> dict:
        return {}

    @functools.cached_property
    def _fixed_charges(self) -> frozenset[str]:
        """The rules whose charges are the same for every ticket: they read no ticket, work or history."""
        return frozenset(
            compiled.rule.id for compiled in self.compiled.rules
            if not any(isinstance(node, ast.CountEarlier) or (isinstance(node, ast.Path) and node.root in ("ticket", "work", "earlier"))
                       for effect in compiled.rule.outcome.effects for node in ast.walk(effect)))

    def _in_decision_order(self, tickets: Iterable[Ticket], history: History | None, decide, outcome_of) -> list:
        """``decide`` each ticket in the decision order, adding it to ``history`` (as
        ``outcome_of`` its answer gives its outcome, rule and drawn minutes) when tickets can
        see each other; the answers in arrival order."""
        prepared = list(tickets)
        if history is None:
            history = self.new_history()
        answers: list = [None] * len(prepared)
        if not self.depends_on_history:  # no ticket sees another: the order cannot matter
            for index, ticket in enumerate(prepared):
                answers[index] = decide(ticket, history)
            return answers
        orders = [decision_order(ticket) for ticket in prepared]
        for index in sorted(range(len(prepared)), key=orders.__getitem__):
            ticket = prepared[index]
            answer = answers[index] = decide(ticket, history)
            history.add(Earlier._make((ticket, work_start(ticket), orders[index][0], *outcome_of(answer))))
        return answers

    def new_history(self, streaming: bool = False) -> History:
        """An empty history for this agreement: no earlier tickets, no prepaid hours drawn.
        A ``streaming`` one keeps running totals only, for tickets decided in the decision order."""
        prepaid = self.agreement.prepaid
        return History(self.term_start, PrepaidBalances(prepaid) if prepaid is not None else None, self.counts, streaming,
                       inventory=self.coverage.has_ceilings)

    @property
    def term_start(self) -> dt.date:
        return self.agreement.plan.term.start
