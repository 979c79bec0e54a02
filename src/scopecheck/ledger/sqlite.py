"""The embedded ledger: one SQLite file, the only code that touches the database.

In: ``Entry`` values to record. Out: the entries and their earlier versions, read back in the
order work started.

Safety comes from SQLite's transactions. A run that writes takes the write lock before it reads
(``BEGIN IMMEDIATE``), so it decides against the state it will change and no other process can
record in between: two technicians classifying at once are served one after the other, and
neither spends an allowance the other has spent. A process killed mid-run leaves its
transaction unfinished, which SQLite rolls back; the file is as it was before the run. The
journal is write-ahead (WAL), so ``history`` and ``balance`` read while another process
writes.

The schema is versioned: ``scopecheck_meta`` holds ``schema_version``, and opening a ledger
applies the migrations it lacks, in order, in one transaction. A ledger written by a newer
scopecheck is refused rather than guessed at.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

from scopecheck.evaluate.decision import Draw
from scopecheck.ledger.records import Entry
from scopecheck.record import record

# Each migration is the statements that take the schema from its index to the next version.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE entries (
            client TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            work_start TEXT NOT NULL,
            work_instant REAL NOT NULL,
            work_end TEXT,
            requester TEXT,
            device TEXT,
            site TEXT,
            category TEXT,
            outcome TEXT NOT NULL,
            deciding_rule TEXT,
            reason TEXT NOT NULL,
            total TEXT NOT NULL,
            currency TEXT NOT NULL,
            charges TEXT NOT NULL,
            drawn TEXT NOT NULL,
            drawn_minutes INTEGER NOT NULL,
            rules_version TEXT NOT NULL,
            agreement_version TEXT NOT NULL,
            ticket_hash TEXT NOT NULL,
            ticket TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            PRIMARY KEY (client, ticket_id)
        )""",
        "CREATE INDEX entries_in_order ON entries (client, work_instant, ticket_id)",
        """CREATE TABLE revisions (
            client TEXT NOT NULL,
            ticket_id TEXT NOT NULL,
            revision INTEGER NOT NULL,
            replaced_at TEXT NOT NULL,
            why TEXT NOT NULL,
            entry TEXT NOT NULL,
            PRIMARY KEY (client, ticket_id, revision)
        )""",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)

# Long enough for another technician's batch to finish; a run that waits longer says so.
DEFAULT_WAIT_SECONDS = 120.0

_CACHE_KIB = 64 * 1024
_SCAN_CACHE_KIB = 2000  # SQLite's default
_LOG_KEPT_BYTES = 64 * 1024 * 1024

_COLUMNS = (
    "client", "ticket_id", "revision", "work_start", "work_instant", "work_end", "requester", "device", "site",
    "category", "outcome", "deciding_rule", "reason", "total", "currency", "charges", "drawn", "drawn_minutes",
    "rules_version", "agreement_version", "ticket_hash", "ticket", "decided_at",
)
_WORK_START = _COLUMNS.index("work_start")
# The decision order (``program.decision_order``), which the entries_in_order index keeps.
_IN_ORDER = "work_instant, ticket_id"
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM entries"
_INSERT = f"INSERT INTO entries ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_UPDATE = f"UPDATE entries SET {', '.join(f'{name} = ?' for name in _COLUMNS[2:])} WHERE client = ? AND ticket_id = ?"


class LedgerError(Exception):
    """The ledger cannot be used: not a ledger, newer than this scopecheck, busy, unwritable."""


@record
class Revision:
    """An entry as it was before a later decision replaced it, and why it was replaced."""

    entry: Entry
    replaced_at: dt.datetime
    why: str


@record
class Filters:
    """Which entries ``history`` lists; ``None`` places no condition. Requester and device
    compare without regard to case, as the counting in rules does."""

    requester: str | None = None
    device: str | None = None
    rule: str | None = None
    outcome: str | None = None
    ticket_id: str | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None


EVERY_ENTRY = Filters()


class SqliteLedger:
    """A ledger file. Use ``open_ledger``; every read and write happens inside ``session``."""

    def __init__(self, path: Path, connection: sqlite3.Connection, writable: bool):
        self.path = path
        self._connection = connection
        self.writable = writable

    @classmethod
    def open(cls, path: Path, writable: bool = True, wait_seconds: float = DEFAULT_WAIT_SECONDS) -> SqliteLedger | None:
        """Open (creating and migrating it when ``writable``) the ledger at ``path``. A ledger
        opened read-only that does not exist yet, or was never written, is ``None``: there is
        nothing in it."""
        where = f"ledger '{path}'"
        if path.is_dir():
            raise LedgerError(f"{where} is a folder; name a file, such as {path / 'ledger.sqlite3'}")
        if not writable and not path.exists():
            return None
        try:
            if writable:
                path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(path, timeout=wait_seconds, isolation_level=None)
            else:
                connection = _connect_read_only(path, wait_seconds)
        except (FileExistsError, NotADirectoryError):
            raise LedgerError(f"{where}: cannot create its folder, as part of that path is a file") from None
        except (sqlite3.Error, OSError) as error:
            raise LedgerError(f"{where}: cannot open it: {_words(error)}") from None
        ledger = cls(path, connection, writable)
        try:
            version = ledger._prepare()
        except sqlite3.Error as error:
            connection.close()
            raise LedgerError(f"{where}: {_busy_or(error)}") from None
        except LedgerError:
            connection.close()
            raise
        if not writable and version == 0:
            connection.close()
            return None
        return ledger

    def close(self) -> None:
        self._connection.close()

    def _prepare(self) -> int:
        """Check the file is a ledger this scopecheck reads, migrate it when writable; return
        its schema version (0: nothing was ever written)."""
        tables = {row[0] for row in self._connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "scopecheck_meta" not in tables:
            raise LedgerError(f"ledger '{self.path}': this SQLite file is not a scopecheck ledger; name another file with --ledger")
        if not self.writable:
            version = self._version()
            self._check_version(version)
            return version
        # WAL lets readers read while a run writes; it is a property of the file, set once.
        self._connection.execute("PRAGMA journal_mode = WAL")
        # In WAL mode, NORMAL still never corrupts the file nor lets a run commit in part; it
        # leaves out the flush of the log at each commit, which only a power cut (not a
        # crash of this process) could cost.
        self._connection.execute("PRAGMA synchronous = NORMAL")
        # A run of many tickets writes the same index pages over and over: a larger cache keeps
        # them until the commit instead of writing each version to the log.
        self._connection.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
        # A large run leaves a large log behind once it is copied into the file; shrink it then.
        self._connection.execute(f"PRAGMA journal_size_limit = {_LOG_KEPT_BYTES}")
        with self._transaction():
            self._connection.execute("CREATE TABLE IF NOT EXISTS scopecheck_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            version = self._version()
            self._check_version(version)
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    self._connection.execute(statement)
            self._connection.execute(
                "INSERT INTO scopecheck_meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
        return SCHEMA_VERSION

    def _version(self) -> int:
        try:
            row = self._connection.execute("SELECT value FROM scopecheck_meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return 0
        return int(row[0]) if row else 0

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger '{self.path}': its schema is version {version}, newer than this scopecheck reads "
                f"({SCHEMA_VERSION}); upgrade scopecheck"
            )

    @property
    def schema_version(self) -> int:
        return self._version()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock now, before anything is read: see the module docstring.
        self._connection.execute("BEGIN IMMEDIATE" if self.writable else "BEGIN")
        try:
            yield
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    @contextmanager
    def session(self) -> Iterator[LedgerSession]:
        """One transaction: everything read inside it is what the writes inside it build on;
        nothing is written unless the block completes."""
        try:
            with self._transaction():
                yield LedgerSession(self._connection, self.writable)
        except sqlite3.Error as error:
            raise LedgerError(f"ledger '{self.path}': {_busy_or(error)}") from None


class LedgerSession:
    """Reads and writes inside one transaction."""

    def __init__(self, connection: sqlite3.Connection, writable: bool):
        self._connection = connection
        self.writable = writable

    def entries(self, client: str, filters: Filters = EVERY_ENTRY) -> list[Entry]:
        """The client's entries in the order work started (then by ticket id)."""
        return list(self.iter_entries(client, filters))

    def iter_entries(self, client: str, filters: Filters = EVERY_ENTRY) -> Iterator[Entry]:
        """``entries`` one at a time, each made as it is read, so that going through them takes
        no more memory for a large ledger than for a small one."""
        return map(_entry, self.entry_rows(client, filters))

    def entry_rows(self, client: str, filters: Filters = EVERY_ENTRY) -> Iterator[tuple]:
        """The rows of ``entries`` (``entry_of_row`` makes each its entry), read as they are
        taken; the query runs when the first one is."""
        conditions, arguments = ["client = ?"], [client]
        for column, value in (("deciding_rule", filters.rule), ("outcome", filters.outcome), ("ticket_id", filters.ticket_id)):
            if value is not None:
                conditions.append(f"{column} = ?")
                arguments.append(value)
        for column, value in (("requester", filters.requester), ("device", filters.device)):
            if value is not None:
                conditions.append(f"lower({column}) = lower(?)")
                arguments.append(value)
        query = f"{_SELECT} WHERE {' AND '.join(conditions)} ORDER BY {_IN_ORDER}"
        with self._read_through():
            rows = self._connection.execute(query, arguments)
            if filters.first_day or filters.last_day:
                first, last = filters.first_day or dt.date.min, filters.last_day or dt.date.max
                rows = (row for row in rows if first <= dt.datetime.fromisoformat(row[_WORK_START]).date() <= last)
            yield from rows

    def ticket_ids(self, client: str) -> set[str]:
        """The ids of the client's tickets that have an entry."""
        return {ticket_id for (ticket_id,) in self._connection.execute("SELECT ticket_id FROM entries WHERE client = ?", (client,))}

    def versions(self, client: str) -> set[tuple[str, str]]:
        """The (rules, agreement) versions the client's entries were decided under."""
        query = "SELECT DISTINCT rules_version, agreement_version FROM entries WHERE client = ?"
        with self._read_through():
            return set(self._connection.execute(query, (client,)))

    def last_entry(self, client: str) -> Entry | None:
        """The client's last entry in the order of ``entries``; ``None`` when it has none."""
        query = f"{_SELECT} WHERE client = ? ORDER BY work_instant DESC, ticket_id DESC LIMIT 1"
        row = self._connection.execute(query, (client,)).fetchone()
        return _entry(row) if row is not None else None

    def draws(self, client: str) -> Iterator[tuple[dt.date, tuple[Draw, ...]]]:
        """The prepaid minutes each of the client's entries drew, with the day its work started
        (``entry.work_start.date()``), in the order of ``entries``; entries that drew none are
        left out."""
        query = f"SELECT work_start, drawn FROM entries WHERE client = ? AND drawn <> '[]' ORDER BY {_IN_ORDER}"
        with self._read_through():
            for work_start, drawn in self._connection.execute(query, (client,)):
                yield dt.datetime.fromisoformat(work_start).date(), _draws_of(drawn)

    # A query that goes through all of a client's rows would otherwise leave its pages in the
    # cache, up to its size (``_CACHE_KIB``), which is there for the pages a run's writes come
    # back to: those rows are read once, through a small cache, so that what a run holds does
    # not grow with the ledger. Left small when the rows are not all read, which only a failing
    # run does.

    @contextmanager
    def _read_through(self) -> Iterator[None]:
        """The cache made small while a query goes through all of a client's rows."""
        (kept,) = self._connection.execute("PRAGMA cache_size").fetchone()
        self._connection.execute(f"PRAGMA cache_size = -{_SCAN_CACHE_KIB}")
        yield
        # Not in a ``finally``: rows left unread end a run that is failing, whose connection may
        # be closed by the time the generator reading them is collected.
        self._connection.execute(f"PRAGMA cache_size = {kept}")

    def revisions(self, client: str, ticket_id: str | None = None) -> dict[str, list[Revision]]:
        """Earlier versions of the client's entries (or of one), oldest first, by ticket id."""
        query = "SELECT ticket_id, entry, replaced_at, why FROM revisions WHERE client = ?"
        arguments = [client]
        if ticket_id is not None:
            query += " AND ticket_id = ?"
            arguments.append(ticket_id)
        found: dict[str, list[Revision]] = {}
        for ticket, text, replaced_at, why in self._connection.execute(query + " ORDER BY ticket_id, revision", arguments):
            found.setdefault(ticket, []).append(Revision(_entry_from_json(text), dt.datetime.fromisoformat(replaced_at), why))
        return found

    def insert(self, entries: Iterable[Entry]) -> None:
        """Add new entries."""
        self._connection.executemany(_INSERT, (_row(entry) for entry in entries))

    def insert_rows(self, rows: Iterable[tuple]) -> None:
        """Add new entries given as the rows ``_row`` would make of them (``records.EntryRows``)."""
        self._connection.executemany(_INSERT, rows)

    # A savepoint marks a point inside the run's transaction that its writes can be taken back
    # to, leaving the rest of the transaction, and the write lock, as they are.

    def savepoint(self, name: str) -> None:
        self._connection.execute(f"SAVEPOINT {name}")

    def back_to(self, name: str) -> None:
        """Take back every write since the savepoint, and forget it."""
        self._connection.execute(f"ROLLBACK TO {name}")
        self._connection.execute(f"RELEASE {name}")

    def replace(self, changes: Sequence[tuple[Entry, Entry, str]], replaced_at: dt.datetime) -> None:
        """Replace entries, keeping each replaced one (with why) among the revisions."""
        self._connection.executemany(
            "INSERT INTO revisions (client, ticket_id, revision, replaced_at, why, entry) VALUES (?, ?, ?, ?, ?, ?)",
            ((old.client, old.ticket_id, old.revision, replaced_at.isoformat(), why, _entry_json(old)) for old, _, why in changes),
        )
        self._connection.executemany(_UPDATE, (_row(new)[2:] + (new.client, new.ticket_id) for _, new, _ in changes))

    def update(self, entries: Iterable[Entry]) -> None:
        """Rewrite entries in place, keeping no earlier version: for a decision restated
        under new terms with the same result."""
        self._connection.executemany(_UPDATE, (_row(entry)[2:] + (entry.client, entry.ticket_id) for entry in entries))


def _words(error: BaseException) -> str:
    return str(error).rstrip(".")


def _busy_or(error: sqlite3.Error) -> str:
    if isinstance(error, sqlite3.OperationalError) and ("locked" in str(error) or "busy" in str(error)):
        return "it is busy: another run has been recording into it for longer than scopecheck waits"
    return _words(error)


def _connect_read_only(path: Path, wait_seconds: float) -> sqlite3.Connection:
    """A connection that cannot write. A ledger in a folder the user cannot write to (an
    archive, a read-only share) cannot have its shared-memory file created; such a file has no
    writer either, so it is read as immutable."""
    uri = path.resolve().as_uri()
    connection = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=wait_seconds, isolation_level=None)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as error:
        if "unable to open" not in str(error):
            raise
        connection.close()
        connection = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=wait_seconds, isolation_level=None)
    return connection


# --- rows ------------------------------------------------------------------------------------


def entry_of_row(row: Sequence) -> Entry:
    """The entry an ``entry_rows`` row stores: plain values, which another process can be sent."""
    return _entry(row)


def column_index(name: str) -> int:
    """Where column ``name`` stands in an entry's row."""
    return _COLUMNS.index(name)


def _row(entry: Entry) -> tuple:
    return (
        entry.client,
        entry.ticket_id,
        entry.revision,
        entry.work_start.isoformat(),
        entry.work_start.timestamp(),
        entry.work_end.isoformat() if entry.work_end else None,
        entry.requester,
        entry.device,
        entry.site,
        entry.category,
        entry.outcome,
        entry.deciding_rule,
        entry.reason,
        str(entry.total),
        entry.currency,
        json.dumps([dict(line) for line in entry.charges], ensure_ascii=False, separators=(",", ":")),
        json.dumps([[draw.block_id, draw.minutes] for draw in entry.drawn], ensure_ascii=False, separators=(",", ":")),
        entry.drawn_minutes,
        entry.rules_version,
        entry.agreement_version,
        entry.ticket_hash,
        entry.ticket_text,
        entry.decided_at.isoformat(),
    )


def _entry(row: Sequence) -> Entry:
    values = dict(zip(_COLUMNS, row))
    return Entry(
        client=values["client"],
        ticket_id=values["ticket_id"],
        work_start=dt.datetime.fromisoformat(values["work_start"]),
        work_end=dt.datetime.fromisoformat(values["work_end"]) if values["work_end"] else None,
        requester=values["requester"],
        device=values["device"],
        site=values["site"],
        category=values["category"],
        outcome=values["outcome"],
        deciding_rule=values["deciding_rule"],
        reason=values["reason"],
        total=Decimal(values["total"]),
        currency=values["currency"],
        charges=tuple(MappingProxyType(line) for line in json.loads(values["charges"])),
        drawn=_draws_of(values["drawn"]),
        rules_version=values["rules_version"],
        agreement_version=values["agreement_version"],
        ticket_hash=values["ticket_hash"],
        ticket_text=values["ticket"],
        decided_at=dt.datetime.fromisoformat(values["decided_at"]),
        revision=values["revision"],
    )


def _draws_of(text: str) -> tuple[Draw, ...]:
    return tuple(Draw(block, minutes) for block, minutes in json.loads(text))


def _entry_json(entry: Entry) -> str:
    return json.dumps(dict(zip(_COLUMNS, _row(entry))), ensure_ascii=False, separators=(",", ":"))


def _entry_from_json(text: str) -> Entry:
    values = json.loads(text)
    return _entry(tuple(values[name] for name in _COLUMNS))
