"""The decision ledger: every decision recorded, so history spans runs and technicians.

In: decisions from the evaluator. Out: entries, their earlier versions, and the history later
runs count from. ``sqlite`` is the embedded store; ``recording`` decides a batch against it.

Where the ledger lives (docs/ledger.md): ``--ledger PATH``, else ``$SCOPECHECK_LEDGER``, else
one file per user in the platform's data folder, so a technician classifying for many clients
from any folder keeps one history, with each client's entries kept apart by its id.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from scopecheck.ledger.sqlite import LedgerError, SqliteLedger

__all__ = ["LedgerError", "SqliteLedger", "default_ledger_path", "open_ledger"]

LEDGER_FILE_NAME = "ledger.sqlite3"


def default_ledger_path() -> Path:
    """``$SCOPECHECK_LEDGER``, else ``scopecheck/ledger.sqlite3`` in the user's data folder:
    ``$XDG_DATA_HOME`` (``~/.local/share``) on Linux and other Unix systems,
    ``~/Library/Application Support`` on macOS, ``%LOCALAPPDATA%`` on Windows."""
    chosen = os.environ.get("SCOPECHECK_LEDGER")
    if chosen:
        return Path(chosen).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "scopecheck" / LEDGER_FILE_NAME


def open_ledger(path: str | Path | None = None, writable: bool = True) -> SqliteLedger | None:
    """The ledger at ``path`` (default: ``default_ledger_path()``); ``None`` when it is opened
    read-only and does not exist yet. Raises ``LedgerError`` for a file that cannot serve."""
    return SqliteLedger.open(Path(path).expanduser() if path is not None else default_ledger_path(), writable=writable)
