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

from scopecheck.evaluate.decision import OUTCOME_WORDS, ChargeLine, Decision
from scopecheck.evaluate.prepaid import FORECAST_DAYS, PREPAID_RULE_ID, Balance, BlockBalance
from scopecheck.evaluate.pricing import Period, Totals, totals_of
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
    document = {
        "totals": totals_record(totals_of(decisions), currency, period),
        "decisions": [decision_record(d, version, currency) for d in decisions],
    }
    json.dump(document, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_jsonl(decisions: Iterable[Decision], version: str, out: io.TextIOBase, currency: str) -> None:
    for decision in decisions:
        out.write(json.dumps(decision_record(decision, version, currency), ensure_ascii=False, separators=(",", ":")))
        out.write("\n")


CSV_COLUMNS = ("ticket", "outcome", "deciding_rule", "reason", "fired_rules", "unchecked", "charges", "total", "rules_version")


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
                "; ".join(describe_line(line, currency) for line in decision.bill.lines),
                record["total"],
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
    counts = Counter(decision.outcome for decision in decisions)
    parts = [f"{counts[outcome]} {OUTCOME_WORDS[outcome]}" for outcome in ("in_plan", "billable", "project", "review") if counts[outcome]]
    total = len(decisions)
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
