"""Decisions as people and programs read them: a table, JSON, JSON Lines or CSV.

In: ``Decision`` values and the agreement's currency. Out: text. Nothing here decides
anything; the same record feeds every format, so they never disagree.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from scopecheck.evaluate.decision import (
    OUTCOME_WORDS,
    Charge,
    Decision,
    FeeCharge,
    MaterialsCharge,
    PremiumCharge,
)
from scopecheck.values import MINOR_UNITS, format_duration, format_money, format_percent

FORMATS = ("table", "json", "jsonl", "csv")


def describe_charge(charge: Charge, currency: str) -> str:
    """One charge in words, e.g. ``materials $240.00 at cost plus 10% (materials_on_top)``."""
    match charge:
        case MaterialsCharge(cost=cost, markup=markup):
            price = "at cost" if not markup else f"at cost plus {format_percent(markup)}"
            return f"materials {format_money(cost, currency)} {price} ({charge.rule_id})"
        case FeeCharge(amount=amount):
            return f"fee {format_money(amount, currency)} ({charge.rule_id})"
        case PremiumCharge(multiplier=multiplier, hours=hours):
            on = f" on {format_duration(hours)}" if hours is not None else ""
            return f"premium {multiplier.normalize():f}x{on} ({charge.rule_id})"
    raise AssertionError(f"no words for {type(charge).__name__}")


def _charge_record(charge: Charge, currency: str) -> dict:
    record: dict[str, object] = {"rule": charge.rule_id}
    match charge:
        case MaterialsCharge(cost=cost, markup=markup):
            record.update(kind="materials", cost=_money(cost, currency), markup=_number(markup))
        case FeeCharge(amount=amount):
            record.update(kind="fee", amount=_money(amount, currency))
        case PremiumCharge(multiplier=multiplier, hours=hours):
            record.update(kind="premium", multiplier=_number(multiplier), hours=format_duration(hours) if hours is not None else None)
    return record


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2)))}"


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


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
        "charges": [_charge_record(charge, currency) for charge in decision.charges],
        "rules_version": rules_version,
    }


def write_json(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    json.dump([decision_record(d, version, currency) for d in decisions], out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_jsonl(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    for decision in decisions:
        out.write(json.dumps(decision_record(decision, version, currency), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


CSV_COLUMNS = ("ticket", "outcome", "deciding_rule", "reason", "fired_rules", "unchecked", "charges", "rules_version")


def write_csv(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for decision in decisions:
        record = decision_record(decision, version, currency)
        writer.writerow(
            (
                record["ticket"],
                record["outcome"],
                record["deciding_rule"] or "",
                record["reason"],
                " ".join(f["rule"] for f in record["fired"]),
                "; ".join(f"{u['rule']} ({', '.join(u['missing'])} missing)" for u in record["unchecked"]),
                "; ".join(describe_charge(c, currency) for c in decision.charges),
                version,
            )
        )


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
        for charge in decision.charges:
            lines.extend(textwrap.wrap("+ " + describe_charge(charge, currency), reason_width))
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
    counts = Counter(decision.outcome for decision in decisions)
    parts = [f"{counts[outcome]} {OUTCOME_WORDS[outcome]}" for outcome in ("in_plan", "billable", "project", "review") if counts[outcome]]
    total = len(decisions)
    text = f"{total} ticket{'s' if total != 1 else ''} classified"
    if parts:
        text += ": " + ", ".join(parts)
    if invalid:
        text += f"; {invalid} invalid ticket{'s' if invalid != 1 else ''} not classified"
    return text
