"""Where the grammar and the standard rule library are, installed or in a source checkout.

In: a folder name (``grammar`` or ``rules``). Out: its path. A wheel carries both folders inside
the package (see ``pyproject.toml``); an editable install or a checkout finds them at the top of
the repository, where they are written and reviewed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / name


def grammar_path() -> Path:
    return resource_dir("grammar") / "scope.lark"


def standard_library() -> dict[str, Path]:
    """The rule files ``import NAME`` and an agreement's ``rules: [NAME]`` can name."""
    return {path.stem: path for path in sorted(resource_dir("rules").glob("*.scope"))}


def in_standard_library(path: str | Path) -> bool:
    """Whether ``path`` lies in the shipped ``rules/`` folder: files a client cannot change."""
    return Path(path).resolve().is_relative_to(resource_dir("rules").resolve())
