"""The hand-written baseline: the benchmark's five rules as one plain Python function.

In: the workload's ticket dicts, in the order work started. Out: for each ticket, the
``(outcome, deciding rule, premium multiplier)`` every engine must agree on.

This is what a programmer would write instead of a rule engine, and the rate every other engine
is measured against. It works from the same dicts scopecheck is given and does its own
bookkeeping: it counts each requester's earlier moves as it goes (the tickets arrive in time
order, all in one contract year) and reads the weekday and hour from ``opened_at`` itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

PROJECT_THRESHOLD = dt.timedelta(hours=4)
MOVES_PER_YEAR = 1
EXCLUDED_CAUSES = frozenset(("third_party_damage", "act_of_god"))
AFTER_HOURS_PREMIUM = 1.5
OPENS, CLOSES = 8, 18  # Monday to Friday, UTC, no holidays: bench/agreement.yaml

Result = tuple[str, str, float]


def classify(tickets: Iterable[dict]) -> list[Result]:
    """Each ticket's outcome, deciding rule and premium multiplier (1.0 when none applies)."""
    moves: dict[str, int] = {}
    results = []
    append = results.append
    for ticket in tickets:
        category = ticket["category"]
        estimate = ticket["estimate"]
        # The rules in the order bench/rules/bench.scope writes them: at one priority the
        # first written decides, and every project rule outranks the billable one.
        if estimate is not None and estimate > PROJECT_THRESHOLD:
            decided = ("project", "over_project_threshold")
        elif category == "install_software":
            decided = ("project", "software_install")
        elif category == "move" and moves.get(ticket["requester"], 0) >= MOVES_PER_YEAR:
            decided = ("project", "second_move")
        elif ticket["cause"] in EXCLUDED_CAUSES:
            decided = ("billable", "excluded_cause")
        else:
            decided = ("in_plan", "covered")
        if category == "move":
            moves[ticket["requester"]] = moves.get(ticket["requester"], 0) + 1
        opened = ticket["opened_at"]
        after_hours = opened.weekday() >= 5 or not OPENS <= opened.hour < CLOSES
        premium = AFTER_HOURS_PREMIUM if after_hours and ticket["premium_waived"] != "yes" else 1.0
        append((decided[0], decided[1], premium))
    return results
