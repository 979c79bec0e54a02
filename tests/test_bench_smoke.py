"""A small run of the benchmark in bench/: the engines agree and the table is printed.

The benchmark itself is run by hand (``python -m bench.run``, bench/README.md); this keeps its
harness working. Nothing here asserts a time: a test machine's speed says nothing about
scopecheck's.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from bench import baseline, peers, run, subject, workload


def _ticket(number: int, opened: str, category: str, estimate: str | None = "1h", cause: str | None = "normal",
            requester: str = "ana.adams@client.example", waived: str = "no") -> dict:
    hours, _, minutes = (estimate or "").partition("h")
    return {
        "id": f"H-{number:03d}",
        "opened_at": dt.datetime.fromisoformat(opened).replace(tzinfo=dt.UTC),
        "requester": requester,
        "category": category,
        "cause": cause,
        "estimate": dt.timedelta(hours=int(hours), minutes=int(minutes.rstrip("m") or 0)) if estimate else None,
        "summary": "hand-checked",
        "premium_waived": waived,
    }


# Worked out by hand from bench/rules/bench.scope and bench/agreement.yaml (Monday to Friday
# 08:00-18:00 UTC); 2026-03-03 is a Tuesday and 2026-03-07 a Saturday. In time order, since
# the moves count what came before.
HAND_CHECKED = [
    (_ticket(1, "2026-03-03T10:00", "help_desk"), ("in_plan", "covered", 1.0)),
    (_ticket(2, "2026-03-03T18:00", "help_desk"), ("in_plan", "covered", 1.5)),  # closing time is after hours
    (_ticket(3, "2026-03-03T17:59", "help_desk", "4h"), ("in_plan", "covered", 1.0)),  # 4h is not over 4h
    (_ticket(4, "2026-03-04T07:59", "repair", "4h1m"), ("project", "over_project_threshold", 1.5)),
    (_ticket(5, "2026-03-04T09:00", "install_software", None), ("project", "software_install", 1.0)),
    (_ticket(6, "2026-03-04T10:00", "repair", "6h", "act_of_god"), ("project", "over_project_threshold", 1.0)),
    (_ticket(7, "2026-03-04T11:00", "repair", "2h", "third_party_damage"), ("billable", "excluded_cause", 1.0)),
    (_ticket(8, "2026-03-04T12:00", "repair", None, None), ("in_plan", "covered", 1.0)),  # no cause: not excluded
    (_ticket(9, "2026-03-05T09:00", "move"), ("in_plan", "covered", 1.0)),  # ana's first move
    (_ticket(10, "2026-03-05T10:00", "move", requester="ben.baker@client.example"), ("in_plan", "covered", 1.0)),
    (_ticket(11, "2026-03-06T09:00", "move"), ("project", "second_move", 1.0)),  # ana's second
    (_ticket(12, "2026-03-07T10:00", "help_desk", waived="yes"), ("in_plan", "covered", 1.0)),  # Saturday, waived
    (_ticket(13, "2026-03-07T10:00", "move", requester="ben.baker@client.example"), ("project", "second_move", 1.5)),
]


def test_the_hand_written_function_gives_the_hand_checked_answers():
    assert baseline.classify([ticket for ticket, _ in HAND_CHECKED]) == [want for _, want in HAND_CHECKED]


def test_scopecheck_gives_the_hand_checked_answers():
    program = subject.load_program()
    tickets = subject.tickets_from_dicts(program, [ticket for ticket, _ in HAND_CHECKED])
    assert subject.full_decisions(program, tickets) == [want for _, want in HAND_CHECKED]


@pytest.mark.parametrize("peer", peers.PEERS, ids=[peer.key for peer in peers.PEERS])
def test_an_installed_peer_gives_the_hand_checked_answers(peer):
    if not peer.available():
        pytest.skip(f"{peer.package} is not installed (pip install -e '.[bench]')")
    data, runner = peer.prepare(workload.peer_view([ticket for ticket, _ in HAND_CHECKED]))
    assert runner(data) == [want for _, want in HAND_CHECKED]


def test_a_small_run_agrees_and_prints_the_table():
    out = io.StringIO()
    code = run.main(["--tickets", "500", "--only", "scopecheck", "--repeat", "1", "--end-to-end", "--sizes", "100"], out=out)
    text = out.getvalue()
    assert code == 0, text
    assert "mismatch" not in text.lower(), text
    for row in ("hand-written Python", "scopecheck evaluation", "scopecheck full decisions", "no ledger", "with a SQLite ledger"):
        assert row in text
    assert "tickets/s" in text
