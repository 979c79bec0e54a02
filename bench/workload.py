"""The benchmark's workload: a contract year of generated tickets, the same for every engine.

In: a ticket count and a seed. Out: ticket dicts in the order their work started (``generate``),
the fields the peer engines are handed on top of them (``peer_view``), and the same tickets
as an export file for the end-to-end runs (``write_csv``, ``write_jsonl``).

A ticket dict holds Python values, as a caller of an API would have them after reading its
export: ``opened_at`` an aware datetime in UTC, ``estimate`` a timedelta or ``None``, the
rest text or ``None``. ``premium_waived`` is an export column that is not a ticket field, so
scopecheck's reader keeps it under ``custom``; it is text (``yes`` / ``no``) in every format,
as a CSV cell is, so that one rule reads it the same from CSV, JSON Lines and dicts.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

DEFAULT_TICKETS = 100_000
DEFAULT_SEED = 20261121
YEAR_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MINUTES_IN_YEAR = 365 * 24 * 60

# Shares loosely follow a small office's help desk: mostly day-to-day support, with enough
# moves, installs, damage and long jobs that every rule decides a few percent of the tickets.
CATEGORIES = (
    ("help_desk", 38), ("incident", 18), ("maintenance", 8), ("user_setup", 4), ("install_software", 6),
    ("move", 5), ("repair", 7), ("purchase", 3), ("training", 2), ("add_device", 3), ("project", 1), ("other", 5),
)
CAUSES = (
    ("normal", 66), ("user_error", 12), ("third_party_damage", 3), ("act_of_god", 1), ("unknown", 3), (None, 15),
)
ESTIMATE_MINUTES = (
    (15, 18), (30, 20), (45, 10), (60, 12), (90, 8), (120, 7), (180, 4), (240, 3),
    (300, 2), (360, 2), (480, 2), (720, 1), (960, 1), (None, 10),
)
SUMMARIES = {
    "help_desk": ("Password reset for {name}", "Outlook keeps asking for the password", "Cannot print to 2nd floor copier"),
    "incident": ("VPN down for {name}", "File share unreachable", "Laptop will not boot"),
    "maintenance": ("Monthly patching follow-up", "Backup job failed overnight", "Disk space warning on file server"),
    "user_setup": ("New starter: accounts for {name}", "Set up mailbox and phone for {name}"),
    "install_software": ("Install CAD package for {name}", "Deploy new PDF editor"),
    "move": ("Move {name}'s desk to room {room}", "Move {name}'s equipment to the annex"),
    "repair": ("Replace cracked screen", "Keyboard not working", "Docking station faulty"),
    "purchase": ("Order replacement toner", "Quote for two monitors"),
    "training": ("Teams training for {name}",),
    "add_device": ("Add a computer for the front desk",),
    "project": ("Phase 2 of the wifi upgrade",),
    "other": ("Question about the phone bill", "Vendor called about the alarm panel"),
}
FIRST_NAMES = (
    "ana", "ben", "cara", "dana", "evan", "farah", "gus", "hana", "ivan", "jo", "kai", "lena", "milo", "nia", "omar",
    "priya", "quinn", "ravi", "sara", "tomas", "uma", "vik", "wen", "xena", "yusuf", "zoe", "ali", "beth", "chen",
    "dev", "eli", "fern", "gia", "hugo", "iris", "jack", "kira", "leo", "maya", "noel", "olga", "pete", "rosa", "sam",
    "tara", "ugo", "vera", "will", "yara", "zack", "abe", "bea", "cole", "dina", "emil", "faye", "gil", "hal", "ines", "jon",
)
LAST_NAMES = (
    "adams", "baker", "costa", "diaz", "evans", "fischer", "garcia", "haas", "ito", "jensen", "khan", "lopez", "moreau",
    "nowak", "okafor", "patel", "quist", "rossi", "silva", "tanaka", "ueda", "varga", "wong", "xu", "young", "zimmer",
    "alvarez", "brandt", "chung", "dubois", "eriksen", "ferrari", "gupta", "hughes", "ivanova", "jones", "kim", "larsen",
    "murphy", "nguyen", "olsen", "perez", "reyes", "schmidt", "torres", "weber", "yilmaz", "zhou", "owens", "price",
)
REQUESTERS = 3_000
assert len(FIRST_NAMES) * len(LAST_NAMES) >= REQUESTERS, "too few names for the requesters"
CSV_COLUMNS = ("id", "opened_at", "requester", "category", "cause", "estimate", "summary", "premium_waived")


def _choices(rng: random.Random, weighted: tuple, count: int) -> list:
    values, weights = zip(*weighted)
    return rng.choices(values, weights, k=count)


def _requesters(rng: random.Random) -> list[str]:
    pairs = [(first, last) for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(pairs)
    return [f"{first}.{last}@client.example" for first, last in pairs[:REQUESTERS]]


def _opened_minute(rng: random.Random) -> int:
    """A minute of 2026: most tickets in office hours on weekdays, the rest at any time, so that
    evenings, nights and weekends all occur."""
    if rng.random() < 0.3:
        return rng.randrange(MINUTES_IN_YEAR)
    while True:
        day = rng.randrange(365)
        if (YEAR_START + dt.timedelta(days=day)).weekday() < 5:
            return day * 1440 + rng.randrange(7 * 60, 19 * 60)


def generate(count: int = DEFAULT_TICKETS, seed: int = DEFAULT_SEED) -> list[dict]:
    """``count`` tickets of one contract year, sorted by ``opened_at``; ids follow that order, so
    tickets opened in the same minute are decided in id order by every engine."""
    rng = random.Random(seed)
    requesters = _requesters(rng)
    # A few people ask far more often than the rest, as on any help desk.
    requester_weights = [1.0 / (rank + 100) for rank in range(len(requesters))]
    minutes = sorted(_opened_minute(rng) for _ in range(count))
    people = rng.choices(requesters, requester_weights, k=count)
    categories = _choices(rng, CATEGORIES, count)
    causes = _choices(rng, CAUSES, count)
    estimates = _choices(rng, ESTIMATE_MINUTES, count)
    tickets = []
    for index in range(count):
        category = categories[index]
        person = people[index]
        summary = rng.choice(SUMMARIES[category]).format(name=person.split("@")[0].replace(".", " ").title(),
                                                         room=rng.randrange(100, 500))
        estimate = estimates[index]
        tickets.append({
            "id": f"T-{index + 1:07d}",
            "opened_at": YEAR_START + dt.timedelta(minutes=minutes[index]),
            "requester": person,
            "category": category,
            "cause": causes[index],
            "estimate": dt.timedelta(minutes=estimate) if estimate is not None else None,
            "summary": summary,
            "premium_waived": "yes" if rng.random() < 0.1 else "no",
        })
    return tickets


def peer_view(tickets: Iterable[dict]) -> list[dict]:
    """What the peer engines are handed for each ticket: flat JSON-like values, with the count of
    the requester's earlier moves this contract year, and the weekday (0 is Monday) and hour of
    ``opened_at``, worked out here because not every peer has date functions or history."""
    moves: dict[str, int] = {}
    view = []
    for ticket in tickets:
        requester = ticket["requester"]
        earlier_moves = moves.get(requester, 0)
        if ticket["category"] == "move":
            moves[requester] = earlier_moves + 1
        opened = ticket["opened_at"]
        estimate = ticket["estimate"]
        view.append({
            "id": ticket["id"],
            "category": ticket["category"],
            "cause": ticket["cause"],
            "estimate_minutes": int(estimate.total_seconds() // 60) if estimate is not None else None,
            "earlier_moves": earlier_moves,
            "weekday": opened.weekday(),
            "hour": opened.hour,
            "premium_waived": ticket["premium_waived"],
        })
    return view


def _duration_text(estimate: dt.timedelta | None) -> str:
    if estimate is None:
        return ""
    hours, minutes = divmod(int(estimate.total_seconds() // 60), 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


def export_rows(tickets: Iterable[dict]) -> Iterator[dict[str, str]]:
    """The tickets as a PSA export writes them: text, times without an offset (the agreement's
    zone is UTC), durations as ``1h30m``, and an empty cell for a missing value."""
    for ticket in tickets:
        yield {
            "id": ticket["id"],
            "opened_at": ticket["opened_at"].strftime("%Y-%m-%dT%H:%M"),
            "requester": ticket["requester"],
            "category": ticket["category"],
            "cause": ticket["cause"] or "",
            "estimate": _duration_text(ticket["estimate"]),
            "summary": ticket["summary"],
            "premium_waived": ticket["premium_waived"],
        }


def write_csv(tickets: Iterable[dict], path: str | Path) -> Path:
    path = Path(path)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(export_rows(tickets))
    return path


def write_jsonl(tickets: Iterable[dict], path: str | Path) -> Path:
    """One object per line; a missing value is left out, as exports do."""
    path = Path(path)
    with path.open("w", encoding="utf-8") as out:
        for row in export_rows(tickets):
            out.write(json.dumps({key: value for key, value in row.items() if value}, separators=(",", ":")))
            out.write("\n")
    return path


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write the benchmark's tickets as CSV or JSON Lines.")
    parser.add_argument("output", help="a file ending in .csv or .jsonl")
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    arguments = parser.parse_args()
    generated = generate(arguments.tickets, arguments.seed)
    (write_jsonl if arguments.output.endswith(".jsonl") else write_csv)(generated, arguments.output)
