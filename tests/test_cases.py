"""Data-driven cases: rules, an agreement, tickets, and the decisions a person should see.

Each ``tests/cases/{evaluate,pricing}/NAME.yaml`` holds ``rules`` (a client rule file), optional
``agreement`` keys laid over a small base agreement, ``tickets``, and either ``want`` (per
ticket: outcome, deciding rule, reason, fired rules, unchecked rules with their missing fields,
charges the rules asked for, ``work`` minutes by kind, ``bill`` lines in the words the table
shows, ``total``) or ``want_error`` (a diagnostic code). The case's ``note`` says what it shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from scopecheck import engine
from scopecheck.diagnostics import DiagnosticError
from scopecheck.evaluate.decision import FeeCharge, MaterialsCharge, PremiumCharge
from scopecheck.output import describe_line
from scopecheck.tickets.read import read_tickets
from scopecheck.values import format_money

CASES = sorted(
    path for area in ("evaluate", "pricing") for path in (Path(__file__).parent / "cases" / area).glob("*.yaml")
)
BASE_AGREEMENT = {
    "client": {"name": "Case Client"},
    "plan": {"model": "per_user", "term": {"start": "2026-01-01", "end": "2026-12-31"}},
    "rates": {"standard": 150},
    "rules": ["./client.scope"],
}


def _merge(base: dict, extra: dict) -> dict:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def _charge_words(charge) -> str:
    match charge:
        case FeeCharge(amount=amount):
            return f"fee {amount.normalize():f}"
        case MaterialsCharge(cost=cost, markup=markup):
            return f"materials {cost.normalize():f} markup {markup.normalize():f}"
        case PremiumCharge(multiplier=multiplier):
            return f"premium {multiplier.normalize():f}"
    raise AssertionError(charge)


@pytest.mark.parametrize("case_file", CASES, ids=[f"{c.parent.name}/{c.stem}" for c in CASES])
def test_case(case_file: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(case_file.read_text())
    (tmp_path / "client.scope").write_text(case["rules"])
    agreement = _merge(BASE_AGREEMENT, case.get("agreement", {}))
    (tmp_path / "agreement.yaml").write_text(json.dumps(agreement, default=str))
    if "want_error" in case:
        with pytest.raises(DiagnosticError) as raised:
            engine.load(tmp_path / "agreement.yaml")
        assert case["want_error"] in [d.code for d in raised.value.diagnostics], case["note"]
        return
    (tmp_path / "tickets.json").write_text(json.dumps(case["tickets"]))
    program = engine.load(tmp_path / "agreement.yaml").program
    tickets = [program.prepare(ticket) for ticket in read_tickets(str(tmp_path / "tickets.json"))]
    decisions = {d.ticket.id: d for d in program.decide_batch(tickets)}
    for ticket_id, want in case["want"].items():
        decision = decisions[ticket_id]
        where = f"{case['note']} (ticket {ticket_id})"
        assert decision.outcome == want["outcome"], where
        if "rule" in want:
            assert (decision.deciding_rule.rule_id if decision.deciding_rule else None) == want["rule"], where
        if "reason" in want:
            assert decision.reason == want["reason"], where
        if "fired" in want:
            assert [f.rule_id for f in decision.fired] == want["fired"], where
        if "unchecked" in want:
            assert {u.rule_id: list(u.missing) for u in decision.undecided} == want["unchecked"], where
        if "charges" in want:
            assert [_charge_words(c) for c in decision.charges] == want["charges"], where
        if "work" in want:
            split = decision.work.split
            found = {"minutes": split.minutes, "business": split.business, "after_hours": split.after_hours, "holiday": split.holiday}
            assert found == want["work"], where
        if "bill" in want:
            assert [describe_line(line, program.agreement.currency) for line in decision.bill.lines] == want["bill"], where
        if "total" in want:
            assert format_money(decision.bill.total, program.agreement.currency) == want["total"], where
