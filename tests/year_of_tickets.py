"""A year of generated tickets for the Harbor & Vale example, for the ledger's tests.

A fixed seed, so every run sees the same year. A few requesters ask for many moves, so the
one-move allowance is spent and counted, and tickets arrive in a shuffled order, so a ledger
must put them back in the order work started.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from .conftest import EXAMPLES

AGREEMENT = EXAMPLES / "harbor-vale" / "agreement.yaml"
REQUESTERS = tuple(f"user{number}@harborvale.example" for number in range(12))
CATEGORIES = ("help_desk", "help_desk", "incident", "maintenance", "move", "move", "repair", "install_software")


def year_of_tickets(count: int, seed: int = 7, requesters: int = len(REQUESTERS)) -> list[dict]:
    chooser = random.Random(seed)
    people = tuple(f"user{number}@harborvale.example" for number in range(requesters))
    tickets = []
    for number in range(count):
        # Exports carry seconds; tickets a few seconds apart must keep their order.
        opened = dt.datetime(2026, 1, 2, 8) + dt.timedelta(seconds=chooser.randrange(0, 360 * 24 * 3600, 450) + chooser.choice((0, 0, 10, 30)))
        ticket = {
            "id": f"Y-{number:05d}",
            "opened_at": opened.isoformat(timespec="seconds"),
            "requester": chooser.choice(people),
            "category": chooser.choice(CATEGORIES),
            "summary": "generated request",
            "estimate": f"{chooser.choice((15, 30, 45, 60, 90, 120, 300))}m",
        }
        if chooser.random() < 0.1:
            ticket["cause"] = "third_party_damage"
        tickets.append(ticket)
    chooser.shuffle(tickets)
    return tickets


def write_jsonl(tickets: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(ticket) + "\n" for ticket in tickets), encoding="utf-8")
    return path
