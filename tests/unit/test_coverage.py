"""Coverage and ceilings: requesters and devices outside the agreement's cover go to review."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from pathlib import Path

import pytest

from scopecheck import engine
from scopecheck.evaluate.coverage import ordinal
from scopecheck.evaluate.history import Earlier, History
from scopecheck.evaluate.inventory import DEVICE, REQUESTER
from scopecheck.evaluate.program import Program, earlier_of
from scopecheck.tickets.model import Material, Ticket

RULES = """
rule support "Day-to-day support is in plan"
  priority 50
  when ticket.category is "help_desk"
  then in_plan
  because "day-to-day support is part of the service plan"

rule parts "Parts on top"
  when count(ticket.materials) > 0
  then add materials at cost
"""

HEAD = """\
client: {name: Acme}
plan:
  model: %(model)s
  term: {start: %(start)s, end: %(end)s}
rates: {standard: 100}
rules: [./client.scope]
"""


def program_for(tmp_path: Path, coverage: str, model: str = "flat_rate", start: str = "2026-01-01", end: str = "2027-12-31") -> Program:
    (tmp_path / "client.scope").write_text(RULES)
    (tmp_path / "agreement.yaml").write_text(HEAD % {"model": model, "start": start, "end": end} + coverage)
    return engine.load(tmp_path / "agreement.yaml").program


def line_of(tmp_path: Path, text: str) -> int:
    lines = (tmp_path / "agreement.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def ticket(ticket_id: str, day: str, requester: str | None = None, device: str | None = None, device_class: str | None = None,
           **more) -> Ticket:
    return Ticket(ticket_id, dt.datetime.fromisoformat(day), requester=requester, device=device, device_class=device_class,
                  category="help_desk", time_spent=dt.timedelta(hours=1), **more)


def decide_all(program: Program, tickets: list[Ticket]) -> dict:
    return {d.ticket.id: d for d in program.decide_batch([program.prepare(t) for t in tickets])}


def requesters(count: int, day: str = "2026-02-02T09:00") -> list[Ticket]:
    """``count`` different requesters, one ticket each, ten minutes apart in that order."""
    start = dt.datetime.fromisoformat(day)
    return [ticket(f"T-{n:03}", (start + dt.timedelta(minutes=10 * n)).isoformat(), f"user{n}@acme.example") for n in range(1, count + 1)]


# --- lists ---------------------------------------------------------------------------------


def test_listed_users_compare_without_case_and_others_are_not_covered(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  users: [Ana Lopez, ben@acme.example]\n", model="per_user")
    decisions = decide_all(program, [
        ticket("A", "2026-02-02T09:00", "ana  LOPEZ"),
        ticket("B", "2026-02-02T10:00", "Ben@Acme.Example"),
        ticket("C", "2026-02-02T11:00", "Cara Diaz"),
    ])
    assert decisions["A"].outcome == "in_plan"
    assert decisions["B"].outcome == "in_plan"
    flagged = decisions["C"]
    assert flagged.outcome == "review"
    assert flagged.deciding_rule.rule_id == "uncovered_user"
    assert flagged.reason == "'Cara Diaz' is not among the 2 users the agreement lists"
    assert flagged.deciding_rule.span.line == line_of(tmp_path, "users:")
    assert flagged.deciding_rule.span.path.endswith("agreement.yaml")


def test_lists_are_checked_without_a_history(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  users: [Ana Lopez]\n", model="per_user")
    decision = program.decide(program.prepare(ticket("C", "2026-02-02T11:00", "Cara Diaz")), None)
    assert (decision.outcome, decision.deciding_rule.rule_id) == ("review", "uncovered_user")


def test_listed_devices_compare_without_case_and_others_are_not_covered(tmp_path: Path) -> None:
    coverage = "coverage:\n  devices:\n    - {id: LT-014, class: laptop}\n    - {id: WS-001, class: workstation}\n"
    program = program_for(tmp_path, coverage, model="per_device")
    decisions = decide_all(program, [
        ticket("A", "2026-02-02T09:00", "ana", "lt-014", "laptop"),
        ticket("B", "2026-02-02T10:00", "ana", "LT-099", "laptop"),
        ticket("C", "2026-02-02T11:00", "ana", "PC-7"),
    ])
    assert decisions["A"].outcome == "in_plan"
    assert decisions["B"].deciding_rule.rule_id == "uncovered_device"
    assert decisions["B"].reason == "laptop 'LT-099' is not among the 2 devices the agreement lists"
    assert decisions["B"].deciding_rule.span.line == line_of(tmp_path, "devices:")
    assert decisions["C"].reason == "device 'PC-7' is not among the 2 devices the agreement lists"


# --- ceilings ------------------------------------------------------------------------------

FLAT_25 = "coverage:\n  users: 25\n  ceilings:\n    users: 25\n    devices: 3\n"


def test_the_26th_requester_on_a_25_user_ceiling_is_flagged_and_the_25th_is_not(tmp_path: Path) -> None:
    program = program_for(tmp_path, FLAT_25)
    tickets = requesters(25) + [
        ticket("T-026", "2026-02-03T09:00", "Dana Wu"),
        ticket("T-027", "2026-02-03T10:00", "user1@acme.example"),  # an early requester again
        ticket("T-028", "2026-02-04T10:00", "dana wu"),  # still the 26th, however written
    ]
    decisions = decide_all(program, tickets)
    assert decisions["T-025"].outcome == "in_plan"
    flagged = decisions["T-026"]
    assert flagged.outcome == "review"
    assert flagged.deciding_rule.rule_id == "over_user_ceiling"
    assert flagged.reason == "'Dana Wu' is the 26th different requester this contract year; the agreement covers 25 users"
    assert flagged.deciding_rule.span.line == line_of(tmp_path, "users: 25") + 2  # ceilings.users, not coverage.users
    assert decisions["T-027"].outcome == "in_plan"
    assert decisions["T-028"].reason == "'dana wu' is the 26th different requester this contract year; the agreement covers 25 users"


def test_a_new_contract_year_starts_the_count_again(tmp_path: Path) -> None:
    program = program_for(tmp_path, FLAT_25, start="2026-03-01", end="2028-02-29")
    tickets = requesters(25, day="2027-02-01T09:00") + [
        ticket("LAST-DAY", "2027-02-28T09:00", "Dana Wu"),  # still the first contract year
        ticket("NEXT-YEAR", "2027-03-01T09:00", "Eve Park"),
    ]
    decisions = decide_all(program, tickets)
    assert decisions["LAST-DAY"].deciding_rule.rule_id == "over_user_ceiling"
    assert decisions["NEXT-YEAR"].outcome == "in_plan"


def test_per_user_counts_its_users_and_per_device_does_not(tmp_path: Path) -> None:
    per_user = program_for(tmp_path, "coverage:\n  users: 2\n", model="per_user")
    assert decide_all(per_user, requesters(3))["T-003"].reason == (
        "'user3@acme.example' is the 3rd different requester this contract year; the agreement covers 2 users"
    )
    per_device = program_for(tmp_path, "coverage:\n  users: 2\n", model="per_device")
    assert decide_all(per_device, requesters(3))["T-003"].outcome == "in_plan"


def test_per_device_counts_each_class_against_its_own_count(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  devices: {laptop: 2, workstation: 1}\n", model="per_device")
    decisions = decide_all(program, [
        ticket("1", "2026-02-02T09:00", "ana", "LT-1", "laptop"),
        ticket("2", "2026-02-02T10:00", "ana", "WS-1", "workstation"),
        ticket("3", "2026-02-02T11:00", "ana", "LT-2", "laptop"),
        ticket("4", "2026-02-02T12:00", "ana", "LT-3", "laptop"),
        ticket("5", "2026-02-02T13:00", "ana", "lt-1", "laptop"),
        ticket("6", "2026-02-02T14:00", "ana", "SRV-1", "server"),  # a class the agreement does not count
        ticket("7", "2026-02-02T15:00", "ana", "THING-9"),  # no class: not counted
        ticket("8", "2026-02-02T16:00", "ana", "WS-2", "workstation"),
    ])
    assert [decisions[n].outcome for n in ("1", "2", "3", "5", "6", "7")] == ["in_plan"] * 6
    assert decisions["4"].deciding_rule.rule_id == "over_device_ceiling"
    assert decisions["4"].reason == "laptop 'LT-3' is the 3rd different laptop worked on this contract year; the agreement covers 2 laptops"
    assert decisions["4"].deciding_rule.span.line == line_of(tmp_path, "laptop: 2")
    assert decisions["8"].reason == (
        "workstation 'WS-2' is the 2nd different workstation worked on this contract year; the agreement covers 1 workstation"
    )


def test_a_flat_rate_device_ceiling_counts_every_class_together(tmp_path: Path) -> None:
    program = program_for(tmp_path, FLAT_25)
    decisions = decide_all(program, [
        ticket("1", "2026-02-02T09:00", None, "LT-1", "laptop"),
        ticket("2", "2026-02-02T10:00", None, "PRN-1", "printer"),
        ticket("3", "2026-02-02T11:00", None, "box"),
        ticket("4", "2026-02-02T12:00", None, "WS-1", "workstation"),
    ])
    assert [decisions[n].outcome for n in "123"] == ["in_plan"] * 3
    assert decisions["4"].reason == (
        "workstation 'WS-1' is the 4th different device worked on this contract year; the agreement covers 3 devices"
    )
    assert decisions["4"].deciding_rule.span.line == line_of(tmp_path, "devices: 3")


def test_a_ticket_without_a_requester_is_neither_checked_nor_counted(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  ceilings: {users: 1}\n")
    decisions = decide_all(program, [
        ticket("1", "2026-02-02T09:00", "ana"),
        ticket("2", "2026-02-02T10:00", None),
        ticket("3", "2026-02-02T11:00", "  "),
        ticket("4", "2026-02-02T12:00", "ANA"),
        ticket("5", "2026-02-02T13:00", "ben"),
    ])
    assert [decisions[n].outcome for n in "1234"] == ["in_plan"] * 4
    assert decisions["5"].reason == "'ben' is the 2nd different requester this contract year; the agreement covers 1 user"


def test_ceilings_need_a_history(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  ceilings: {users: 0}\n")
    assert program.decide(program.prepare(ticket("1", "2026-02-02T09:00", "ana")), None).outcome == "in_plan"
    assert program.decide(program.prepare(ticket("1", "2026-02-02T09:00", "ana")), program.new_history()).outcome == "review"


# --- the decision ----------------------------------------------------------------------------


def test_a_finding_outranks_every_rule_and_keeps_only_charge_only_rules_charges(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  users: [ana]\n  devices: [{id: LT-1, class: laptop}]\n")
    part = Material("fan", "part", Decimal(20))
    decision = decide_all(program, [ticket("1", "2026-02-02T09:00", "ben", "LT-2", "laptop", materials=(part,))])["1"]
    assert decision.outcome == "review"
    assert [fired.rule_id for fired in decision.fired] == ["uncovered_user", "uncovered_device", "support", "parts"]
    assert [fired.outcome for fired in decision.fired[:2]] == ["review", "review"]
    assert decision.fired[0].priority == 51  # above the rules' highest, 50
    assert decision.fired[0].title == "A requester the agreement does not list needs review"
    assert [line.kind for line in decision.bill.lines] == ["review", "materials"]


def test_rule_ids_are_stable(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  ceilings: {users: 0, devices: 0}\n")
    decision = decide_all(program, [ticket("1", "2026-02-02T09:00", "ana", "LT-1", "laptop")])["1"]
    assert [fired.rule_id for fired in decision.fired] == ["over_user_ceiling", "over_device_ceiling", "support"]
    assert decision.reason == "'ana' is the 1st different requester this contract year; the agreement covers 0 users"


def test_the_same_tickets_in_another_arrival_order_decide_the_same(tmp_path: Path) -> None:
    program = program_for(tmp_path, "coverage:\n  ceilings: {users: 5, devices: 4}\n")
    tickets = [
        ticket(f"T-{n:02}", f"2026-0{1 + n % 3}-{1 + n % 27:02}T{8 + n % 9:02}:00", f"user{n % 8}", f"D-{n % 6}", "laptop")
        for n in range(40)
    ]
    tickets.append(ticket("TIE-B", "2026-02-02T09:00", "late starter b"))  # two starting together: the id breaks the tie
    tickets.append(ticket("TIE-A", "2026-02-02T09:00", "late starter a"))

    def summary(order: list[Ticket]) -> dict:
        return {key: (d.outcome, [f.rule_id for f in d.fired], d.reason) for key, d in decide_all(program, order).items()}

    expected = summary(tickets)
    assert any(outcome == "review" for outcome, _, _ in expected.values())
    for seed in range(5):
        shuffled = tickets[:]
        random.Random(seed).shuffle(shuffled)
        assert summary(shuffled) == expected


def test_a_history_loaded_earlier_decides_as_the_same_batch_would(tmp_path: Path) -> None:
    program = program_for(tmp_path, FLAT_25)
    earlier = requesters(25)
    latest = ticket("T-026", "2026-02-03T09:00", "Dana Wu")
    history = program.new_history()
    for decision in program.decide_batch([program.prepare(t) for t in earlier], program.new_history()):
        history.add(earlier_of(decision))  # as a ledger would feed it, in the order work started
    assert program.decide(program.prepare(latest), history).reason == decide_all(program, [*earlier, latest])["T-026"].reason


# --- the inventory ---------------------------------------------------------------------------


def _earlier(ticket_id: str, day: str, requester: str | None = None, device: str | None = None) -> Earlier:
    found = ticket(ticket_id, day + "T09:00+00:00", requester, device, "laptop" if device else None)
    return Earlier.of(found, "in_plan", None)


def test_the_inventory_places_the_same_whatever_order_tickets_are_added_in() -> None:
    earliers = [
        _earlier("1", "2026-01-05", "ana", "LT-1"),
        _earlier("2", "2026-01-06", "ben"),
        _earlier("3", "2026-01-07", "ANA", "LT-2"),
        _earlier("4", "2026-01-08", "cara", "lt-1"),
        _earlier("5", "2027-01-02", "dan"),  # the next contract year
    ]
    in_order, reversed_order = History(dt.date(2026, 1, 1)), History(dt.date(2026, 1, 1))
    for earlier in earliers:
        in_order.add(earlier)
    for earlier in reversed(earliers):
        reversed_order.add(earlier)
    end_of_year = (dt.datetime(2026, 12, 31, tzinfo=dt.timezone.utc).timestamp(), "Z")
    for history in (in_order, reversed_order):
        places = history.inventory
        assert [places.place(REQUESTER, name, 0, end_of_year) for name in ("ana", "ben", "cara", "eve")] == [1, 2, 3, 4]
        assert places.place(REQUESTER, "dan", 1, end_of_year) == 1
        assert places.place(DEVICE, "LT-2", 0, end_of_year, "laptop") == 2
        # Asked as it stood on 6 January, before cara's first ticket: cara would be the third.
        sixth = (dt.datetime(2026, 1, 6, 12, tzinfo=dt.timezone.utc).timestamp(), "x")
        assert places.place(REQUESTER, "cara", 0, sixth) == 3
        assert places.place(REQUESTER, "zoe", 0, sixth) == 3


@pytest.mark.parametrize(("number", "words"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
                                               (13, "13th"), (21, "21st"), (26, "26th"), (101, "101st"), (111, "111th")])
def test_ordinals(number: int, words: str) -> None:
    assert ordinal(number) == words


def test_the_engines_finding_ids_are_reserved_against_client_rules():
    from scopecheck.check.checker import RESERVED_RULE_IDS
    from scopecheck.evaluate import coverage, prepaid

    engine_ids = {coverage.UNCOVERED_USER, coverage.UNCOVERED_DEVICE, coverage.OVER_USER_CEILING,
                  coverage.OVER_DEVICE_CEILING, prepaid.PREPAID_RULE_ID}
    assert engine_ids == set(RESERVED_RULE_IDS)
