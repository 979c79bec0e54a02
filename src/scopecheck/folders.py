"""Searching a repository's folders for files: one rule for every command that does.

In: a folder and the endings of the files wanted. Out: those files, in a stable order, and the
folders that could not be read. Hidden folders, virtual environments and build output are
skipped, and linked folders are not followed: a link back up the tree would be searched forever.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

SKIPPED_FOLDERS = frozenset({"venv", "build", "dist", "node_modules", "__pycache__"})
"""Folders never searched, besides hidden ones (``.git``, ``.venv``): environments and build output."""


def files_under(folder: Path, endings: tuple[str, ...], unreadable: Callable[[OSError], None] | None = None) -> Iterator[Path]:
    """Every file below ``folder`` whose name ends with one of ``endings``, folder by folder in
    name order; ``unreadable`` hears of each folder that cannot be listed."""
    for top, folders, files in os.walk(folder, onerror=unreadable):
        folders[:] = sorted(name for name in folders if name not in SKIPPED_FOLDERS and not name.startswith("."))
        for name in sorted(files):
            if name.endswith(endings):
                yield Path(top) / name
