"""Decisions as people and programs read them: a table, JSON, JSON Lines or CSV.

In: ``Decision`` values (each with its bill) and the agreement's currency. Out: text. Nothing here decides
anything; the same record feeds every format, so they never disagree.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType, SimpleNamespace

from scopecheck.evaluate.decision import LINE_KINDS, OUTCOME_WORDS, ChargeLine, Decision
from scopecheck.evaluate.prepaid import FORECAST_DAYS, PREPAID_RULE_ID, Balance, BlockBalance
from scopecheck.evaluate.pricing import Period, Totals
from scopecheck.memo import Memo
from scopecheck.values import format_duration, format_money, format_percent, minor_unit
from scopecheck.work import Work

FORMATS = ("table", "json", "jsonl", "csv")


_LINE_WORDS = {
    "covered": "covered",
    "prepaid": "prepaid",
    "labour": "labour",
    "project": "project labour",
    "review": "labour awaiting review",
    "premium": "premium",
}


def describe_line(line: ChargeLine, currency: str) -> str:
    """One charge line in words, e.g. ``labour 2h x $150.00/h x 1.5 less 10% = $405.00``."""
    rule = f" ({line.rule_id})" if line.rule_id else ""
    money = functools.partial(format_money, currency=currency)
    match line.kind:
        case "materials":
            markup = f" plus {format_percent(line.markup)}" if line.markup else " at cost"
            return f"materials {money(line.cost)}{markup} = {money(line.amount)}{rule}"
        case "fee":
            return f"fee {money(line.amount)}{rule}"
        case "covered" | "review":
            return f"{_LINE_WORDS[line.kind]} {_hours(line.minutes)}{rule}"
        case "prepaid":
            return f"prepaid {_hours(line.minutes)} from block {line.block}{rule}"
    if line.kind == "premium":
        extra = _number(line.multiplier - 1)
        text = f"premium {_hours(line.minutes)} at {_number(line.multiplier)}x, the extra {extra} x {money(line.rate)}/h"
    else:
        text = f"{_LINE_WORDS[line.kind]} {_hours(line.minutes)} x {money(line.rate)}/h"
        if line.multiplier != 1:
            text += f" x {_number(line.multiplier)}"
    if line.discount:
        text += f" less {format_percent(line.discount)}"
    text += f" = {money(line.amount)}"
    if line.added_minutes:
        text += f", {_hours(line.added_minutes)} of it added by rounding and the minimum"
    return text + rule


def _hours(minutes: int) -> str:
    return format_duration(dt.timedelta(minutes=minutes)) if minutes else "0m"


def line_record(line: ChargeLine, currency: str) -> dict:
    record: dict[str, object] = {"kind": line.kind, "rule": line.rule_id, "amount": _money(line.amount, currency)}
    if line.kind in ("covered", "prepaid", "labour", "project", "review", "premium"):
        record["minutes"] = line.minutes
    if line.kind == "prepaid":
        record["block"] = line.block
    if line.kind in ("labour", "project", "premium"):
        record.update(rate=_money(line.rate, currency), multiplier=_number(line.multiplier), discount=_number(line.discount),
                      added_minutes=line.added_minutes)
    if line.kind == "materials":
        record.update(cost=_money(line.cost, currency), markup=_number(line.markup))
    return record


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(minor_unit(currency))}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _work_record(work: Work | None) -> dict | None:
    if work is None:
        return None
    split = work.split
    return {
        "start": work.start.isoformat(timespec="minutes"),
        "end": work.end.isoformat(timespec="minutes") if work.end else None,
        "minutes": split.minutes,
        "business_minutes": split.business,
        "after_hours_minutes": split.after_hours,
        "holiday_minutes": split.holiday,
    }


def decision_record(decision: Decision, rules_version: str, currency: str) -> dict:
    """The one machine-readable shape of a decision (JSON, JSON Lines, and the CSV columns)."""
    return {
        "ticket": decision.ticket.id,
        "outcome": decision.outcome,
        "deciding_rule": decision.deciding_rule.rule_id if decision.deciding_rule else None,
        "reason": decision.reason,
        "fired": [
            {"rule": fired.rule_id, "outcome": fired.outcome, "priority": fired.priority, "reason": fired.reason}
            for fired in decision.fired
        ],
        "unchecked": [{"rule": u.rule_id, "missing": list(u.missing)} for u in decision.undecided],
        "work": _work_record(decision.work),
        "charges": [line_record(line, currency) for line in decision.bill.lines],
        "total": _money(decision.bill.total, currency),
        "rules_version": rules_version,
    }


def _day_or_none(day: dt.date) -> str | None:
    return None if day in (dt.date.min, dt.date.max) else day.isoformat()


def totals_record(totals: Totals, currency: str, period: Period | None) -> dict:
    return {
        "period": {"from": _day_or_none(period.first), "to": _day_or_none(period.last)} if period else None,
        "tickets": dict(totals.tickets),
        "minutes": dict(totals.minutes),
        "amounts": {kind: _money(amount, currency) for kind, amount in totals.amounts.items()},
        "total": _money(totals.total, currency),
    }


def write_json(decisions: list[Decision], version: str, out: io.TextIOBase, currency: str, period: Period | None = None) -> None:
    """One document: the batch's totals and every decision."""
    writer = JsonWriter(out, DecisionRenderer(version, currency), period)
    for decision in decisions:
        writer.add(decision)
    writer.finish()


def write_jsonl(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    writer = JsonLinesWriter(out, DecisionRenderer(version, currency))
    for decision in decisions:
        writer.add(decision)
    writer.finish()


CSV_COLUMNS = ("ticket", "outcome", "deciding_rule", "reason", "fired_rules", "unchecked", "charges", "total", "rules_version")


def write_csv(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    writer = CsvWriter(out, DecisionRenderer(version, currency))
    for decision in decisions:
        writer.add(decision)
    writer.finish()


# --- the machine-readable formats, a decision at a time ------------------------------------------
# A run writes a decision as soon as it is made, so that memory does not grow with the batch,
# and each decision's text is built directly rather than through a dict per decision and a
# general encoder: at a million tickets a run, the encoder's work per value is most of the
# cost of writing. The text is exactly what ``json.dumps(decision_record(...))`` gives;
# ``tests/test_streaming.py`` holds the two to each other.

_text = json.encoder.encode_basestring  # a JSON string, non-ASCII kept, as ensure_ascii=False writes it
_REMEMBERED = 4096  # texts kept per cache; a run with more different values starts the cache again


def _remembered(cache: Memo, key: object, make) -> str:
    text = cache.get(key)
    return text if text is not None else cache.keep(key, make(key))


class DecisionRenderer:
    """One run's decisions as JSON Lines, CSV rows and JSON document items. What repeats from
    one decision to the next (a rule's id, outcome and priority, the rates, the minutes of a
    line in words) is rendered once and remembered."""

    def __init__(self, rules_version: str, currency: str):
        self.rules_version = rules_version
        self.currency = currency
        self._quantum = minor_unit(currency)
        self._zero = f"{Decimal(0).quantize(self._quantum)}"
        self._negative_zero = f"{Decimal('-0').quantize(self._quantum)}"
        self._line_end = ',"rules_version":' + _text(rules_version) + "}\n"
        self._fired_heads = Memo(_REMEMBERED)
        self._line_heads: dict[tuple, str] = {}  # one per kind of line and rule: few
        self._numbers = Memo(_REMEMBERED)
        self._moneys = Memo(_REMEMBERED)
        self._durations = Memo(_REMEMBERED)
        self._descriptions = Memo(_REMEMBERED)
        self._last_bill = self._last_charges = self._last_total = None
        self._moments: tuple = (None, None, None, None)  # the last two moments and their text

    # --- values ---------------------------------------------------------------------------

    def money(self, amount: Decimal) -> str:
        """The amount as the JSON formats write it: in the currency's minor unit, no symbol."""
        # Equal amounts give equal text, except zero, whose sign the text keeps.
        if not amount:
            return self._negative_zero if amount.is_signed() else self._zero
        return _remembered(self._moneys, amount, self._quantized)

    def _quantized(self, amount: Decimal) -> str:
        return f"{amount.quantize(self._quantum)}"

    def moment(self, value: dt.datetime) -> str:
        """``value.isoformat()``. A decision's output and its ledger row write the same few
        moments (when work started and ended), so the last two are remembered."""
        if value is self._moments[0]:
            return self._moments[1]
        if value is self._moments[2]:
            return self._moments[3]
        text = value.isoformat()
        self._moments = (value, text, *self._moments[:2])
        return text

    def moment_to_minute(self, value: dt.datetime) -> str:
        """``value.isoformat(timespec="minutes")``: ``moment`` without the seconds."""
        text = self.moment(value)
        return text[:16] + text[26 if value.microsecond else 19:]

    def _number(self, value: Decimal) -> str:
        if not value:
            return _number(value)
        return _remembered(self._numbers, value, _number)

    def _hours(self, minutes: int) -> str:
        return _remembered(self._durations, minutes, _hours)

    # --- JSON -----------------------------------------------------------------------------

    def json_line(self, decision: Decision) -> str:
        """The decision as one line of JSON Lines, newline included."""
        deciding = decision.deciding_rule
        reason = _text(decision.reason)
        heads = self._fired_heads
        fired_texts = []
        for fired in decision.fired:
            head = heads.get((fired.rule_id, fired.outcome, fired.priority))
            if head is None:
                head = self._fired_head(fired)
            # The deciding rule is among those that fired: its reason is written once already.
            fired_texts.append(head + (reason if fired is deciding else _text(fired.reason)) + "}")
        if decision.undecided:
            unchecked = ",".join([f'{{"rule":{_text(u.rule_id)},"missing":[{",".join(map(_text, u.missing))}]}}' for u in decision.undecided])
        else:
            unchecked = ""
        work = decision.work
        if work is None:
            work_text = "null"
        else:
            split = work.split
            business, after_hours, holiday = split.business, split.after_hours, split.holiday
            end = f'"{self.moment_to_minute(work.end)}"' if work.end else "null"
            work_text = (f'{{"start":"{self.moment_to_minute(work.start)}","end":{end},'
                         f'"minutes":{split.minutes},"business_minutes":{business},'
                         f'"after_hours_minutes":{after_hours},"holiday_minutes":{holiday}}}')
        bill = decision.bill
        return (
            f'{{"ticket":{_text(decision.ticket.id)},"outcome":{_text(decision.outcome)},'
            f'"deciding_rule":{_text(deciding.rule_id) if deciding else "null"},"reason":{reason},'
            f'"fired":[{",".join(fired_texts)}],"unchecked":[{unchecked}],"work":{work_text},'
            f'"charges":{self.charges_json(bill)},"total":"{self.total(bill)}"'
            + self._line_end
        )

    def charges_json(self, bill) -> str:
        """The bill's lines as the JSON array ``line_record`` gives, compact."""
        # A run that records its decisions asks twice for each bill: for the output and for
        # the ledger's row. The last bill's text is kept for the second time.
        if bill is not self._last_bill:
            self._last_bill = bill
            self._last_charges = "[" + ",".join([self._line_json(line) for line in bill.lines]) + "]"
            self._last_total = self.money(bill.total)
        return self._last_charges

    def total(self, bill) -> str:
        """``money`` of the bill's total."""
        if bill is not self._last_bill:
            self.charges_json(bill)
        return self._last_total

    def _fired_head(self, fired) -> str:
        outcome = _text(fired.outcome) if fired.outcome is not None else "null"
        head = f'{{"rule":{_text(fired.rule_id)},"outcome":{outcome},"priority":{int.__repr__(fired.priority)},"reason":'
        return self._fired_heads.keep((fired.rule_id, fired.outcome, fired.priority), head)

    def _line_json(self, line: ChargeLine) -> str:
        """``line_record`` as compact JSON."""
        kind = line.kind
        head = self._line_heads.get((kind, line.rule_id))
        if head is None:
            rule = _text(line.rule_id) if line.rule_id is not None else "null"
            head = self._line_heads[(kind, line.rule_id)] = f'{{"kind":{_text(kind)},"rule":{rule},"amount":"'
        if kind in _TIMED_KINDS:
            if kind in _RATED_KINDS:
                return (f'{head}{self.money(line.amount)}","minutes":{int.__repr__(line.minutes)},"rate":"{self.money(line.rate)}",'
                        f'"multiplier":"{self._number(line.multiplier)}","discount":"{self._number(line.discount)}",'
                        f'"added_minutes":{int.__repr__(line.added_minutes)}}}')
            if kind == "prepaid":
                block = _text(line.block) if line.block is not None else "null"
                return f'{head}{self.money(line.amount)}","minutes":{int.__repr__(line.minutes)},"block":{block}}}'
            return f'{head}{self.money(line.amount)}","minutes":{int.__repr__(line.minutes)}}}'
        if kind == "materials":
            return f'{head}{self.money(line.amount)}","cost":"{self.money(line.cost)}","markup":"{self._number(line.markup)}"}}'
        return f'{head}{self.money(line.amount)}"}}'

    def json_item(self, decision: Decision) -> str:
        """The decision as an element of the JSON document's ``decisions`` array, indented as
        ``json.dump(document, indent=2)`` indents it there."""
        text = json.dumps(decision_record(decision, self.rules_version, self.currency), indent=2, ensure_ascii=False)
        # No JSON string holds a raw line break, so every line break is the layout's.
        return "    " + text.replace("\n", "\n    ")

    # --- CSV ------------------------------------------------------------------------------

    def csv_row(self, decision: Decision) -> tuple[str, ...]:
        deciding = decision.deciding_rule
        undecided = decision.undecided
        return (
            decision.ticket.id,
            decision.outcome,
            deciding.rule_id if deciding else "",
            decision.reason,
            " ".join([fired.rule_id for fired in decision.fired]),
            "; ".join([f"{u.rule_id} ({', '.join(u.missing)} missing)" for u in undecided]) if undecided else "",
            "; ".join([self.describe(line) for line in decision.bill.lines]),
            self.money(decision.bill.total),
            self.rules_version,
        )

    def describe(self, line: ChargeLine) -> str:
        """``describe_line``, remembered for lines that come back (the same minutes at the
        same rate, decided by the same rule)."""
        if line.kind in _UNPRICED_KINDS:
            rule = f" ({line.rule_id})" if line.rule_id else ""
            if line.kind == "prepaid":
                return f"prepaid {self._hours(line.minutes)} from block {line.block}{rule}"
            return f"{_LINE_WORDS[line.kind]} {self._hours(line.minutes)}{rule}"
        if _has_signed_zero(line):
            return describe_line(line, self.currency)
        return _remembered(self._descriptions, line, lambda key: describe_line(key, self.currency))


# Kinds of line whose record carries minutes; of those, the ones priced at a rate; and the ones
# whose words are their minutes alone.
_TIMED_KINDS = frozenset(("covered", "prepaid", "labour", "project", "review", "premium"))
_RATED_KINDS = frozenset(("labour", "project", "premium"))
_UNPRICED_KINDS = frozenset(("covered", "review", "prepaid"))


def _has_signed_zero(line: ChargeLine) -> bool:
    """Whether a line holds a negative zero, which equals zero (so a remembered text could be
    the other one's) but is written with its sign."""
    return any(value is not None and not value and value.is_signed()
               for value in (line.amount, line.rate, line.multiplier, line.discount, line.markup, line.cost))


class RunningTotals:
    """``totals_of`` over decisions given one at a time, without keeping them."""

    def __init__(self) -> None:
        self.tickets: Counter[str] = Counter()
        self._minutes: Counter[str] = Counter()
        self._amounts: dict[str, Decimal] = {}
        self.count = 0

    def add(self, decision: Decision) -> None:
        self.count += 1
        self.tickets[decision.outcome] += 1
        minutes, amounts = self._minutes, self._amounts
        for line in decision.bill.lines:
            kind = line.kind
            minutes[kind] += line.minutes
            amounts[kind] = amounts.get(kind, _ZERO) + line.amount

    def add_summary(self, outcome: str, lines: Iterable[tuple[str, int, Decimal]]) -> None:
        """A decision made elsewhere, as its outcome and its lines' kinds, minutes and amounts."""
        self.count += 1
        self.tickets[outcome] += 1
        minutes, amounts = self._minutes, self._amounts
        for kind, line_minutes, amount in lines:
            minutes[kind] += line_minutes
            amounts[kind] = amounts.get(kind, _ZERO) + amount

    def add_outcome(self, outcome: str) -> None:
        """A decision made elsewhere, whose lines come in ``merge``."""
        self.count += 1
        self.tickets[outcome] += 1

    def merge(self, minutes: dict[str, int], amounts: dict[str, Decimal]) -> None:
        """Minutes and amounts by kind of line that ``RunningTotals`` elsewhere added up
        (``partial``); sums of exact amounts, which the order of adding does not change."""
        self._minutes.update(minutes)
        for kind, amount in amounts.items():
            self._amounts[kind] = self._amounts.get(kind, _ZERO) + amount

    def partial(self) -> tuple[dict[str, int], dict[str, Decimal]]:
        """The minutes and amounts added so far, for ``merge``; starting again from none."""
        minutes, amounts = dict(self._minutes), self._amounts
        self._minutes, self._amounts = Counter(), {}
        return minutes, amounts

    def totals(self) -> Totals:
        minutes, amounts = self._minutes, self._amounts
        return Totals(
            MappingProxyType(dict(self.tickets)),
            MappingProxyType({kind: minutes[kind] for kind in LINE_KINDS if minutes[kind]}),
            MappingProxyType({kind: amounts[kind] for kind in LINE_KINDS if kind in amounts}),
        )

    def summary_line(self, invalid: int) -> str:
        return _summary_words(self.count, self.tickets, invalid)


_ZERO = Decimal(0)


def line_summary(decision: Decision) -> tuple[tuple[str, int, Decimal], ...]:
    """What ``RunningTotals.add_summary`` needs of a decision's bill."""
    return tuple((line.kind, line.minutes, line.amount) for line in decision.bill.lines)


class DecisionWriter:
    """Writes a run's decisions in one format as they come, and what follows them at the end.
    ``add`` takes a decision; ``add_text`` the text ``render`` gave for one made elsewhere."""

    def __init__(self, out: io.TextIOBase, renderer: DecisionRenderer):
        self.out = out
        self.renderer = renderer
        self.totals = RunningTotals()
        # Texts are written a few dozen at a time: one write a decision costs more than the text.
        self._waiting: list[str] = []

    def render(self, decision: Decision) -> str:
        raise NotImplementedError

    def _write(self, text: str) -> None:
        waiting = self._waiting
        waiting.append(text)
        if len(waiting) >= _TEXTS_PER_WRITE:
            self.out.write("".join(waiting))
            waiting.clear()

    def add(self, decision: Decision) -> None:
        self.totals.add(decision)
        self._write(self.render(decision))

    def add_text(self, text: str, outcome: str, lines: Iterable[tuple[str, int, Decimal]]) -> None:
        self.totals.add_summary(outcome, lines)
        self._write(text)

    def add_rendered(self, text: str, outcome: str) -> None:
        """A decision made elsewhere, as the text ``render`` gave; its lines' minutes and
        amounts come to ``totals.merge``."""
        self.totals.add_outcome(outcome)
        self._write(text)

    def keep(self, decision: Decision) -> object:
        """What ``add_kept`` needs to add the decision later: less than the decision itself."""
        return self.render(decision), decision.outcome, line_summary(decision)

    def add_kept(self, kept: object) -> None:
        self.add_text(*kept)

    def finish(self) -> None:
        """Everything written after the last decision."""
        if self._waiting:
            self.out.write("".join(self._waiting))
            self._waiting.clear()


class JsonLinesWriter(DecisionWriter):
    def render(self, decision: Decision) -> str:
        return self.renderer.json_line(decision)


class CsvWriter(DecisionWriter):
    def __init__(self, out: io.TextIOBase, renderer: DecisionRenderer):
        super().__init__(out, renderer)
        # The csv module quotes and escapes; its rows are caught as text, one write per row.
        self._written: list[str] = []
        self._rows = csv.writer(SimpleNamespace(write=self._written.append), lineterminator="\n")
        self._rows.writerow(CSV_COLUMNS)
        out.write(self._written.pop())

    def render(self, decision: Decision) -> str:
        self._rows.writerow(self.renderer.csv_row(decision))
        return self._written.pop()


class JsonWriter(DecisionWriter):
    """The JSON document opens with the totals, known only at the end: the decisions are kept
    in ``hold`` (a temporary file, when a run may be long) until then."""

    def __init__(self, out: io.TextIOBase, renderer: DecisionRenderer, period: Period | None = None,
                 hold: io.TextIOBase | None = None):
        super().__init__(out, renderer)
        self.period = period
        self._held = hold if hold is not None else io.StringIO()
        self._first = True

    def render(self, decision: Decision) -> str:
        return self.renderer.json_item(decision)

    def add(self, decision: Decision) -> None:
        self.add_text(self.render(decision), decision.outcome, line_summary(decision))

    def add_text(self, text: str, outcome: str, lines: Iterable[tuple[str, int, Decimal]]) -> None:
        self.totals.add_summary(outcome, lines)
        self._hold(text)

    def add_rendered(self, text: str, outcome: str) -> None:
        self.totals.add_outcome(outcome)
        self._hold(text)

    def _hold(self, text: str) -> None:
        self._held.write(text if self._first else ",\n" + text)
        self._first = False

    def finish(self) -> None:
        totals = json.dumps(totals_record(self.totals.totals(), self.renderer.currency, self.period), indent=2, ensure_ascii=False)
        out = self.out
        out.write('{\n  "totals": ' + totals.replace("\n", "\n  ") + ',\n  "decisions": ')
        if self._first:
            out.write("[]\n}\n")
            return
        out.write("[\n")
        self._held.seek(0)
        shutil.copyfileobj(self._held, out, _COPY_CHUNK)
        out.write("\n  ]\n}\n")


_COPY_CHUNK = 1 << 20
_TEXTS_PER_WRITE = 64


class TableWriter(DecisionWriter):
    """The table's columns are as wide as its widest ticket id and rule: it keeps every
    decision, and writes the table and its totals at the end."""

    def __init__(self, out: io.TextIOBase, renderer: DecisionRenderer, period: Period | None = None, width: int | None = None):
        super().__init__(out, renderer)
        self.period = period
        self.width = width
        self.decisions: list[Decision] = []

    def add(self, decision: Decision) -> None:
        self.totals.add(decision)
        self.decisions.append(decision)

    def keep(self, decision: Decision) -> object:
        return decision

    def add_kept(self, kept: object) -> None:
        self.add(kept)

    def finish(self) -> None:
        write_table(self.decisions, self.out, self.renderer.currency, self.width)
        write_totals(self.totals.totals(), self.out, self.renderer.currency, self.period)


def write_table(decisions: list[Decision], out: io.TextIOBase, currency: str, width: int | None = None) -> None:
    """A table for a person at a terminal: one block per ticket, the reason wrapped to fit."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    id_width = max([len("TICKET"), *(len(d.ticket.id) for d in decisions)])
    outcome_width = len("IN PLAN") + 1
    rule_width = max([len("RULE"), *(len(d.deciding_rule.rule_id) if d.deciding_rule else 1 for d in decisions)])
    indent = id_width + outcome_width + rule_width + 6
    reason_width = max(30, width - indent)
    out.write(f"{'TICKET':<{id_width}}  {'OUTCOME':<{outcome_width}}  {'RULE':<{rule_width}}  WHY\n")
    for decision in decisions:
        rule = decision.deciding_rule.rule_id if decision.deciding_rule else "-"
        lines = textwrap.wrap(decision.reason, reason_width) or [""]
        for fired in decision.fired:
            # How prepaid hours split in-plan work from what is billed, when no rule says so.
            if fired.rule_id == PREPAID_RULE_ID and fired is not decision.deciding_rule:
                lines.extend(textwrap.wrap(fired.reason, reason_width))
        for line in decision.bill.lines:
            lines.extend(textwrap.wrap("+ " + describe_line(line, currency), reason_width, subsequent_indent="  "))
        for missing, rule_ids in _unchecked_by_field(decision).items():
            lines.extend(textwrap.wrap(f"? not checked, {missing} missing: {', '.join(rule_ids)}", reason_width))
        outcome = OUTCOME_WORDS[decision.outcome].upper()
        out.write(f"{decision.ticket.id:<{id_width}}  {outcome:<{outcome_width}}  {rule:<{rule_width}}  {lines[0]}\n")
        for line in lines[1:]:
            out.write(" " * indent + line + "\n")


def _unchecked_by_field(decision: Decision) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for unchecked in decision.undecided:
        grouped.setdefault(", ".join(unchecked.missing) or "a value", []).append(unchecked.rule_id)
    return grouped


def summary_line(decisions: list[Decision], invalid: int) -> str:
    """``31 tickets: 18 in plan, 6 billable, 7 project; 1 invalid ticket skipped``."""
    return _summary_words(len(decisions), Counter(decision.outcome for decision in decisions), invalid)


def _summary_words(total: int, counts: Counter[str], invalid: int) -> str:
    parts = [f"{counts[outcome]} {OUTCOME_WORDS[outcome]}" for outcome in ("in_plan", "billable", "project", "review") if counts[outcome]]
    text = f"{total} ticket{'s' if total != 1 else ''} classified"
    if parts:
        text += ": " + ", ".join(parts)
    if invalid:
        text += f"; {invalid} invalid ticket{'s' if invalid != 1 else ''} not classified"
    return text


_TOTAL_WORDS = {
    "covered": "covered labour",
    "prepaid": "prepaid hours drawn",
    "labour": "billable labour",
    "project": "project labour (quoted)",
    "review": "awaiting review",
    "premium": "premiums on in-plan work",
    "fee": "fees",
    "materials": "materials",
}


def write_totals(totals: Totals, out: io.TextIOBase, currency: str, period: Period | None) -> None:
    """The batch's hours and money by kind of line, for the end of the table."""
    heading = f"Totals, {period}" if period else "Totals"
    rows = [
        (_TOTAL_WORDS[kind], _hours(totals.minutes[kind]) if kind in totals.minutes else "", format_money(amount, currency))
        for kind, amount in totals.amounts.items()
    ]
    rows.append(("total to invoice", "", format_money(totals.total, currency)))
    label_width = max(len(label) for label, _, _ in rows)
    amount_width = max(len(amount) for _, _, amount in rows)
    out.write(f"\n{heading}\n")
    for label, hours, amount in rows:
        out.write(f"  {label:<{label_width}}  {hours:>8}  {amount:>{amount_width}}\n")


# --- prepaid hours: the balance report -------------------------------------------------------


def _value(amount: Decimal, currency: str) -> Decimal:
    """A block's value left, rounded once, half up, like every amount on an invoice."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def _usable_value(balance: Balance, currency: str) -> Decimal:
    """The total of the usable blocks' values, each rounded first, so the column adds up."""
    return sum((_value(block.value_left, currency) for block in balance.blocks if block.usable), Decimal(0))


def _status(block: BlockBalance, as_of: dt.date) -> str:
    if block.expired:
        return "expired"
    if block.purchased > as_of:
        return "not bought yet"
    return "used up" if not block.left else ""


def balance_record(balance: Balance, currency: str) -> dict:
    """The one machine-readable shape of a prepaid balance (``scopecheck balance`` as JSON)."""
    forecast = balance.forecast
    return {
        "as_of": balance.as_of.isoformat(),
        "blocks": [
            {
                "id": block.id,
                "purchased": block.purchased.isoformat(),
                "expires": block.expires.isoformat() if block.expires else None,
                "expired": block.expired,
                "usable": block.usable,
                "bought_minutes": block.bought,
                "used_minutes": block.used,
                "left_minutes": block.left,
                "price": _money(block.price, currency),
                "value_left": _money(_value(block.value_left, currency), currency),
            }
            for block in balance.blocks
        ],
        "usable": {
            "bought_minutes": balance.bought,
            "used_minutes": balance.used,
            "left_minutes": balance.left,
            "value_left": _money(_usable_value(balance, currency), currency),
        },
        "forecast": {
            "days": forecast.days,
            "recent_minutes": forecast.recent_minutes,
            "minutes_per_day": _number(forecast.per_day.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)),
            "runs_out": forecast.runs_out.isoformat() if forecast.runs_out else None,
            "expiring": [
                {"block": expiry.block_id, "expires": expiry.expires.isoformat(), "unused_minutes": expiry.minutes}
                for expiry in forecast.expiring
            ],
        },
        "warn_below_minutes": balance.warn_below,
        "low": balance.low,
    }


def write_balance(balance: Balance, out: io.TextIOBase, currency: str) -> None:
    """The balance for a person: one line per block, the usable hours in total, when they run
    out at the recent rate, and a warning when they are low."""
    headings = ("BLOCK", "PURCHASED", "EXPIRES", "BOUGHT", "USED", "LEFT", "VALUE LEFT", "")
    rows = [
        (
            block.id,
            block.purchased.isoformat(),
            block.expires.isoformat() if block.expires else "never",
            _hours(block.bought),
            _hours(block.used),
            _hours(block.left),
            format_money(_value(block.value_left, currency), currency),
            _status(block, balance.as_of),
        )
        for block in balance.blocks
    ]
    total = ("usable", "", "", _hours(balance.bought), _hours(balance.used), _hours(balance.left),
             format_money(_usable_value(balance, currency), currency), "")
    widths = [max(len(row[column]) for row in (headings, *rows, total)) for column in range(len(headings))]
    right = (3, 4, 5, 6)  # hours and money line up on the right

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.rjust(width) if column in right else cell.ljust(width) for column, (cell, width) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip() + "\n"

    out.write(f"Prepaid hours as of {balance.as_of.isoformat()}\n")
    out.write(line(headings))
    for row in rows:
        out.write(line(row))
    out.write(line(total))
    out.write(_forecast_words(balance) + "\n")
    if balance.low and not balance.left:
        out.write("warning: no usable prepaid hours are left; in-plan work is billed until the client buys another block\n")
    elif balance.low:
        out.write(f"warning: only {_hours(balance.left)} of prepaid hours are left, under the {_hours(balance.warn_below)} "
                  "the agreement warns at; the client may want to buy another block\n")


def _rate_words(per_day: Decimal) -> str:
    """Minutes a day, or a week when a day's use rounds to few minutes (0.7m a day is 5m a week)."""
    if per_day >= 10:
        return f"{_hours(int(per_day.to_integral_value(rounding=ROUND_HALF_UP)))} a day"
    per_week = int((per_day * 7).to_integral_value(rounding=ROUND_HALF_UP))
    return f"{_hours(per_week)} a week" if per_week else "under 1m a week"


def _forecast_words(balance: Balance) -> str:
    forecast = balance.forecast
    span = f"the last {FORECAST_DAYS} days" if forecast.days == FORECAST_DAYS else f"the {forecast.days} days since the first block was bought"
    if not balance.left:
        text = "No usable prepaid hours are left."
    elif not forecast.recent_minutes:
        text = f"Nothing was drawn in {span}, so there is no recent rate of use to say when the {_hours(balance.left)} left run out."
    else:
        text = f"At the rate of {span} ({_rate_words(forecast.per_day)}), the usable hours run out on {forecast.runs_out.isoformat()}."
    for expiry in forecast.expiring:
        text += f" Block {expiry.block_id} expires on {expiry.expires.isoformat()} with {_hours(expiry.minutes)} of it unused at that rate."
    return text
